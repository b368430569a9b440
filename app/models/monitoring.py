"""What the Ministry of Justice keeps about the drafts it watches: the outcome of a draft (the
act it became, or why it was withdrawn), the monitor's own notes and flags, and the weekly
digests already sent."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type
from app.models.draft import DraftOutcome


class OutcomeRecord(Base):
    """How a draft ended: adopted (with the act's reference) or withdrawn (with a reason).

    The draft's ``outcome`` column holds the state; this row holds what was said about it.
    """

    __tablename__ = "draft_outcome_record"

    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), primary_key=True)
    outcome: Mapped[DraftOutcome] = mapped_column(enum_type(DraftOutcome))
    # The adopted act: its official reference ("Law of the KR of 5 May 2027 No 87") and link.
    act_reference: Mapped[str | None] = mapped_column(String(500))
    act_url: Mapped[str | None] = mapped_column(String(1000))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class MonitorNote(Base):
    """A monitor's note on a draft; seen by monitors and admins only, never edited."""

    __tablename__ = "monitor_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class MonitorFlag(Base):
    """A draft the monitor marked for follow-up; cleared, not deleted, once dealt with."""

    __tablename__ = "monitor_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    # One of the violation kinds of services/compliance.py, or "other".
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime] = created_at_column()
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ComplianceDigest(Base):
    """A weekly digest of new violations, sent once per week (Monday to Sunday, Bishkek)."""

    __tablename__ = "compliance_digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, unique=True)
    violations: Mapped[int]
    recipients: Mapped[int]
    created_at: Mapped[datetime] = created_at_column()
