"""Citizens' comments on a draft (or one of its clauses) and the drafter's answers."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
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
    __table_args__ = (
        Index("ix_comment_draft_created", "draft_id", "created_at"),
        # A draft's published comments: its counts from the index alone (migration 0009).
        Index("ix_comment_draft_published", "draft_id", "id",
              postgresql_where=text("status = 'published'"),
              sqlite_where=text("status = 'published'")),
    )

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
    # The exact words of the clause the comment is about, if the citizen marked them.
    quote: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        enum_type(CommentStatus), default=CommentStatus.PUBLISHED
    )
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Identical and near-identical texts (mass campaigns) share a group, read and answered once.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("comment_group.id"), index=True)
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


class CommentGroup(Base):
    """Comments of one round whose texts are the same or nearly so (a campaign)."""

    __tablename__ = "comment_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    # The first comment of the group; its text stands for the group.
    representative_id: Mapped[int] = mapped_column(ForeignKey("comment.id", use_alter=True))
    created_at: Mapped[datetime] = created_at_column()


class CommentSketch(Base):
    """Locality-sensitive hashes of a comment's text (MinHash bands), so that near-identical
    comments are found through an index instead of by comparing with every comment."""

    __tablename__ = "comment_sketch"
    __table_args__ = (Index("ix_comment_sketch_lookup", "consultation_id", "band", "bucket"),)

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), primary_key=True)
    band: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    bucket: Mapped[str] = mapped_column(String(32))


class CommentSupport(Base):
    """A citizen joining an existing comment instead of writing a duplicate."""

    __tablename__ = "comment_support"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()


class FlagResolution(StrEnum):
    HIDDEN = "hidden"
    DISMISSED = "dismissed"


class CommentFlag(Base):
    """A citizen's report of an abusive comment, worked by a moderator of the draft's body."""

    __tablename__ = "comment_flag"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[FlagResolution | None] = mapped_column(enum_type(FlagResolution))


class CommentAttachment(Base):
    """A PDF or DOCX sent with a comment; the bytes live outside the web root."""

    __tablename__ = "comment_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = created_at_column()
