"""The drafting body's answer to each comment."""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import CommentNotAnswerable, InvalidInput, SummaryPublished
from app.models import Comment, CommentStatus, Decision, FeedbackSummary, Response, User
from app.services import audit as audit_service

MAX_REASONING_CHARS = 20_000


def answer_comment(*, session: Session, actor: User, comment: Comment, decision: Decision,
                   reasoning: str) -> Response:
    """Record (or revise, until the summary is out) the decision and reasoning on a comment."""
    reasoning = (reasoning or "").strip()
    if not reasoning:
        raise InvalidInput("Every decision needs its reasoning.")
    if len(reasoning) > MAX_REASONING_CHARS:
        raise InvalidInput("The reasoning is too long ({n} characters at most).",
                           n=MAX_REASONING_CHARS)
    if comment.status is not CommentStatus.PUBLISHED:
        raise CommentNotAnswerable()
    if session.scalar(select(exists().where(
            FeedbackSummary.consultation_id == comment.consultation_id))):
        raise SummaryPublished()
    response = comment.response
    before = audit_service.snapshot(response, "decision", "reasoning") if response else None
    now = clock.now()
    if response is None:
        response = Response(comment_id=comment.id, decision=decision, reasoning=reasoning,
                            responder_id=actor.id, created_at=now, updated_at=now)
        session.add(response)
        comment.response = response
    else:
        response.decision = decision
        response.reasoning = reasoning
        response.responder_id = actor.id
        response.updated_at = now
    session.flush()
    audit_service.record(session=session, actor=actor, action="comment.answered",
                         entity_type="comment", entity_id=comment.id, before=before,
                         after=audit_service.snapshot(response, "decision", "reasoning"))
    return response
