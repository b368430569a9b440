"""Citizens' comments on a draft (or one of its clauses) and the drafter's answers."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type
from app.models.user import User


class CommentStatus(StrEnum):
    PUBLISHED = "published"
    HIDDEN = "hidden"  # by a moderator, with a public reason; the record stays
    WITHDRAWN = "withdrawn"  # by its author, with a reason; the record stays


class Decision(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOT_APPLICABLE = "not_applicable"


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_draft_created", "draft_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id"))
    version_number: Mapped[int]
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))
    clause_key: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    proposed_wording: Mapped[str | None] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[CommentStatus] = mapped_column(
        enum_type(CommentStatus), default=CommentStatus.PUBLISHED
    )
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    author: Mapped[User] = relationship(lazy="raise")
    response: Mapped["Response | None"] = relationship(lazy="raise", back_populates="comment")


class Response(Base):
    """The drafting body's answer; editable until the summary is published, then frozen."""

    __tablename__ = "comment_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), unique=True)
    decision: Mapped[Decision] = mapped_column(enum_type(Decision))
    reasoning: Mapped[str] = mapped_column(Text)
    responder_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    comment: Mapped[Comment] = relationship(lazy="raise", back_populates="response")
