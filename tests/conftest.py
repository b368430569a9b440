"""Test harness: a real database built by ``alembic upgrade head``, real HTTP through the app.

The database is SQLite by default, or PostgreSQL when TALKUU_TEST_DATABASE_URL is set (CI
starts a throwaway cluster). Every test runs inside one outer transaction that is rolled back
at the end; the application's own commits become savepoints inside it.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="talkuu-tests-"))
os.environ["TALKUU_ENV"] = "test"
os.environ["TALKUU_DATABASE_URL"] = os.environ.get(
    "TALKUU_TEST_DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}")
os.environ.setdefault("TALKUU_SECRET_KEY", "test-secret-key-that-is-long-enough-1234")
os.environ["TALKUU_BASE_URL"] = "http://testserver"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import clock  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine, get_session, get_session_maker, get_side_sessions  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Organization, Role, User  # noqa: E402
from app.services import auth as auth_service  # noqa: E402
from app.services import organizations as organizations_service  # noqa: E402
from tests.corpus import corpus_dir  # noqa: E402

CORPUS = corpus_dir()
BISHKEK = get_settings().tz
PASSWORD = "correct horse battery"


def _reset_database() -> None:
    from app.cli import migrate

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate()


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    get_settings.cache_clear()
    _reset_database()
    yield
    get_engine().dispose()


@pytest.fixture(autouse=True)
def _fresh_comparison_cache() -> Iterator[None]:
    # Rolled-back tests hand out the same version ids again: never reuse a cached diff.
    from app.services import comparison, ratelimit

    comparison.clear_cache()
    # Nor a refusal or policy remembered from rows that the rollback took away.
    ratelimit.forget()
    yield


@contextmanager
def rolled_back() -> Iterator[Connection]:
    """A connection in a transaction that is rolled back at the end, whatever happened."""
    with get_engine().connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def connection(database: None) -> Iterator[Connection]:
    with rolled_back() as connection:
        yield connection


def _session_on(connection: Connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint",
                   expire_on_commit=False, autoflush=False)


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session for setting up and checking data, inside the test's transaction."""
    session = _session_on(connection)
    yield session
    session.close()


def sessions_on(application: Any, connection: Connection) -> None:
    """Every session ``application`` opens (the request's, the rate limits', the streamed
    exports') joins ``connection``'s transaction, which the test rolls back."""
    from app.api.opendata import get_export_sessions

    def session_override() -> Iterator[Session]:
        session = _session_on(connection)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[get_side_sessions] = lambda: lambda: _session_on(connection)
    application.dependency_overrides[get_session_maker] = lambda: lambda: _session_on(connection)
    application.dependency_overrides[get_export_sessions] = \
        lambda: lambda: _session_on(connection)


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    """Every test ends on the real clock, whichever fixtures it used to set another: a test
    after it that starts a server process (which runs on the real clock) must not set up its
    world at a made-up moment."""
    yield
    clock.set_now(None)


@pytest.fixture
def app(connection: Connection) -> Iterator[Any]:
    application = create_app()
    sessions_on(application, connection)
    yield application


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# --- builders -------------------------------------------------------------------------------

@pytest.fixture
def make_org(db: Session):
    def build(slug: str = "minjust", name_ru: str = "Министерство юстиции",
              name_ky: str = "Юстиция министрлиги") -> Organization:
        organization = organizations_service.create_organization(
            session=db, slug=slug, name_ru=name_ru, name_ky=name_ky, name_en=None)
        db.commit()
        return organization
    return build


@pytest.fixture
def make_user(db: Session):
    counter = iter(range(1, 10_000))

    def build(role: Role = Role.CITIZEN, organization: Organization | None = None,
              email: str | None = None, name: str | None = None) -> User:
        n = next(counter)
        user = auth_service.create_user(
            session=db, email=email or f"{role.value}{n}@example.kg", password=PASSWORD,
            name=name or f"{role.value.title()} {n}", role=role, organization=organization,
            verified=True)
        db.commit()
        return user
    return build


@pytest.fixture
def login(client: TestClient):
    """Bearer headers for a user, obtained through POST /api/v1/auth/token."""
    def get_headers(user: User) -> dict[str, str]:
        response = client.post("/api/v1/auth/token",
                               data={"username": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}
    return get_headers


def set_clock(client: TestClient, moment: datetime | None) -> None:
    response = client.put("/api/v1/testing/clock",
                          json={"now": moment.isoformat() if moment else None})
    assert response.status_code == 200, response.text


def bishkek(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BISHKEK)


DAY = timedelta(days=1)


# --- a real SMTP server ---------------------------------------------------------------------

class _Inbox:
    """What the SMTP server received, as parsed email messages."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]

    def body(self, message: Any) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """aiosmtpd on a free localhost port; settings point the outbox at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    servers = [Controller(inbox, hostname="127.0.0.1", port=port)]
    servers[0].start()
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", port)

    def stop() -> None:
        servers[-1].stop()

    def start() -> None:
        # A stopped aiosmtpd controller cannot start again: a new one takes the same port.
        servers.append(Controller(inbox, hostname="127.0.0.1", port=port))
        servers[-1].start()

    inbox.stop, inbox.start = stop, start  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        try:
            servers[-1].stop()
        except (AssertionError, RuntimeError):
            pass  # already stopped by the test


@pytest.fixture
def deliver(db: Session):
    """Run one pass of the worker (``talkuu worker --once``) inside the test's transaction."""
    from app.services import outbox as outbox_service

    def run() -> tuple[int, int]:
        result = outbox_service.deliver_due(session=db)
        db.commit()
        return result
    return run
