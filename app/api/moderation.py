"""The moderators' queue of reported comments."""

from fastapi import APIRouter

from app.api import presenters
from app.api.deps import CurrentUser, IdPath
from app.db import DbSession
from app.schemas.comment import FlaggedCommentRead, FlagQueue, FlagRead
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import moderation as moderation_service

router = APIRouter(prefix="/moderation", tags=["moderation"])


@router.get("/flags", response_model=FlagQueue)
def flag_queue(session: DbSession, user: CurrentUser) -> FlagQueue:
    """Open reports on comments of the moderator's body, by comment, oldest first."""
    items = moderation_service.open_flags(session=session, moderator=user)
    details = details_service.load(session=session, comments=[i.comment for i in items],
                                   redlines=False)
    # Moderators are staff of the body: they see its answers before the summary.
    visibility = comments_service.Visibility(published_rounds=set(), privileged=True)
    return FlagQueue(items=[FlaggedCommentRead(
        comment=presenters.comment(i.comment, visibility, details), draft_id=i.draft.id,
        flags=[presenters.flag(f) for f in i.flags]) for i in items], total=len(items))


@router.post("/flags/{flag_id}/dismiss", response_model=FlagRead)
def dismiss_flag(session: DbSession, user: CurrentUser, flag_id: IdPath) -> FlagRead:
    """Dismiss a report: the comment stays as it is."""
    flag = moderation_service.get_flag(session=session, flag_id=flag_id)
    moderation_service.dismiss_flags(session=session, moderator=user, flags=[flag])
    return presenters.flag(flag)
