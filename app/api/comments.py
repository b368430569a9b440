from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from app.api import comment_intake, presenters
from app.api.deps import (
    CommentDep, Credentials, CurrentUser, DraftDep, DrafterOfComment, IdPath, ModeratorOfComment,
    Viewer,
)
from app.api.ratelimits import FlagLimit, SupportLimit, credential_and_address
from app.api.uploads import json_object
from app.db import DbSession, SessionMaker, SideSessions
from app.errors import TalkuuError
from app.models import Comment, User
from app.schemas.comment import (
    CommentCreate, CommentCreated, CommentList, CommentRead, FlagRead, FlagRequest, HideRequest,
    ResponseRead, ResponseUpdate, SupportRead, WithdrawRequest,
)
from app.services import attachments as attachments_service
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import moderation as moderation_service
from app.services import responses as responses_service
from app.services.attachments import TooManyAttachments

router = APIRouter(tags=["comments"])
# The comment submission alone, included first under /api/v1 (app/api/__init__.py): a request
# is matched against the routes in order, and under a surge walking the ~45 routes before this
# one cost more CPU than the rest of the framework (issue 9).  No other route has its path and
# method, so its place changes no answer.
submission_router = APIRouter(tags=["comments"])

# A browser sends an empty part for a file input left empty; a few spare slots let those
# through, and anything beyond is refused as too many files.
MAX_FILE_PARTS = attachments_service.MAX_FILES + 5


def comment_read(session: DbSession, comment: Comment, viewer: User | None) -> CommentRead:
    """One comment as the public (or ``viewer``) sees it, with its supporters and files."""
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    visibility = comments_service.visibility(session=session, viewer=viewer, draft=draft)
    details = details_service.load(session=session, comments=[comment], redlines=False)
    return presenters.comment(comment, visibility, details)


@router.get("/drafts/{draft_id}/comments", response_model=CommentList)
def list_comments(draft: DraftDep, session: DbSession, viewer: Viewer,
                  clause_key: Annotated[str | None, Query(max_length=200)] = None) -> CommentList:
    """The draft's comments with their answers (hidden ones show only the reason)."""
    visibility = comments_service.visibility(session=session, viewer=viewer, draft=draft)
    items = comments_service.list_comments(session=session, draft=draft, clause_key=clause_key)
    details = details_service.load(session=session, comments=items, draft_id=draft.id,
                                   redlines=False)
    return CommentList(items=[presenters.comment(c, visibility, details) for c in items],
                       total=len(items))


async def read_comment_request(request: Request) -> tuple[dict[str, Any], FormData | None]:
    """The fields of a JSON body, or of a multipart form (which may also carry ``files``)."""
    if comment_intake.is_form(request.headers.get("content-type", "")):
        try:
            form = await request.form(max_files=MAX_FILE_PARTS)
        except HTTPException as error:
            if "Too many files" in str(error.detail):
                raise TooManyAttachments(n=attachments_service.MAX_FILES) from None
            raise
        return {k: v for k, v in form.items() if isinstance(v, str)}, form
    return await json_object(request), None


@submission_router.post("/drafts/{draft_id}/comments", status_code=201,
                        response_model=CommentCreated,
                        openapi_extra={"requestBody": {"content": {
                            "application/json": {"schema": CommentCreate.model_json_schema()},
                            "multipart/form-data": {"schema": {"type": "object", "properties": {
                                **CommentCreate.model_json_schema()["properties"],
                                "files": {"type": "array", "items": {
                                    "type": "string", "format": "binary"}}}}}}}})
async def create_comment(request: Request, draft_id: IdPath, sessions: SessionMaker,
                         counting: SideSessions) -> CommentCreated:
    """Comment on the draft or one clause while the period is open; answers with a receipt.

    JSON, or a multipart form with the same fields and up to three PDF or DOCX ``files``.
    """
    # The busiest write of a surge (issue 9): the body is read here, on the loop, and a JSON
    # submission joins a batch written in one transaction with the others that arrive meanwhile
    # (app/api/comment_intake.py).  A form (with files) or a body that cannot be read is handled
    # alone, in one thread hop and one transaction; an unreadable body is refused only after
    # the checks that come first (the order the dependencies of this route had).
    submission = comment_intake.Submission(
        draft_id=draft_id, data={}, credentials=Credentials.of(request),
        subject=credential_and_address(request))
    try:
        data, form = await read_comment_request(request)
    except (TalkuuError, HTTPException) as error:
        return await run_in_threadpool(comment_intake.one, sessions, submission, None, error)
    submission = replace(submission, data=data)
    if form is not None:
        return await run_in_threadpool(comment_intake.one, sessions, submission, form)
    return await comment_intake.submit(sessions, submission, counting)


@router.get("/comments/{comment_id}", response_model=CommentRead)
def get_comment(comment: CommentDep, session: DbSession, viewer: Viewer) -> CommentRead:
    """One comment with its answer (once the summary makes answers public)."""
    return comment_read(session, comment, viewer)


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
    """Hide a comment with a public reason; it stays in the record, its flags are resolved."""
    comments_service.hide_comment(session=session, actor=user, comment=comment,
                                  reason=payload.reason)
    return comment_read(session, comment, user)


@router.post("/comments/{comment_id}/withdraw", response_model=CommentRead)
def withdraw_comment(comment: CommentDep, user: CurrentUser, session: DbSession,
                     payload: WithdrawRequest) -> CommentRead:
    """The author withdraws their comment with a public reason; the record stays."""
    comments_service.withdraw_comment(session=session, actor=user, comment=comment,
                                      reason=payload.reason)
    return comment_read(session, comment, user)


@router.post("/comments/{comment_id}/support", response_model=SupportRead,
             dependencies=[SupportLimit],
             responses={201: {"model": SupportRead, "description": "Support added"}})
def support_comment(comment: CommentDep, user: CurrentUser, session: DbSession) -> Any:
    """Add your support to a comment (201; again: 200 with the same count)."""
    created, count = comments_service.support_comment(session=session, user=user,
                                                      comment=comment)
    body = SupportRead(comment_id=comment.id, supporters=count, supported=True)
    return JSONResponse(body.model_dump(), status_code=201 if created else 200)


@router.delete("/comments/{comment_id}/support", response_model=SupportRead,
               dependencies=[SupportLimit])
def withdraw_support(comment: CommentDep, user: CurrentUser,
                     session: DbSession) -> SupportRead:
    """Take your support back while the period is open."""
    count = comments_service.withdraw_support(session=session, user=user, comment=comment)
    return SupportRead(comment_id=comment.id, supporters=count, supported=False)


@router.post("/comments/{comment_id}/flag", status_code=201, response_model=FlagRead,
             dependencies=[FlagLimit])
def flag_comment(comment: CommentDep, user: CurrentUser, session: DbSession,
                 payload: FlagRequest) -> FlagRead:
    """Report an abusive comment to the moderators of the draft's body (once per person)."""
    flag = moderation_service.flag_comment(session=session, user=user, comment=comment,
                                           reason=payload.reason)
    return presenters.flag(flag)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def download_attachment(session: DbSession, attachment_id: IdPath) -> FileResponse:
    """A file attached to a comment, always as a download (none of a hidden comment)."""
    attachment, path = attachments_service.open_attachment(session=session,
                                                           attachment_id=attachment_id)
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.filename,
                        content_disposition_type="attachment", headers={
                            "X-Content-Type-Options": "nosniff",
                            "Content-Security-Policy": "default-src 'none'; sandbox",
                            "Cache-Control": "private, max-age=3600"})
