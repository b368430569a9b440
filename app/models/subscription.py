"""Email alerts without an account: a filter, an address confirmed by double opt-in, and
the alerts already given to it (so that none is ever sent twice)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.models.base import created_at_column, enum_type


class AlertFrequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"


class AlertEvent(StrEnum):
    NEW_DRAFT = "new_draft"
    CLOSING = "closing"  # the comment period closes within a week
    SUMMARY = "summary"  # the feedback summary was published


class AlertSubscription(Base):
    __tablename__ = "alert_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2))
    # The filter; None matches everything.
    organization: Mapped[str | None] = mapped_column(String(64))
    act_type: Mapped[str | None] = mapped_column(String(40))
    keywords: Mapped[str | None] = mapped_column(String(300))
    frequency: Mapped[AlertFrequency] = mapped_column(enum_type(AlertFrequency))
    events: Mapped[list[str]] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class AlertDelivery(Base):
    """One event told (or to be told, in the next digest) to one subscription."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "event_key"),
                      Index("ix_alert_delivery_pending", "subscription_id", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscription.id"))
    # "new_draft:12", "closing:7" (a round), "summary:3": the same event has the same key.
    event_key: Mapped[str] = mapped_column(String(80))
    event: Mapped[str] = mapped_column(String(24))
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"))
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
