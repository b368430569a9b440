"""The Ministry of Justice's desk: the dashboard, every violation with its draft, the CSV
export, the monitor's notes and flags on a draft, and the audit log."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.api.deps import DraftDep, IdPath, require_role
from app.config import get_settings
from app.db import DbSession
from app.errors import InvalidInput, TalkuuError
from app.i18n import gettext_, pick
from app.models import Draft, Role, User
from app.pages.compliance import month_filter, months_chart
from app.pages.deps import PageForm, attempt, field, redirect, require_csrf
from app.services import audit as audit_service
from app.services import charts as charts_service
from app.services import compliance as compliance_service
from app.services import monitoring as monitoring_service
from app.services import outcomes as outcomes_service
from app.services.compliance import Violation, ViolationKind
from app.templating import render

router = APIRouter(prefix="/monitor")

Monitor = Annotated[User, Depends(require_role(Role.MONITOR, Role.ADMIN))]
PER_PAGE = 50
AUDIT_PER_PAGE = 50


@router.get("")
def dashboard(request: Request, session: DbSession, _user: Monitor,
              month_from: Annotated[str | None, Query(alias="from", max_length=7)] = None,
              month_to: Annotated[str | None, Query(alias="to", max_length=7)] = None,
              ) -> Response:
    """Every body at a glance, charts of the months and of the bodies with most to put right."""
    report = compliance_service.build_report(session=session,
                                             **month_filter(month_from, month_to))
    worst = sorted((s for s in report.bodies if s.open_violations),
                   key=lambda s: (-s.open_violations, s.organization.slug))[:15]
    bodies_chart = charts_service.rows(
        chart_id="chart-bodies", title=gettext_("State bodies with the most open violations"),
        description=gettext_("Open violations (periods too short, summaries overdue, comments "
                             "unanswered) of the {n} state bodies with the most.", n=len(worst)),
        points=[(pick(s.organization.name), s.open_violations) for s in worst])
    counts = {kind.value: 0 for kind in ViolationKind}
    for violation in report.violations:
        counts[violation.kind.value] += 1
    return render(request, "monitor/dashboard.html", {
        "report": report, "counts": counts, "month_from": month_from or "",
        "month_to": month_to or "", "months_chart": months_chart(report, "chart-months"),
        "bodies_chart": bodies_chart,
    })


@dataclass
class ViolationFilters:
    """The drill-down's filters, shared by the page and its CSV."""

    kind: Annotated[str | None, Query(max_length=40)] = None
    organization: Annotated[str | None, Query(max_length=64)] = None
    status: Literal["open", "all"] = "all"
    month_from: Annotated[str | None, Query(alias="from", max_length=7)] = None
    month_to: Annotated[str | None, Query(alias="to", max_length=7)] = None


Filters = Annotated[ViolationFilters, Depends()]


def _violations(session: DbSession, filters: ViolationFilters
                ) -> tuple[compliance_service.Report, list[Violation], dict[int, str]]:
    report = compliance_service.build_report(
        session=session, **month_filter(filters.month_from, filters.month_to))
    by_slug = {s.organization.slug: s.organization for s in report.bodies}
    body = by_slug.get(filters.organization) if filters.organization else None
    found = compliance_service.filter_violations(
        report.violations, kind=filters.kind or None, organization_id=body.id if body else None,
        open_only=filters.status == "open")
    return report, found, {s.organization.id: s.organization.slug for s in report.bodies}


@router.get("/violations")
def violations(request: Request, session: DbSession, _user: Monitor, filters: Filters,
               page: Annotated[int, Query(ge=1)] = 1) -> Response:
    """Every violation with the draft behind it, filtered, newest first."""
    report, found, _slugs = _violations(session, filters)
    start = (page - 1) * PER_PAGE
    return render(request, "monitor/violations.html", {
        "report": report, "violations": found[start:start + PER_PAGE], "total": len(found),
        "page": page, "per_page": PER_PAGE, "kinds": [k.value for k in ViolationKind],
        "filters": {"kind": filters.kind or "", "organization": filters.organization or "",
                    "status": filters.status},
        "month_from": filters.month_from or "", "month_to": filters.month_to or "",
        "names": {s.organization.id: pick(s.organization.name) for s in report.bodies},
        "csv_query": request.url.query,
    })


@router.get("/violations.csv")
def violations_csv(session: DbSession, _user: Monitor, filters: Filters) -> Response:
    """The same violations (all pages) as CSV."""
    report, found, slugs = _violations(session, filters)
    body = monitoring_service.violations_csv(found, slugs=slugs,
                                             base_url=get_settings().base_url)
    name = f"violations-{report.as_of.isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _render_draft(request: Request, session: DbSession, draft: Draft, *,
                  error: TalkuuError | None = None, form_name: str = "",
                  values: dict[str, str] | None = None) -> Response:
    # Scoped to the draft's body too, so that only its score is built, not every body's.
    report = compliance_service.build_report(
        session=session, organization_id=draft.organization_id, draft_id=draft.id)
    notes, flags = monitoring_service.notes_and_flags(session=session, draft=draft)
    return render(request, "monitor/draft.html", {
        "draft": draft, "violations": report.violations, "notes": notes, "flags": flags,
        "authors": monitoring_service.authors(session=session, notes=notes, flags=flags),
        "outcome": outcomes_service.get_record(session=session, draft=draft),
        "flag_kinds": monitoring_service.FLAG_KINDS,
        "names": {draft.organization_id: pick(draft.organization.name)},
        "error": error.detail() if error else None, "form_name": form_name,
        "values": values or {},
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}")
def draft_file(request: Request, draft: DraftDep, session: DbSession,
               _user: Monitor) -> Response:
    """One draft in the monitor's file: its violations, notes and flags."""
    return _render_draft(request, session, draft)


@router.post("/drafts/{draft_id}/notes", dependencies=[Depends(require_csrf)])
def add_note(request: Request, draft: DraftDep, session: DbSession, user: Monitor,
             form: PageForm) -> Response:
    """Keep a note on the draft."""
    try:
        with attempt(session):
            monitoring_service.add_note(session=session, actor=user, draft=draft,
                                        body=field(form, "body"))
    except InvalidInput as error:
        return _render_draft(request, session, draft, error=error, form_name="note",
                             values={"body": field(form, "body")})
    return redirect(f"/monitor/drafts/{draft.id}#notes")


@router.post("/drafts/{draft_id}/flags", dependencies=[Depends(require_csrf)])
def raise_flag(request: Request, draft: DraftDep, session: DbSession, user: Monitor,
               form: PageForm) -> Response:
    """Flag the draft for follow-up."""
    try:
        with attempt(session):
            monitoring_service.raise_flag(session=session, actor=user, draft=draft,
                                          kind=field(form, "kind"), note=field(form, "note"))
    except InvalidInput as error:
        return _render_draft(request, session, draft, error=error, form_name="flag",
                             values={"note": field(form, "note"), "kind": field(form, "kind")})
    return redirect(f"/monitor/drafts/{draft.id}#flags")


@router.post("/flags/{flag_id}/clear", dependencies=[Depends(require_csrf)])
def clear_flag(session: DbSession, user: Monitor, flag_id: IdPath) -> Response:
    """Clear a flag; it stays in the file."""
    flag = monitoring_service.get_flag(session=session, flag_id=flag_id)
    monitoring_service.clear_flag(session=session, actor=user, flag=flag)
    return redirect(f"/monitor/drafts/{flag.draft_id}#flags")


@router.get("/audit")
def audit_log(request: Request, session: DbSession, _user: Monitor,
              entity_type: Annotated[str | None, Query(max_length=40)] = None,
              entity_id: Annotated[str | None, Query(max_length=64)] = None,
              actor: Annotated[str | None, Query(max_length=254)] = None,
              action: Annotated[str | None, Query(max_length=64)] = None,
              date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
              date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The audit log, newest first, filtered by entity, actor, action and date (Bishkek)."""
    since = monitoring_service.local_day(date_from)
    until = monitoring_service.local_day(date_to)
    result = audit_service.search(
        session=session, entity_type=entity_type or None, entity_id=entity_id or None,
        actor_email=actor or None, action=action or None, since=since,
        before=until + timedelta(days=1) if until else None, page=page,
        per_page=AUDIT_PER_PAGE)
    return render(request, "monitor/audit.html", {
        "result": result,
        "pretty": lambda value: json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True),
        "filters": {"entity_type": entity_type or "", "entity_id": entity_id or "",
                    "actor": actor or "", "action": action or "", "from": date_from or "",
                    "to": date_to or ""},
    })
