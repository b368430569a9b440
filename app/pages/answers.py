"""The drafter's answering pages: answer one comment or a whole group (with a template if
chosen), publish and correct the summary, and the body's answer templates."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.answers import DrafterOfGroup, GroupDep
from app.api.deps import (
    CommentDep, DraftDep, DrafterOfComment, DrafterOfDraft, IdPath, require_role,
)
from app.db import DbSession, parse_id
from app.errors import InvalidInput, TalkuuError
from app.models import AnswerTemplate, Decision, Role, User
from app.pages.deps import PageForm, attempt, field, fields, redirect, require_csrf
from app.pages.workspace import queue_filters, queue_query, render_draft
from app.services import answer_templates as templates_service
from app.services import drafts as drafts_service
from app.services import responses as responses_service
from app.services import summaries as summaries_service
from app.services.responses import QueueFilters
from app.services.summaries import AnswerChange
from app.templating import render

router = APIRouter(prefix="/workspace")

Drafter = Annotated[User, Depends(require_role(Role.DRAFTER))]
ANSWER_FIELDS = ("decision", "reasoning", "template_id")
FILTER_FIELDS = ("unanswered", "filter_clause", "filter_decision", "filter_group")


def _filters(values: dict[str, str]) -> QueueFilters:
    """The queue's filters the form was posted from (hidden fields), to go back to them."""
    return queue_filters(unanswered=values["unanswered"],
                         clause=values["filter_clause"] if values["has_clause"] == "1"
                         else None,
                         decision=values["filter_decision"] or None,
                         group=values["filter_group"] or None)


def _answer(session: DbSession, user: User, values: dict[str, str]) -> tuple[Decision, str]:
    """The decision and reasoning posted, completed from the chosen template."""
    template = None
    if values["template_id"]:
        template_id = parse_id(values["template_id"])
        if template_id is None:
            raise InvalidInput("Please choose a template from the list.")
        template = templates_service.get_template(session=session, actor=user,
                                                  template_id=template_id)
    decision = Decision(values["decision"]) if values["decision"] in set(Decision) else None
    return templates_service.apply_template(template=template, decision=decision,
                                            reasoning=values["reasoning"])


def _back(draft_id: int, filters: QueueFilters, answered: int, anchor: str) -> Response:
    query = queue_query(filters)
    return redirect(f"/workspace/drafts/{draft_id}?{query + '&' if query else ''}"
                    f"answered={answered}#{anchor}")


@router.post("/comments/{comment_id}/response", dependencies=[Depends(require_csrf)])
def answer_comment(request: Request, comment: CommentDep, session: DbSession,
                   user: DrafterOfComment, form: PageForm) -> Response:
    """Record the decision and reasoning on one comment of the queue."""
    values = fields(form, *ANSWER_FIELDS, *FILTER_FIELDS, "has_clause")
    filters = _filters(values)
    try:
        decision, reasoning = _answer(session, user, values)
        with attempt(session):
            responses_service.answer_comment(session=session, actor=user, comment=comment,
                                             decision=decision, reasoning=reasoning)
    except TalkuuError as error:
        draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
        return render_draft(request, session, draft, filters=filters,
                            form_name=f"answer-{comment.id}", values=values, error=error)
    # With "unanswered only" the comment just answered leaves the list: go to its top.
    anchor = "queue" if filters.unanswered else f"comment-{comment.id}"
    return _back(comment.draft_id, filters, comment.id, anchor)


@router.post("/comment-groups/{group_id}/response", dependencies=[Depends(require_csrf)])
def answer_group(request: Request, group: GroupDep, session: DbSession, user: DrafterOfGroup,
                 form: PageForm) -> Response:
    """One decision and reasoning for every comment of a group, in one step."""
    values = fields(form, *ANSWER_FIELDS, *FILTER_FIELDS, "has_clause")
    filters = _filters(values)
    draft = responses_service.draft_of_group(session=session, group=group)
    try:
        decision, reasoning = _answer(session, user, values)
        with attempt(session):
            responses_service.answer_group(session=session, actor=user, group=group,
                                           decision=decision, reasoning=reasoning)
    except TalkuuError as error:
        return render_draft(request, session, draft, filters=filters,
                            form_name=f"group-{group.id}", values=values, error=error)
    return _back(draft.id, filters, 0, "queue")


@router.post("/drafts/{draft_id}/summary", dependencies=[Depends(require_csrf)])
def publish_summary(request: Request, draft: DraftDep, session: DbSession,
                    user: DrafterOfDraft, form: PageForm) -> Response:
    """Publish the feedback summary; refusals say what is missing (e.g. which comments)."""
    try:
        with attempt(session):
            summaries_service.publish_summary(session=session, actor=user, draft=draft)
    except TalkuuError as error:
        return render_draft(request, session, draft, form_name="summary",
                            values={"unanswered": field(form, "unanswered")}, error=error)
    return redirect(f"/drafts/{draft.id}/summary")


@router.post("/drafts/{draft_id}/summary/corrections", dependencies=[Depends(require_csrf)])
def correct_summary(request: Request, draft: DraftDep, session: DbSession,
                    user: DrafterOfDraft, form: PageForm) -> Response:
    """Publish a corrected revision of the summary: the reason, and one answer to change."""
    values = fields(form, "reason", "comment_id", "decision", "reasoning")
    try:
        changes = []
        if values["comment_id"]:
            comment_id = parse_id(values["comment_id"])
            if comment_id is None or values["decision"] not in set(Decision):
                raise InvalidInput("Please choose the comment and its new decision.")
            changes.append(AnswerChange(comment_id, Decision(values["decision"]),
                                        values["reasoning"]))
        with attempt(session):
            summary = summaries_service.correct_summary(
                session=session, actor=user, draft=draft, reason=values["reason"],
                changes=changes)
    except TalkuuError as error:
        return render_draft(request, session, draft, form_name="correction", values=values,
                            error=error)
    return redirect(f"/workspace/drafts/{draft.id}?corrected={summary.revision}#correction")


# --- answer templates --------------------------------------------------------------------

TEMPLATE_FIELDS = ("title", "decision", "reasoning")


def _render_templates(request: Request, session: DbSession, user: User, *,
                      form_name: str | None = None, values: dict[str, Any] | None = None,
                      error: TalkuuError | None = None, notice: str | None = None) -> Response:
    return render(request, "answers/templates.html", {
        "templates": templates_service.list_templates(
            session=session, organization_id=user.organization_id or 0),
        "decisions": list(Decision), "form_name": form_name, "values": values or {},
        "error": error.detail() if error else None, "notice": notice,
        "page_path": "/workspace/answer-templates",
    }, status_code=error.status_code if error else 200)


def _template_values(values: dict[str, str]) -> dict[str, Any]:
    return {"title": values["title"], "reasoning": values["reasoning"],
            "decision": Decision(values["decision"]) if values["decision"] in set(Decision)
            else None}


def _own_template(session: DbSession, user: User, template_id: int) -> AnswerTemplate:
    return templates_service.get_template(session=session, actor=user, template_id=template_id)


@router.get("/answer-templates")
def answer_templates(request: Request, session: DbSession, user: Drafter,
                     saved: str | None = None) -> Response:
    """The body's reusable answers: add, change, remove."""
    return _render_templates(request, session, user,
                             notice=saved if saved in ("created", "updated", "deleted")
                             else None)


@router.post("/answer-templates", dependencies=[Depends(require_csrf)])
def create_template(request: Request, session: DbSession, user: Drafter,
                    form: PageForm) -> Response:
    """Add a template for every drafter of the body."""
    values = fields(form, *TEMPLATE_FIELDS)
    try:
        with attempt(session):
            templates_service.create_template(session=session, actor=user,
                                              **_template_values(values))
    except TalkuuError as error:
        return _render_templates(request, session, user, form_name="new", values=values,
                                 error=error)
    return redirect("/workspace/answer-templates?saved=created")


@router.post("/answer-templates/{template_id}", dependencies=[Depends(require_csrf)])
def update_template(request: Request, template_id: IdPath, session: DbSession,
                    user: Drafter, form: PageForm) -> Response:
    """Change a template of the body."""
    values = fields(form, *TEMPLATE_FIELDS)
    template = _own_template(session, user, template_id)
    try:
        with attempt(session):
            templates_service.update_template(session=session, actor=user, template=template,
                                              **_template_values(values))
    except TalkuuError as error:
        return _render_templates(request, session, user, form_name=f"edit-{template_id}",
                                 values=values, error=error)
    return redirect(f"/workspace/answer-templates?saved=updated#template-{template_id}")


@router.post("/answer-templates/{template_id}/delete", dependencies=[Depends(require_csrf)])
def delete_template(template_id: IdPath, session: DbSession, user: Drafter) -> Response:
    """Remove a template of the body."""
    template = _own_template(session, user, template_id)
    templates_service.delete_template(session=session, actor=user, template=template)
    return redirect("/workspace/answer-templates?saved=deleted")
