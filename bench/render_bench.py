"""CPU of one rendering of scenario 2's draft page (500 clauses, 5,000 comments), in process.

    TALKUU_BENCH_DATABASE_URL='postgresql+psycopg://postgres@/postgres?host=/tmp/devpg' \\
        .venv/bin/python bench/render_bench.py [-n 15] [--profile out.pstats]

Scenario 2's cold crowd waits for the first rendering of the page in each process, so its p99
cannot be below what one rendering costs.  This script seeds a database of its own as
bench/load.py does (``seed``), posts 5,000 comments through the ASGI app (64 clients at once,
in batches, as the bench's surge does), then renders the page ``-n`` times with the process's
page cache emptied before each, and prints the median CPU of a rendering (the first two left
out: each process's first rendering of a kind costs more).  Automatic garbage collection is
off, as in a server process (app/collector.py); with ``--profile``, the renderings are
profiled with yappi.  Then the kept rendering is served ``--hits`` times: the CPU of one
request of the warm crowd.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.comment_cpu import call  # noqa: E402 - after the path is set
from bench.load import CLAUSES, PAGE_COMMENTS, bench_database, comment_policy, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=15)
    parser.add_argument("--profile", help="write a yappi profile of the renderings here")
    parser.add_argument("--hits", type=int, default=2000,
                        help="then serve the kept rendering this many times (the warm crowd)")
    args = parser.parse_args()
    gc.disable()
    with bench_database() as url:
        clients = 64
        draft_id, tokens = seed(url, clients)
        comment_policy(url, lifted=True)
        os.environ["TALKUU_DATABASE_URL"] = url
        os.environ.setdefault("TALKUU_ENV", "development")
        from app.main import create_app

        app = create_app()
        path = f"/drafts/{draft_id}"

        async def comments() -> None:
            async def client(c: int) -> None:
                for i in range(PAGE_COMMENTS // clients + 1):
                    n = c * clients + i
                    status, answer = await call(
                        app, "POST", f"/api/v1/drafts/{draft_id}/comments",
                        {"content-type": "application/json",
                         "authorization": f"Bearer {tokens[c]}"},
                        json.dumps({"clause_key": f"art-{n * 7 % CLAUSES + 1}",
                                    "body": f"Замечание {c}-{i}: уточнить понятие потребителя"},
                                   ensure_ascii=False).encode(), client=f"10.0.{c}.1")
                    if status != 201:
                        raise SystemExit(f"{status} {answer[:300]!r}")
            await asyncio.gather(*(client(c) for c in range(clients)))

        async def renderings() -> tuple[list[float], int]:
            seconds, size = [], 0
            for _ in range(args.n):
                app.state.page_cache = None
                started = time.process_time()
                status, body = await call(app, "GET", path, {"accept-encoding": "gzip"}, b"")
                seconds.append(time.process_time() - started)
                if status != 200:
                    raise SystemExit(f"{path}: {status}")
                size = len(body)
            return seconds, size

        async def hits() -> float:
            """CPU of serving the kept rendering once (the warm crowd's requests)."""
            started = time.process_time()
            for _ in range(args.hits):
                status, _body = await call(app, "GET", path, {"accept-encoding": "gzip"}, b"")
                if status != 200:
                    raise SystemExit(f"{path}: {status}")
            return (time.process_time() - started) / max(args.hits, 1)

        async def served() -> tuple[list[float], int, float]:
            # Inside the app's lifespan, as a server process: templates compiled, mappers
            # configured, the start-up heap frozen (app/main.py), so that the first rendering
            # is what a server's first visitor after the comments waits for.
            async with app.router.lifespan_context(app):
                await comments()
                if args.profile:
                    import yappi

                    yappi.set_clock_type("cpu")
                    yappi.start()
                try:
                    return (*await renderings(), await hits())
                finally:
                    if args.profile:
                        yappi.stop()
                        yappi.get_func_stats().save(args.profile, type="pstat")

        seconds, size, per_hit = asyncio.run(served())
        print(f"{path}: {CLAUSES} clauses, {PAGE_COMMENTS:,}+ comments, {size / 1e3:.0f} kB "
              f"gzip; CPU per rendering: median {statistics.median(seconds[2:]) * 1000:.0f} ms "
              f"(min {min(seconds[2:]) * 1000:.0f}, max {max(seconds[2:]) * 1000:.0f}, "
              f"n={len(seconds) - 2}; first {seconds[0] * 1000:.0f} ms); served from the "
              f"page cache: {per_hit * 1e6:,.0f} µs a request (n={args.hits})")


if __name__ == "__main__":
    main()
