"""The drafter's answering tools: the answer queue with its filters, one answer for a whole
group of identical comments, and the body's reusable answer templates."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import (
    CurrentUser, DraftDep, DrafterOfDraft, IdPath, require_drafter_of_draft, require_role,
)
from app.db import MAX_ID, DbSession
from app.models import AnswerTemplate, CommentGroup, Decision, Role, User
from app.schemas.answer import (
    AnswerTemplateList, AnswerTemplateRead, AnswerTemplateWrite, GroupAnswer, GroupAnswered,
)
from app.services import answer_templates as templates_service
from app.services import responses as responses_service
from app.services.responses import QueueFilters

router = APIRouter(tags=["answers"])

Drafter = Annotated[User, Depends(require_role(Role.DRAFTER))]


def get_group_or_404(session: DbSession, group_id: IdPath) -> CommentGroup:
    return responses_service.get_group(session=session, group_id=group_id)


GroupDep = Annotated[CommentGroup, Depends(get_group_or_404)]


def require_drafter_of_group(user: CurrentUser, group: GroupDep, session: DbSession) -> User:
    """A drafter of the body whose draft the group's comments are on."""
    return require_drafter_of_draft(user, responses_service.draft_of_group(session=session,
                                                                          group=group))


DrafterOfGroup = Annotated[User, Depends(require_drafter_of_group)]


def get_template_or_404(session: DbSession, user: Drafter,
                        template_id: IdPath) -> AnswerTemplate:
    return templates_service.get_template(session=session, actor=user,
                                          template_id=template_id)


TemplateDep = Annotated[AnswerTemplate, Depends(get_template_or_404)]


def queue_filters(
    clause: Annotated[str | None, Query(max_length=200)] = None,
    decision: Annotated[Decision | None, Query()] = None,
    unanswered: Annotated[bool, Query()] = False,
    group: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> QueueFilters:
    """The queue's filters from the query string (``clause=`` empty: the draft as a whole)."""
    return QueueFilters(clause=clause, decision=decision, unanswered=unanswered,
                        group_id=group)


@router.get("/drafts/{draft_id}/answer-queue")
def answer_queue(draft: DraftDep, user: DrafterOfDraft, session: DbSession,
                 filters: Annotated[QueueFilters, Depends(queue_filters)]) -> dict:
    """The comments to answer, narrowed by clause, decision, unanswered, group."""
    queue = responses_service.answer_queue(session=session, draft=draft, filters=filters)
    return {"items": [{
        "id": item.comment.id, "receipt": item.comment.receipt,
        "clause_key": item.comment.clause_key, "group_id": item.comment.group_id,
        "body": item.comment.body, "proposed_wording": item.comment.proposed_wording,
        "decision": item.comment.response.decision if item.comment.response else None,
        "reasoning": item.comment.response.reasoning if item.comment.response else None,
    } for item in queue.items], "groups": queue.group_sizes}


@router.put("/comment-groups/{group_id}/response", response_model=GroupAnswered)
def answer_group(group: GroupDep, user: DrafterOfGroup, session: DbSession,
                 answer: GroupAnswer) -> GroupAnswered:
    """One decision and reasoning for every comment of a group, in one step."""
    template = (templates_service.get_template(session=session, actor=user,
                                               template_id=answer.template_id)
                if answer.template_id is not None else None)
    decision, reasoning = templates_service.apply_template(
        template=template, decision=answer.decision, reasoning=answer.reasoning)
    responses = responses_service.answer_group(session=session, actor=user, group=group,
                                               decision=decision, reasoning=reasoning)
    return GroupAnswered(group_id=group.id, answered=len(responses),
                         comment_ids=[r.comment_id for r in responses])


@router.get("/answer-templates", response_model=AnswerTemplateList)
def list_templates(user: Drafter, session: DbSession) -> AnswerTemplateList:
    """The answer templates of the drafter's state body."""
    if user.organization_id is None:
        return AnswerTemplateList(items=[])
    items = templates_service.list_templates(session=session,
                                             organization_id=user.organization_id)
    return AnswerTemplateList(items=[AnswerTemplateRead.model_validate(t) for t in items])


@router.post("/answer-templates", status_code=201, response_model=AnswerTemplateRead)
def create_template(user: Drafter, session: DbSession,
                    body: AnswerTemplateWrite) -> AnswerTemplate:
    """A new answer template for the drafter's state body."""
    return templates_service.create_template(session=session, actor=user, title=body.title,
                                             decision=body.decision, reasoning=body.reasoning)


@router.get("/answer-templates/{template_id}", response_model=AnswerTemplateRead)
def get_template(template: TemplateDep) -> AnswerTemplate:
    """One template of the drafter's own body (404 for another body's)."""
    return template


@router.put("/answer-templates/{template_id}", response_model=AnswerTemplateRead)
def update_template(template: TemplateDep, user: Drafter, session: DbSession,
                    body: AnswerTemplateWrite) -> AnswerTemplate:
    """Change a template of the drafter's own body."""
    return templates_service.update_template(session=session, actor=user, template=template,
                                             title=body.title, decision=body.decision,
                                             reasoning=body.reasoning)


@router.delete("/answer-templates/{template_id}", status_code=204)
def delete_template(template: TemplateDep, user: Drafter, session: DbSession) -> None:
    """Remove a template of the drafter's own body."""
    templates_service.delete_template(session=session, actor=user, template=template)
