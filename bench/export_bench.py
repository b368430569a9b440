"""Peak memory of exporting 100,000 comments (target: under 200 MB).

    .venv/bin/python bench/export_bench.py [--comments 100000] [--pg-host /tmp/devpg]
        [--database talkuu_bench7e] [--keep]

Seeds a database of its own on PostgreSQL as bench/search_bench.py does, starts the real
server (uvicorn, one process) on it, downloads /api/v1/export/comments.csv and .jsonl over
HTTP, and reads the server's peak resident memory (VmHWM in /proc) before and after: the
growth is what the export costs. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--pg-host", default="/tmp/devpg")
    parser.add_argument("--database", default="talkuu_bench7e")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    import httpx
    from search_bench import drop_database, seed
    from seeding import memory

    try:
        seed(host=args.pg_host, name=args.database, comments=args.comments, drafts=100)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "TALKUU_ENV": "development",
               "TALKUU_DATABASE_URL": os.environ["TALKUU_DATABASE_URL"]}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/api/v1/organizations", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            before = memory(server.pid)
            print(f"server after start-up: RSS {before['VmRSS']:.0f} MiB")
            for fmt in ("csv", "jsonl"):
                started = time.perf_counter()
                size = lines = 0
                with httpx.stream("GET", f"{base}/api/v1/export/comments.{fmt}",
                                  timeout=600) as response:
                    assert response.status_code == 200
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                elapsed = time.perf_counter() - started
                after = memory(server.pid)
                print(f"comments.{fmt}: {size / 1e6:.1f} MB, {lines:,} lines, {elapsed:.1f} s; "
                      f"server peak RSS {after['VmHWM']:.0f} MiB "
                      f"(+{after['VmHWM'] - before['VmRSS']:.0f} MiB over start-up)")
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if not args.keep:
            drop_database(args.pg_host, args.database)


if __name__ == "__main__":
    main()
