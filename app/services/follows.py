"""Following a draft: new versions and comment periods are emailed to its followers."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Draft, DraftFollow, User


def follow(*, session: Session, user: User, draft: Draft) -> None:
    """Start following ``draft`` (following twice is the same as once)."""
    if is_following(session=session, user=user, draft=draft):
        return
    try:
        with session.begin_nested():
            session.add(DraftFollow(draft_id=draft.id, user_id=user.id))
    except IntegrityError:
        pass  # a simultaneous request followed first


def unfollow(*, session: Session, user: User, draft: Draft) -> None:
    """Stop following ``draft``."""
    session.execute(delete(DraftFollow).where(DraftFollow.draft_id == draft.id,
                                              DraftFollow.user_id == user.id))


def is_following(*, session: Session, user: User | None, draft: Draft) -> bool:
    if user is None:
        return False
    return session.scalar(select(DraftFollow.id).where(
        DraftFollow.draft_id == draft.id, DraftFollow.user_id == user.id)) is not None
