"""Rate limits: counted in the database; a refusal is remembered in the process for a moment
so that a flood from one subject costs no query per request (issue 9, scenario 3)."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import RateLimited
from app.models import RateLimitCounter, RateLimitPolicy
from app.services import ratelimit as ratelimit_service
from app.services.ratelimit import Subject
from tests.conftest import bishkek


@pytest.fixture
def tight(db: Session):
    db.merge(RateLimitPolicy(action="comment", per_account=3, per_address=None,
                             window_seconds=600))
    db.flush()
    clock.set_now(bishkek(2026, 3, 2, 10, 1))
    yield Subject(account="bearer:abc", address="10.0.0.1")
    clock.set_now(None)


def _hits(db: Session) -> int:
    return db.scalar(select(func.sum(RateLimitCounter.hits))) or 0


def _attempt(db: Session, subject: Subject) -> bool:
    try:
        ratelimit_service.check(session=db, action="comment", subject=subject)
    except RateLimited:
        return False
    return True


def test_a_refused_subject_is_refused_again_without_a_query(db, tight):
    assert [_attempt(db, tight) for _ in range(4)] == [True, True, True, False]
    assert _hits(db) == 4  # the refused attempt counted in the database

    statements = []
    from sqlalchemy import event

    def seen(*args: object) -> None:
        statements.append(args)

    event.listen(db.get_bind(), "before_cursor_execute", seen)
    try:
        with pytest.raises(RateLimited) as refused:
            ratelimit_service.check(session=db, action="comment", subject=tight)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", seen)
    assert statements == []
    assert 1 <= refused.value.retry_after <= 540  # what is left of the 10-minute window
    # Another account from another address is not affected by the memory.
    assert _attempt(db, Subject(account="bearer:other", address="10.0.0.2"))
    # The same address with another account is not refused: only the account was over.
    assert _attempt(db, Subject(account="bearer:third", address="10.0.0.1"))


def test_the_memory_ends_with_the_window_and_after_a_moment(db, tight, monkeypatch):
    assert [_attempt(db, tight) for _ in range(4)] == [True, True, True, False]
    clock.set_now(bishkek(2026, 3, 2, 10, 10))  # the next 10-minute window
    assert _attempt(db, tight)

    assert [_attempt(db, tight) for _ in range(3)] == [True, True, False]
    hits = _hits(db)
    monkeypatch.setattr(ratelimit_service, "REFUSAL_MEMORY", 0.0)
    ratelimit_service.forget()
    # Without the memory every attempt is counted in the database again, and still refused.
    assert not _attempt(db, tight) and _hits(db) == hits + 1
    assert not _attempt(db, tight) and _hits(db) == hits + 2


def test_the_memory_is_bounded(db, tight, monkeypatch):
    monkeypatch.setattr(ratelimit_service, "_MAX_REMEMBERED", 5)
    db.merge(RateLimitPolicy(action="comment", per_account=None, per_address=1,
                             window_seconds=600))
    db.flush()
    for n in range(12):
        subject = Subject(account=None, address=f"10.9.0.{n}")
        assert _attempt(db, subject) and not _attempt(db, subject)
        assert len(ratelimit_service._refused) <= 5
