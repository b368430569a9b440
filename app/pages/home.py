"""The home page: what is open for comments now, and what was answered lately."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import DbSession
from app.pages import views
from app.services import drafts as drafts_service
from app.services import workspace as workspace_service
from app.templating import render

router = APIRouter()


@router.get("/")
def home(request: Request, session: DbSession) -> Response:
    """Open consultations closing soonest first, recent feedback summaries."""
    open_states, open_total = workspace_service.closing_soon(session=session, limit=10)
    policies = {p.act_type: p for p in drafts_service.list_policies(session=session)}
    return render(request, "home.html", {
        "open_items": [(state, views.days_left(state.consultation.closes_at))
                       for state in open_states if state.consultation is not None],
        "open_total": open_total,
        "summaries": workspace_service.recent_summaries(session=session, limit=5),
        "policies": policies,
    })
