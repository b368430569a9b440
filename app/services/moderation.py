"""Flags: citizens report abusive comments; a moderator of the draft's body hides the comment
(``comments.hide_comment``, which resolves its flags) or dismisses the flags.  Nothing is
deleted, and every step is in the audit log."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.errors import Conflict, Forbidden, NotFound
from app.models import Comment, CommentFlag, CommentStatus, Draft, FlagResolution, Role, User
from app.services import audit as audit_service
from app.services import comments as comments_service

class AlreadyFlagged(Conflict):
    code = "already_flagged"
    message = "You have already reported this comment; a moderator will look at it."


class CommentAlreadyHidden(Conflict):
    code = "comment_hidden"
    message = "This comment is already hidden by the moderator."


class FlagNotFound(NotFound):
    code = "flag_not_found"
    message = "There is no such report."


class FlagResolved(Conflict):
    code = "flag_resolved"
    message = "This report has already been dealt with."


def flag_comment(*, session: Session, user: User, comment: Comment, reason: str) -> CommentFlag:
    """Report ``comment`` to the moderators of its body, once per citizen."""
    comments_service.require_verified_citizen(
        user, "Only citizens' accounts can report comments; staff hide them directly.")
    text = comments_service.required_reason(reason, "Please say what is wrong with the comment.")
    if comment.status is CommentStatus.HIDDEN:
        raise CommentAlreadyHidden()
    if session.scalar(select(exists().where(CommentFlag.comment_id == comment.id,
                                            CommentFlag.user_id == user.id))):
        raise AlreadyFlagged()
    flag = CommentFlag(comment_id=comment.id, user_id=user.id, reason=text,
                       created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except IntegrityError:  # the same person's second click, at the same instant
        raise AlreadyFlagged() from None
    audit_service.record(session=session, actor=user, action="comment.flagged",
                         entity_type="comment", entity_id=comment.id,
                         after={"flag_id": flag.id, "reason": text})
    return flag


def _require_moderator(user: User) -> int:
    if user.role is not Role.MODERATOR or user.organization_id is None:
        raise Forbidden("Only the moderators of a state body may do this.")
    return user.organization_id


@dataclass
class FlaggedComment:
    """A comment with the open reports on it, oldest first."""

    comment: Comment
    draft: Draft
    flags: list[CommentFlag] = field(default_factory=list)


def open_flags(*, session: Session, moderator: User) -> list[FlaggedComment]:
    """Open flags on comments of the moderator's body's drafts, by comment, oldest first."""
    organization_id = _require_moderator(moderator)
    rows = session.execute(
        select(CommentFlag, Comment, Draft)
        .join(Comment, Comment.id == CommentFlag.comment_id)
        .join(Draft, Draft.id == Comment.draft_id)
        .where(Draft.organization_id == organization_id, CommentFlag.resolved_at.is_(None))
        .options(selectinload(Comment.author), selectinload(Comment.response))
        .order_by(CommentFlag.created_at, CommentFlag.id)).tuples()
    by_comment: dict[int, FlaggedComment] = {}
    for flag, comment, draft in rows:
        item = by_comment.setdefault(comment.id, FlaggedComment(comment=comment, draft=draft))
        item.flags.append(flag)
    return list(by_comment.values())


def get_flag(*, session: Session, flag_id: int) -> CommentFlag:
    flag = session.get(CommentFlag, flag_id)
    if flag is None:
        raise FlagNotFound()
    return flag


def moderator_of(*, session: Session, moderator: User, comment: Comment) -> None:
    """Forbidden unless ``moderator`` moderates the body that published the comment's draft."""
    organization_id = _require_moderator(moderator)
    draft = session.get(Draft, comment.draft_id)
    if draft is None or draft.organization_id != organization_id:
        raise Forbidden("Only the staff of the state body that published this draft may do "
                        "this.")


def dismiss_flags(*, session: Session, moderator: User,
                  flags: Sequence[CommentFlag]) -> list[CommentFlag]:
    """Resolve the reports as dismissed: the comment stays as it is."""
    if not flags:
        return []
    comment = comments_service.get_comment(session=session, comment_id=flags[0].comment_id)
    moderator_of(session=session, moderator=moderator, comment=comment)
    if any(f.comment_id != comment.id for f in flags):
        raise Forbidden()
    if any(f.resolved_at is not None for f in flags):
        raise FlagResolved()
    audit_service.record(session=session, actor=moderator, action="comment.flags_dismissed",
                         entity_type="comment", entity_id=comment.id,
                         after={"flag_ids": [f.id for f in flags]})
    now = clock.now()
    for flag in flags:
        flag.resolved_at = now
        flag.resolved_by_id = moderator.id
        flag.resolution = FlagResolution.DISMISSED
    session.flush()
    return list(flags)
