"""Rate limits: counted in the database; a refusal is remembered in the process for a moment
so that a flood from one subject costs no query per request (issue 9, scenario 3)."""

from datetime import timedelta

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
                             window_seconds=600, burst_per_account=None,
                             burst_per_address=None, burst_seconds=None))
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
                             window_seconds=600, burst_per_account=None,
                             burst_per_address=None, burst_seconds=None))
    db.flush()
    for n in range(12):
        subject = Subject(account=None, address=f"10.9.0.{n}")
        assert _attempt(db, subject) and not _attempt(db, subject)
        assert len(ratelimit_service._refused) <= 5


def _refusal(db: Session, subject: Subject) -> RateLimited | None:
    try:
        ratelimit_service.check(session=db, action="comment", subject=subject)
    except RateLimited as refusal:
        return refusal
    return None


def test_the_shipped_comment_policy_has_a_pace_besides_its_allowance(db):
    """The migration's policy: 30 per account in 10 minutes, and at most 5 in 10 seconds."""
    policy = db.get(RateLimitPolicy, "comment")
    assert (policy.per_account, policy.per_address, policy.window_seconds) == (30, 600, 600)
    assert (policy.burst_per_account, policy.burst_per_address, policy.burst_seconds) == (
        5, 60, 10)


def test_a_burst_is_refused_at_the_pace_and_the_allowance_still_holds(db):
    """An attempt counts in both windows and is refused when it passes either, with the
    seconds left in the window that refused it."""
    start = bishkek(2026, 3, 2, 10, 0)
    clock.set_now(start + timedelta(seconds=3))
    try:
        bot = Subject(account="bearer:bot", address="10.9.9.9")
        outcomes = [_refusal(db, bot) for _ in range(7)]
        assert [o is None for o in outcomes] == [True] * 5 + [False] * 2
        assert outcomes[5].retry_after == 7  # what is left of 10:00:00-10:00:10
        # Another account at the same address is not held back by the bot's pace.
        assert _refusal(db, Subject(account="bearer:person", address="10.9.9.9")) is None

        accepted = 5
        for ten in range(1, 12):  # the next short windows, within the same 10 minutes
            clock.set_now(start + timedelta(seconds=10 * ten + 1))
            for _ in range(5):
                if _refusal(db, bot) is None:
                    accepted += 1
        # The long window's 30 held: every attempt counted there, the one refused for its
        # pace too (the one after it was refused from memory, uncounted), so 29 were accepted
        # and the rest refused until the end of the 10 minutes.
        assert accepted == 29
        refusal = _refusal(db, bot)
        assert refusal is not None and refusal.retry_after == 600 - 111
        clock.set_now(start + timedelta(minutes=10, seconds=1))
        assert _refusal(db, bot) is None
    finally:
        clock.set_now(None)


def test_the_pace_per_address_holds_many_accounts_behind_one_address(db):
    db.merge(RateLimitPolicy(action="comment", per_account=30, per_address=600,
                             window_seconds=600, burst_per_account=5, burst_per_address=3,
                             burst_seconds=10))
    db.flush()
    clock.set_now(bishkek(2026, 3, 2, 10, 0))
    try:
        answers = [_refusal(db, Subject(account=f"bearer:{n}", address="10.8.8.8"))
                   for n in range(5)]
        assert [a is None for a in answers] == [True, True, True, False, False]
        assert _refusal(db, Subject(account="bearer:0", address="10.8.8.9")) is None
    finally:
        clock.set_now(None)
