"""Comment periods: opening (with the legal minimum or an urgent justification), extending."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import (
    ClauseNotFound, ConsultationAlreadyOpen, ExtensionNotAllowed, InvalidInput, PeriodTooShort,
    SummaryPublished,
)
from app.models import Clause, Consultation, ConsultationExtension, Draft, FeedbackSummary, User
from app.services import audit as audit_service
from app.services import notifications as notifications_service
from app.services import drafts as drafts_service

MAX_REASON_CHARS = 5000


def latest(*, session: Session, draft: Draft) -> Consultation | None:
    """The most recent round of ``draft``, if any."""
    return session.scalar(select(Consultation).where(Consultation.draft_id == draft.id)
                          .order_by(Consultation.round.desc()).limit(1))


def _snapshot(consultation: Consultation) -> dict[str, object]:
    return audit_service.snapshot(consultation, "round", "opens_at", "closes_at",
                                  "urgent_reason", "clause_keys")


def summary_due_on(*, consultation: Consultation, summary_due_days: int) -> date:
    """The last calendar day (Asia/Bishkek) on which the summary is on time.

    Day 1 is the day after the last day of the period; a period ending at midnight ends on
    the day before.
    """
    last_day = clock.local(consultation.closes_at - timedelta(microseconds=1)).date()
    return last_day + timedelta(days=summary_due_days)


def period_days(opens_at: datetime, closes_at: datetime) -> float:
    return (closes_at - opens_at) / timedelta(days=1)


def may_open(*, latest: Consultation | None, version_id: int) -> bool:
    """One round per version: a round may open unless the latest one is on this version."""
    return latest is None or latest.version_id != version_id


def may_extend(*, consultation: Consultation | None, summary_published: bool) -> bool:
    """The latest period can be extended while it runs and its summary is not out."""
    return (consultation is not None and consultation.closes_at > clock.now()
            and not summary_published)


def open_consultation(
    *,
    session: Session,
    actor: User,
    draft: Draft,
    opens_at: datetime,
    closes_at: datetime,
    urgent_reason: str | None = None,
    clause_keys: Sequence[str] | None = None,
) -> Consultation:
    """Open a round on the current version, checked against the policy of the act type."""
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise InvalidInput("Times need a time zone offset, e.g. 2026-12-01T00:00:00+06:00.")
    if closes_at <= opens_at:
        raise InvalidInput("The period must end after it opens.")
    if closes_at <= clock.now():
        raise InvalidInput("The period must end in the future.")
    urgent_reason = (urgent_reason or "").strip() or None
    if urgent_reason and len(urgent_reason) > MAX_REASON_CHARS:
        raise InvalidInput("The justification is too long.")
    policy = drafts_service.get_policy(session=session, act_type=draft.act_type)
    days = period_days(opens_at, closes_at)
    if days < policy.min_period_days:
        if urgent_reason is None:
            raise PeriodTooShort(days=policy.min_period_days)
        if days < policy.urgent_min_period_days:
            raise PeriodTooShort("Even under the urgent procedure the period must last at least "
                                 "{days} days.", days=policy.urgent_min_period_days)
    else:
        urgent_reason = None  # a full-length period is not an urgent one

    previous = latest(session=session, draft=draft)
    version = drafts_service.get_version(session=session, draft=draft)
    if not may_open(latest=previous, version_id=version.id):
        # A later round needs a new version (or an extension).
        raise ConsultationAlreadyOpen()
    keys = _check_clause_keys(session=session, version_id=version.id, keys=clause_keys)
    consultation = Consultation(
        draft_id=draft.id, version_id=version.id, round=(previous.round + 1) if previous else 1,
        opens_at=opens_at, closes_at=closes_at, original_closes_at=closes_at,
        urgent_reason=urgent_reason, clause_keys=keys, created_by_id=actor.id,
    )
    session.add(consultation)
    session.flush()
    notifications_service.draft_changed(session=session, draft=draft, event="period_opened",
                                        consultation=consultation)
    audit_service.record(session=session, actor=actor, action="consultation.opened",
                         entity_type="draft", entity_id=draft.id, after=_snapshot(consultation))
    return consultation


def _check_clause_keys(*, session: Session, version_id: int,
                       keys: Sequence[str] | None) -> list[str] | None:
    if keys is None:
        return None
    wanted = sorted({k.strip() for k in keys if k and k.strip()})
    if not wanted:
        raise InvalidInput("A limited round needs at least one clause.")
    found = set(session.scalars(select(Clause.key).where(Clause.version_id == version_id,
                                                         Clause.key.in_(wanted))))
    missing = [k for k in wanted if k not in found]
    if missing:
        raise ClauseNotFound(key=", ".join(missing[:5]))
    return wanted


def extend_consultation(
    *, session: Session, actor: User, draft: Draft, closes_at: datetime, reason: str,
) -> Consultation:
    """Move the end of the running period later, with a recorded reason."""
    if closes_at.tzinfo is None:
        raise InvalidInput("Times need a time zone offset, e.g. 2026-12-01T00:00:00+06:00.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Please give the reason for the extension.")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput("The reason is too long.")
    consultation = latest(session=session, draft=draft)
    now = clock.now()
    if consultation is None or consultation.closes_at <= now or closes_at <= consultation.closes_at:
        raise ExtensionNotAllowed()
    if session.scalar(select(func.count()).where(
            FeedbackSummary.consultation_id == consultation.id)):
        raise SummaryPublished()
    before = _snapshot(consultation)
    session.add(ConsultationExtension(
        consultation_id=consultation.id, previous_closes_at=consultation.closes_at,
        new_closes_at=closes_at, reason=reason, created_by_id=actor.id))
    consultation.closes_at = closes_at
    session.flush()
    notifications_service.draft_changed(session=session, draft=draft, event="period_extended",
                                        consultation=consultation)
    audit_service.record(session=session, actor=actor, action="consultation.extended",
                         entity_type="draft", entity_id=draft.id, before=before,
                         after={**_snapshot(consultation), "reason": reason})
    return consultation


def extensions(*, session: Session, consultation: Consultation) -> list[ConsultationExtension]:
    return list(session.scalars(select(ConsultationExtension).where(
        ConsultationExtension.consultation_id == consultation.id)
        .order_by(ConsultationExtension.id)))
