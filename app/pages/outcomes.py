"""The drafter marks a draft adopted (with the act's reference) or withdrawn (with a reason)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.deps import DraftDep, DrafterOfDraft
from app.db import DbSession
from app.errors import InvalidInput, OutcomeDecided, TalkuuError
from app.models import Draft, DraftOutcome
from app.pages.deps import PageForm, attempt, fields, redirect, require_csrf
from app.services import compliance as compliance_service
from app.services import drafts as drafts_service
from app.services import outcomes as outcomes_service
from app.templating import render

router = APIRouter(prefix="/workspace")

FIELDS = ("outcome", "act_reference", "act_url", "reason")


def _render(request: Request, session: DbSession, draft: Draft, *,
            values: dict[str, str] | None = None, error: TalkuuError | None = None,
            saved: bool = False) -> Response:
    (state,) = drafts_service.load_states(session=session, drafts=[draft])
    return render(request, "workspace/outcome.html", {
        "draft": draft, "saved": saved, "values": values or {},
        "adoption_violation": compliance_service.adoption_violation(
            has_round=state.consultation is not None,
            summary_published=state.summary is not None),
        "record": outcomes_service.get_record(session=session, draft=draft),
        "error": error.detail() if error else None,
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}/outcome")
def outcome_form(request: Request, draft: DraftDep, session: DbSession,
                 _user: DrafterOfDraft, saved: str | None = None) -> Response:
    """The form (or, once decided, what was decided)."""
    return _render(request, session, draft, saved=saved == "1")


@router.post("/drafts/{draft_id}/outcome", dependencies=[Depends(require_csrf)])
def decide(request: Request, draft: DraftDep, session: DbSession, user: DrafterOfDraft,
           form: PageForm) -> Response:
    """Record the outcome; the form comes back with the error if it cannot be."""
    values = fields(form, *FIELDS)
    try:
        if values["outcome"] not in (DraftOutcome.ADOPTED, DraftOutcome.WITHDRAWN):
            raise InvalidInput("The outcome is either adopted or withdrawn.")
        with attempt(session):
            outcomes_service.decide(
                session=session, actor=user, draft=draft, outcome=DraftOutcome(values["outcome"]),
                act_reference=values["act_reference"], act_url=values["act_url"],
                reason=values["reason"])
    except (InvalidInput, OutcomeDecided) as error:
        return _render(request, session, draft, values=values, error=error)
    return redirect(f"/workspace/drafts/{draft.id}/outcome?saved=1")
