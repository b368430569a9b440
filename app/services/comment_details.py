"""What is shown around comments besides their own fields: supporters, the viewer's support
and flags, attachments, campaign groups, and the proposed wording as a redline against the
clause.  Loaded for a whole list at once, in a fixed number of queries."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    Clause, Comment, CommentAttachment, CommentFlag, CommentStatus, CommentSupport, Consultation,
    Draft, User,
)
from app.services import attachments as attachments_service
from app.services import comments as comments_service
from app.services import grouping as grouping_service
from app.services import workspace as workspace_service
from app.services.diffing import diff_text

Op = tuple[int, str]


@dataclass(frozen=True)
class GroupInfo:
    id: int
    size: int
    representative_id: int


@dataclass
class CommentDetails:
    supporters: dict[int, int] = field(default_factory=dict)
    supported: set[int] = field(default_factory=set)  # by the viewer
    flagged: set[int] = field(default_factory=set)  # by the viewer, still open
    attachments: dict[int, list[CommentAttachment]] = field(default_factory=dict)
    groups: dict[int, GroupInfo] = field(default_factory=dict)
    redlines: dict[int, list[Op]] = field(default_factory=dict)
    open_rounds: set[int] = field(default_factory=set)  # consultations open for support now
    # group id -> the group's comments among those loaded, in their order
    members: dict[int, list[Comment]] = field(default_factory=dict)
    _leads: dict[int, int] = field(default_factory=dict)

    def group(self, comment: Comment) -> GroupInfo | None:
        return self.groups.get(comment.group_id) if comment.group_id else None

    def shown_for_group(self, comment: Comment) -> bool:
        """Whether the comment stands for its group in a list (the others fold under it)."""
        return comment.group_id is not None and self._leads.get(comment.group_id) == comment.id

    def folded(self, comment: Comment) -> bool:
        """Whether the comment is shown under another member of its group, not on its own."""
        return (comment.group_id is not None and comment.group_id in self._leads
                and self._leads[comment.group_id] != comment.id)

    def others(self, comment: Comment) -> list[Comment]:
        return [c for c in self.members.get(comment.group_id or 0, []) if c.id != comment.id]


@lru_cache(maxsize=8192)
def _diff(old: str, new: str) -> tuple[Op, ...]:
    # Comments and clauses never change, so their redline is worked out once per process.
    return tuple(diff_text(old, new))


def redline_against(quoted: Sequence[Clause], wording: str) -> list[Op] | None:
    """The proposed wording against the clause's text (with everything under it), in the
    language the wording is written in (the one sharing most words with it)."""
    words = set(wording.casefold().split())
    best: tuple[int, str] | None = None
    for code in ("ru", "ky"):
        old = "\n".join(text for c in quoted if (text := getattr(c, f"text_{code}")))
        if not old:
            continue
        overlap = len(words & set(old.casefold().split()))
        if best is None or overlap > best[0]:
            best = (overlap, old)
    return list(_diff(best[1], wording)) if best else None


def _scope(comments: Sequence[Comment], draft_id: int | None,
           column: ColumnElement[int]) -> ColumnElement[bool]:
    # For a whole draft, a join on the draft beats an IN list of thousands of ids.
    if draft_id is not None:
        return column.in_(select(Comment.id).where(Comment.draft_id == draft_id))
    return column.in_(sorted({c.id for c in comments}))


def load(*, session: Session, comments: Sequence[Comment], viewer: User | None = None,
         draft_id: int | None = None, redlines: bool = True) -> CommentDetails:
    """The details of ``comments`` (all of one draft when ``draft_id`` is given)."""
    details = CommentDetails()
    if not comments:
        return details
    details.supporters = dict(session.execute(
        select(CommentSupport.comment_id, func.count())
        .where(_scope(comments, draft_id, CommentSupport.comment_id))
        .group_by(CommentSupport.comment_id)).tuples().all())
    if viewer is not None:
        details.supported = set(session.scalars(select(CommentSupport.comment_id).where(
            CommentSupport.user_id == viewer.id,
            _scope(comments, draft_id, CommentSupport.comment_id))))
        details.flagged = set(session.scalars(select(CommentFlag.comment_id).where(
            CommentFlag.user_id == viewer.id, CommentFlag.resolved_at.is_(None),
            _scope(comments, draft_id, CommentFlag.comment_id))))
    for row in session.scalars(select(CommentAttachment).where(
            _scope(comments, draft_id, CommentAttachment.comment_id))
            .order_by(CommentAttachment.id)):
        details.attachments.setdefault(row.comment_id, []).append(row)
    sizes = grouping_service.group_sizes(
        session=session, group_ids=[c.group_id for c in comments if c.group_id])
    details.groups = {gid: GroupInfo(id=gid, size=size, representative_id=rep)
                      for gid, (size, rep) in sizes.items()}
    for comment in comments:
        if comment.group_id is not None:
            details.members.setdefault(comment.group_id, []).append(comment)
    for group_id, members in details.members.items():
        if len(members) > 1:
            lead = next((c for c in members if c.status is CommentStatus.PUBLISHED), members[0])
            details._leads[group_id] = lead.id
    details.open_rounds = _open_rounds(session, {c.consultation_id for c in comments})
    if redlines:
        details.redlines = _redlines(session, comments)
    return details


def _open_rounds(session: Session, ids: set[int]) -> set[int]:
    now = clock.now()
    rows = session.execute(select(Consultation, Draft.outcome)
                           .join(Draft, Draft.id == Consultation.draft_id)
                           .where(Consultation.id.in_(sorted(ids)))).tuples()
    return {c.id for c, outcome in rows if comments_service.accepts_comments(c, outcome, now)}


def _redlines(session: Session, comments: Sequence[Comment]) -> dict[int, list[Op]]:
    wanted = [c for c in comments if c.proposed_wording and c.clause_key
              and c.status is not CommentStatus.HIDDEN]
    if not wanted:
        return {}
    index = workspace_service.clause_index(session=session,
                                           version_ids=[c.version_id for c in wanted],
                                           keys=[c.clause_key for c in wanted if c.clause_key])
    found = {}
    for comment in wanted:
        context = index.context(comment.version_id, comment.clause_key)
        if context is not None and comment.proposed_wording:
            ops = redline_against(context.quoted, comment.proposed_wording)
            if ops is not None:
                found[comment.id] = ops
    return found


def attachments_of(*, session: Session, comment: Comment) -> list[CommentAttachment]:
    return attachments_service.by_comment(session=session, comment_ids=[comment.id]).get(
        comment.id, [])
