"""Fixed-window rate limits per account and per address, counted in the database."""

import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import clock
from app.errors import RateLimited
from app.models import RateLimitCounter, RateLimitPolicy


@dataclass(frozen=True)
class Subject:
    """Who is acting: an account identifier (hashed) and/or a network address."""

    account: str | None
    address: str | None


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _hit(session: Session, key: str, window_start: int) -> int:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(RateLimitCounter).values(key=key, window_start=window_start, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
        set_={"hits": RateLimitCounter.hits + 1},
    ).returning(RateLimitCounter.hits)
    return int(session.execute(statement).scalar_one())


def check(*, session: Session, action: str, subject: Subject) -> None:
    """Count one attempt of ``action``; RateLimited (429) once a limit of the window is passed."""
    policy = session.get(RateLimitPolicy, action)
    if policy is None:
        return
    now = clock.now().timestamp()
    window_start = int(now // policy.window_seconds) * policy.window_seconds
    retry_after = max(1, math.ceil(window_start + policy.window_seconds - now))
    over = False
    for kind, value, limit in (("acct", subject.account, policy.per_account),
                               ("addr", subject.address, policy.per_address)):
        if value and limit:
            hits = _hit(session, f"{action}:{kind}:{_hashed(value)}", window_start)
            over = over or hits > limit
    if over:
        raise RateLimited(retry_after=retry_after)



def prune(*, session: Session, older_than_seconds: int = 86_400) -> int:
    """Drop the counters of windows long past (the worker's housekeeping)."""
    cutoff = int(clock.now().timestamp()) - older_than_seconds
    result = session.execute(delete(RateLimitCounter).where(
        RateLimitCounter.window_start < cutoff))
    return result.rowcount or 0
