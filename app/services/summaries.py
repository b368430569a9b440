"""The feedback summary: published once every comment of the round is answered, then frozen;
a correction is a new revision, linked to the one it corrects, with its reason."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.db import page_count
from app.errors import (
    Conflict, ConsultationOpen, InvalidInput, NoConsultation, SummaryNotPublished,
    SummaryPublished, UnansweredComments,
)
from app.models import (
    Comment, CommentStatus, Decision, Draft, DraftStatus, FeedbackSummary, Response,
    SummaryEntry, User,
)
from app.services import audit as audit_service
from app.services import comparison as comparison_service
from app.services import consultations as consultations_service
from app.services import notifications as notifications_service
from app.services.responses import clean_reasoning
from app.services.workspace import DueDraft
from app.templating import anchor

MAX_REASON_CHARS = 5_000


class SummaryChangedMeanwhile(Conflict):
    code = "summary_changed"
    message = "The summary was corrected by someone else at the same time. Please reload it."


class RevisionNotFound(SummaryNotPublished):
    code = "revision_not_found"
    message = "The feedback summary has no such revision."


def _round_comments(session: Session, consultation_id: int) -> list[Comment]:
    return list(session.scalars(
        select(Comment).where(Comment.consultation_id == consultation_id,
                              Comment.status == CommentStatus.PUBLISHED)
        .options(selectinload(Comment.response)).order_by(Comment.created_at, Comment.id)))


def _insert_revision(session: Session, summary: FeedbackSummary,
                     answers: list[tuple[int, Decision, str]]) -> None:
    try:
        # The unique (round, revision) pair settles a race between two publishers.
        with session.begin_nested():
            session.add(summary)
            session.flush()
    except IntegrityError:
        if summary.revision == 1:
            raise SummaryPublished() from None
        raise SummaryChangedMeanwhile() from None
    session.add_all(SummaryEntry(summary_id=summary.id, comment_id=comment_id,
                                 decision=decision, reasoning=reasoning)
                    for comment_id, decision, reasoning in answers)
    session.flush()


def publish_summary(*, session: Session, actor: User, draft: Draft) -> FeedbackSummary:
    """Publish the summary of the latest round; its answers become public together."""
    consultation = consultations_service.latest(session=session, draft=draft)
    if consultation is None:
        raise NoConsultation()
    if clock.now() < consultation.closes_at:
        raise ConsultationOpen()
    if session.scalar(select(FeedbackSummary.id).where(
            FeedbackSummary.consultation_id == consultation.id)) is not None:
        raise SummaryPublished()
    comments = _round_comments(session, consultation.id)
    unanswered = sorted(c.id for c in comments if c.response is None)
    if unanswered:
        raise UnansweredComments(count=len(unanswered), extra={"comment_ids": unanswered})
    summary = FeedbackSummary(draft_id=draft.id, consultation_id=consultation.id, revision=1,
                              published_at=clock.now(), published_by_id=actor.id)
    _insert_revision(session, summary, [(c.id, c.response.decision, c.response.reasoning)
                                        for c in comments if c.response is not None])
    notifications_service.summary_published(session=session, draft=draft, summary=summary)
    audit_service.record(session=session, actor=actor, action="summary.published",
                         entity_type="draft", entity_id=draft.id,
                         after={"consultation_round": consultation.round,
                                "published_at": summary.published_at})
    return summary


@dataclass(frozen=True)
class AnswerChange:
    """A corrected answer: the comment and its new decision and reasoning."""

    comment_id: int
    decision: Decision
    reasoning: str


def latest_summary(*, session: Session, draft: Draft) -> FeedbackSummary | None:
    """The newest revision of the newest published summary of ``draft``."""
    return session.scalar(
        select(FeedbackSummary).where(FeedbackSummary.draft_id == draft.id)
        .order_by(FeedbackSummary.published_at.desc(), FeedbackSummary.id.desc()).limit(1))


def correct_summary(*, session: Session, actor: User, draft: Draft, reason: str,
                    changes: list[AnswerChange]) -> FeedbackSummary:
    """Publish a corrected revision of the summary: the earlier ones stay as published; the
    authors are told why and what changed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A correction needs its reason.")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput("The reason is too long ({n} characters at most).",
                           n=MAX_REASON_CHARS)
    previous = latest_summary(session=session, draft=draft)
    if previous is None:
        raise SummaryNotPublished()
    entries = {e.comment_id: e for e in session.scalars(
        select(SummaryEntry).where(SummaryEntry.summary_id == previous.id))}
    by_comment: dict[int, AnswerChange] = {}
    for change in changes:
        if change.comment_id not in entries:
            raise InvalidInput("Comment {id} is not in this summary.", id=change.comment_id)
        by_comment[change.comment_id] = AnswerChange(change.comment_id, change.decision,
                                                     clean_reasoning(change.reasoning))
    summary = FeedbackSummary(draft_id=draft.id, consultation_id=previous.consultation_id,
                              revision=previous.revision + 1, corrects_id=previous.id,
                              correction_reason=reason, published_at=clock.now(),
                              published_by_id=actor.id)
    answers = []
    for comment_id, entry in entries.items():
        change = by_comment.get(comment_id)
        answers.append((comment_id, change.decision if change else entry.decision,
                        change.reasoning if change else entry.reasoning))
    _insert_revision(session, summary, answers)
    # The comment pages show the answer in force: the corrected one.
    responses = session.scalars(select(Response).where(Response.comment_id.in_(by_comment)))
    for response in responses:
        change = by_comment[response.comment_id]
        response.decision, response.reasoning = change.decision, change.reasoning
        response.responder_id, response.updated_at = actor.id, summary.published_at
    session.flush()
    notifications_service.summary_corrected(session=session, draft=draft, summary=summary,
                                            changed=set(by_comment))
    audit_service.record(
        session=session, actor=actor, action="summary.corrected", entity_type="draft",
        entity_id=draft.id,
        after={"revision": summary.revision, "corrects_revision": previous.revision,
               "reason": reason,
               "changes": [{"comment_id": c.comment_id, "decision": c.decision.value,
                            "reasoning": c.reasoning} for c in by_comment.values()]})
    return summary


# --- reading a summary -------------------------------------------------------------------

SUMMARY_PAGE_SIZE = 100  # comments a page of the summary page shows


@dataclass
class SummaryRow:
    """A comment of the summary with the decision and reasoning of the revision shown."""

    comment: Comment
    decision: Decision
    reasoning: str
    changed: bool = False  # by this revision, compared with the one it corrects


@dataclass
class SummaryView:
    summary: FeedbackSummary
    rows: list[SummaryRow]
    hidden: int
    revisions: list[FeedbackSummary] = field(default_factory=list)  # oldest first
    by_decision: dict[str, int] = field(default_factory=dict)
    by_clause: dict[str, int] = field(default_factory=dict)
    page: int | None = None
    per_page: int = 0

    @property
    def total(self) -> int:
        """Comments of the whole summary (``rows`` may be one page of them)."""
        return sum(self.by_decision.values())

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page) if self.per_page else 1

    @property
    def comments(self) -> list[Comment]:
        return [row.comment for row in self.rows]

    @property
    def is_latest(self) -> bool:
        return self.summary.id == self.revisions[-1].id


def find_revision(*, session: Session, draft: Draft, revision: int | None = None
                  ) -> tuple[FeedbackSummary, list[FeedbackSummary]]:
    """The revision asked for (the newest unless ``revision``) and every revision of its
    round, oldest first; SummaryNotPublished or RevisionNotFound."""
    latest = latest_summary(session=session, draft=draft)
    if latest is None:
        raise SummaryNotPublished()
    revisions = list(session.scalars(
        select(FeedbackSummary).where(FeedbackSummary.consultation_id == latest.consultation_id)
        .order_by(FeedbackSummary.revision)))
    summary = latest if revision is None else next(
        (s for s in revisions if s.revision == revision), None)
    if summary is None:
        raise RevisionNotFound()
    return summary, revisions


def answered_in(summary: FeedbackSummary) -> tuple[ColumnElement[bool], ...]:
    """The conditions on Comment joined with SummaryEntry that select the comments ``summary``
    answers: its entries' comments that are still published.  The draft's id is implied by the
    entries, but said: PostgreSQL then reads the comments through (draft_id, created_at)
    instead of scanning the whole table (scale_bench: 100,000 answered of 1 M comments)."""
    return (SummaryEntry.summary_id == summary.id, Comment.draft_id == summary.draft_id,
            Comment.status == CommentStatus.PUBLISHED)


def get_summary(*, session: Session, draft: Draft, revision: int | None = None,
                page: int | None = None, per_page: int = SUMMARY_PAGE_SIZE) -> SummaryView:
    """A published summary of ``draft`` (the newest revision unless asked for another) with
    every comment, decision and reasoning as that revision published them; with ``page``,
    only that page's comments (``per_page`` a page; past the end, the last page), the counts
    still of the whole summary."""
    summary, revisions = find_revision(session=session, draft=draft, revision=revision)
    in_summary = answered_in(summary)
    hidden = session.scalar(select(func.count()).select_from(Comment).where(
        Comment.consultation_id == summary.consultation_id,
        Comment.status == CommentStatus.HIDDEN)) or 0
    view = SummaryView(summary=summary, hidden=hidden, revisions=revisions, rows=[],
                       by_decision={d.value: 0 for d in Decision})
    query = (select(Comment, SummaryEntry).join(SummaryEntry, SummaryEntry.comment_id == Comment.id)
             .where(*in_summary).options(selectinload(Comment.author))
             .order_by(Comment.created_at, Comment.id))
    if page is not None:
        # Counted by the database: a page of 100 must not load 100,000 comments to count them.
        for decision, count in session.execute(
                select(SummaryEntry.decision, func.count()).join(
                    Comment, SummaryEntry.comment_id == Comment.id).where(*in_summary)
                .group_by(SummaryEntry.decision)):
            view.by_decision[decision.value] = count
        counted = select(Comment.id).join(SummaryEntry, SummaryEntry.comment_id == Comment.id
                                          ).where(*in_summary)
        view.by_clause = {key or "": count for key, count in session.execute(
            select(Comment.clause_key, func.count()).where(Comment.id.in_(counted))
            .group_by(Comment.clause_key).order_by(func.min(Comment.created_at),
                                                    func.min(Comment.id)))}
        view.per_page = per_page
        view.page = min(page, view.pages)  # past the end: the last page
        query = query.offset((view.page - 1) * per_page).limit(per_page)
    rows = session.execute(query).all()
    earlier: dict[int, tuple[Decision, str]] = {}
    if summary.corrects_id is not None:
        corrected = select(SummaryEntry).where(SummaryEntry.summary_id == summary.corrects_id)
        if page is not None:
            corrected = corrected.where(SummaryEntry.comment_id.in_([c.id for c, _e in rows]))
        earlier = {e.comment_id: (e.decision, e.reasoning) for e in session.scalars(corrected)}
    view.rows = [SummaryRow(comment=c, decision=e.decision, reasoning=e.reasoning,
                            changed=c.id in earlier and earlier[c.id] != (e.decision, e.reasoning))
                 for c, e in rows]
    if page is None:
        for row in view.rows:
            view.by_decision[row.decision.value] += 1
            key = row.comment.clause_key or ""
            view.by_clause[key] = view.by_clause.get(key, 0) + 1
    return view


# --- what is due -------------------------------------------------------------------------

DUE_WITHIN_DAYS = 7


@dataclass
class DueWork:
    """What a body's drafters must do soon: periods closing, summaries due, summaries late."""

    within_days: int
    closing: list[DueDraft]
    summaries_due: list[DueDraft]
    overdue: list[DueDraft]

    @property
    def empty(self) -> bool:
        return not (self.closing or self.summaries_due or self.overdue)


def what_is_due(*, items: list[DueDraft], within_days: int = DUE_WITHIN_DAYS) -> DueWork:
    """Split the body's drafts (from ``workspace.body_drafts``, which applies the policy table
    and the one clock) into what closes or falls due within ``within_days``, and what is late."""
    now = clock.now()
    horizon: date = clock.local(now).date() + timedelta(days=within_days)
    closing = [i for i in items if i.status is DraftStatus.UNDER_CONSULTATION
               and i.closes_at is not None and i.closes_at <= now + timedelta(days=within_days)]
    due = [i for i in items if i.summary_due_on is not None and not i.overdue
           and i.summary_due_on <= horizon]
    return DueWork(within_days=within_days, closing=closing, summaries_due=due,
                   overdue=[i for i in items if i.overdue])


# --- where an accepted comment led -------------------------------------------------------

ACCEPTING = (Decision.ACCEPTED, Decision.PARTIALLY_ACCEPTED)


def change_links(*, session: Session, draft: Draft, rows: list[SummaryRow]) -> dict[int, str]:
    """comment id -> the place in the diff of the version after the comment's version where
    its clause now stands, for comments accepted (fully or partly) once that version exists."""
    versions = comparison_service.list_versions(session=session, draft=draft)
    numbers = {v.number for v in versions}
    links: dict[int, str] = {}
    carried: dict[int, dict[str, str]] = {}
    for row in rows:
        comment = row.comment
        following = comment.version_number + 1
        if row.decision not in ACCEPTING or following not in numbers:
            continue
        url = f"/drafts/{draft.id}/diff?from={comment.version_number}&to={following}"
        if comment.clause_key:
            if comment.version_number not in carried:
                carried[comment.version_number] = comparison_service.carry_keys(
                    session=session, draft=draft, from_version=comment.version_number,
                    to_version=following, versions=versions)
            new_key = carried[comment.version_number].get(comment.clause_key)
            url += "#" + (anchor(new_key) if new_key else "removed-" + anchor(comment.clause_key))
        links[comment.id] = url
    return links
