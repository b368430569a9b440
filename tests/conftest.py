"""Test harness: a real database built by ``alembic upgrade head``, real HTTP through the app.

The database is SQLite by default, or PostgreSQL when TALKUU_TEST_DATABASE_URL is set (CI
starts a throwaway cluster). Every test runs inside one outer transaction that is rolled back
at the end; the application's own commits become savepoints inside it.
"""

import os
import tempfile
from collections.abc import Iterator
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
from app.db import get_engine, get_session, get_side_sessions  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Organization, Role, User  # noqa: E402
from app.services import auth as auth_service  # noqa: E402
from app.services import organizations as organizations_service  # noqa: E402

CORPUS = Path(os.environ.get("TALKUU_CORPUS_DIR",
                             Path(__file__).resolve().parents[2] / "shared" / "corpus"))
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


@pytest.fixture
def connection(database: None) -> Iterator[Connection]:
    with get_engine().connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


def _session_on(connection: Connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint",
                   expire_on_commit=False, autoflush=False)


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session for setting up and checking data, inside the test's transaction."""
    session = _session_on(connection)
    yield session
    session.close()


@pytest.fixture
def app(connection: Connection) -> Iterator[Any]:
    application = create_app()

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
    yield application
    clock.set_now(None)


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
