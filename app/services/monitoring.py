"""The monitor's own notes and flags on a draft: seen by monitors and admins, never deleted."""

import csv
import io
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.i18n import pick
from app.models import Draft, MonitorFlag, MonitorNote, User
from app.services import audit as audit_service
from app.services.compliance import Violation, ViolationKind

MAX_NOTE_CHARS = 10_000
FLAG_KINDS = (*(kind.value for kind in ViolationKind), "other")


def _text(value: str | None, *, required: bool) -> str | None:
    value = (value or "").strip() or None
    if value is None and required:
        raise InvalidInput("The note is empty.")
    if value and len(value) > MAX_NOTE_CHARS:
        raise InvalidInput("The note is too long.")
    return value


def add_note(*, session: Session, actor: User, draft: Draft, body: str) -> MonitorNote:
    """Keep a note on ``draft`` in the monitor's file."""
    note = MonitorNote(draft_id=draft.id, author_id=actor.id,
                       body=_text(body, required=True), created_at=clock.now())
    session.add(note)
    session.flush()
    audit_service.record(session=session, actor=actor, action="monitor.note_added",
                         entity_type="draft", entity_id=draft.id,
                         after={"note_id": note.id, "body": note.body})
    return note


def raise_flag(*, session: Session, actor: User, draft: Draft, kind: str,
               note: str | None = None) -> MonitorFlag:
    """Mark ``draft`` for follow-up, naming the kind of violation (or "other")."""
    if kind not in FLAG_KINDS:
        raise InvalidInput("Unknown kind of flag.")
    flag = MonitorFlag(draft_id=draft.id, kind=kind, note=_text(note, required=False),
                       raised_by_id=actor.id, raised_at=clock.now())
    session.add(flag)
    session.flush()
    audit_service.record(session=session, actor=actor, action="monitor.flag_raised",
                         entity_type="draft", entity_id=draft.id,
                         after={"flag_id": flag.id, "kind": kind, "note": flag.note})
    return flag


def get_flag(*, session: Session, flag_id: int) -> MonitorFlag:
    flag = session.get(MonitorFlag, flag_id)
    if flag is None:
        raise NotFound()
    return flag


def clear_flag(*, session: Session, actor: User, flag: MonitorFlag) -> MonitorFlag:
    """Clear a flag once dealt with; it stays in the file."""
    if flag.cleared_at is not None:
        return flag
    flag.cleared_at = clock.now()
    flag.cleared_by_id = actor.id
    session.flush()
    audit_service.record(session=session, actor=actor, action="monitor.flag_cleared",
                         entity_type="draft", entity_id=flag.draft_id,
                         before={"flag_id": flag.id, "cleared_at": None},
                         after={"flag_id": flag.id, "cleared_at": flag.cleared_at})
    return flag


def notes_and_flags(*, session: Session, draft: Draft) -> tuple[list[MonitorNote],
                                                                 list[MonitorFlag]]:
    """The draft's notes (newest first) and flags (open ones first)."""
    notes = list(session.scalars(select(MonitorNote).where(MonitorNote.draft_id == draft.id)
                                 .order_by(MonitorNote.id.desc())))
    flags = list(session.scalars(select(MonitorFlag).where(MonitorFlag.draft_id == draft.id)
                                 .order_by(MonitorFlag.cleared_at.is_not(None),
                                           MonitorFlag.id.desc())))
    return notes, flags


CSV_COLUMNS = ("kind", "organization", "draft_id", "title", "round", "since", "days",
               "unanswered_comments", "detail", "url")


def violations_csv(violations: list[Violation], *, slugs: dict[int, str], base_url: str) -> str:
    """Violations as CSV, UTF-8 with a BOM so that Excel reads Cyrillic correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for v in violations:
        writer.writerow([
            v.kind.value, slugs.get(v.organization_id, ""), v.draft_id,
            pick(v.title, "ru"),
            v.round or "", v.since.isoformat(), "" if v.days is None else v.days,
            "" if v.count is None else v.count, v.detail or "",
            f"{base_url.rstrip('/')}/drafts/{v.draft_id}"])
    return buffer.getvalue()


def authors(*, session: Session, notes: list[MonitorNote],
            flags: list[MonitorFlag]) -> dict[int, User]:
    """The accounts named in a file (authors of notes and flags), in one query."""
    ids = {n.author_id for n in notes} | {f.raised_by_id for f in flags}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def local_day(value: str | None) -> datetime | None:
    """The start (Bishkek) of the day "2026-12-31"; None for nothing."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("A date is written as YYYY-MM-DD, e.g. 2026-12-31.") from None
    return datetime.combine(day, time(0), tzinfo=get_settings().tz)
