"""Following a draft: new versions and comment periods are emailed to its followers."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Draft, DraftFollow, User
from app.services import audit as audit_service


def follow(*, session: Session, user: User, draft: Draft) -> None:
    """Start following ``draft`` (following twice is the same as once)."""
    if is_following(session=session, user=user, draft=draft):
        return
    try:
        with session.begin_nested():
            session.add(DraftFollow(draft_id=draft.id, user_id=user.id))
    except IntegrityError:
        return  # a simultaneous request followed first
    audit_service.record(session=session, actor=user, action="follow.started",
                         entity_type="user", entity_id=user.id, after={"draft_id": draft.id})


def unfollow(*, session: Session, user: User, draft: Draft) -> None:
    """Stop following ``draft``."""
    removed = session.execute(delete(DraftFollow).where(DraftFollow.draft_id == draft.id,
                                                        DraftFollow.user_id == user.id))
    if removed.rowcount:
        audit_service.record(session=session, actor=user, action="follow.stopped",
                             entity_type="user", entity_id=user.id,
                             before={"draft_id": draft.id})


def is_following(*, session: Session, user: User | None, draft: Draft) -> bool:
    if user is None:
        return False
    return session.scalar(select(DraftFollow.id).where(
        DraftFollow.draft_id == draft.id, DraftFollow.user_id == user.id)) is not None
