"""Reusable answers of a state body: a drafter picks one instead of typing the same reasoning."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type
from app.models.comment import Decision


class AnswerTemplate(Base):
    __tablename__ = "answer_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The decision the template suggests; None when it fits any decision.
    decision: Mapped[Decision | None] = mapped_column(enum_type(Decision))
    reasoning: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
