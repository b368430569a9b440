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

from app import bulk, clock
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


@dataclass(frozen=True)
class Round:
    """What a submission needs to know of the round it comments in: the draft's latest round
    and its version's number, and the id of the commented clause in that version (None when
    there is no such clause or no key)."""

    consultation: Consultation
    version_number: int
    clause_id: int | None


def find_rounds(*, session: Session,
                wanted: set[tuple[int, str | None]]) -> dict[tuple[int, str | None], Round]:
    """The round for each (draft id, clause key) wanted, in two queries however many there are
    (issue 9: a surge is bound by the CPU each statement costs); a draft without a round is
    left out."""
    connection = session.connection()
    rounds = {row.draft_id: row for row in connection.execute(
        _LATEST_ROUNDS, {"draft_ids": sorted({draft_id for draft_id, _key in wanted})})}
    keys = sorted({key for _draft, key in wanted if key is not None})
    clauses = ({(row.version_id, row.key): row.id for row in connection.execute(
        _CLAUSES, {
            "version_ids": bulk.json_list({row.version_id for row in rounds.values()}),
            "keys": bulk.json_list(keys)})} if keys and rounds else {})
    consultations = {draft_id: Consultation(
        id=row.id, draft_id=draft_id, round=row.round, version_id=row.version_id,
        opens_at=row.opens_at, closes_at=row.closes_at, clause_keys=row.clause_keys)
        for draft_id, row in rounds.items()}  # one each: making a mapped object costs
    found = {}
    for draft_id, key in wanted:
        row = rounds.get(draft_id)
        if row is not None:
            found[draft_id, key] = Round(
                consultation=consultations[draft_id], version_number=row.version_number,
                clause_id=None if key is None else clauses.get((row.version_id, key)))
    return found


_latest = (select(Consultation.draft_id, func.max(Consultation.round).label("round"))
           .where(Consultation.draft_id.in_(bindparam("draft_ids", expanding=True)))
           .group_by(Consultation.draft_id).subquery())
_LATEST_ROUNDS = (
    select(Consultation.id, Consultation.draft_id, Consultation.round, Consultation.version_id,
           Consultation.opens_at, Consultation.closes_at, Consultation.clause_keys,
           Version.number.label("version_number"))
    .join(_latest, (_latest.c.draft_id == Consultation.draft_id)
          & (_latest.c.round == Consultation.round))
    .join(Version, Version.id == Consultation.version_id)
)
_CLAUSES = select(Clause.id, Clause.version_id, Clause.key).where(
    bulk.among(Clause.version_id, "version_ids"), bulk.among(Clause.key, "keys"))


def submission_key(clause_key: str | None) -> str | None:
    """The clause key as a submission names it (blank: the draft as a whole)."""
    return (clause_key or "").strip() or None


@dataclass(frozen=True)
class Accepted:
    """A submission that passed every check, ready to be written."""

    author: User
    draft: Draft
    round: Round
    clause_key: str | None
    body: str
    proposed_wording: str | None
    on_behalf_of: str | None
    quote: str | None
    files: list[attachments_service.CheckedUpload]


@dataclass(frozen=True)
class CommentFields:
    """What a citizen writes in a comment, as submitted (not yet checked or trimmed)."""

    body: str
    clause_key: str | None = None
    proposed_wording: str | None = None
    on_behalf_of: str | None = None
    quote: str | None = None


def check_submission(*, session: Session, author: User, draft: Draft, found: Round | None,
                     fields: CommentFields,
                     attachments: Sequence[attachments_service.Upload] = ()) -> Accepted:
    """Every check of a comment, in order, given the round ``find_rounds`` found for its draft
    and key (the session is read only to check a quote)."""
    require_verified_citizen(author,
                             "Only citizens' accounts can comment; officials answer comments.")
    body_text = _clean(fields.body, MAX_BODY_CHARS,
                       "The comment is too long ({n} characters at most).")
    if body_text is None:
        raise InvalidInput("The comment is empty.")
    wording = _clean(fields.proposed_wording, MAX_BODY_CHARS,
                     "The proposed wording is too long ({n} characters at most).")
    behalf = _clean(fields.on_behalf_of, MAX_ON_BEHALF_CHARS,
                    "The organisation name is too long ({n} characters at most).")
    quoted = _clean(fields.quote, MAX_QUOTE_CHARS,
                    "The quote is too long ({n} characters at most).")
    files = attachments_service.check(attachments)
    clause_key = submission_key(fields.clause_key)
    consultation = None if found is None else found.consultation
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
    return Accepted(author=author, draft=draft, round=found, clause_key=clause_key,
                    body=body_text, proposed_wording=wording, on_behalf_of=behalf,
                    quote=quoted, files=files)


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
    fields = CommentFields(body=body, clause_key=clause_key, proposed_wording=proposed_wording,
                           on_behalf_of=on_behalf_of, quote=quote)
    key = submission_key(clause_key)
    found = find_rounds(session=session, wanted={(draft.id, key)}).get((draft.id, key))
    accepted = check_submission(session=session, author=author, draft=draft, found=found,
                                fields=fields, attachments=attachments)
    [comment] = write_accepted(session=session, accepted=[accepted])
    # Last, so that nothing after the files are written can fail and leave them behind.
    attachments_service.store(session=session, comment=comment, uploads=accepted.files)
    return comment


def write_accepted(*, session: Session, accepted: list[Accepted]) -> list[Comment]:
    """Write accepted submissions, in their order, with receipts, audit entries, groups and
    receipt emails: a few statements for the lot, not a few per comment (a batch of a surge,
    app/api/comment_intake.py).  Their files are the caller's to store."""
    comments = _insert_with_receipts(session=session, rows=[dict(
        draft_id=a.draft.id, consultation_id=a.round.consultation.id,
        version_id=a.round.consultation.version_id, version_number=a.round.version_number,
        clause_id=a.round.clause_id, clause_key=a.clause_key, author_id=a.author.id,
        body=a.body, proposed_wording=a.proposed_wording, on_behalf_of=a.on_behalf_of,
        quote=a.quote, status=CommentStatus.PUBLISHED) for a in accepted])
    for a, comment in zip(accepted, comments, strict=True):
        audit_service.record(
            session=session, actor=a.author, action="comment.submitted", entity_type="comment",
            entity_id=comment.id,
            after={"draft_id": a.draft.id, "receipt": comment.receipt,
                   "clause_key": a.clause_key, "body": a.body,
                   "proposed_wording": a.proposed_wording, "on_behalf_of": a.on_behalf_of,
                   "quote": a.quote, "attachments": [f.filename for f in a.files]},
        )
    grouping_service.assign_groups(session=session, comments=comments)
    notifications_service.comments_received(session=session, comments=comments)
    return comments


# What a submission sets; every other column but the id starts empty, so the object made from
# the inserted row is given those as None and has nothing left to load.
_INSERTED = ("receipt", "draft_id", "consultation_id", "version_id", "version_number",
             "clause_id", "clause_key", "author_id", "body", "proposed_wording", "on_behalf_of",
             "quote", "status", "created_at")
_UNSET = {column.key: None for column in Comment.__table__.c
          if column.key not in (*_INSERTED, "id")}
_INSERTS: dict[int, TextClause] = {}  # number of rows -> statement (SQLite)
_SKIP_TAKEN = "ON CONFLICT (receipt) DO NOTHING RETURNING id, receipt"
# PostgreSQL: the rows as one JSON array, one text for any number (app/bulk.py).
_INSERT_RECORDS = bulk.Insert(Comment.__table__, _INSERTED, tail=_SKIP_TAKEN)


def _insert_skipping_taken_receipts(n: int) -> TextClause:
    # SQLAlchemy compiles an ON CONFLICT insert anew for every execution (it has no cache key:
    # ~0.4 ms of CPU, more than running it), so the statement is written out once per number
    # of rows, with the columns' types for their parameters.
    statement = _INSERTS.get(n)
    if statement is None:
        table = Comment.__table__
        rows = ", ".join("(" + ", ".join(f":{name}_{i}" for name in _INSERTED) + ")"
                         for i in range(n))
        statement = _INSERTS[n] = text(
            f"INSERT INTO comment ({', '.join(_INSERTED)}) VALUES {rows} {_SKIP_TAKEN}"
        ).bindparams(*(bindparam(f"{name}_{i}", type_=table.c[name].type)
                       for i in range(n) for name in _INSERTED))
    return statement


def _insert_with_receipts(*, session: Session, rows: list[dict[str, object]]) -> list[Comment]:
    """Insert the comments, each with a new receipt, in one statement (ON CONFLICT DO NOTHING:
    a clash of two random 40-bit receipts is rare but must never surface as an error, and needs
    no savepoint; a row that clashed is tried again with another receipt), and return them, in
    order, as persistent objects without reading them back."""
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    moment = clock.now()
    values = [{**fields, "created_at": moment} for fields in rows]
    ids: dict[int, int] = {}  # position -> id
    for _attempt in range(5):
        left = [i for i in range(len(values)) if i not in ids]
        if not left:
            break
        receipts = {}
        for i in left:
            values[i]["receipt"] = receipt = new_receipt()
            receipts[receipt] = i
        if postgresql:
            inserted = _INSERT_RECORDS.execute(connection, [values[i] for i in left])
        else:
            inserted = connection.execute(_insert_skipping_taken_receipts(len(left)), {
                f"{name}_{n}": values[i][name] for n, i in enumerate(left) for name in _INSERTED})
        for new_id, receipt in inserted:
            ids[receipts[receipt]] = new_id
    if len(ids) < len(values):
        raise RuntimeError("could not allocate a unique receipt")
    comments = []
    for i, fields in enumerate(values):
        comment = Comment(id=ids[i], **fields, **_UNSET)
        make_transient_to_detached(comment)
        session.add(comment)
        comments.append(comment)
    return comments


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
