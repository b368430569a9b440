"""Where each comment of a draft is shown on a page about one version, and how many of them.

Comments made on an earlier version follow their clause to the version shown (or are set apart
when it was removed); the draft page then shows the latest few of each place and counts the
rest, which the list of the place's comments shows page by page.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.bulk import among, json_list
from app.models import Clause, Comment, CommentStatus, Draft, Version
from app.pages.views import Citation, ShownComments, citation
from app.services import comparison as comparison_service
from app.services import workspace as workspace_service
from app.templating import anchor

# --- comments carried across versions ----------------------------------------------------

class Placeable(Protocol):
    """What placing a comment beside a clause needs of it: a Comment, or a row of comment_refs."""

    @property
    def id(self) -> int: ...
    @property
    def version_id(self) -> int: ...
    @property
    def version_number(self) -> int: ...
    @property
    def clause_key(self) -> str | None: ...
    @property
    def status(self) -> CommentStatus: ...
    @property
    def group_id(self) -> int | None: ...  # a campaign: identical or nearly identical comments


def comment_refs(*, session: Session, draft: Draft) -> Sequence[Placeable]:
    """Every comment on ``draft`` (hidden and withdrawn ones included), oldest first, without
    its text: the draft page places thousands and shows a few (one query; plain rows, as
    building an object for each costs more than the query)."""
    return session.execute(
        select(Comment.id, Comment.version_id, Comment.version_number, Comment.clause_key,
               Comment.status, Comment.group_id)
        .where(Comment.draft_id == draft.id).order_by(Comment.created_at, Comment.id)).all()


@dataclass
class Origin:
    """The version (and clause, named in that version) a comment shown elsewhere was made on."""

    version: int
    citation: Citation


@dataclass
class RemovedClause:
    """A clause of an earlier version that the shown one no longer has, with its comments."""

    version: int
    key: str
    anchor: str
    citation: Citation
    quoted: list[Clause]  # the clause and everything under it, in its own version
    comments: list[Placeable] = field(default_factory=list)


@dataclass
class CommentPlacement:
    by_key: dict[str | None, list[Placeable]]  # by key in the shown version; None: whole draft
    origins: dict[int, Origin]  # comment id -> where it was made, when not on the shown version
    removed: list[RemovedClause]
    later: int  # comments made on later versions, shown with those


def place_comments(*, session: Session, draft: Draft, comments: Sequence[Placeable],
                   version: comparison_service.VersionInfo | Version,
                   versions: Sequence[comparison_service.VersionInfo]) -> CommentPlacement:
    """Put every comment made up to ``version`` beside the matching clause of ``version``.

    Comments on earlier versions follow their clause through the diff engine's key maps; those
    whose clause was removed on the way are set apart with the old text.  Besides the cached
    comparisons, this costs one query (the old clauses that name the carried comments).
    """
    shown = version.number
    placed = [c for c in comments if c.version_number <= shown]
    carried = [c for c in placed if c.version_number != shown]
    maps = {n: comparison_service.carry_keys(session=session, draft=draft, from_version=n,
                                             to_version=shown, versions=versions)
            for n in sorted({c.version_number for c in carried if c.clause_key})}
    old_keys = [c.clause_key for c in carried if c.clause_key]
    index = workspace_service.clause_index(
        session=session, version_ids=[c.version_id for c in carried],
        keys=old_keys) if old_keys else None
    by_key: dict[str | None, list[Placeable]] = {}
    origins: dict[int, Origin] = {}
    removed: dict[tuple[int, str], RemovedClause] = {}
    for comment in placed:
        key = comment.clause_key
        if comment.version_number != shown:
            context = index.context(comment.version_id, key) if index and key else None
            origins[comment.id] = Origin(version=comment.version_number,
                                         citation=citation(context.path) if context else [])
            if key is not None:
                new_key = maps[comment.version_number].get(key)
                if new_key is None:
                    group = removed.get((comment.version_number, key))
                    if group is None:
                        group = removed[(comment.version_number, key)] = RemovedClause(
                            version=comment.version_number, key=key,
                            anchor=f"v{comment.version_number}-{anchor(key)}",
                            citation=origins[comment.id].citation,
                            quoted=context.quoted if context else [])
                    group.comments.append(comment)
                    continue
                key = new_key
        by_key.setdefault(key, []).append(comment)
    return CommentPlacement(
        by_key=by_key, origins=origins,
        removed=sorted(removed.values(), key=lambda g: (
            g.version, g.quoted[0].position if g.quoted else 0, g.key)),
        later=published_count([c for c in comments if c.version_number > shown]))


def published_count(comments: Iterable["Placeable"]) -> int:
    return sum(1 for c in comments if c.status is CommentStatus.PUBLISHED)


# --- how many comments a page shows ------------------------------------------------------

# The draft page shows the latest few comments beside each clause and links to the clause's
# list of every comment (paginated): the page then grows with the text, not with the comments.
# A campaign (comments of one group) counts as one, shown by its first comment with the number
# of the others, which are on the list.
SHOWN_PER_CLAUSE = 3
SHOWN_ON_DRAFT = 10  # comments on the draft as a whole
LISTED_PER_PAGE = 50  # on the list of one clause's comments


def load_comments(*, session: Session, ids: Iterable[int]) -> dict[int, Comment]:
    """The comments with these ids, with their authors and answers, by id, in one query
    whatever their number (a long draft's page shows 1,500)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(
        select(Comment).where(among(Comment.id, "ids"))
        .options(joinedload(Comment.author, innerjoin=True), joinedload(Comment.response)),
        {"ids": json_list(wanted)})}


@dataclass
class ShownPlacement:
    """A placement with the latest few comments of each place loaded whole."""

    by_key: dict[str | None, ShownComments]
    removed: list[tuple[RemovedClause, ShownComments]]

    @property
    def comments(self) -> list[Comment]:
        """Every comment shown on the page."""
        return [c for shown in (*self.by_key.values(), *(s for _, s in self.removed))
                for c in shown.comments]


@dataclass
class _Item:
    """A comment, or a campaign standing for its comments in that place."""

    lead: Placeable
    size: int = 1


def _latest_items(refs: Sequence[Placeable], limit: int) -> list[_Item]:
    if not limit:
        return []
    if all(ref.group_id is None for ref in refs):
        # No campaign here: each comment is an item, in order, so the latest are the last
        # (a clause of a 100,000-comment draft: no object made for each of its comments).
        return [_Item(lead=ref) for ref in refs[-limit:]]
    items: list[_Item] = []
    by_group: dict[int, _Item] = {}
    for ref in refs:
        group_id = ref.group_id
        item = by_group.get(group_id) if group_id is not None else None
        if item is None:
            item = _Item(lead=ref)
            items.append(item)
            if group_id is not None:
                by_group[group_id] = item
            continue
        item.size += 1
        # A campaign is shown by its first published comment (as comment_details leads it).
        if (item.lead.status is not CommentStatus.PUBLISHED
                and ref.status is CommentStatus.PUBLISHED):
            item.lead = ref
    return items[-limit:]


def shown_comments(*, session: Session, placement: CommentPlacement,
                   per_clause: int = SHOWN_PER_CLAUSE,
                   on_draft: int = SHOWN_ON_DRAFT) -> ShownPlacement:
    """The latest ``per_clause`` comments or campaigns of each clause (``on_draft`` on the
    draft as a whole), loaded whole in one query; the others are only counted."""
    chosen = {key: _latest_items(refs, on_draft if key is None else per_clause)
              for key, refs in placement.by_key.items()}
    chosen_removed = [_latest_items(group.comments, per_clause) for group in placement.removed]
    loaded = load_comments(session=session, ids=[
        item.lead.id for items in (*chosen.values(), *chosen_removed) for item in items])

    def shown(refs: Sequence[Placeable], items: list[_Item]) -> ShownComments:
        return ShownComments(
            comments=[loaded[item.lead.id] for item in items if item.lead.id in loaded],
            total=len(refs), published=published_count(refs),
            campaigns={item.lead.id: item.size - 1 for item in items if item.size > 1})

    return ShownPlacement(
        by_key={key: shown(placement.by_key[key], items) for key, items in chosen.items()},
        removed=[(group, shown(group.comments, items))
                 for group, items in zip(placement.removed, chosen_removed, strict=True)])
