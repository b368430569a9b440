"""Fixed-window rate limits per account and per address, counted in the database.

The database is the one count that every process shares.  A subject found over its limit is
also remembered in this process for a moment (``REFUSAL_MEMORY`` seconds, never past its
window), and its next attempts in that moment are refused without a query: a bot sending
thousands of requests a second then costs the database one upsert per process per moment
instead of one per request, and its 429s come back fast (issue 9, scenario 3).  Such attempts
are not counted; they could not change anything, the subject being over its limit already.

A policy may have two windows: the long one (an allowance, e.g. 30 comments in 10 minutes)
and a short one (a pace, e.g. 5 in 10 seconds); an attempt counts in both, and is refused when
it passes either.  Without the short window a script spent the whole allowance in the first
instant of its burst, and those 30 comments written at once were what slowed everybody else's
(bench/README.md, scenario 3).

The policies (set by migrations or by an administrator in SQL) are read at most every
``POLICY_MEMORY`` seconds per process.
"""

import hashlib
import math
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import TextClause, delete, text
from sqlalchemy.orm import Session

from app import bulk, clock
from app.errors import RateLimited
from app.models import RateLimitCounter, RateLimitPolicy


@dataclass(frozen=True)
class Subject:
    """Who is acting: an account identifier (hashed) and/or a network address."""

    account: str | None
    address: str | None


def _hashed(value: str) -> str:
    # Any text a request carried can be counted, half a surrogate pair included (a JSON body
    # may hold one; the route then refuses it as bad input, after it has been counted).
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


REFUSAL_MEMORY = 1.0  # seconds
POLICY_MEMORY = 5.0  # seconds


@dataclass(frozen=True)
class Window:
    """At most ``per_account`` and ``per_address`` attempts in a fixed window of ``seconds``;
    ``tag`` tells its counters from those of the action's other window."""

    per_account: int | None
    per_address: int | None
    seconds: int
    tag: str = ""


@dataclass(frozen=True)
class Policy:
    windows: tuple[Window, ...]


_policies: dict[str, tuple[float, Policy | None]] = {}  # action -> (monotonic deadline, policy)
_MAX_REMEMBERED = 10_000
# Refusals remembered per action and subject (whichever window refused it):
# key -> (monotonic deadline, clock end of the window that refused).
_refused: dict[str, tuple[float, float]] = {}
_refused_lock = threading.Lock()


def remembered_refusal(action: str, subject: Subject) -> int | None:
    """Retry-After of a refusal of this subject remembered from a moment ago, if any."""
    if not _refused:
        return None
    now, moment = time.monotonic(), clock.now().timestamp()
    for key in _subject_keys(action, subject):
        seen = _refused.get(key)
        if seen is not None and now < seen[0] and moment < seen[1]:
            return max(1, math.ceil(seen[1] - moment))
    return None


def _remember_refusal(window_ends: Mapping[str, float]) -> None:
    deadline = time.monotonic() + REFUSAL_MEMORY
    with _refused_lock:
        if len(_refused) >= _MAX_REMEMBERED:
            now = time.monotonic()
            for key in [k for k, (until, _end) in _refused.items() if until <= now]:
                del _refused[key]
            if len(_refused) >= _MAX_REMEMBERED:
                _refused.clear()  # a flood of distinct subjects: forget, the database counts
        for key, window_end in window_ends.items():
            _refused[key] = (deadline, window_end)


def forget() -> None:
    """Drop the remembered refusals and policies (counters or policies were reset, e.g.
    between tests)."""
    with _refused_lock:
        _refused.clear()
        _policies.clear()


def _policy(session: Session, action: str) -> Policy | None:
    known = _policies.get(action)
    if known is not None and time.monotonic() < known[0]:
        return known[1]
    row = session.get(RateLimitPolicy, action)
    policy = None
    if row is not None:
        windows = [Window(row.per_account, row.per_address, row.window_seconds)]
        if row.burst_seconds:
            windows.append(Window(row.burst_per_account, row.burst_per_address,
                                  row.burst_seconds, tag=f"@{row.burst_seconds}s"))
        policy = Policy(tuple(windows))
    _policies[action] = (time.monotonic() + POLICY_MEMORY, policy)
    return policy


def _subject_keys(action: str, subject: Subject) -> list[str]:
    return [_key(action, kind, value)
            for kind, value in (("acct", subject.account), ("addr", subject.address)) if value]


def _key(action: str, kind: str, value: str, tag: str = "") -> str:
    return f"{action}{tag}:{kind}:{_hashed(value)}"


_UPSERTS: dict[int, TextClause] = {}  # number of keys -> statement (SQLite)
_ADD_HITS = ("ON CONFLICT (key, window_start) DO UPDATE "
             "SET hits = rate_limit_counter.hits + excluded.hits RETURNING key, hits")
# PostgreSQL: the keys and their hits as one JSON array, one text for any number (app/bulk.py).
_UPSERT_RECORDS = bulk.Insert(RateLimitCounter.__table__, ("key", "window_start", "hits"),
                              tail=_ADD_HITS)


def _upsert(n: int) -> TextClause:
    """INSERT ... ON CONFLICT DO UPDATE adding a number of hits to each of ``n`` counters.
    Written out because SQLAlchemy compiles its ON CONFLICT constructs anew for every
    execution, which cost more than running the statement; every request that counts comes
    here."""
    statement = _UPSERTS.get(n)
    if statement is None:
        rows = ", ".join(f"(:key{i}, :start{i}, :hits{i})" for i in range(n))
        statement = _UPSERTS[n] = text(
            f"INSERT INTO rate_limit_counter (key, window_start, hits) VALUES {rows} {_ADD_HITS}")
    return statement


def _hits(session: Session, added: Mapping[str, int],
          window_starts: Mapping[str, int]) -> dict[str, int]:
    """Add hits to counters (each in its window) in one statement; the counts after it."""
    connection = session.connection()  # Core on the connection: every request counts here
    # Sorted: two transactions upserting the same rows take their locks in the same order.
    keys = sorted(added)
    if connection.dialect.name == "postgresql":
        rows = _UPSERT_RECORDS.execute(connection, [
            {"key": key, "window_start": window_starts[key], "hits": added[key]}
            for key in keys])
    else:
        rows = connection.execute(_upsert(len(keys)), {
            **{f"key{i}": key for i, key in enumerate(keys)},
            **{f"start{i}": window_starts[key] for i, key in enumerate(keys)},
            **{f"hits{i}": added[key] for i, key in enumerate(keys)}})
    return {key: int(hits) for key, hits in rows}


def check(*, session: Session, action: str, subject: Subject) -> None:
    """Count one attempt of ``action``; RateLimited (429) once a limit of a window is passed."""
    refusal = check_many(session=session, action=action, subjects=[subject])[0]
    if refusal is not None:
        raise refusal


def check_many(*, session: Session, action: str,
               subjects: list[Subject]) -> list[RateLimited | None]:
    """Count one attempt of ``action`` for each subject, in their order, in one statement: for
    each, its refusal (once a limit of one of the policy's windows is passed by that attempt,
    with the seconds left in the window that refused it) or None.  The
    same subject may come several times (a batch of submissions, app/api/comment_intake.py);
    its attempts are counted one after the other.  A subject refused a moment ago is refused
    again without being counted."""
    outcomes: list[RateLimited | None] = [None] * len(subjects)
    live = []
    for position, subject in enumerate(subjects):
        remembered = remembered_refusal(action, subject)
        if remembered is not None:
            outcomes[position] = RateLimited(retry_after=remembered)
        else:
            live.append((position, subject))
    policy = _policy(session, action) if live else None
    if policy is None:
        return outcomes
    now = clock.now().timestamp()
    ends = {window: (now // window.seconds + 1) * window.seconds for window in policy.windows}
    counted: list[tuple[int, list[_Limit]]] = []
    for position, subject in live:
        limits = [_Limit(_key(action, kind, value, window.tag), limit,
                         int(ends[window]) - window.seconds, ends[window],
                         _key(action, kind, value))
                  for window in policy.windows
                  for kind, value, limit in (("acct", subject.account, window.per_account),
                                             ("addr", subject.address, window.per_address))
                  if value and limit]
        if limits:
            counted.append((position, limits))
    if not counted:
        return outcomes
    added = Counter(limit.counter for _position, limits in counted for limit in limits)
    totals = _hits(session, added, {limit.counter: limit.window_start
                                    for _position, limits in counted for limit in limits})
    # The count each attempt saw: the total less the attempts after it in this batch.
    seen = {key: totals[key] - hits for key, hits in added.items()}
    refused: dict[str, float] = {}  # subject key -> end of the (latest) window that refused it
    for position, limits in counted:
        over = []
        for limit in limits:  # the attempt counts on each of its counters
            seen[limit.counter] += 1
            if seen[limit.counter] > limit.limit:
                over.append(limit)
        for limit in over:
            refused[limit.subject] = max(refused.get(limit.subject, 0.0), limit.window_end)
        if over:
            end = max(limit.window_end for limit in over)
            outcomes[position] = RateLimited(retry_after=max(1, math.ceil(end - now)))
    if refused:
        _remember_refusal(refused)
    return outcomes


@dataclass(frozen=True)
class _Limit:
    """One limit an attempt is counted against: its counter (in its window) and the key its
    subject's refusal is remembered by."""

    counter: str
    limit: int
    window_start: int
    window_end: float
    subject: str


def prune(*, session: Session, older_than_seconds: int = 86_400) -> int:
    """Drop the counters of windows long past (the worker's housekeeping)."""
    cutoff = int(clock.now().timestamp()) - older_than_seconds
    result = session.execute(delete(RateLimitCounter).where(
        RateLimitCounter.window_start < cutoff))
    return result.rowcount or 0
