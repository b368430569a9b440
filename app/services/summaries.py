"""The feedback summary: published once every comment of the round is answered, then frozen."""

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.errors import (
    ConsultationOpen, NoConsultation, SummaryNotPublished, SummaryPublished, UnansweredComments,
)
from app.models import Comment, CommentStatus, Decision, Draft, FeedbackSummary, User
from app.services import audit as audit_service
from app.services import consultations as consultations_service
from app.services import notifications as notifications_service


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
    unanswered = list(session.scalars(
        select(Comment.id).where(Comment.consultation_id == consultation.id,
                                 Comment.status == CommentStatus.PUBLISHED,
                                 ~Comment.response.has())
        .order_by(Comment.id)))
    if unanswered:
        raise UnansweredComments(count=len(unanswered), extra={"comment_ids": unanswered})
    summary = FeedbackSummary(draft_id=draft.id, consultation_id=consultation.id, revision=1,
                              published_at=clock.now(), published_by_id=actor.id)
    try:
        # The unique (round, revision) pair settles a race between two publishers.
        with session.begin_nested():
            session.add(summary)
            session.flush()
    except IntegrityError:
        raise SummaryPublished() from None
    notifications_service.summary_published(session=session, draft=draft, summary=summary)
    audit_service.record(session=session, actor=actor, action="summary.published",
                         entity_type="draft", entity_id=draft.id,
                         after={"consultation_round": consultation.round,
                                "published_at": summary.published_at})
    return summary


@dataclass
class SummaryView:
    summary: FeedbackSummary
    comments: list[Comment]
    hidden: int
    by_decision: dict[str, int] = field(default_factory=dict)
    by_clause: dict[str, int] = field(default_factory=dict)


def get_summary(*, session: Session, draft: Draft) -> SummaryView:
    """The latest published summary of ``draft`` with its answered comments."""
    summary = session.scalar(
        select(FeedbackSummary).where(FeedbackSummary.draft_id == draft.id)
        .order_by(FeedbackSummary.published_at.desc(), FeedbackSummary.id.desc()).limit(1))
    if summary is None:
        raise SummaryNotPublished()
    comments = list(session.scalars(
        select(Comment).where(Comment.consultation_id == summary.consultation_id)
        .options(selectinload(Comment.response), selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)))
    answered = [c for c in comments if c.status is CommentStatus.PUBLISHED and c.response]
    view = SummaryView(summary=summary, comments=answered,
                       hidden=sum(c.status is CommentStatus.HIDDEN for c in comments))
    view.by_decision = {d.value: 0 for d in Decision}
    for comment in answered:
        assert comment.response is not None
        view.by_decision[comment.response.decision.value] += 1
        key = comment.clause_key or ""
        view.by_clause[key] = view.by_clause.get(key, 0) + 1
    return view


CSV_COLUMNS = ("no", "receipt", "clause_key", "version", "author", "on_behalf_of", "body",
               "proposed_wording", "decision", "reasoning", "submitted_at")


def summary_csv(view: SummaryView) -> str:
    """The summary as CSV, UTF-8 with a BOM so that Excel reads Cyrillic correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for number, comment in enumerate(view.comments, start=1):
        assert comment.response is not None
        writer.writerow([
            number, comment.receipt, comment.clause_key or "", comment.version_number,
            comment.author.name, comment.on_behalf_of or "", comment.body,
            comment.proposed_wording or "", comment.response.decision.value,
            comment.response.reasoning, comment.created_at.isoformat(),
        ])
    return buffer.getvalue()
