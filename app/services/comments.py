"""Citizens' comments: submission while the period is open, receipts, withdrawal, support,
reading, hiding.  A comment is never edited once submitted."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import TextClause, bindparam, exists, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload

from app import clock
from app.errors import (
    ClauseNotFound, ClauseNotOpen, CommentNotFound, Conflict, ConsultationClosed, EmailNotVerified,
    Forbidden, InvalidInput, SummaryPublished, TalkuuError,
)
from app.models import (
    Clause, Comment, CommentFlag, CommentStatus, CommentSupport, Consultation, Draft, DraftOutcome,
    FeedbackSummary, FlagResolution, Role, User, Version,
)
from app.services import attachments as attachments_service
from app.services import audit as audit_service
from app.services import grouping as grouping_service
from app.services import notifications as notifications_service
from app.services import workspace as workspace_service

MAX_BODY_CHARS = 20_000
MAX_ON_BEHALF_CHARS = 300
MAX_QUOTE_CHARS = 5_000
MAX_REASON_CHARS = 2_000
# Crockford's base32 without the letters people confuse (I, L, O, U): receipts are read aloud.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class QuoteNotInClause(TalkuuError):
    status_code = 422
    code = "quote_not_in_clause"
    message = ("The quoted words are not in the text of the clause; copy them exactly as they "
               "stand in the clause.")


class CommentNotWithdrawable(Conflict):
    code = "comment_not_withdrawable"
    message = "This comment was already withdrawn or hidden."


class CommentNotSupportable(Conflict):
    code = "comment_not_published"
    message = "Only a published comment can be supported."


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


def required_reason(value: str | None, missing: str) -> str:
    """A reason that must be given (``missing`` is the refusal), trimmed and not too long."""
    reason = _clean(value, MAX_REASON_CHARS, "The reason is too long ({n} characters at most).")
    if reason is None:
        raise InvalidInput(missing)
    return reason


def accepts_comments(consultation: Consultation | None, outcome: DraftOutcome | None,
                     moment: datetime) -> bool:
    """Whether a round takes comments and support at ``moment``: open, and its draft neither
    adopted nor withdrawn."""
    return (consultation is not None and outcome is DraftOutcome.PENDING
            and consultation.is_open(moment))


def require_verified_citizen(user: User, refusal: str) -> None:
    """Citizens' accounts with a confirmed email only (403 otherwise)."""
    if user.role is not Role.CITIZEN:
        raise Forbidden(refusal)
    if user.email_verified_at is None:
        raise EmailNotVerified()


def squash(text: str) -> str:
    """Whitespace collapsed, soft hyphens dropped, case folded: how quotes are compared."""
    return " ".join(text.replace("\u00ad", "").split()).casefold()


def _check_quote(session: Session, version_id: int, clause: Clause, quote: str) -> None:
    context = workspace_service.clause_index(session=session, version_ids=[version_id],
                                             keys=[clause.key]).context(version_id, clause.key)
    quoted = context.quoted if context else [clause]
    wanted = squash(quote)
    for code in ("ru", "ky"):
        text = " ".join(part for c in quoted for part in (
            getattr(c, f"label_{code}"), getattr(c, f"heading_{code}"),
            getattr(c, f"text_{code}")) if part)
        if wanted in squash(text):
            return
    raise QuoteNotInClause()


def submit_comment(
    *,
    session: Session,
    author: User,
    draft: Draft,
    body: str,
    clause_key: str | None = None,
    proposed_wording: str | None = None,
    on_behalf_of: str | None = None,
    quote: str | None = None,
    attachments: Sequence[attachments_service.Upload] = (),
) -> Comment:
    """Accept a comment on the draft or one clause while the period is open; give a receipt."""
    require_verified_citizen(author,
                             "Only citizens' accounts can comment; officials answer comments.")
    body_text = _clean(body, MAX_BODY_CHARS, "The comment is too long ({n} characters at most).")
    if body_text is None:
        raise InvalidInput("The comment is empty.")
    wording = _clean(proposed_wording, MAX_BODY_CHARS,
                     "The proposed wording is too long ({n} characters at most).")
    behalf = _clean(on_behalf_of, MAX_ON_BEHALF_CHARS,
                    "The organisation name is too long ({n} characters at most).")
    quoted = _clean(quote, MAX_QUOTE_CHARS, "The quote is too long ({n} characters at most).")
    files = attachments_service.check(attachments)
    clause_key = (clause_key or "").strip() or None
    found = session.connection().execute(_ROUND, {"draft_id": draft.id,
                                                  "clause_key": clause_key}).first()
    consultation = None if found is None else Consultation(
        id=found.id, version_id=found.version_id, opens_at=found.opens_at,
        closes_at=found.closes_at, clause_keys=found.clause_keys)
    if not accepts_comments(consultation, draft.outcome, clock.now()):
        raise ConsultationClosed()
    assert consultation is not None and found is not None
    if clause_key is not None:
        if found.clause_id is None:
            raise ClauseNotFound(key=clause_key)
        if not consultation.covers(clause_key):
            raise ClauseNotOpen()
    if quoted is not None:
        if clause_key is None:
            raise InvalidInput("A quote must come from a clause: comment on the clause whose "
                               "words you quote.")
        clause = session.get(Clause, found.clause_id)
        assert clause is not None
        _check_quote(session, consultation.version_id, clause, quoted)
        quoted = " ".join(quoted.split())
    comment = _insert_with_receipt(session=session, fields=dict(
        draft_id=draft.id, consultation_id=consultation.id, version_id=consultation.version_id,
        version_number=found.version_number, clause_id=found.clause_id,
        clause_key=clause_key, author_id=author.id, body=body_text, proposed_wording=wording,
        on_behalf_of=behalf, quote=quoted, status=CommentStatus.PUBLISHED))
    audit_service.record(
        session=session, actor=author, action="comment.submitted", entity_type="comment",
        entity_id=comment.id,
        after={"draft_id": draft.id, "receipt": comment.receipt, "clause_key": clause_key,
               "body": body_text, "proposed_wording": wording, "on_behalf_of": behalf,
               "quote": quoted, "attachments": [f.filename for f in files]},
    )
    grouping_service.assign_group(session=session, comment=comment)
    notifications_service.comment_received(session=session, comment=comment)
    # Last, so that nothing after the files are written can fail and leave them behind.
    attachments_service.store(session=session, comment=comment, uploads=files)
    return comment


# What a submission needs to know, in one round trip (issue 9: a surge is bound by the CPU
# each statement costs): the draft's latest round, its version's number, and the id of the
# commented clause in that version (NULL when there is no such clause or no key).
_ROUND = (
    select(Consultation.id, Consultation.version_id, Consultation.opens_at,
           Consultation.closes_at, Consultation.clause_keys,
           Version.number.label("version_number"),
           select(Clause.id).where(Clause.version_id == Consultation.version_id,
                                   Clause.key == bindparam("clause_key"))
           .scalar_subquery().label("clause_id"))
    .join(Version, Version.id == Consultation.version_id)
    .where(Consultation.draft_id == bindparam("draft_id"))
    .order_by(Consultation.round.desc()).limit(1)
)
# What a submission sets; every other column but the id starts empty, so the object made from
# the inserted row is given those as None and has nothing left to load.
_INSERTED = ("receipt", "draft_id", "consultation_id", "version_id", "version_number",
             "clause_id", "clause_key", "author_id", "body", "proposed_wording", "on_behalf_of",
             "quote", "status", "created_at")
_UNSET = {column.key: None for column in Comment.__table__.c
          if column.key not in (*_INSERTED, "id")}


def _insert_skipping_taken_receipt() -> TextClause:
    # SQLAlchemy compiles an ON CONFLICT insert anew for every execution (it has no cache key:
    # ~0.4 ms of CPU, more than running it), so the statement is written out once, with the
    # columns' types for their parameters.  The same text is valid on PostgreSQL and SQLite.
    table = Comment.__table__
    return text(
        f"INSERT INTO comment ({', '.join(_INSERTED)}) VALUES "
        f"({', '.join(':' + name for name in _INSERTED)}) "
        "ON CONFLICT (receipt) DO NOTHING RETURNING id"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in _INSERTED))


_INSERT = _insert_skipping_taken_receipt()


def _insert_with_receipt(*, session: Session, fields: dict[str, object]) -> Comment:
    """Insert the comment with a new receipt (ON CONFLICT DO NOTHING: a clash of two random
    40-bit receipts is rare but must never surface as an error, and needs no savepoint), and
    return it as a persistent object without reading it back."""
    connection = session.connection()
    for _attempt in range(5):
        values = {**fields, "receipt": new_receipt(), "created_at": clock.now()}
        new_id = connection.execute(_INSERT, values).scalar()
        if new_id is not None:
            comment = Comment(id=new_id, **values, **_UNSET)
            make_transient_to_detached(comment)
            session.add(comment)
            return comment
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


def _change(session: Session, actor: User, comment: Comment, action: str,
            **changes: object) -> None:
    audit_service.record(session=session, actor=actor, action=action, entity_type="comment",
                         entity_id=comment.id,
                         before=audit_service.snapshot(comment, *changes),
                         after=audit_service.snapshot(SimpleNamespace(**changes), *changes))
    for name, value in changes.items():
        setattr(comment, name, value)
    session.flush()


def hide_comment(*, session: Session, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment from public view with a public reason; the record stays.  Every open
    flag on it is resolved as hidden."""
    reason = required_reason(reason, "Please give the reason for hiding the comment.")
    _change(session, actor, comment, "comment.hidden", status=CommentStatus.HIDDEN,
            hidden_reason=reason)
    session.execute(update(CommentFlag).where(
        CommentFlag.comment_id == comment.id, CommentFlag.resolved_at.is_(None)).values(
        resolved_at=clock.now(), resolved_by_id=actor.id, resolution=FlagResolution.HIDDEN))
    return comment


def summary_published_for(*, session: Session, comment: Comment) -> bool:
    """Whether the feedback summary of the comment's round is out (the record is frozen)."""
    return bool(session.scalar(select(exists().where(
        FeedbackSummary.consultation_id == comment.consultation_id))))


def may_withdraw(*, session: Session, user: User | None, comment: Comment) -> bool:
    """Whether ``user`` can withdraw ``comment`` now (the refusals are ``withdraw_comment``'s)."""
    return (user is not None and comment.author_id == user.id
            and comment.status is CommentStatus.PUBLISHED
            and not summary_published_for(session=session, comment=comment))


def withdraw_comment(*, session: Session, actor: User, comment: Comment,
                     reason: str) -> Comment:
    """The author takes their comment back, with a public reason; the record stays."""
    if comment.author_id != actor.id:
        raise Forbidden("Only the author of a comment can withdraw it.")
    reason = required_reason(reason, "Please say why you withdraw the comment.")
    if comment.status is not CommentStatus.PUBLISHED:
        raise CommentNotWithdrawable()
    if summary_published_for(session=session, comment=comment):
        raise SummaryPublished()
    _change(session, actor, comment, "comment.withdrawn", status=CommentStatus.WITHDRAWN,
            withdrawn_reason=reason, withdrawn_at=clock.now())
    return comment


# --- support ---------------------------------------------------------------------------------

def _supportable(session: Session, user: User, comment: Comment) -> None:
    require_verified_citizen(user, "Only citizens' accounts can support comments.")
    if comment.status is not CommentStatus.PUBLISHED:
        raise CommentNotSupportable()
    consultation = session.get(Consultation, comment.consultation_id)
    draft = session.get(Draft, comment.draft_id)
    if not accepts_comments(consultation, draft.outcome if draft else None, clock.now()):
        raise ConsultationClosed()


def supporters(*, session: Session, comment: Comment) -> int:
    return session.scalar(select(func.count()).select_from(CommentSupport).where(
        CommentSupport.comment_id == comment.id)) or 0


def support_comment(*, session: Session, user: User, comment: Comment) -> tuple[bool, int]:
    """Add ``user``'s support (once; again is a no-op) while the period is open.

    Returns whether it was new and how many support the comment now.
    """
    _supportable(session, user, comment)
    if comment.author_id == user.id:
        raise Forbidden("You cannot support your own comment.")
    created = False
    if not session.scalar(select(exists().where(CommentSupport.comment_id == comment.id,
                                                CommentSupport.user_id == user.id))):
        try:
            with session.begin_nested():
                session.add(CommentSupport(comment_id=comment.id, user_id=user.id,
                                           created_at=clock.now()))
                session.flush()
            created = True
        except IntegrityError:  # the same person's second click, at the same instant
            pass
    if created:
        audit_service.record(session=session, actor=user, action="comment.supported",
                             entity_type="comment", entity_id=comment.id)
    return created, supporters(session=session, comment=comment)


def withdraw_support(*, session: Session, user: User, comment: Comment) -> int:
    """Take back ``user``'s support while the period is open; how many support it now."""
    _supportable(session, user, comment)
    removed = session.execute(select(CommentSupport).where(
        CommentSupport.comment_id == comment.id, CommentSupport.user_id == user.id)).scalar()
    if removed is not None:
        session.delete(removed)
        session.flush()
        audit_service.record(session=session, actor=user, action="comment.support_withdrawn",
                             entity_type="comment", entity_id=comment.id)
    return supporters(session=session, comment=comment)


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


@dataclass(frozen=True)
class CommentForms:
    """What a page showing one version of a draft offers for commenting."""

    read_only: bool  # an earlier version no open round is on: for reading, no forms at all
    round_version_id: int | None  # the version the open round is on; None: no round is open
    on_clauses: bool  # the shown version's clauses take comments (those the round covers)
    on_draft: bool  # the draft as a whole takes comments
    for_viewer: bool  # the forms are offered: to citizens, and to visitors who may sign in


def comment_forms(*, viewer: User | None, draft: Draft, consultation: Consultation | None,
                  version: Version) -> CommentForms:
    """The forms a page of ``draft`` showing ``version`` offers: by the same rules as
    :func:`submit_comment`, comments go to the version of the open round, from citizens."""
    open_round = consultation if accepts_comments(consultation, draft.outcome,
                                                  clock.now()) else None
    on_clauses = open_round is not None and open_round.version_id == version.id
    read_only = version.number != draft.current_version and not on_clauses
    return CommentForms(
        read_only=read_only, round_version_id=open_round.version_id if open_round else None,
        on_clauses=on_clauses,
        on_draft=not read_only and open_round is not None and open_round.covers(None),
        for_viewer=viewer is None or viewer.role is Role.CITIZEN)
