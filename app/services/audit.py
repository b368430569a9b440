"""The audit log: every state change, who made it, before and after, chained by hashes.

Each entry's hash covers its content and the previous entry's hash, so changing or removing
any row breaks the chain from that row on, and ``verify`` names the first broken entry.

Chaining needs one writer at a time: two transactions must not both chain onto the same
entry.  So ``record`` only notes the entry on the session, and the entries of a transaction
are chained and inserted together at its commit (``before_commit``), after everything else of
the transaction is flushed: on PostgreSQL the chain's advisory lock is then held only for one
SELECT, one INSERT and the COMMIT, instead of from the first recorded change to the end of the
request (which serialised every comment of the database over its whole handling; bench/README.md,
issue 9).  Every row lock of the transaction is taken before that lock, in every transaction,
so the lock cannot be part of a deadlock.  An entry recorded inside a savepoint
(``begin_nested``) is chained at once, as before, so that rolling the savepoint back takes it
away.  Ids are allocated under the lock, so the chain's order is the order of ids.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from app import bulk, clock
from app.models import AuditEntry, User

GENESIS = "0" * 64
PENDING = "talkuu_audit_pending"  # session.info key: entries waiting for the commit


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-ready values, for before/after."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def _digest(entry: AuditEntry) -> str:
    content = {
        "occurred_at": entry.occurred_at.astimezone(timezone.utc).isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the log in the caller's transaction (written at its commit)."""
    entry = AuditEntry(
        occurred_at=clock.now(),
        actor_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    if session.in_nested_transaction():
        _chain(session, [entry])
    else:
        session.info.setdefault(PENDING, []).append(entry)
    return entry


def write_pending(session: Session) -> None:
    """Chain and insert the entries recorded in this transaction (called at its commit;
    callable earlier by whoever must read them back before committing)."""
    pending = session.info.pop(PENDING, None)
    if pending:
        session.flush()  # every other change first: its row locks come before the chain's lock
        _chain(session, pending)


_LAST_HASH = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
# RETURNING in the order of the parameters: SQLAlchemy then inserts the rows of one statement
# in that order, so ids follow the chain (SQLite).
_INSERT = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id,
                                                 sort_by_parameter_order=True)
_COLUMNS = tuple(column.key for column in AuditEntry.__table__.c if column.key != "id")
# PostgreSQL: the entries as one JSON array (app/bulk.py; SQLAlchemy's multi-row form, parsed
# anew by psycopg for every batch, cost 2.5-3 ms of CPU for 32 entries, this 1.7-1.9 ms),
# inserted in their order: each row's id is drawn from the sequence as the ordered rows are
# inserted, so the ids, ascending, are the entries' in the chain's order.
_INSERT_RECORDS = bulk.Insert(AuditEntry.__table__, _COLUMNS, ordered=True, tail="RETURNING id")


def _chain(session: Session, entries: list[AuditEntry]) -> None:
    # Core statements on the session's connection: every comment of a surge comes here.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Serialise appends so that two transactions cannot both chain onto the same entry.
        connection.execute(text("SELECT pg_advisory_xact_lock(7247001)"))
    previous = connection.execute(_LAST_HASH).scalar() or GENESIS
    for entry in entries:
        entry.prev_hash = previous
        entry.hash = previous = _digest(entry)
    rows = [{name: getattr(entry, name) for name in _COLUMNS} for entry in entries]
    if connection.dialect.name == "postgresql":
        ids = sorted(_INSERT_RECORDS.execute(connection, rows).scalars())
    else:
        ids = connection.execute(_INSERT, rows).scalars().all()
    for entry, entry_id in zip(entries, ids, strict=True):
        entry.id = entry_id


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release is not the commit
        write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without writing them
        session.info.pop(PENDING, None)


@dataclass
class Verification:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None


def verify(*, session: Session, batch: int = 5000) -> Verification:
    """Walk the whole chain in id order; report the first entry that does not fit."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return Verification(ok=True, checked=checked)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return Verification(False, checked, entry.id, "does not follow the entry before it")
            if _digest(entry) != entry.hash:
                return Verification(False, checked, entry.id, "content does not match its hash")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
        session.expunge_all()


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    actors: dict[int, User]
    total: int
    page: int
    per_page: int


def search(*, session: Session, entity_type: str | None = None, entity_id: str | None = None,
           actor_email: str | None = None, action: str | None = None,
           since: datetime | None = None, before: datetime | None = None, page: int = 1,
           per_page: int = 50) -> AuditPage:
    """Entries matching the filters, newest first, with their actors (three queries)."""
    conditions = [column == value for column, value in (
        (AuditEntry.entity_type, entity_type), (AuditEntry.entity_id, entity_id)) if value]
    if action:
        # "draft." finds every action on drafts; a full name finds that one action.
        conditions.append(AuditEntry.action.startswith(action) if action.endswith(".")
                          else AuditEntry.action == action)
    if actor_email:
        conditions.append(AuditEntry.actor_id.in_(
            select(User.id).where(func.lower(User.email) == actor_email.strip().lower())))
    if since is not None:
        conditions.append(AuditEntry.occurred_at >= since)
    if before is not None:
        conditions.append(AuditEntry.occurred_at < before)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    entries = list(session.scalars(select(AuditEntry).where(*conditions)
                                   .order_by(AuditEntry.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = ({u.id: u for u in session.scalars(select(User).where(User.id.in_(actor_ids)))}
              if actor_ids else {})
    return AuditPage(entries=entries, actors=actors, total=total, page=page, per_page=per_page)
