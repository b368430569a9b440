"""Engine, the typed declarative base, and the request-owned session.

The request owns the transaction: ``get_session`` commits when the handler returns and rolls
back when it raises, *before* the response is sent (the dependency is function-scoped), so an
acknowledged receipt is always a committed one. Services only ``flush()``.
"""

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import lru_cache, partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import get_settings
from app.errors import InvalidInput, NulCharacter, UnpairedSurrogate

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Row ids are PostgreSQL integers: a larger number names no row, and SQLite's driver cannot
# even send one past 2**63 (an OverflowError, so a 500 instead of a 404).
MAX_ID = 2**31 - 1


def parse_id(raw: str | None) -> int | None:
    """The row id written in ``raw`` (a form field, a link), or None if it cannot be one.

    ``str.isdigit()`` alone is not enough: it accepts "²", which ``int()`` refuses.
    """
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ID)):
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_ID else None


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill at ``per_page`` a page (an empty list is one page)."""
    return max(1, -(-total // per_page))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored as UTC; SQLite keeps no offset, so we put it back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock up
    # front; we emit BEGIN ourselves so that writing requests take it at once (BEGIN
    # IMMEDIATE) instead of failing with "database is locked" when two of them race.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # SQLite's built-in lower() knows only ASCII; Kyrgyz and Russian need Python's.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(parameters: Any) -> InvalidInput | None:
    """The refusal of the first text among statement parameters (a row, rows, a batch, an
    array, nested documents) that no database here can store: one with U+0000 (PostgreSQL
    refuses it in text) or with half of a surrogate pair (a JSON body may carry one as
    ``\\ud800``; it has no UTF-8 form); None when all can be stored.  Plain strings are
    tested in the loop, not by a call each: a batch of comments passes thousands of
    parameters (issue 9)."""
    if isinstance(parameters, str):
        return _text_refusal(parameters)
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, list | tuple):
        return None
    for value in parameters:
        if type(value) is str:
            if "\x00" in value or not value.isascii():
                refusal = _text_refusal(value)
                if refusal is not None:
                    return refusal
        elif isinstance(value, str | dict | list | tuple):
            refusal = unstorable(value)
            if refusal is not None:
                return refusal
    return None


def _text_refusal(value: str) -> InvalidInput | None:
    if "\x00" in value:
        return NulCharacter()
    if not value.isascii() and _SURROGATE.search(value):
        return UnpairedSurrogate()
    return None


def _refuse_unstorable_text(_connection: Any, _cursor: Any, _statement: str, parameters: Any,
                            _context: Any, _executemany: bool) -> None:
    # Such a text would be a DataError or a UnicodeEncodeError (a 500) on PostgreSQL, and SQLite
    # would keep a NUL that PostgreSQL refuses. Whatever field or query parameter it came in
    # by, it is the sender's mistake: one check here, just before the database sees it.
    refusal = unstorable(parameters)
    if refusal is not None:
        raise refusal


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings this application relies on."""
    settings = get_settings()
    # Every admitted request may hold its own connection and, for a moment, a side session's
    # (rate limits): the pool must never be what an admitted request waits for (app/gate.py).
    needed = settings.max_concurrent_reads + 2 * settings.max_concurrent_writes + 4
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=needed, max_overflow=8)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=needed // 2,
                               max_overflow=needed - needed // 2 + 8)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable_text)
    return engine


# SQLSTATEs of a database that is not there for the moment: connection exceptions (08...),
# shutting down or starting up (57P01-57P03), out of connection slots (53300).
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "disk i/o error")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now (503), not that the
    request or the code is wrong (which stays a 500)."""
    if isinstance(error, PoolTimeout):
        return True  # every pooled connection busy for pool_timeout seconds
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", "")
    if sqlstate is None:
        return True  # psycopg: the connection itself failed (refused, no socket, closed)
    if sqlstate:
        return sqlstate.startswith(UNAVAILABLE_SQLSTATES)
    return str(error.orig).lower().startswith(SQLITE_UNAVAILABLE)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=False)


def new_session(*, writing: bool = True) -> Session:
    """A session outside a request (CLI, worker, seed); the caller commits."""
    session = _session_factory()()
    if writing and get_settings().is_sqlite:
        session.bind = get_engine().execution_options(sqlite_immediate=True)
    return session


def get_session(request: Request) -> Iterator[Session]:
    """The request's session: commit on success, roll back on any error."""
    session = new_session(writing=request.method not in READ_METHODS)
    request.state.db_session = session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


async def get_session_maker() -> Callable[[], Session]:
    """The maker of sessions for a route that opens its own inside one thread hop (the JSON
    API's comment submission, app/api/comments.py); tests replace it as they replace
    ``get_session``.  Async: it does no I/O."""
    return new_session


SessionMaker = Annotated[Callable[[], Session], Depends(get_session_maker)]


def reading_sessions(app: FastAPI) -> Callable[[], Session]:
    """A maker of sessions for one read of ``app`` outside any route (the page cache's door,
    app/pagecache.py), ``get_session_maker``'s if tests replaced it.  On PostgreSQL each
    statement is its own transaction (autocommit): no BEGIN and ROLLBACK around it, two round
    trips of the four a kept page's answer made."""
    override = app.dependency_overrides.get(get_session_maker)
    return override() if override is not None else _statement_sessions(writing=False)


@lru_cache
def _statement_sessions(*, writing: bool) -> Callable[[], Session]:
    """Sessions whose every statement is its own transaction on PostgreSQL (autocommit; a row
    a statement writes is locked only while it runs); on SQLite a transaction, begun for
    ``writing`` as every write is (BEGIN IMMEDIATE), that the caller commits."""
    if get_settings().is_sqlite:
        return partial(new_session, writing=writing)
    autocommit = get_engine().execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=autocommit, expire_on_commit=False, autoflush=False)


async def get_side_sessions(request: Request) -> Callable[[], Session]:
    """A maker of short sessions of their own, committed at once, outside the request's
    transaction (rate-limit counters must count even when the request then fails).  On
    PostgreSQL each statement is its own transaction: a count's upsert holds its counter's row
    only while it runs, never while a request or a batch of comments goes on
    (app/api/comment_intake.py ``batch``).

    SQLite has a single writer: once the request's own session has begun (BEGIN IMMEDIATE, e.g.
    the pages' viewer lookup, which runs before a route's rate limit), a second connection
    would wait for the write lock this very request holds until busy_timeout fails it.  There
    the count goes into a savepoint of the request's transaction instead.

    Async only so that FastAPI calls it on the event loop: it does no I/O, and a hop to a
    thread would cost more than it does.
    """
    def make() -> Session:
        main: Session | None = getattr(request.state, "db_session", None)
        if main is not None and get_settings().is_sqlite and main.in_transaction():
            return Session(bind=main.connection(), join_transaction_mode="create_savepoint",
                           expire_on_commit=False, autoflush=False)
        return _statement_sessions(writing=True)()
    return make


SideSessions = Annotated[Callable[[], Session], Depends(get_side_sessions)]
