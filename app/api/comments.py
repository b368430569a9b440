from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api import presenters
from app.api.deps import (
    CommentDep, CurrentUser, DraftDep, DrafterOfComment, ModeratorOfComment, Viewer,
)
from app.api.ratelimits import CommentLimit
from app.db import DbSession
from app.schemas.comment import (
    CommentCreate, CommentCreated, CommentList, CommentRead, HideRequest, ResponseRead,
    ResponseUpdate,
)
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import responses as responses_service

router = APIRouter(tags=["comments"])


@router.get("/drafts/{draft_id}/comments", response_model=CommentList)
def list_comments(draft: DraftDep, session: DbSession, viewer: Viewer,
                  clause_key: Annotated[str | None, Query(max_length=200)] = None) -> CommentList:
    """The draft's comments with their answers (hidden ones show only the reason)."""
    visibility = comments_service.visibility(session=session, viewer=viewer, draft=draft)
    items = comments_service.list_comments(session=session, draft=draft, clause_key=clause_key)
    return CommentList(items=[presenters.comment(c, visibility) for c in items],
                       total=len(items))


@router.post("/drafts/{draft_id}/comments", status_code=201, response_model=CommentCreated,
             dependencies=[CommentLimit])
def create_comment(draft: DraftDep, user: CurrentUser, session: DbSession,
                   payload: CommentCreate) -> CommentCreated:
    """Comment on the draft or one clause while the period is open; answers with a receipt."""
    comment = comments_service.submit_comment(
        session=session, author=user, draft=draft, body=payload.body,
        clause_key=payload.clause_key, proposed_wording=payload.proposed_wording,
        on_behalf_of=payload.on_behalf_of)
    return CommentCreated(id=comment.id, receipt=comment.receipt, status=comment.status.value,
                          clause_key=comment.clause_key, created_at=comment.created_at)


@router.get("/comments/{comment_id}", response_model=CommentRead)
def get_comment(comment: CommentDep, session: DbSession, viewer: Viewer) -> CommentRead:
    """One comment with its answer (once the summary makes answers public)."""
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    visibility = comments_service.visibility(session=session, viewer=viewer, draft=draft)
    return presenters.comment(comment, visibility)


@router.put("/comments/{comment_id}/response", response_model=ResponseRead)
def answer_comment(comment: CommentDep, user: DrafterOfComment, session: DbSession,
                   payload: ResponseUpdate) -> ResponseRead:
    """The drafting body's decision and reasoning on a comment."""
    response = responses_service.answer_comment(session=session, actor=user, comment=comment,
                                                decision=payload.decision,
                                                reasoning=payload.reasoning)
    return ResponseRead(decision=response.decision, reasoning=response.reasoning,
                        answered_at=response.updated_at)


@router.post("/comments/{comment_id}/hide", response_model=CommentRead)
def hide_comment(comment: CommentDep, user: ModeratorOfComment, session: DbSession,
                 payload: HideRequest) -> CommentRead:
    """Hide a comment with a public reason; it stays in the record."""
    comments_service.hide_comment(session=session, actor=user, comment=comment,
                                  reason=payload.reason)
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    visibility = comments_service.visibility(session=session, viewer=user, draft=draft)
    return presenters.comment(comment, visibility)
