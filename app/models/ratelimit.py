"""Rate limits: the limits per action (policy) and the shared counters of each window."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class RateLimitPolicy(Base):
    """How often an action may be taken per account and per address, editable by an admin."""

    __tablename__ = "rate_limit_policy"

    action: Mapped[str] = mapped_column(String(40), primary_key=True)
    per_account: Mapped[int | None]
    per_address: Mapped[int | None]
    window_seconds: Mapped[int]


class RateLimitCounter(Base):
    """Hits of one key in one fixed window; in the database so every process shares it."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int]
