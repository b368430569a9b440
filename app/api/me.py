"""The signed-in account: profile, own comments, following drafts."""

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.api.auth import user_read
from app.api.deps import CurrentUser, DraftDep
from app.db import DbSession
from app.schemas.auth import UserRead
from app.schemas.comment import ResponseRead
from app.schemas.common import LocalTime, Multilingual
from app.services import auth as auth_service
from app.services import follows as follows_service
from app.services import profile as profile_service

router = APIRouter(tags=["account"])


class ProfileUpdate(BaseModel):
    name: str = Field(max_length=200)
    affiliation: str | None = Field(default=None, max_length=300)


class MyComment(BaseModel):
    id: int
    receipt: str
    draft_id: int
    draft_title: Multilingual
    clause_key: str | None
    status: str
    body: str
    created_at: LocalTime
    response: ResponseRead | None


class FollowState(BaseModel):
    following: bool


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    """The signed-in account."""
    return user_read(user)


@router.patch("/me", response_model=UserRead)
def update_me(user: CurrentUser, payload: ProfileUpdate, session: DbSession) -> UserRead:
    """Change one's name and optional organisation."""
    return user_read(auth_service.update_profile(session=session, user=user, name=payload.name,
                                                 affiliation=payload.affiliation))


@router.get("/me/comments", response_model=list[MyComment])
def my_comments(user: CurrentUser, session: DbSession) -> list[MyComment]:
    """One's own comments with their status and, once the summary is out, the answer."""
    items = []
    for item in profile_service.authored_comments(session=session, user=user):
        comment, response = item.comment, item.comment.response
        items.append(MyComment(
            id=comment.id, receipt=comment.receipt, draft_id=comment.draft_id,
            draft_title=Multilingual(**item.draft.title), clause_key=comment.clause_key,
            status=comment.status.value, body=comment.body, created_at=comment.created_at,
            response=ResponseRead(decision=response.decision, reasoning=response.reasoning,
                                  answered_at=response.updated_at)
            if response is not None and item.answer_public else None))
    return items


@router.post("/drafts/{draft_id}/follow", response_model=FollowState)
def follow(draft: DraftDep, user: CurrentUser, session: DbSession) -> FollowState:
    """Be told by email of the draft's new versions and comment periods."""
    follows_service.follow(session=session, user=user, draft=draft)
    return FollowState(following=True)


@router.delete("/drafts/{draft_id}/follow", status_code=204, response_class=Response)
def unfollow(draft: DraftDep, user: CurrentUser, session: DbSession) -> Response:
    """Stop following the draft."""
    follows_service.unfollow(session=session, user=user, draft=draft)
    return Response(status_code=204)
