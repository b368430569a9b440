"""Many rows in one statement (app/bulk.py): on PostgreSQL one JSON array expanded by
json_to_recordset, on SQLite a multi-row insert; the same rows come back either way."""

from datetime import timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import bulk
from app.errors import NulCharacter
from app.models import AuditEntry, OutboxMessage
from app.services import audit as audit_service
from app.services import outbox as outbox_service

AWKWARD = 'Тест «ёлка» "кавычки", \\ обратная косая, \\u0000 как текст, {скобки}, NULL, эмодзи 🙂'


def test_a_column_with_a_default_cannot_be_left_unsent():
    """A text statement applies no Python-side default: leaving such a column out is refused
    when the statement is written (at import), not found as a NULL in production."""
    with pytest.raises(ValueError, match="created_at"):
        bulk.records(OutboxMessage.__table__, ("kind", "to_address", "subject", "body_text",
                                               "status", "attempts", "next_attempt_at"))


def test_texts_documents_and_moments_come_back_as_they_were_sent(db: Session):
    outbox_service.enqueue_many(session=db, messages=[
        {"kind": "receipt", "to": "a@example.kg", "subject": AWKWARD, "body": AWKWARD + "\n2",
         "headers": {"X-Note": AWKWARD, "List": [1, None, "x"]}},
        {"kind": "receipt", "to": "b@example.kg", "subject": "Второе", "body": "", "headers": None},
    ])
    db.commit()
    first, second = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert (first.subject, first.body_text) == (AWKWARD, AWKWARD + "\n2")
    assert first.headers == {"X-Note": AWKWARD, "List": [1, None, "x"]}
    assert second.headers is None and second.body_text == ""
    assert first.status == "pending" and first.attempts == 0
    assert first.created_at.tzinfo is not None
    assert first.created_at.astimezone(timezone.utc) == first.next_attempt_at


def test_a_nul_character_in_a_row_is_refused_and_nothing_is_written(db: Session):
    with pytest.raises(NulCharacter):
        outbox_service.enqueue_many(session=db, messages=[
            {"kind": "receipt", "to": "a@example.kg", "subject": "ok", "body": "ok"},
            {"kind": "receipt", "to": "b@example.kg", "subject": "ok", "body": "нуль\x00"}])
    db.rollback()
    assert db.scalars(select(OutboxMessage)).all() == []


def test_entries_recorded_together_are_chained_in_their_order(db: Session):
    """A batch of entries is inserted in one statement; their ids follow the order they were
    recorded in, which is the chain's order."""
    for i in range(40):
        audit_service.record(session=db, actor=None, action="test.bulk", entity_type="test",
                             entity_id=i, after={"i": i, "text": AWKWARD} if i % 2 else None)
    db.commit()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "test.bulk")
                         .order_by(AuditEntry.id)).all()
    assert [e.entity_id for e in entries] == [str(i) for i in range(40)]
    assert entries[1].after == {"i": 1, "text": AWKWARD} and entries[0].after is None
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert audit_service.verify(session=db).ok
