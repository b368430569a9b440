"""Comment submissions handled in batches (app/api/comment_intake.py): each submission of a
batch gets the answer it would get alone, every attempt is counted, and a batch that fails as
a whole is handled again one by one.  (Batches forming under real concurrency, on real server
processes: tests/test_concurrent_comments.py.)"""

import asyncio
import uuid
from typing import Any

import pytest
from fastapi import Request
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session

from app.api.comment_intake import Submission, batch
from app.api.deps import Credentials
from app.db import get_engine, get_side_sessions
from app.errors import TalkuuError
from app.models import (
    AuditEntry, Comment, OutboxMessage, RateLimitCounter, RateLimitPolicy, Role, TokenKind,
)
from app.schemas.comment import CommentCreated
from app.services import audit as audit_service
from app.services import auth as auth_service
from app.services import ratelimit as ratelimit_service
from app.services.ratelimit import Subject
from tests.api.test_consultation_loop import create_draft
from tests.conftest import _session_on, bishkek, set_clock

OPEN = {"opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-01T00:00:00+06:00"}


@pytest.fixture
def world(client, connection, db, make_org, make_user, login) -> dict[str, Any]:
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    users = {"drafter": make_user(Role.DRAFTER, ministry), "citizen": make_user(Role.CITIZEN),
             "citizen2": make_user(Role.CITIZEN)}
    set_clock(client, bishkek(2026, 12, 5, 12))
    drafter = login(users["drafter"])
    draft = create_draft(client, drafter).json()
    assert client.post(f"/api/v1/drafts/{draft['id']}/consultation", json=OPEN,
                       headers=drafter).status_code == 201
    tokens = {name: auth_service.issue_token(session=db, user=user, kind=TokenKind.BEARER)
              for name, user in users.items()}
    tokens["session"] = auth_service.issue_token(session=db, user=users["citizen2"],
                                                 kind=TokenKind.SESSION)
    db.commit()
    return {"draft_id": draft["id"], "tokens": tokens, "users": users,
            "sessions": lambda: _session_on(connection)}


def _bearer(token: str | None) -> Credentials:
    return Credentials(bearer=token, session=None, csrf_cookie=None, csrf_header=None,
                       csrf_required=True)


def _submission(world: dict[str, Any], data: dict[str, Any], *, token: str | None = None,
                credentials: Credentials | None = None, draft_id: int | None = None,
                address: str = "10.0.0.1") -> Submission:
    credentials = credentials or _bearer(token)
    return Submission(draft_id=draft_id or world["draft_id"], data=data,
                      credentials=credentials,
                      subject=Subject(account=f"bearer:{credentials.bearer}", address=address))


def _status(outcome: object) -> int:
    if isinstance(outcome, CommentCreated):
        return 201
    assert isinstance(outcome, TalkuuError), outcome
    return outcome.status_code


def test_each_submission_of_a_batch_gets_its_own_answer(world, db):
    # Six of one account in one moment would pass the comment policy's pace (5 in 10 s,
    # tests/services/test_ratelimit.py); here each answer is to be the one it gets alone.
    db.execute(update(RateLimitPolicy).where(RateLimitPolicy.action == "comment")
               .values(burst_per_account=None))
    db.commit()
    tokens = world["tokens"]
    same = "Предлагаю уточнить понятие потребителя в статье первой закона"
    submissions = [
        _submission(world, {"clause_key": "art-1", "body": same}, token=tokens["citizen"]),
        _submission(world, {"body": "x"}, token=tokens["citizen"], draft_id=999_999),
        _submission(world, {"body": "x"}, token="not-a-token"),
        _submission(world, {"body": "x"}, credentials=Credentials(
            bearer=None, session=tokens["session"], csrf_cookie=None, csrf_header=None,
            csrf_required=True)),
        _submission(world, {"body": 5}, token=tokens["citizen"]),
        _submission(world, {"body": "x"}, token=tokens["drafter"]),
        _submission(world, {"body": "x", "clause_key": "art-999"}, token=tokens["citizen"]),
        _submission(world, {"body": "x"}, token=None),
        _submission(world, {"clause_key": "art-1", "body": same + "!"},
                    token=tokens["citizen2"]),
        _submission(world, {"clause_key": "art-1", "body": "Цитата",
                            "quote": "Основные  понятия"}, token=tokens["citizen"]),
        _submission(world, {"clause_key": "art-1", "body": "Цитата", "quote": "нет такого"},
                    token=tokens["citizen"]),
    ]
    outcomes = batch(world["sessions"], submissions)
    assert [_status(o) for o in outcomes] == [201, 404, 401, 403, 422, 403, 404, 401, 201,
                                              201, 422]
    assert [getattr(o, "code", None) for o in outcomes[1:8]] == [
        "draft_not_found", "not_authenticated", "csrf_failed", "invalid_input", "forbidden",
        "clause_not_found", "not_authenticated"]
    accepted = [o for o in outcomes if isinstance(o, CommentCreated)]
    stored = {c.receipt: c for c in db.scalars(select(Comment))}
    assert set(stored) == {o.receipt for o in accepted}
    assert stored[outcomes[9].receipt].quote == "Основные понятия"
    # Twins in one batch find each other, though neither was in the index yet.
    assert outcomes[0].group_id is not None and outcomes[8].group_id == outcomes[0].group_id
    assert stored[outcomes[0].receipt].group_id == outcomes[0].group_id
    # A receipt email and an audit entry for each stored comment, and the chain holds.
    receipts = db.scalars(select(OutboxMessage.subject).where(OutboxMessage.kind == "receipt"))
    assert sorted(r.rsplit(" ", 1)[-1] for r in receipts) == sorted(stored)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "comment.submitted")
                         .order_by(AuditEntry.id)).all()
    assert [e.after["receipt"] for e in entries] == [o.receipt for o in accepted]
    assert audit_service.verify(session=db).ok
    # Every attempt was counted, refused or not: eleven from one address.
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == len(submissions)


def test_a_limit_passed_within_a_batch_refuses_from_that_attempt_on(world, db):
    db.execute(update(RateLimitPolicy).where(RateLimitPolicy.action == "comment")
               .values(per_account=3))
    db.commit()
    ratelimit_service.forget()
    token = world["tokens"]["citizen"]
    submissions = [_submission(world, {"body": f"Замечание {n}"}, token=token,
                               address=f"10.0.0.{n}") for n in range(5)]
    outcomes = batch(world["sessions"], submissions)
    assert [_status(o) for o in outcomes] == [201, 201, 201, 429, 429]
    assert db.scalar(select(func.count()).select_from(Comment)) == 3
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 5
    # The refusal is remembered: the next batch's attempt is refused without being counted.
    again = batch(world["sessions"], [_submission(world, {"body": "Ещё"}, token=token)])
    assert [_status(o) for o in again] == [429]
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 5


@pytest.mark.parametrize(("bad", "code"), [("Второе\x00", "nul_character"),
                                         ("Второе \ud800", "invalid_character")])
def test_a_batch_that_fails_as_a_whole_is_handled_one_by_one(world, db, bad, code):
    """A text the database cannot store (a NUL character, half a surrogate pair) is refused by
    the database layer only when the rows are written: the batch's one statement for all
    comments fails, and the others are still stored."""
    token = world["tokens"]["citizen"]
    submissions = [_submission(world, {"body": "Первое"}, token=token),
                   _submission(world, {"body": bad}, token=token),
                   _submission(world, {"body": "Третье"}, token=token)]
    outcomes = batch(world["sessions"], submissions)
    assert [_status(o) for o in outcomes] == [201, 422, 201]
    assert getattr(outcomes[1], "code", None) == code
    assert sorted(db.scalars(select(Comment.body))) == ["Первое", "Третье"]
    # Counted once each: the batch's counts were rolled back with it.
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 3
    assert audit_service.verify(session=db).ok


def test_a_lone_submission_refused_by_the_database_layer_is_counted(world, db):
    """A batch of one whose insert refuses it (a NUL character): its attempt was counted
    before the batch's transaction, which is rolled back; made again alone, it is not counted
    twice."""
    outcomes = batch(world["sessions"], [_submission(world, {"body": "Нуль\x00"},
                                                     token=world["tokens"]["citizen"])])
    assert [getattr(o, "code", None) for o in outcomes] == ["nul_character"]
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 1


def test_a_batch_counts_its_attempts_apart_before_its_transaction(world, db):
    """The count is committed on its own before the batch's transaction begins: inside it, the
    counters' rows were locked until the batch committed, and a bot's submissions in two
    processes' batches made each batch wait for the other's (issue 9, scenario 3).  It stays
    counted when the batch then fails."""
    steps: list[str] = []

    def counting() -> Session:
        session = world["sessions"]()
        steps.append("count")
        event.listen(session, "after_commit", lambda _s: steps.append("count committed"))
        return session

    def sessions() -> Session:
        steps.append("batch")
        return world["sessions"]()

    outcomes = batch(sessions, [_submission(world, {"body": "Нуль\x00"},
                                            token=world["tokens"]["citizen"])], counting)
    assert [getattr(o, "code", None) for o in outcomes] == ["nul_character"]
    assert steps[:3] == ["count", "count committed", "batch"]
    assert "count" not in steps[3:]  # handled again alone (with ``sessions``), not recounted
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 1


def test_a_count_in_a_side_session_leaves_no_lock_behind():
    """``db.get_side_sessions`` (a request's rate-limit counts, a batch's) on PostgreSQL: each
    statement its own transaction, so the counter a count wrote is free for another process
    at once, while the session is open."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there a count is a write transaction")
    subject = Subject(account=f"bearer:{uuid.uuid4()}", address=None)
    key = ratelimit_service._key("comment", "acct", subject.account)
    side_sessions = asyncio.run(get_side_sessions(Request({"type": "http", "headers": []})))
    try:
        with side_sessions() as session:
            assert ratelimit_service.check_many(session=session, action="comment",
                                                subjects=[subject]) == [None]
            with engine.connect() as other:
                other.execute(text("SET lock_timeout = '500ms'"))
                updated = other.execute(text("UPDATE rate_limit_counter SET hits = hits "
                                             "WHERE key = :key"), {"key": key})
                assert updated.rowcount == 1  # committed already, and not locked
                other.commit()
    finally:
        ratelimit_service.forget()
        with engine.begin() as cleanup:
            cleanup.execute(text("DELETE FROM rate_limit_counter WHERE key LIKE :k"),
                            {"k": f"comment%:acct:{key.rsplit(':', 1)[1]}"})


def test_fields_to_check_are_named_the_same_way_everywhere(client, world, login):
    """A comment, a draft and a query parameter that fail validation: each a 422 naming the
    fields once each, in order, in the caller's language, and as a list."""
    citizen = {"Authorization": f"Bearer {world['tokens']['citizen']}", "Accept-Language": "en"}
    comment = client.post(f"/api/v1/drafts/{world['draft_id']}/comments", headers=citizen,
                          json={"body": 7, "clause_key": ["art-1"], "quote": {"x": 1}})
    assert comment.status_code == 422
    assert comment.json()["fields"] == ["body", "clause_key", "quote"]
    assert comment.json()["detail"] == "Please check the fields: body, clause_key, quote."
    drafter = login(world["users"]["drafter"])
    draft = client.post("/api/v1/drafts", headers={**drafter, "Accept-Language": "ru"},
                        json={"organization": "mineconom", "act_type": 5, "title": 5,
                              "text": {"ru": "Статья 1. Текст"}})
    assert draft.status_code == 422, draft.text
    assert draft.json()["fields"] == ["act_type", "title"]
    assert draft.json()["detail"] == "Проверьте поля: act_type, title."
    query = client.get("/api/v1/drafts?page=zero&per_page=none")
    assert query.status_code == 422
    assert query.json()["fields"] == sorted(query.json()["fields"])
    assert query.json()["error"] == "invalid_input"
