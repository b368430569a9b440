"""What an account holder sees of their own activity."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Comment, Draft, FeedbackSummary, User


@dataclass
class AuthoredComment:
    comment: Comment
    draft: Draft
    answer_public: bool


def authored_comments(*, session: Session, user: User) -> list[AuthoredComment]:
    """The user's comments, newest first, with their drafts and whether the answer is out."""
    comments = list(session.scalars(
        select(Comment).where(Comment.author_id == user.id)
        .options(selectinload(Comment.response))
        .order_by(Comment.created_at.desc(), Comment.id.desc())))
    draft_ids = {c.draft_id for c in comments}
    drafts = {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(draft_ids)))}
    published = set(session.scalars(select(FeedbackSummary.consultation_id).where(
        FeedbackSummary.consultation_id.in_({c.consultation_id for c in comments}))))
    return [AuthoredComment(comment=c, draft=drafts[c.draft_id],
                            answer_public=c.consultation_id in published) for c in comments]
