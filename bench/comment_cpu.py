"""CPU per comment through the ASGI app, with no HTTP client or server in the way.

    TALKUU_BENCH_DATABASE_URL='postgresql+psycopg://postgres@/postgres?host=/tmp/devpg' \\
        .venv/bin/python bench/comment_cpu.py [-n 1000] [-c 32] [--profile out.pstats]

Scenario 1 of bench/load.py is bound by CPU on a 2-core machine, so the figure that decides it
is how much of the process's CPU one accepted comment costs.  This script seeds a database of
its own the same way (bench/load.py's ``seed``), then calls the application object itself with
ASGI messages built by hand, ``-c`` clients at once (each sending its next request when the
last is answered; 1 by default): first N comments (201 each, checked), then N bare inserts
through bench/bare_app.py's app for comparison.  With several clients at once the comments are
written in batches (app/api/comment_intake.py), as under a surge.  ``time.process_time``
counts the CPU of every thread of this process (FastAPI runs sync dependencies in a thread
pool); PostgreSQL's own CPU is not included.  The comments are sent inside the app's lifespan
(its warm-up, frozen start-up heap and collections at safe points, as in a server process).
With ``--profile`` the comment run is profiled with yappi across threads and the top
functions are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.load import bench_database, comment_policy, seed  # noqa: E402 - after the path is set


async def call(app, method: str, path: str, headers: dict[str, str],  # noqa: ANN001
               body: bytes, client: str = "127.0.0.1") -> tuple[int, bytes]:
    """One request through the ASGI app; the status and the body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": (client, 50000), "server": ("127.0.0.1", 8000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode()), (b"host", b"127.0.0.1:8000")],
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, object]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[arg-type]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))  # type: ignore[arg-type]

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def run(app, path: str, n: int, tokens: list[str] | None,  # noqa: ANN001
              expect: int, clients: int = 1) -> float:
    """CPU seconds per request: the median of five batches of ``n / 5`` requests (after 20
    untimed ones); single batches vary by a third from one run to the next."""
    async def one(i: int) -> None:
        headers = {"content-type": "application/json", "x-forwarded-for": f"10.0.{i % 64}.1"}
        if tokens:
            headers["authorization"] = f"Bearer {tokens[i % len(tokens)]}"
        payload = {"body": f"Замечание {i}: уточнить понятие потребителя в статье.",
                   "clause_key": f"art-{i % 500 + 1}"}
        # Each client an address of its own, as bench/load.py's (one address may hold only a
        # few write places, app/gate.py).
        status, answer = await call(app, "POST", path, headers,
                                    json.dumps(payload, ensure_ascii=False).encode(),
                                    client=f"10.0.{i % clients}.1")
        if status != expect:
            raise SystemExit(f"{path}: {status} {answer[:300]!r}")

    async def some(first: int, count: int) -> None:
        async def client(c: int) -> None:
            for i in range(c, count, clients):
                await one(first + i)
        await asyncio.gather(*(client(c) for c in range(clients)))

    await some(0, 20 * clients)
    batch = max(clients, n // 5)
    batches = []
    for b in range(5):
        started = time.process_time()
        await some(20 * clients + b * batch, batch)
        batches.append((time.process_time() - started) / batch)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("-c", type=int, default=1, help="clients at once")
    parser.add_argument("--profile", help="write a yappi profile of the comment run here")
    args = parser.parse_args()
    with bench_database() as url:
        draft_id, tokens = seed(url, 64)
        os.environ["TALKUU_DATABASE_URL"] = url
        os.environ.setdefault("TALKUU_ENV", "development")
        comment_policy(url, lifted=True)  # as bench/load.py: all counted, none refused
        from app.main import create_app
        from bench.bare_app import app as bare

        app = create_app()
        path = f"/api/v1/drafts/{draft_id}/comments"
        if args.profile:
            import yappi

            yappi.set_clock_type("cpu")
            yappi.start()
        async def served() -> float:
            # Inside the app's lifespan, as a server process: warmed up, the start-up heap
            # frozen and garbage collected at safe points (app/main.py, app/collector.py).
            async with app.router.lifespan_context(app):
                return await run(app, path, args.n, tokens, 201, args.c)

        per_comment = asyncio.run(served())
        if args.profile:
            yappi.stop()
            stats = yappi.get_func_stats()
            stats.save(args.profile, type="pstat")
            stats.sort("ttot").print_all(columns={0: ("name", 90), 1: ("ncall", 8),
                                                  3: ("ttot", 8), 4: ("tavg", 8)})
            yappi.clear_stats()
        per_bare = asyncio.run(run(bare, "/bare", args.n, None, 201, args.c))
        print(f"comment: {per_comment * 1000:.2f} ms of CPU each; bare insert: "
              f"{per_bare * 1000:.2f} ms; ratio of the rates this allows: "
              f"{per_bare / per_comment:.2f}")


if __name__ == "__main__":
    main()
