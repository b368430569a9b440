"""Compliance with the Law "On normative legal acts": what every state body owes and when.

Everything is derived from the policy table, the rounds, the summaries, the comments and the
one clock; nothing is stored, so a violation appears and clears at the very moment the facts
change (a summary due on day 30 is overdue from day 31, calendar days in Asia/Bishkek).

The report reads every draft in a fixed number of set-based queries, whatever their number,
and is then assembled in memory: the Ministry's dashboard over 2,000 drafts is a handful of
queries, not one per draft.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from statistics import median

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidInput
from app.models import (
    ActPolicy, Comment, CommentStatus, Consultation, Decision, Draft, DraftOutcome,
    FeedbackSummary, MonitorFlag, Organization, OutcomeRecord, Response,
)
from app.services import consultations as consultations_service


class ViolationKind(StrEnum):
    PERIOD_TOO_SHORT = "period_too_short"  # shorter than the minimum without justification
    URGENT_PERIOD = "urgent_period"  # shorter, under the urgent procedure: counted, shown
    SUMMARY_OVERDUE = "summary_overdue"  # the round closed, the due day passed, no summary
    SUMMARY_LATE = "summary_late"  # published, but after the due day
    COMMENTS_UNANSWERED = "comments_unanswered"  # the summary is overdue and comments wait
    ADOPTED_WITHOUT_CONSULTATION = "adopted_without_consultation"
    ADOPTED_WITHOUT_SUMMARY = "adopted_without_summary"


@dataclass
class Violation:
    kind: ViolationKind
    draft_id: int
    organization_id: int
    title: dict[str, str | None]
    since: date  # the first day (Bishkek) on which it held
    round: int | None = None
    days: int | None = None  # days overdue or late; the length of a short period
    count: int | None = None  # unanswered comments
    detail: str | None = None  # the urgent justification


@dataclass
class RoundFacts:
    """One comment period measured against its act type's policy."""

    consultation: Consultation
    policy: ActPolicy
    period_days: float
    due_on: date
    published_on: date | None
    comments: int = 0
    answered: int = 0
    accepted: int = 0
    partially_accepted: int = 0

    @property
    def short(self) -> bool:
        return self.period_days < self.policy.min_period_days

    @property
    def last_day(self) -> date:
        return self.due_on - timedelta(days=self.policy.summary_due_days)

    @property
    def days_to_summary(self) -> int | None:
        return (self.published_on - self.last_day).days if self.published_on else None


@dataclass
class Score:
    """The numbers of one state body (or of all of them, ``organization`` None)."""

    organization: Organization | None
    drafts: int = 0
    consultations: int = 0
    short_periods: int = 0
    urgent: int = 0
    short_unjustified: int = 0
    summaries_due: int = 0
    summaries_on_time: int = 0
    summaries_late: int = 0
    summaries_overdue: int = 0
    max_days_overdue: int = 0
    comments: int = 0
    answered: int = 0
    accepted: int = 0
    partially_accepted: int = 0
    comments_unanswered: int = 0
    adopted: int = 0
    withdrawn: int = 0
    adopted_without_consultation: int = 0
    adopted_without_summary: int = 0
    open_violations: int = 0
    flagged: int = 0
    summary_days: list[int] = field(default_factory=list)

    @property
    def share_answered(self) -> float | None:
        return round(self.answered / self.comments, 4) if self.comments else None

    @property
    def share_accepted(self) -> float | None:
        """Accepted in whole or in part, of the comments answered."""
        if not self.answered:
            return None
        return round((self.accepted + self.partially_accepted) / self.answered, 4)

    @property
    def median_days_to_summary(self) -> float | None:
        return float(median(self.summary_days)) if self.summary_days else None


@dataclass
class MonthStat:
    """One calendar month (Bishkek): rounds by the month they opened, summaries by the month
    they fell due, violations by the month they began."""

    month: str  # "2026-12"
    consultations: int = 0
    short_periods: int = 0
    urgent: int = 0
    comments: int = 0
    answered: int = 0
    summaries_due: int = 0
    summaries_on_time: int = 0
    violations: int = 0


@dataclass
class Report:
    as_of: date
    bodies: list[Score]
    totals: Score
    months: list[MonthStat]
    violations: list[Violation]


# Open violations are those the body can still put right; a late summary, an adoption
# without a consultation and an urgent period are part of the record.
OPEN_KINDS = frozenset({ViolationKind.PERIOD_TOO_SHORT, ViolationKind.SUMMARY_OVERDUE,
                        ViolationKind.COMMENTS_UNANSWERED})
COUNTED_KINDS = frozenset(ViolationKind) - {ViolationKind.URGENT_PERIOD}


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_range(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class _DraftRow:
    id: int
    organization_id: int
    act_type: str
    outcome: DraftOutcome
    title: dict[str, str | None]
    created_on: date


def _scoped(query: Select, organization_id: int | None, draft_id: int | None,
            draft_column: object) -> Select:
    if draft_id is not None:
        query = query.where(draft_column == draft_id)
    if organization_id is not None:
        query = query.where(draft_column.in_(  # type: ignore[attr-defined]
            select(Draft.id).where(Draft.organization_id == organization_id)))
    return query


def _load_rounds(session: Session, organization_id: int | None, draft_id: int | None,
                 policies: dict[str, ActPolicy], drafts: dict[int, _DraftRow],
                 ) -> dict[int, list[RoundFacts]]:
    consultations = list(session.scalars(_scoped(
        select(Consultation).order_by(Consultation.draft_id, Consultation.round),
        organization_id, draft_id, Consultation.draft_id)))
    published = dict(session.execute(_scoped(
        select(FeedbackSummary.consultation_id, func.min(FeedbackSummary.published_at))
        .group_by(FeedbackSummary.consultation_id),
        organization_id, draft_id, FeedbackSummary.draft_id)).all())
    agreed = (Decision.ACCEPTED, Decision.PARTIALLY_ACCEPTED)
    stats = {row[0]: row[1:] for row in session.execute(_scoped(
        select(Comment.consultation_id, func.count(Comment.id), func.count(Response.id),
               func.coalesce(func.sum(case((Response.decision == agreed[0], 1), else_=0)), 0),
               func.coalesce(func.sum(case((Response.decision == agreed[1], 1), else_=0)), 0))
        .outerjoin(Response, Response.comment_id == Comment.id)
        .where(Comment.status == CommentStatus.PUBLISHED)
        .group_by(Comment.consultation_id),
        organization_id, draft_id, Comment.draft_id))}
    rounds: dict[int, list[RoundFacts]] = defaultdict(list)
    for consultation in consultations:
        draft = drafts.get(consultation.draft_id)
        if draft is None:
            continue
        policy = policies[draft.act_type]
        moment = published.get(consultation.id)
        facts = RoundFacts(
            consultation=consultation, policy=policy,
            period_days=consultations_service.period_days(consultation.opens_at,
                                                          consultation.closes_at),
            due_on=consultations_service.summary_due_on(
                consultation=consultation, summary_due_days=policy.summary_due_days),
            published_on=clock.local(moment).date() if moment else None)
        (facts.comments, facts.answered, facts.accepted,
         facts.partially_accepted) = stats.get(consultation.id, (0, 0, 0, 0))
        rounds[consultation.draft_id].append(facts)
    return rounds


def _round_violations(draft: _DraftRow, facts: RoundFacts, closed: bool,
                      today: date) -> Iterable[Violation]:
    consultation = facts.consultation
    base = {"draft_id": draft.id, "organization_id": draft.organization_id,
            "title": draft.title, "round": consultation.round}
    opened_on = clock.local(consultation.opens_at).date()
    if facts.short:
        kind = (ViolationKind.URGENT_PERIOD if consultation.urgent_reason
                else ViolationKind.PERIOD_TOO_SHORT)
        yield Violation(kind=kind, since=opened_on, days=int(facts.period_days),
                        detail=consultation.urgent_reason, **base)
    if facts.published_on is not None:
        if facts.published_on > facts.due_on:
            yield Violation(kind=ViolationKind.SUMMARY_LATE, since=facts.published_on,
                            days=(facts.published_on - facts.due_on).days, **base)
    elif closed and draft.outcome is DraftOutcome.PENDING and today > facts.due_on:
        overdue_since = facts.due_on + timedelta(days=1)
        yield Violation(kind=ViolationKind.SUMMARY_OVERDUE, since=overdue_since,
                        days=(today - facts.due_on).days, **base)
        if facts.comments > facts.answered:
            yield Violation(kind=ViolationKind.COMMENTS_UNANSWERED, since=overdue_since,
                            count=facts.comments - facts.answered, **base)


def adoption_violation(*, has_round: bool, summary_published: bool) -> ViolationKind | None:
    """What adopting a draft is recorded as, given whether it had a round and whether the
    last round's summary is published; None when adopting it keeps the rules."""
    if not has_round:
        return ViolationKind.ADOPTED_WITHOUT_CONSULTATION
    if not summary_published:
        return ViolationKind.ADOPTED_WITHOUT_SUMMARY
    return None


def _outcome_violations(draft: _DraftRow, rounds: list[RoundFacts],
                        decided: dict[int, date]) -> Iterable[Violation]:
    if draft.outcome is not DraftOutcome.ADOPTED:
        return
    last = rounds[-1] if rounds else None
    kind = adoption_violation(
        has_round=last is not None,
        summary_published=last is not None and last.published_on is not None)
    if kind is not None:
        yield Violation(kind=kind, draft_id=draft.id, organization_id=draft.organization_id,
                        title=draft.title, since=decided.get(draft.id, draft.created_on),
                        round=last.consultation.round if last else None)


def _in_range(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def build_report(*, session: Session, organization_id: int | None = None,
                 draft_id: int | None = None, since: date | None = None,
                 until: date | None = None) -> Report:
    """Every body's compliance at the clock's "now", optionally for one body or draft, and
    for rounds opened (drafts published, adoptions decided) between ``since`` and ``until``."""
    now = clock.now()
    today = now.date()
    organizations = list(session.scalars(
        select(Organization).order_by(Organization.slug) if organization_id is None
        else select(Organization).where(Organization.id == organization_id)))
    policies = {p.act_type: p for p in session.scalars(select(ActPolicy))}
    drafts = {row.id: _DraftRow(
        id=row.id, organization_id=row.organization_id, act_type=row.act_type,
        outcome=row.outcome, title={"ky": row.title_ky, "ru": row.title_ru, "en": row.title_en},
        created_on=clock.local(row.created_at).date(),
    ) for row in session.execute(_scoped(
        select(Draft.id, Draft.organization_id, Draft.act_type, Draft.outcome, Draft.title_ru,
               Draft.title_ky, Draft.title_en, Draft.created_at).order_by(Draft.id),
        organization_id, draft_id, Draft.id))}
    decided = {draft: clock.local(moment).date() for draft, moment in session.execute(_scoped(
        select(OutcomeRecord.draft_id, OutcomeRecord.decided_at),
        organization_id, draft_id, OutcomeRecord.draft_id))}
    flagged = dict(session.execute(_scoped(
        select(MonitorFlag.draft_id, func.count()).where(MonitorFlag.cleared_at.is_(None))
        .group_by(MonitorFlag.draft_id), organization_id, draft_id, MonitorFlag.draft_id)).all())
    rounds = _load_rounds(session, organization_id, draft_id, policies, drafts)

    scores = {o.id: Score(organization=o) for o in organizations}
    totals = Score(organization=None)
    months: dict[str, MonthStat] = {}
    violations: list[Violation] = []

    def month(day: date) -> MonthStat:
        key = month_of(day)
        return months.setdefault(key, MonthStat(month=key))

    for draft in drafts.values():
        score = scores.get(draft.organization_id)
        if score is None:
            continue
        targets = (score, totals)
        draft_rounds = rounds.get(draft.id, [])
        counted = [f for f in draft_rounds
                   if _in_range(clock.local(f.consultation.opens_at).date(), since, until)]
        found: list[Violation] = []
        for facts in counted:
            closed = now >= facts.consultation.closes_at
            found.extend(_round_violations(draft, facts, closed, today))
            opened = month(clock.local(facts.consultation.opens_at).date())
            opened.consultations += 1
            opened.short_periods += facts.short
            opened.urgent += facts.short and bool(facts.consultation.urgent_reason)
            opened.comments += facts.comments
            opened.answered += facts.answered
            due = facts.published_on is not None or (closed and today > facts.due_on)
            on_time = facts.published_on is not None and facts.published_on <= facts.due_on
            if due:
                month(facts.due_on).summaries_due += 1
                month(facts.due_on).summaries_on_time += on_time
            for target in targets:
                target.consultations += 1
                target.short_periods += facts.short
                target.urgent += facts.short and bool(facts.consultation.urgent_reason)
                target.comments += facts.comments
                target.answered += facts.answered
                target.accepted += facts.accepted
                target.partially_accepted += facts.partially_accepted
                if closed and facts.published_on is None:
                    target.comments_unanswered += facts.comments - facts.answered
                target.summaries_due += due
                target.summaries_on_time += on_time
                if facts.days_to_summary is not None:
                    target.summary_days.append(facts.days_to_summary)
        if _in_range(decided.get(draft.id, draft.created_on), since, until):
            found.extend(_outcome_violations(draft, draft_rounds, decided))
        for violation in found:
            if violation.kind in COUNTED_KINDS:
                month(violation.since).violations += 1
        violations.extend(found)
        in_range = _in_range(draft.created_on, since, until)
        for target in targets:
            target.drafts += in_range
            target.adopted += in_range and draft.outcome is DraftOutcome.ADOPTED
            target.withdrawn += in_range and draft.outcome is DraftOutcome.WITHDRAWN
            target.flagged += bool(flagged.get(draft.id))
            for violation in found:
                _count(target, violation)

    violations.sort(key=lambda v: (v.since, v.draft_id, v.kind.value), reverse=True)
    series = sorted(months.values(), key=lambda m: m.month)
    if series:
        filled = {m.month: m for m in series}
        series = [filled.get(key) or MonthStat(month=key)
                  for key in _month_range(series[0].month, series[-1].month)]
    return Report(as_of=today, bodies=list(scores.values()), totals=totals, months=series,
                  violations=violations)


def _count(score: Score, violation: Violation) -> None:
    match violation.kind:
        case ViolationKind.PERIOD_TOO_SHORT:
            score.short_unjustified += 1
        case ViolationKind.SUMMARY_OVERDUE:
            score.summaries_overdue += 1
            score.max_days_overdue = max(score.max_days_overdue, violation.days or 0)
        case ViolationKind.SUMMARY_LATE:
            score.summaries_late += 1
        case ViolationKind.ADOPTED_WITHOUT_CONSULTATION:
            score.adopted_without_consultation += 1
        case ViolationKind.ADOPTED_WITHOUT_SUMMARY:
            score.adopted_without_summary += 1
    if violation.kind in OPEN_KINDS:
        score.open_violations += 1


def parse_month(value: str | None, *, end: bool = False) -> date | None:
    """"2026-12" as its first day (or its last, with ``end``); None for nothing."""
    if not value:
        return None
    try:
        year, month = (int(p) for p in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise InvalidInput("A month is written as YYYY-MM, e.g. 2026-12.") from None
    if not end:
        return first
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def filter_violations(violations: Iterable[Violation], *, kind: str | None = None,
                      organization_id: int | None = None,
                      open_only: bool = False) -> list[Violation]:
    """The violations of one kind, one body, or only those still open."""
    if kind and kind not in {k.value for k in ViolationKind}:
        raise InvalidInput("Unknown kind of violation.")
    return [v for v in violations if (not kind or v.kind.value == kind)
            and (organization_id is None or v.organization_id == organization_id)
            and (not open_only or v.kind in OPEN_KINDS)]
