"""Comment periods (rounds) on a version of a draft, and their extensions."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.models.base import created_at_column


class Consultation(Base):
    __tablename__ = "consultation"
    __table_args__ = (UniqueConstraint("draft_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id"))
    round: Mapped[int]
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The end first announced; closes_at moves with each extension.
    original_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    # None: every clause is open. Otherwise the keys (with their children) of a limited round.
    clause_keys: Mapped[list[str] | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    extensions: Mapped[list["ConsultationExtension"]] = relationship(
        lazy="raise", order_by="ConsultationExtension.id"
    )

    def is_open(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at

    def covers(self, clause_key: str | None) -> bool:
        """Whether a comment on ``clause_key`` belongs to this round."""
        if self.clause_keys is None:
            return True
        if clause_key is None:
            return False
        return any(clause_key == k or clause_key.startswith(k + "/") for k in self.clause_keys)


class ConsultationExtension(Base):
    __tablename__ = "consultation_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    previous_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
