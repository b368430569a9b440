"""Compliance of every state body, as the public and the Ministry of Justice read it."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.db import DbSession
from app.schemas.common import Multilingual
from app.services import compliance as compliance_service
from app.services import organizations as organizations_service
from app.services.compliance import Score, Violation, ViolationKind

router = APIRouter(tags=["compliance"])


class OrganizationRef(BaseModel):
    slug: str
    name: Multilingual


class ScoreRead(BaseModel):
    organization: OrganizationRef | None
    drafts: int
    consultations: int
    short_periods: int
    urgent: int
    short_unjustified: int
    summaries_due: int
    summaries_on_time: int
    summaries_late: int
    summaries_overdue: int
    max_days_overdue: int
    comments: int
    answered: int
    accepted: int
    partially_accepted: int
    comments_unanswered: int
    share_answered: float | None
    share_accepted: float | None
    median_days_to_summary: float | None
    adopted: int
    withdrawn: int
    adopted_without_consultation: int
    adopted_without_summary: int
    open_violations: int


class MonthRead(BaseModel):
    month: str
    consultations: int
    short_periods: int
    urgent: int
    comments: int
    answered: int
    summaries_due: int
    summaries_on_time: int
    violations: int


class ComplianceRead(BaseModel):
    as_of: date
    items: list[ScoreRead]
    totals: ScoreRead
    months: list[MonthRead]


class ViolationRead(BaseModel):
    kind: ViolationKind
    draft_id: int
    organization: str
    title: Multilingual
    since: date
    round: int | None
    days: int | None
    count: int | None
    detail: str | None


class ViolationPage(BaseModel):
    items: list[ViolationRead]
    total: int
    page: int
    per_page: int


def score_read(score: Score) -> ScoreRead:
    organization = score.organization
    return ScoreRead(
        organization=OrganizationRef(slug=organization.slug,
                                     name=Multilingual(**organization.name))
        if organization else None,
        **{name: getattr(score, name) for name in ScoreRead.model_fields
           if name != "organization"})


def _report(session: DbSession, organization: str | None, month_from: str | None,
            month_to: str | None) -> compliance_service.Report:
    body = (organizations_service.get_by_slug(session=session, slug=organization)
            if organization else None)
    return compliance_service.build_report(
        session=session, organization_id=body.id if body else None,
        since=compliance_service.parse_month(month_from),
        until=compliance_service.parse_month(month_to, end=True))


@router.get("/compliance", response_model=ComplianceRead)
def compliance(session: DbSession, organization: Annotated[str | None, Query(max_length=64)] = None,
               month_from: Annotated[str | None, Query(alias="from",
                                                       pattern=r"^\d{4}-\d{2}$")] = None,
               month_to: Annotated[str | None, Query(alias="to",
                                                     pattern=r"^\d{4}-\d{2}$")] = None,
               ) -> ComplianceRead:
    """Per state body: drafts, short and urgent periods, summaries overdue, comments
    unanswered, share answered, median days to summary; per month over time."""
    report = _report(session, organization, month_from, month_to)
    return ComplianceRead(
        as_of=report.as_of, items=[score_read(s) for s in report.bodies],
        totals=score_read(report.totals),
        months=[MonthRead(**vars(m)) for m in report.months])


def violation_read(violation: Violation, slugs: dict[int, str]) -> ViolationRead:
    return ViolationRead(
        kind=violation.kind, draft_id=violation.draft_id,
        organization=slugs.get(violation.organization_id, ""),
        title=Multilingual(**violation.title), since=violation.since, round=violation.round,
        days=violation.days, count=violation.count, detail=violation.detail)


@router.get("/compliance/violations", response_model=ViolationPage)
def violations(
    session: DbSession,
    kind: ViolationKind | None = None,
    organization: Annotated[str | None, Query(max_length=64)] = None,
    month_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    month_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
    status: Literal["open", "all"] = "all",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ViolationPage:
    """Every violation with the draft behind it, newest first."""
    report = _report(session, organization, month_from, month_to)
    found = compliance_service.filter_violations(
        report.violations, kind=kind.value if kind else None,
        open_only=status == "open")
    slugs = {s.organization.id: s.organization.slug for s in report.bodies if s.organization}
    start = (page - 1) * per_page
    return ViolationPage(items=[violation_read(v, slugs) for v in found[start:start + per_page]],
                         total=len(found), page=page, per_page=per_page)
