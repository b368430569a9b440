"""Citizens' comments: submission while the period is open, receipts, reading, moderation."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.errors import (
    ClauseNotFound, ClauseNotOpen, CommentNotFound, ConsultationClosed, Forbidden, InvalidInput,
)
from app.models import (
    Comment, CommentStatus, Draft, DraftOutcome, FeedbackSummary, Role, User, Version,
)
from app.services import audit as audit_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service

MAX_BODY_CHARS = 20_000
MAX_ON_BEHALF_CHARS = 300
# Crockford's base32 without the letters people confuse (I, L, O, U): receipts are read aloud.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_receipt() -> str:
    """A human-readable, unguessable receipt number such as ``TK-26-7KQ2-M9XD``."""
    year = clock.now().strftime("%y")
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"TK-{year}-{chars[:4]}-{chars[4:]}"


def _clean(value: str | None, limit: int, message: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(message, n=limit)
    return value or None


def submit_comment(
    *,
    session: Session,
    author: User,
    draft: Draft,
    body: str,
    clause_key: str | None = None,
    proposed_wording: str | None = None,
    on_behalf_of: str | None = None,
) -> Comment:
    """Accept a comment on the draft or one clause while the period is open; give a receipt."""
    if author.role is not Role.CITIZEN:
        raise Forbidden("Only citizens' accounts can comment; officials answer comments.")
    body_text = _clean(body, MAX_BODY_CHARS, "The comment is too long ({n} characters at most).")
    if body_text is None:
        raise InvalidInput("The comment is empty.")
    wording = _clean(proposed_wording, MAX_BODY_CHARS,
                     "The proposed wording is too long ({n} characters at most).")
    behalf = _clean(on_behalf_of, MAX_ON_BEHALF_CHARS,
                    "The organisation name is too long ({n} characters at most).")
    consultation = consultations_service.latest(session=session, draft=draft)
    if (consultation is None or draft.outcome is not DraftOutcome.PENDING
            or not consultation.is_open(clock.now())):
        raise ConsultationClosed()
    clause_key = (clause_key or "").strip() or None
    clause = None
    if clause_key is not None:
        clause = drafts_service.get_clause(session=session, version_id=consultation.version_id,
                                           key=clause_key)
        if clause is None:
            raise ClauseNotFound(key=clause_key)
        if not consultation.covers(clause_key):
            raise ClauseNotOpen()
    version_number = session.scalar(
        select(Version.number).where(Version.id == consultation.version_id))
    comment = _insert_with_receipt(session=session, fields=dict(
        draft_id=draft.id, consultation_id=consultation.id, version_id=consultation.version_id,
        version_number=version_number, clause_id=clause.id if clause else None,
        clause_key=clause_key, author_id=author.id, body=body_text, proposed_wording=wording,
        on_behalf_of=behalf, status=CommentStatus.PUBLISHED))
    audit_service.record(
        session=session, actor=author, action="comment.submitted", entity_type="comment",
        entity_id=comment.id,
        after={"draft_id": draft.id, "receipt": comment.receipt, "clause_key": clause_key,
               "body": body_text, "proposed_wording": wording, "on_behalf_of": behalf},
    )
    return comment


def _insert_with_receipt(*, session: Session, fields: dict[str, object]) -> Comment:
    # A clash of two random 40-bit receipts is rare but must never surface as an error.
    for _attempt in range(5):
        comment = Comment(receipt=new_receipt(), created_at=clock.now(), **fields)
        try:
            with session.begin_nested():
                session.add(comment)
                session.flush()
            return comment
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique receipt")


def get_comment(*, session: Session, comment_id: int) -> Comment:
    """The comment with its author and answer loaded, or CommentNotFound."""
    comment = session.scalar(select(Comment).where(Comment.id == comment_id).options(
        selectinload(Comment.author), selectinload(Comment.response)))
    if comment is None:
        raise CommentNotFound()
    return comment


def list_comments(*, session: Session, draft: Draft,
                  clause_key: str | None = None) -> list[Comment]:
    """Every comment on ``draft`` (hidden and withdrawn ones included), oldest first."""
    query = (select(Comment).where(Comment.draft_id == draft.id)
             .options(selectinload(Comment.author), selectinload(Comment.response))
             .order_by(Comment.created_at, Comment.id))
    if clause_key:
        query = query.where(Comment.clause_key == clause_key)
    return list(session.scalars(query))


def hide_comment(*, session: Session, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment from public view with a public reason; the record stays."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Please give the reason for hiding the comment.")
    if len(reason) > 2000:
        raise InvalidInput("The reason is too long.")
    before = audit_service.snapshot(comment, "status", "hidden_reason")
    comment.status = CommentStatus.HIDDEN
    comment.hidden_reason = reason
    session.flush()
    audit_service.record(session=session, actor=actor, action="comment.hidden",
                         entity_type="comment", entity_id=comment.id, before=before,
                         after=audit_service.snapshot(comment, "status", "hidden_reason"))
    return comment


# --- who sees what -------------------------------------------------------------------------

def is_body_staff(user: User | None, draft: Draft) -> bool:
    """Drafters and moderators of the draft's own state body."""
    return (user is not None and user.role in (Role.DRAFTER, Role.MODERATOR)
            and user.organization_id == draft.organization_id)


def sees_private_answers(user: User | None, draft: Draft) -> bool:
    """Answers are the body's working drafts until the summary is published (issue 5)."""
    return is_body_staff(user, draft) or (user is not None
                                          and user.role in (Role.MONITOR, Role.ADMIN))


@dataclass
class Visibility:
    published_rounds: set[int]
    privileged: bool

    def answer_visible(self, comment: Comment) -> bool:
        return self.privileged or comment.consultation_id in self.published_rounds


def visibility(*, session: Session, viewer: User | None, draft: Draft) -> Visibility:
    """What ``viewer`` may see of the answers on ``draft``."""
    rounds = set(session.scalars(select(FeedbackSummary.consultation_id).where(
        FeedbackSummary.draft_id == draft.id)))
    return Visibility(published_rounds=rounds, privileged=sees_private_answers(viewer, draft))


def counts_by_clause(comments: Sequence[Comment]) -> dict[str | None, int]:
    """Visible (published) comments per clause key (None: the draft as a whole)."""
    counts: dict[str | None, int] = {}
    for comment in comments:
        if comment.status is CommentStatus.PUBLISHED:
            counts[comment.clause_key] = counts.get(comment.clause_key, 0) + 1
    return counts
