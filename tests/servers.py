"""Real server processes on a database of their own, for tests of what only processes show."""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import clock
from app.db import get_engine
from app.models import Role
from app.services import auth as auth_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from tests.processes import free_port, stop, wait_until_answering

TALKUU = [sys.executable, "-m", "app.cli"]
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
LAW = ("Статья 1. Основные понятия\n1. Понятие потребителя.\n2. Понятие изготовителя.\n"
       "Статья 2. Права потребителей\nПотребитель вправе требовать качественного товара.\n")


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


class Server:
    """``talkuu serve`` as a process of its own (a test may kill -9 it), logging to a file."""

    def __init__(self, url: str, *extra: str, env_extra: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
               **(env_extra or {})}
        # A file, not a pipe: nobody reads a pipe during a test, and a full one stalls the server.
        self.log = tempfile.NamedTemporaryFile(prefix="talkuu-serve-", suffix=".log",
                                               delete=False)
        self.process = subprocess.Popen([*TALKUU, "serve", "--port", str(self.port), *extra],
                                        env=env, cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        try:
            wait_until_answering(f"{self.base}/api/v1/organizations", self.process,
                                 seconds=30, what=f"talkuu serve (log: {self.log.name})"
                                 ).raise_for_status()
        except Exception:
            self.close()
            raise

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no shutdown, no rollback, no flushing of anything
        self.process.wait()

    def close(self) -> None:
        stop(self.process, 15)
        self.log.close()
        if os.environ.get("TALKUU_KEEP_SERVER_LOG"):
            print(f"server log: {self.log.name}")
        else:
            Path(self.log.name).unlink(missing_ok=True)


@contextmanager
def serving(url: str, *extra: str, env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """``talkuu serve`` on a free port until the block ends; yields its base URL."""
    server = Server(url, *extra, env_extra=env_extra)
    try:
        yield server.base
    finally:
        server.close()


NGINX_CONFIG = ROOT / "bench" / "nginx.conf"


def nginx_binary() -> str | None:
    """nginx from PATH or Debian's place, if installed."""
    import shutil

    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).exists() else None


@contextmanager
def nginx_in_front(app_base: str, binary: str) -> Iterator[str]:
    """nginx with bench/nginx.conf (docs/deploy.md's limits) in front of ``app_base``, on a
    free port until the block ends; yields its base URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="talkuu-nginx-") as folder:
        config = NGINX_CONFIG.read_text(encoding="utf-8")
        for name, value in (("{dir}", folder), ("{port}", str(port)),
                            ("{app_port}", app_base.rsplit(":", 1)[1])):
            config = config.replace(name, value)
        (Path(folder) / "nginx.conf").write_text(config, encoding="utf-8")
        child = subprocess.Popen([binary, "-p", folder, "-c", f"{folder}/nginx.conf"])
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_answering(f"{base}/openapi.json", child, seconds=20, what="nginx")
            except RuntimeError as error:
                log = Path(folder, "error.log")
                raise RuntimeError(f"{error}: " + (
                    log.read_text() if log.exists() else "no log")) from None
            yield base
        finally:
            stop(child, 10)


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: an earlier test may have left an event loop
    marked as running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def bearer_tokens(base: str, emails: list[str]) -> list[str]:
    """Bearer tokens of the accounts ``emails`` (password PASSWORD), asked for at once."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def token(email: str) -> str:
            answer = await client.post("/api/v1/auth/token",
                                       data={"username": email, "password": PASSWORD})
            answer.raise_for_status()
            return answer.json()["access_token"]
        return list(await asyncio.gather(*(token(e) for e in emails)))


def wait_for_a_fresh_window(window: int, room: float) -> None:
    """Rate limits count in fixed windows of the real clock here: do not start a count that
    would straddle two of them (less than ``room`` seconds left of this one)."""
    left = window - time.time() % window
    if left < room:
        time.sleep(left + 0.1)


def populate(url: str, citizens: int, law: str = LAW) -> tuple[int, list[str]]:
    """A draft of ``law`` whose round is open, and ``citizens`` verified accounts: (draft id,
    emails)."""
    engine = create_engine(url)
    with Session(engine) as session:
        ministry = organizations_service.create_organization(
            session=session, slug="minjust", name_ru="Министерство юстиции",
            name_ky="Юстиция министрлиги")
        drafter = auth_service.create_user(
            session=session, email="drafter@minjust.kg", password=PASSWORD, name="Разработчик",
            role=Role.DRAFTER, organization=ministry, verified=True)
        draft, _ = drafts_service.create_draft(
            session=session, actor=drafter, organization=ministry, act_type="law",
            title={"ru": "О защите прав потребителей"}, summary=None,
            text=drafts_service.VersionText(ru=law))
        now = clock.now()
        consultations_service.open_consultation(
            session=session, actor=drafter, draft=draft, opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=31))
        emails = [f"citizen{n}@example.kg" for n in range(citizens)]
        for n, email in enumerate(emails):
            auth_service.create_user(session=session, email=email, password=PASSWORD,
                                     name=f"Гражданин {n}", verified=True)
        session.commit()
        draft_id = draft.id
    engine.dispose()
    return draft_id, emails


def engine_for(url: str):  # noqa: ANN201 - an Engine
    return create_engine(url)
