"""Read-only overviews behind the pages: what a drafting body has due, what closes soon.

Nothing here changes state; the rules live in the modules that do (consultations, comments,
responses, summaries). Every function answers in a fixed number of queries.
"""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidInput
from app.models import (
    Clause, Comment, Consultation, Draft, DraftOutcome, DraftStatus,
    FeedbackSummary, Version,
)
from app.services import comparison as comparison_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services.diffing import ChangeKind
from app.services.drafts import DraftState


@dataclass
class DueDraft:
    """A draft of the body with what is due on it."""

    state: DraftState
    status: DraftStatus
    unanswered: int
    summary_due_on: date | None
    overdue: bool

    @property
    def draft(self) -> Draft:
        return self.state.draft

    @property
    def closes_at(self) -> datetime | None:
        return self.state.consultation.closes_at if self.state.consultation else None


def _urgency(item: DueDraft) -> tuple[int, float]:
    # Summaries to write first (the oldest deadline first), then open periods (closing
    # soonest first), then drafts waiting for a period, then the finished ones.
    if item.status is DraftStatus.CLOSED and item.summary_due_on is not None:
        return 0, item.summary_due_on.toordinal()
    if item.status is DraftStatus.UNDER_CONSULTATION and item.closes_at is not None:
        return 1, item.closes_at.timestamp()
    if item.status is DraftStatus.PUBLISHED:
        return 2, -item.draft.created_at.timestamp()
    return 3, -item.draft.created_at.timestamp()


def body_drafts(*, session: Session, organization_id: int) -> list[DueDraft]:
    """Every draft of a state body, what is due first at the top."""
    drafts = list(session.scalars(select(Draft).where(Draft.organization_id == organization_id)
                                  .order_by(Draft.created_at.desc(), Draft.id.desc())))
    policies = {p.act_type: p for p in drafts_service.list_policies(session=session)}
    today = clock.now().date()
    items = []
    for state in drafts_service.load_states(session=session, drafts=drafts):
        status = state.status()
        due_on = None
        if state.consultation is not None and status is DraftStatus.CLOSED:
            due_on = consultations_service.summary_due_on(
                consultation=state.consultation,
                summary_due_days=policies[state.draft.act_type].summary_due_days)
        items.append(DueDraft(state=state, status=status,
                              unanswered=state.comments - state.answered,
                              summary_due_on=due_on,
                              overdue=due_on is not None and due_on < today))
    return sorted(items, key=_urgency)


def closing_soon(*, session: Session, limit: int = 10) -> tuple[list[DraftState], int]:
    """Drafts whose period is open now, closing soonest first, and how many are open."""
    now = clock.now()
    latest_ids = select(func.max(Consultation.id)).group_by(Consultation.draft_id)
    conditions = (Consultation.id.in_(latest_ids), Consultation.opens_at <= now,
                  Consultation.closes_at > now, Draft.outcome == DraftOutcome.PENDING)
    total = session.scalar(select(func.count()).select_from(Draft)
                           .join(Consultation, Consultation.draft_id == Draft.id)
                           .where(*conditions)) or 0
    drafts = list(session.scalars(
        select(Draft).join(Consultation, Consultation.draft_id == Draft.id).where(*conditions)
        .order_by(Consultation.closes_at, Draft.id).limit(limit)))
    return drafts_service.load_states(session=session, drafts=drafts), total


def recent_summaries(*, session: Session,
                     limit: int = 5) -> list[tuple[FeedbackSummary, Draft]]:
    """The most recently published feedback summaries with their drafts."""
    rows = session.execute(
        select(FeedbackSummary, Draft).join(Draft, Draft.id == FeedbackSummary.draft_id)
        .order_by(FeedbackSummary.published_at.desc(), FeedbackSummary.id.desc()).limit(limit))
    return [(summary, draft) for summary, draft in rows.tuples()]


# --- clauses named in comments -----------------------------------------------------------

def key_prefixes(key: str) -> list[str]:
    """"art-1/part-2/pt-3" -> ["art-1", "art-1/part-2", "art-1/part-2/pt-3"]."""
    parts = key.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


@dataclass
class ClauseContext:
    """A clause with the clauses above it (its name) and below it (its whole text)."""

    path: list[Clause]  # from the outermost named clause down to this one
    quoted: list[Clause]  # this clause and everything under it, in document order

    @property
    def clause(self) -> Clause:
        return self.path[-1]


class ClauseIndex:
    """Clauses of some versions, looked up by (version id, key)."""

    def __init__(self, clauses: Iterable[Clause]) -> None:
        self._by_key = {(c.version_id, c.key): c for c in clauses}
        self._sorted: dict[int, list[str]] = {}
        for version_id, key in sorted(self._by_key):
            self._sorted.setdefault(version_id, []).append(key)

    def context(self, version_id: int, key: str | None) -> ClauseContext | None:
        """The clause ``key`` of the version in context, or None if the version lacks it."""
        if not key or (version_id, key) not in self._by_key:
            return None
        path = [self._by_key[(version_id, p)] for p in key_prefixes(key)
                if (version_id, p) in self._by_key]
        # Children's keys extend their parent's, so a subtree is a run of the sorted keys.
        keys = self._sorted[version_id]
        start = bisect_left(keys, key)
        below = []
        for candidate in keys[start:]:
            if candidate != key and not candidate.startswith(key + "/"):
                break
            below.append(self._by_key[(version_id, candidate)])
        return ClauseContext(path=path, quoted=sorted(below, key=lambda c: c.position))


def clause_index(*, session: Session, version_ids: Iterable[int],
                 keys: Iterable[str]) -> ClauseIndex:
    """The clauses named by ``keys``, those above them and those below them, in one query.

    Children's keys extend their parent's ("art-1/part-2"), so the prefixes of a key that
    exist are the clauses above it (they name it "Article 1, part 2"), and the keys that
    extend it are its text.
    """
    named = {key for key in keys if key}
    wanted = sorted({prefix for key in named for prefix in key_prefixes(key)})
    versions = sorted(set(version_ids))
    if not wanted or not versions:
        return ClauseIndex([])
    # Keys are [a-z0-9/-], so they need no escaping in a LIKE pattern.
    below = [Clause.key.like(f"{key}/%") for key in sorted(named)]
    rows = session.scalars(select(Clause).where(Clause.version_id.in_(versions),
                                                or_(Clause.key.in_(wanted), *below)))
    return ClauseIndex(rows)


def clause_counts(*, session: Session, version_id: int) -> dict[str, int]:
    """How many clauses of each kind a version has: the drafter's check of the parsing."""
    return dict(session.execute(
        select(Clause.kind, func.count()).where(Clause.version_id == version_id)
        .group_by(Clause.kind)).tuples().all())


@dataclass
class QueueItem:
    """A comment in the answer queue, with the clause it is about (in its own version)."""

    comment: Comment
    context: ClauseContext | None
    summary_published: bool = False
    # The proposed wording against the clause's text, as (op, text) pairs (-1 deleted, 1 added).
    redline: list[tuple[int, str]] | None = None


# --- a round limited to what changed ------------------------------------------------------

@dataclass
class RoundChanges:
    """The clauses of the current version added or reworded since the last round's version."""

    from_number: int
    to_number: int
    clauses: list[ClauseContext]  # the outermost changed clauses, in document order

    @property
    def keys(self) -> list[str]:
        return [context.clause.key for context in self.clauses]


def outermost(keys: Iterable[str]) -> list[str]:
    """The keys not under another of them: a round on "art-5" already covers "art-5/part-1"."""
    chosen: list[str] = []
    for key in sorted(set(keys)):
        if not any(key.startswith(kept + "/") for kept in chosen):
            chosen.append(key)
    return chosen


def changed_since_last_round(*, session: Session, draft: Draft) -> RoundChanges | None:
    """What a new round limited to the changes would open; None without an earlier round on
    an earlier version (or when the two versions share no language to compare)."""
    previous = consultations_service.latest(session=session, draft=draft)
    if previous is None or draft.current_version < 2:
        return None
    round_version = session.get(Version, previous.version_id)
    if round_version is None or round_version.number >= draft.current_version:
        return None
    try:
        _old, new, _lang, diff = comparison_service.compare(
            session=session, draft=draft, from_number=round_version.number,
            to_number=draft.current_version)
    except InvalidInput:
        return None
    changed = [row.key for row in diff.clauses if row.key is not None
               and row.change in (ChangeKind.ADDED, ChangeKind.MODIFIED)]
    keys = outermost(changed)
    index = clause_index(session=session, version_ids=[new.id], keys=keys)
    contexts = [context for key in keys if (context := index.context(new.id, key)) is not None]
    contexts.sort(key=lambda context: context.clause.position)
    return RoundChanges(from_number=round_version.number, to_number=new.number,
                        clauses=contexts)


def limited_to_changes(*, session: Session, draft: Draft, chosen: Sequence[str]) -> list[str]:
    """The keys of a round limited to the clauses changed since the previous round, with the
    ``chosen`` ones added (none under another)."""
    changes = changed_since_last_round(session=session, draft=draft)
    if changes is None or not changes.keys:
        raise InvalidInput("No clause has changed since the previous round.")
    return outermost([*chosen, *changes.keys])


def articles(*, session: Session, version_id: int) -> list[Clause]:
    """The articles of a version in document order: what a limited round is chosen from."""
    return list(session.scalars(select(Clause).where(Clause.version_id == version_id,
                                                     Clause.kind == "article")
                                .order_by(Clause.position)))
