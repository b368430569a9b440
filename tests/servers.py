"""Real server processes on a database of their own, for tests of what only processes show."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import get_engine

TALKUU = [sys.executable, "-m", "app.cli"]
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def own_database(tmp_dir: Path, prefix: str) -> Iterator[str]:
    """A fresh, empty database (the suite's database is shared with other tests)."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield f"sqlite:///{tmp_dir / (prefix + '.db')}"
        return
    name = f"talkuu_{prefix}_{uuid.uuid4().hex[:8]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(engine.url.render_as_string(hide_password=False)).set(
            database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def run(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``talkuu ARGS`` against the database at ``url``."""
    env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development"}
    result = subprocess.run([*TALKUU, *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(url: str, *extra: str, env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """``talkuu serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
           **(env_extra or {})}
    # A file, not a pipe: nobody reads a pipe during the test, and a full one stalls the server.
    log = tempfile.NamedTemporaryFile(prefix="talkuu-serve-", suffix=".log", delete=False)
    server = subprocess.Popen([*TALKUU, "serve", "--port", str(port), *extra], env=env,
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/v1/organizations", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if os.environ.get("TALKUU_KEEP_SERVER_LOG"):
            print(f"server log: {log.name}")
        else:
            Path(log.name).unlink()


def engine_for(url: str):  # noqa: ANN201 - an Engine
    return create_engine(url)
