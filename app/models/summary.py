"""The feedback summary of a consultation round: published once, then immutable."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models.base import enum_type
from app.models.comment import Decision


class FeedbackSummary(Base):
    __tablename__ = "feedback_summary"
    # One publication per round and revision: two drafters pressing "publish" at once get one.
    __table_args__ = (UniqueConstraint("consultation_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    revision: Mapped[int] = mapped_column(default=1)
    # A correction is a new revision that names the one it corrects and why.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_summary.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class SummaryEntry(Base):
    """One comment's decision and reasoning as a revision of the summary published it.

    The rows are written once with their revision and never changed: a correction writes a
    new revision with its own rows, so every revision reads as it was published.
    """

    __tablename__ = "feedback_summary_entry"
    __table_args__ = (UniqueConstraint("summary_id", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("feedback_summary.id"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_type(Decision))
    reasoning: Mapped[str] = mapped_column(Text)
