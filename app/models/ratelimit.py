"""Rate limits: the limits per action (policy) and the shared counters of each window."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class RateLimitPolicy(Base):
    """How often an action may be taken per account and per address, editable by an admin:
    at most ``per_account``/``per_address`` in a window of ``window_seconds`` and, where
    ``burst_seconds`` is set, at most ``burst_per_account``/``burst_per_address`` in a window of
    that many seconds (a short window: the pace of a person, so that a script's burst is
    refused at once rather than after the whole allowance of the long window).  None: no
    limit of that kind."""

    __tablename__ = "rate_limit_policy"

    action: Mapped[str] = mapped_column(String(40), primary_key=True)
    per_account: Mapped[int | None]
    per_address: Mapped[int | None]
    window_seconds: Mapped[int]
    burst_per_account: Mapped[int | None]
    burst_per_address: Mapped[int | None]
    burst_seconds: Mapped[int | None]


class RateLimitCounter(Base):
    """Hits of one key in one fixed window; in the database so every process shares it."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int]
