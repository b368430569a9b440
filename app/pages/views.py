"""What the draft pages show, assembled once per request from a fixed number of queries.

The clause tree of a large code (the Tax Code has about 5,000 clauses) is built in one pass
over the clauses, with the comments loaded once and grouped here, never per clause.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app import clock, i18n
from app.models import (
    ActPolicy, Clause, Comment, Consultation, ConsultationExtension, Draft,
    DraftStatus, Version,
)
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


def preferred_language(available: Sequence[str]) -> str | None:
    """Of the languages two versions share, the interface's if there, else the first."""
    interface = i18n.current_language.get()
    return interface if interface in available else (available[0] if available else None)


# --- naming a clause ---------------------------------------------------------------------

Citation = list[tuple[str, str]]  # [(kind, number)], e.g. [("article", "1"), ("part", "2")]


def _own_citation(clause: Clause) -> tuple[str, str]:
    number = clause.number or clause.key.rsplit("/", 1)[-1].removeprefix("p-")
    return clause.kind, number


def citation(path: Sequence[Clause]) -> Citation:
    """How a clause is named ("Article 1, part 2") from itself and the clauses above it."""
    return [_own_citation(c) for c in path]


# --- the clause tree ---------------------------------------------------------------------

@dataclass(frozen=True)
class ShownComments:
    """The comments shown in one place (loaded whole), out of how many are there."""

    comments: list[Comment]  # oldest first
    total: int  # every comment placed there, hidden and withdrawn ones included
    published: int
    campaigns: dict[int, int] = field(default_factory=dict)  # comment id -> others in its group

    @property
    def more(self) -> bool:
        return self.total > len(self.comments)


NO_COMMENTS = ShownComments(comments=[], total=0, published=0)


@dataclass
class ClauseView:
    clause: Clause
    anchor: str
    label: str
    heading: str
    text: str
    heading_level: int | None
    citation: Citation
    shown: ShownComments
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

    @property
    def comments(self) -> list[Comment]:
        return self.shown.comments

    @property
    def count(self) -> int:
        return self.shown.published


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
    by_key: dict[str, ClauseView]  # every clause, in document order


def clause_tree(*, clauses: Sequence[Clause], language: str,
                comments: Mapping[str | None, ShownComments],
                consultation: Consultation | None, open_now: bool) -> ClauseTree:
    """The clauses (in document order) as a tree with their comments, and a table of contents.

    ``comments`` are already placed on the keys of these clauses and bounded (see
    :mod:`app.pages.placement`).
    """
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
            shown=comments.get(clause.key, NO_COMMENTS),
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
    return ClauseTree(roots=roots, toc=toc, toc_size=toc_size, by_key=by_key)


def _toc_parent(clause: Clause, by_key: dict[str, ClauseView],
                toc_by_key: dict[str, TocEntry]) -> TocEntry | None:
    key = clause.parent_key
    while key is not None:
        if key in toc_by_key:
            return toc_by_key[key]
        view = by_key.get(key)
        key = view.clause.parent_key if view is not None else None
    return None


# --- when the clock alone changes a page ---------------------------------------------------

def changes_at(consultation: Consultation | None, now: datetime) -> datetime | None:
    """The next moment after ``now`` at which a page about the draft changes with no write:
    the period opens or closes, or its count of days left goes down by one."""
    if consultation is None:
        return None
    if now < consultation.opens_at:
        return consultation.opens_at
    if now >= consultation.closes_at:
        return None
    return consultation.closes_at - (days_left(consultation.closes_at, now) - 1) * timedelta(days=1)


# --- both languages side by side -----------------------------------------------------------

BILINGUAL = ("ky", "ru")  # the state language on the left, as the law requires it first


@dataclass
class LanguageText:
    """A clause's own text in one language, without falling back on the other language."""

    label: str
    heading: str
    text: str
    table: list[list[str]] | None

    @property
    def empty(self) -> bool:
        return not (self.label or self.heading or self.text or self.table)


@dataclass
class ParallelRow:
    node: ClauseView
    sides: list[tuple[str, LanguageText]]

    @property
    def depth(self) -> int:
        return min(self.node.clause.depth, 5)


def parallel_rows(tree: ClauseTree) -> list[ParallelRow]:
    """Every clause in document order with its Kyrgyz and Russian texts, aligned by key."""
    return [ParallelRow(node=node, sides=[(code, LanguageText(
        label=getattr(node.clause, f"label_{code}") or "",
        heading=getattr(node.clause, f"heading_{code}") or "",
        text=getattr(node.clause, f"text_{code}") or "",
        table=getattr(node.clause, f"table_{code}"))) for code in BILINGUAL])
        for node in tree.by_key.values()]
