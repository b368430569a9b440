"""What the draft pages show, assembled once per request from a fixed number of queries.

The clause tree of a large code (the Tax Code has about 5,000 clauses) is built in one pass
over the clauses, with the comments loaded once and grouped here, never per clause.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app import clock, i18n
from app.models import (
    ActPolicy, Clause, Comment, CommentStatus, Consultation, ConsultationExtension, Draft,
    DraftStatus, Version,
)
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services.drafts import DraftState
from app.templating import anchor

STRUCTURAL = ("section", "chapter", "article")


def days_left(closes_at: datetime, now: datetime | None = None) -> int:
    """Whole days (rounded up) until ``closes_at``; 0 once it has passed."""
    remaining = closes_at - (now or clock.now())
    return max(0, math.ceil(remaining / timedelta(days=1)))


@dataclass
class DraftOverview:
    """The facts shown at the top of every page about a draft."""

    draft: Draft
    state: DraftState
    status: DraftStatus
    policy: ActPolicy
    version: Version
    consultation: Consultation | None
    extensions: list[ConsultationExtension]
    summary_due_on: date | None
    days_left: int | None

    @property
    def is_open(self) -> bool:
        return self.status is DraftStatus.UNDER_CONSULTATION


def overview(*, session: Session, draft: Draft) -> DraftOverview:
    """The status, period, extensions and current version of ``draft``."""
    (state,) = drafts_service.load_states(session=session, drafts=[draft])
    status = state.status()
    policy = drafts_service.get_policy(session=session, act_type=draft.act_type)
    consultation = state.consultation
    extensions = (consultations_service.extensions(session=session, consultation=consultation)
                  if consultation is not None else [])
    due_on = (consultations_service.summary_due_on(
        consultation=consultation, summary_due_days=policy.summary_due_days)
        if consultation is not None else None)
    return DraftOverview(
        draft=draft, state=state, status=status, policy=policy,
        version=drafts_service.get_version(session=session, draft=draft),
        consultation=consultation, extensions=extensions, summary_due_on=due_on,
        days_left=days_left(consultation.closes_at) if status is DraftStatus.UNDER_CONSULTATION
        and consultation is not None else None)


def text_language(version: Version, requested: str | None) -> str:
    """The language of the text to show: asked for, else the interface's, else the one there is."""
    available = version.languages or ["ru"]
    if requested in available:
        return requested  # type: ignore[return-value]
    interface = i18n.current_language.get()
    if interface in available:
        return interface
    return "ru" if "ru" in available else available[0]


# --- naming a clause ---------------------------------------------------------------------

Citation = list[tuple[str, str]]  # [(kind, number)], e.g. [("article", "1"), ("part", "2")]


def _own_citation(clause: Clause) -> tuple[str, str]:
    number = clause.number or clause.key.rsplit("/", 1)[-1].removeprefix("p-")
    return clause.kind, number


def citation(path: Sequence[Clause]) -> Citation:
    """How a clause is named ("Article 1, part 2") from itself and the clauses above it."""
    return [_own_citation(c) for c in path]


# --- the clause tree ---------------------------------------------------------------------

@dataclass
class ClauseView:
    clause: Clause
    anchor: str
    label: str
    heading: str
    text: str
    heading_level: int | None
    citation: Citation
    comments: list[Comment]
    count: int
    commentable: bool
    children: list["ClauseView"] = field(default_factory=list)
    table: list[list[str]] | None = None
    note: bool = False

    @property
    def kind(self) -> str:
        return self.clause.kind

    @property
    def key(self) -> str:
        return self.clause.key


@dataclass
class TocEntry:
    anchor: str
    kind: str
    label: str
    heading: str
    children: list["TocEntry"] = field(default_factory=list)


@dataclass
class ClauseTree:
    roots: list[ClauseView]
    toc: list[TocEntry]
    toc_size: int
    by_key: dict[str, ClauseView]
    orphans: list[Comment]  # comments on clauses that this version no longer has


def clause_tree(*, clauses: Sequence[Clause], language: str, comments: Sequence[Comment],
                consultation: Consultation | None, open_now: bool) -> ClauseTree:
    """The clauses (in document order) as a tree with their comments, and a table of contents."""
    by_clause: dict[str | None, list[Comment]] = {}
    for comment in comments:
        by_clause.setdefault(comment.clause_key, []).append(comment)
    counts = comments_service.counts_by_clause(comments)
    by_key: dict[str, ClauseView] = {}
    toc_by_key: dict[str, TocEntry] = {}
    roots: list[ClauseView] = []
    toc: list[TocEntry] = []
    toc_size = 0
    for clause in clauses:
        parent = by_key.get(clause.parent_key) if clause.parent_key else None
        structural = clause.kind in STRUCTURAL
        level = None
        if structural:
            level = 3
            ancestor_key = clause.parent_key
            while ancestor_key is not None and ancestor_key in by_key:
                ancestor = by_key[ancestor_key]
                if ancestor.heading_level is not None:
                    level = min(6, ancestor.heading_level + 1)
                    break
                ancestor_key = ancestor.clause.parent_key
        # A child's key extends its parent's, so the parent's name is part of the child's;
        # an article under a chapter is named on its own ("Article 5", not "Chapter 1, ...").
        inherited = (parent.citation if parent is not None
                     and clause.key.startswith(parent.key + "/") else [])
        view = ClauseView(
            clause=clause, anchor=anchor(clause.key), label=clause.label(language),
            heading=clause.heading(language), text=clause.text(language), heading_level=level,
            citation=[*inherited, _own_citation(clause)],
            comments=by_clause.get(clause.key, []), count=counts.get(clause.key, 0),
            commentable=open_now and consultation is not None and consultation.covers(clause.key),
            table=clause.table(language), note=clause.note)
        by_key[clause.key] = view
        (parent.children if parent is not None else roots).append(view)
        if structural:
            entry = TocEntry(anchor=view.anchor, kind=clause.kind, label=view.label,
                             heading=view.heading)
            toc_size += 1
            toc_parent = _toc_parent(clause, by_key, toc_by_key)
            (toc_parent.children if toc_parent is not None else toc).append(entry)
            toc_by_key[clause.key] = entry
    orphans = [c for key, items in by_clause.items() if key is not None and key not in by_key
               for c in items]
    orphans.sort(key=lambda c: (c.created_at, c.id))
    return ClauseTree(roots=roots, toc=toc, toc_size=toc_size, by_key=by_key, orphans=orphans)


def _toc_parent(clause: Clause, by_key: dict[str, ClauseView],
                toc_by_key: dict[str, TocEntry]) -> TocEntry | None:
    key = clause.parent_key
    while key is not None:
        if key in toc_by_key:
            return toc_by_key[key]
        view = by_key.get(key)
        key = view.clause.parent_key if view is not None else None
    return None


def published_count(comments: Sequence[Comment]) -> int:
    return sum(1 for c in comments if c.status is CommentStatus.PUBLISHED)
