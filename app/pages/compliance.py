"""The public scorecard: how every state body keeps the rules of public discussion."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.db import DbSession
from app.i18n import gettext_, pick
from app.services import charts as charts_service
from app.services import compliance as compliance_service
from app.services import organizations as organizations_service
from app.templating import render

router = APIRouter()

MonthParam = Annotated[str | None, Query(max_length=7)]
PER_PAGE = 50


def month_filter(month_from: str | None, month_to: str | None) -> dict[str, object]:
    """The report's date range from the ?from=&to= of a page ("" is no bound)."""
    return {"since": compliance_service.parse_month(month_from or None),
            "until": compliance_service.parse_month(month_to or None, end=True)}


def months_chart(report: compliance_service.Report, chart_id: str,
                 last: int = 24) -> charts_service.Chart:
    months = report.months[-last:]
    return charts_service.columns(
        chart_id=chart_id, title=gettext_("Violations by the month they began"),
        description=gettext_("New violations per calendar month, from {first} to {last}.",
                             first=months[0].month if months else "-",
                             last=months[-1].month if months else "-"),
        points=[(m.month, m.violations) for m in months])


@router.get("/compliance")
def scorecard(request: Request, session: DbSession,
              month_from: Annotated[str | None, Query(alias="from", max_length=7)] = None,
              month_to: Annotated[str | None, Query(alias="to", max_length=7)] = None,
              ) -> Response:
    """Every state body's compliance, with the totals and the months."""
    report = compliance_service.build_report(session=session,
                                             **month_filter(month_from, month_to))
    return render(request, "compliance/index.html", {
        "report": report, "month_from": month_from or "", "month_to": month_to or "",
        "months_chart": months_chart(report, "chart-months"),
    })


@router.get("/compliance/{slug}")
def body_scorecard(request: Request, session: DbSession,
                   slug: Annotated[str, Path(max_length=64)],
                   month_from: Annotated[str | None, Query(alias="from", max_length=7)] = None,
                   month_to: Annotated[str | None, Query(alias="to", max_length=7)] = None,
                   page: Annotated[int, Query(ge=1)] = 1) -> Response:
    """One state body: its numbers, its months and each of its violations."""
    organization = organizations_service.get_by_slug(session=session, slug=slug)
    report = compliance_service.build_report(session=session, organization_id=organization.id,
                                             **month_filter(month_from, month_to))
    start = (page - 1) * PER_PAGE
    return render(request, "compliance/body.html", {
        "organization": organization, "name": pick(organization.name), "report": report,
        "score": report.bodies[0], "month_from": month_from or "", "month_to": month_to or "",
        "violations": report.violations[start:start + PER_PAGE],
        "total": len(report.violations), "page": page, "per_page": PER_PAGE,
        "months_chart": months_chart(report, "chart-body-months"),
    })
