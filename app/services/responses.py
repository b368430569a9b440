"""The drafting body's answers: one comment, or a whole group of identical ones at once, and
the queue of comments to answer with its filters."""

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.errors import CommentNotAnswerable, InvalidInput, NotFound, SummaryPublished
from app.models import (
    Comment, CommentGroup, CommentStatus, Consultation, Decision, Draft, FeedbackSummary,
    Response, User,
)
from app.services import audit as audit_service
from app.services import comment_details as details_service
from app.services import workspace as workspace_service
from app.services.workspace import QueueItem

MAX_REASONING_CHARS = 20_000


class GroupNotFound(NotFound):
    code = "group_not_found"
    message = "There is no such group of comments."


def clean_reasoning(reasoning: str | None) -> str:
    """The reasoning, trimmed; every decision needs one, of a sane length."""
    reasoning = (reasoning or "").strip()
    if not reasoning:
        raise InvalidInput("Every decision needs its reasoning.")
    if len(reasoning) > MAX_REASONING_CHARS:
        raise InvalidInput("The reasoning is too long ({n} characters at most).",
                           n=MAX_REASONING_CHARS)
    return reasoning


def _refuse_if_published(session: Session, consultation_id: int) -> None:
    if session.scalar(select(exists().where(
            FeedbackSummary.consultation_id == consultation_id))):
        raise SummaryPublished()


def _write(session: Session, actor: User, comment: Comment, decision: Decision,
           reasoning: str) -> Response:
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


def answer_comment(*, session: Session, actor: User, comment: Comment, decision: Decision,
                   reasoning: str) -> Response:
    """Record (or revise, until the summary is out) the decision and reasoning on a comment."""
    reasoning = clean_reasoning(reasoning)
    if comment.status is not CommentStatus.PUBLISHED:
        raise CommentNotAnswerable()
    _refuse_if_published(session, comment.consultation_id)
    return _write(session, actor, comment, decision, reasoning)


def get_group(*, session: Session, group_id: int) -> CommentGroup:
    """A group of identical comments, or 404."""
    group = session.get(CommentGroup, group_id)
    if group is None:
        raise GroupNotFound()
    return group


def draft_of_group(*, session: Session, group: CommentGroup) -> Draft:
    """The draft whose round the group belongs to."""
    consultation = session.get(Consultation, group.consultation_id)
    assert consultation is not None
    draft = session.get(Draft, consultation.draft_id)
    assert draft is not None
    return draft


def answer_group(*, session: Session, actor: User, group: CommentGroup, decision: Decision,
                 reasoning: str) -> list[Response]:
    """Give every published comment of a group the same decision and reasoning, in one step."""
    reasoning = clean_reasoning(reasoning)
    _refuse_if_published(session, group.consultation_id)
    members = list(session.scalars(
        select(Comment).where(Comment.group_id == group.id,
                              Comment.status == CommentStatus.PUBLISHED)
        .options(selectinload(Comment.response)).order_by(Comment.id)))
    if not members:
        raise CommentNotAnswerable()
    responses = [_write(session, actor, comment, decision, reasoning) for comment in members]
    audit_service.record(session=session, actor=actor, action="group.answered",
                         entity_type="comment_group", entity_id=group.id,
                         after={"decision": decision.value, "comments": len(responses)})
    return responses


# --- the queue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilters:
    """What the drafter narrowed the queue to; every field is optional."""

    clause: str | None = None  # the clause and everything under it; "" = the draft as a whole
    decision: Decision | None = None
    unanswered: bool = False
    group_id: int | None = None

    @property
    def active(self) -> bool:
        return (self.clause is not None or self.decision is not None or self.unanswered
                or self.group_id is not None)


@dataclass
class AnswerQueue:
    items: list[QueueItem]
    # group id -> how many published comments of the draft it holds
    group_sizes: dict[int, int]
    # keys of the clauses commented on and of those above them (for the filter), sorted
    clause_keys: list[str]
    # ids of the first comment shown of each group of two or more: it carries the form that
    # answers the whole group
    group_leads: set[int]


def answer_queue(*, session: Session, draft: Draft,
                 filters: QueueFilters = QueueFilters()) -> AnswerQueue:
    """The draft's published comments to answer, oldest first, with their clauses, narrowed
    by ``filters`` in the database."""
    query = (select(Comment).where(Comment.draft_id == draft.id,
                                   Comment.status == CommentStatus.PUBLISHED)
             .options(selectinload(Comment.author), selectinload(Comment.response))
             .order_by(Comment.created_at, Comment.id))
    if filters.clause == "":
        query = query.where(Comment.clause_key.is_(None))
    elif filters.clause:
        query = query.where((Comment.clause_key == filters.clause)
                            | Comment.clause_key.like(f"{filters.clause}/%"))
    if filters.unanswered:
        query = query.where(~Comment.response.has())
    if filters.decision is not None:
        query = query.where(Comment.response.has(Response.decision == filters.decision))
    if filters.group_id is not None:
        query = query.where(Comment.group_id == filters.group_id)
    comments = list(session.scalars(query))
    published_rounds = set(session.scalars(select(FeedbackSummary.consultation_id).where(
        FeedbackSummary.draft_id == draft.id)))
    index = workspace_service.clause_index(
        session=session, version_ids=[c.version_id for c in comments],
        keys=[c.clause_key for c in comments if c.clause_key])
    items = []
    for comment in comments:
        item = QueueItem(comment=comment,
                         context=index.context(comment.version_id, comment.clause_key),
                         summary_published=comment.consultation_id in published_rounds)
        if item.context is not None and comment.proposed_wording:
            item.redline = details_service.redline_against(item.context.quoted,
                                                           comment.proposed_wording)
        items.append(item)
    sizes = dict(session.execute(
        select(Comment.group_id, func.count()).where(
            Comment.draft_id == draft.id, Comment.status == CommentStatus.PUBLISHED,
            Comment.group_id.is_not(None)).group_by(Comment.group_id)).tuples().all())
    commented = session.scalars(
        select(Comment.clause_key.distinct()).where(Comment.draft_id == draft.id,
                                                    Comment.status == CommentStatus.PUBLISHED,
                                                    Comment.clause_key.is_not(None)))
    # A clause and the clauses above it: "art-1" gathers the comments on its parts too.
    keys = sorted({prefix for key in commented if key
                   for prefix in workspace_service.key_prefixes(key)})
    leads: dict[int, int] = {}
    for comment in comments:
        if comment.group_id is not None and sizes.get(comment.group_id, 0) > 1:
            leads.setdefault(comment.group_id, comment.id)
    return AnswerQueue(items=items, group_sizes=sizes, clause_keys=keys,
                       group_leads=set(leads.values()))
