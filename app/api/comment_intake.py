"""Comment submissions of the JSON API, written in batches (issue 9, scenario 1).

A surge is bound by the CPU each database statement costs, on both sides of the connection:
one comment alone needs about a dozen (the rate-limit count, the draft, the token, the round,
the comment, its index entries and group, the receipt email, the audit entry, BEGIN and
COMMIT).  So the submissions that arrive while the process is busy wait for the batch in
progress to end and are then handled together, in one transaction, with the same dozen
statements for the lot (group commit).  Nothing changes for the one who submits:

- every submission is answered only after the transaction that wrote it has committed, so a
  receipt is never given for a comment that is not stored;
- each submission is checked on its own and in the route's order (rate limit, 404, 401/CSRF,
  the body, 403, the round); a refusal of one is its own answer and changes nothing for the
  others of its batch, and every attempt is counted, refused or not (the batch's attempts in
  one statement of their own, before its transaction: see ``batch``);
- a batch that fails as a whole (the database went away, a deadlock, a bug) is handled again
  one submission at a time (``one``), so that no submission suffers for another's.

A process runs at most ``LANES`` batch at once, of at most ``MOST`` submissions: when it is
idle a submission starts a batch of its own at once, so a calm moment costs no waiting; under a
surge batches grow by themselves.  These submissions take no write place of the admission gate
(app/gate.py): they wait here, on the event loop, holding no thread and no connection.  Multipart submissions (files) and bodies that cannot be read
do not come here; the route handles them one at a time, as before.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from app.api import presenters
from app.api.deps import Credentials, require_user
from app.api.ratelimits import count_attempt
from app.errors import DraftNotFound, FieldsToCheck, RateLimited, TalkuuError
from app.models import Draft, User
from app.schemas.comment import CommentCreate, CommentCreated
from app.services import attachments as attachments_service
from app.services import auth as auth_service
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import ratelimit as ratelimit_service
from app.services.attachments import Upload
from app.services.ratelimit import Subject

log = logging.getLogger("talkuu.comments")

# Batches in progress at once in a process.  One: measured on 2 cores (bench/README.md), two
# lanes halved the batches at moderate load and cost more CPU per comment than the overlap
# of one batch's database waits with another's work saved (the loop keeps reading requests
# meanwhile either way).
LANES = 1
MOST = 64  # submissions in one batch
Outcome = CommentCreated | Exception
Sessions = Callable[[], Session]


@dataclass(frozen=True)
class Submission:
    """One comment submission, as read from its request on the event loop."""

    draft_id: int
    data: dict[str, Any]
    credentials: Credentials
    subject: Subject  # who is counted by the rate limit


# A submission waiting for its batch, with its sessions (the batch's, the count's) and its
# answer to come.
Waiting = tuple[Submission, Sessions, Sessions | None, "asyncio.Future[CommentCreated]"]


def is_form(content_type: str) -> bool:
    """A submission in a multipart form (which may carry files) is handled alone (``one``);
    any other body is read as JSON and joins a batch."""
    return content_type.startswith("multipart/form-data")


def payload(data: dict[str, Any]) -> comments_service.CommentFields:
    """The submitted fields, or a 422 naming the ones to check."""
    try:
        fields = CommentCreate.model_validate(data)
    except ValidationError as error:
        raise FieldsToCheck.of(error) from None
    return comments_service.CommentFields(**fields.model_dump())


def created(session: Session, comment: Any, with_files: bool) -> CommentCreated:
    files = (details_service.attachments_of(session=session, comment=comment) if with_files
             else [])
    return CommentCreated(id=comment.id, receipt=comment.receipt, status=comment.status.value,
                          clause_key=comment.clause_key, created_at=comment.created_at,
                          group_id=comment.group_id,
                          attachments=[presenters.attachment(a) for a in files])


def uploads_from(form: FormData | None) -> list[Upload]:
    """The files of the ``files`` field, each read no further than one byte past the size
    limit (``attachments.check`` then refuses too many or too large files)."""
    if form is None:
        return []
    parts = [p for p in form.getlist("files")
             if isinstance(p, UploadFile) and (p.filename or p.size)]
    uploads = []
    for part in parts[:attachments_service.MAX_FILES + 1]:
        part.file.seek(0)
        uploads.append(Upload(filename=part.filename or "",
                              data=part.file.read(attachments_service.MAX_BYTES + 1)))
    return uploads


# --- one at a time -----------------------------------------------------------------------------

def one(sessions: Sessions, submission: Submission, form: FormData | None = None,
        unreadable: Exception | None = None, *, counted: bool = False) -> CommentCreated:
    """One submission in a transaction of its own: the route's checks in their order, then the
    comment.  The attempt's count is part of that transaction: a refusal commits it; any other
    failure rolls back and counts the attempt again in a transaction of its own, so every
    attempt is counted.  ``form``: a multipart form, which may carry files; ``unreadable``: the
    body could not be read (refused after the checks that come before the body); ``counted``:
    the attempt was counted (and not refused) already, by its batch."""
    with sessions() as session:
        try:
            if not counted:
                ratelimit_service.check(session=session, action="comment",
                                        subject=submission.subject)
            draft = drafts_service.get_draft(session=session, draft_id=submission.draft_id)
            user = require_user(submission.credentials.resolve(session))
            if unreadable is not None:
                raise unreadable
            fields = payload(submission.data)
            uploads = uploads_from(form)
            comment = comments_service.submit_comment(
                session=session, author=user, draft=draft, attachments=uploads, **asdict(fields))
            answer = created(session, comment, with_files=bool(uploads))
            session.commit()
            return answer
        except RateLimited:
            session.commit()  # the refused attempt counts too
            raise
        except (TalkuuError, HTTPException):
            session.rollback()
            if not counted:
                # Counted again in a transaction of its own; a refusal there only counts (the
                # attempt's own refusal is already given).
                with suppress(RateLimited):
                    count_attempt(sessions, "comment", submission.subject)
            raise


# --- in batches --------------------------------------------------------------------------------

def batch(sessions: Sessions, submissions: list[Submission],
          counting: Sessions | None = None) -> list[Outcome]:
    """The submissions in one transaction: for each, its answer or its refusal, in order.

    Their attempts are counted first and apart, committed at once, with ``counting`` (the
    request's side sessions, ``db.get_side_sessions``; ``sessions`` without it): inside the
    batch's transaction the counters' row locks were held until the batch committed,
    and a bot's submissions in the batches of two processes made each wait for the other's
    whole batch, with everybody else's submissions in it (issue 9, scenario 3).  A failure of
    the whole (not of one submission's checks) has each of those not refused handled again
    alone, without being counted again."""
    try:
        refusals = _counted(counting or sessions, submissions)
    except Exception as error:
        if len(submissions) == 1:
            return [error]  # the database failed: alone it would fail the same way
        log.warning("the attempts of a batch of %d comments could not be counted (%r); "
                    "handling them one by one", len(submissions), error)
        return [_alone(sessions, submission) for submission in submissions]
    try:
        with sessions() as session:
            outcomes = _batch(session, submissions, refusals)
            session.commit()
            return outcomes
    except Exception as error:
        if len(submissions) == 1 and not isinstance(error, TalkuuError | HTTPException):
            return [error]  # the database failed: alone it would fail the same way
        # A refusal of the whole (a NUL character only the insert finds) is also given alone.
        log.warning("a batch of %d comments failed (%r); handling them one by one",
                    len(submissions), error)
        return [refusal or _alone(sessions, submission, counted=True)
                for submission, refusal in zip(submissions, refusals, strict=True)]


def _counted(sessions: Sessions, submissions: list[Submission]) -> list[RateLimited | None]:
    """Count each submission's attempt (committed); the refusals, in order."""
    with sessions() as session:
        refusals = ratelimit_service.check_many(
            session=session, action="comment", subjects=[s.subject for s in submissions])
        session.commit()
        return refusals


def _alone(sessions: Sessions, submission: Submission, *, counted: bool = False) -> Outcome:
    try:
        return one(sessions, submission, counted=counted)
    except Exception as error:
        return error


def _batch(session: Session, submissions: list[Submission],
           refusals: list[RateLimited | None]) -> list[Outcome]:
    outcomes: list[Outcome | None] = list(refusals)
    live = [i for i, outcome in enumerate(outcomes) if outcome is None]
    ids = {submissions[i].draft_id for i in live}
    drafts = ({d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(ids)))}
              if ids else {})
    tokens = {i: token for i in live if (token := submissions[i].credentials.token())}
    users = dict(zip(tokens, auth_service.resolve_tokens(
        session=session, presented=list(tokens.values())), strict=True)) if tokens else {}
    checked: dict[int, tuple[Draft, User, comments_service.CommentFields]] = {}
    for i in live:
        submission = submissions[i]
        try:
            draft = drafts.get(submission.draft_id)
            if draft is None:
                raise DraftNotFound()
            user = require_user(submission.credentials.viewer(users.get(i)))
            checked[i] = (draft, user, payload(submission.data))
        except (TalkuuError, HTTPException) as refusal:
            outcomes[i] = refusal
    rounds = comments_service.find_rounds(session=session, wanted={
        (draft.id, comments_service.submission_key(fields.clause_key))
        for draft, _user, fields in checked.values()}) if checked else {}
    accepted: dict[int, comments_service.Accepted] = {}
    for i, (draft, user, fields) in checked.items():
        try:
            accepted[i] = comments_service.check_submission(
                session=session, author=user, draft=draft, fields=fields,
                found=rounds.get((draft.id, comments_service.submission_key(fields.clause_key))))
        except (TalkuuError, HTTPException) as refusal:
            outcomes[i] = refusal
    if accepted:
        written = comments_service.write_accepted(session=session,
                                                  accepted=list(accepted.values()))
        for i, comment in zip(accepted, written, strict=True):
            outcomes[i] = created(session, comment, with_files=False)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


class Intake:
    """The submissions of one event loop waiting for a batch, and the batches in progress."""

    def __init__(self) -> None:
        self.waiting: list[Waiting] = []
        self.running = 0

    async def submit(self, sessions: Sessions, submission: Submission,
                     counting: Sessions | None = None) -> CommentCreated:
        future: asyncio.Future[CommentCreated] = asyncio.get_running_loop().create_future()
        self.waiting.append((submission, sessions, counting, future))
        if self.running < LANES:
            self._start()
        return await future

    def _start(self) -> None:
        taken, self.waiting = self.waiting[:MOST], self.waiting[MOST:]
        self.running += 1
        work = asyncio.ensure_future(run_in_threadpool(
            batch, taken[0][1], [submission for submission, *_rest in taken], taken[0][2]))
        work.add_done_callback(partial(self._finish, taken))

    def _finish(self, taken: list[Waiting], work: asyncio.Future[list[Outcome]]) -> None:
        self.running -= 1
        try:
            outcomes: list[Outcome] = work.result()
        except BaseException as error:  # noqa: BLE001 - cancelled at shutdown: each is told
            outcomes = [error if isinstance(error, Exception) else RuntimeError(str(error))
                        ] * len(taken)
        for (*_submission, future), outcome in zip(taken, outcomes, strict=True):
            if future.done():  # its client went away; the comment is stored all the same
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        while self.waiting and self.running < LANES:
            self._start()


_intakes: "WeakKeyDictionary[asyncio.AbstractEventLoop, Intake]" = WeakKeyDictionary()


async def submit(sessions: Sessions, submission: Submission,
                 counting: Sessions | None = None) -> CommentCreated:
    """Answer ``submission`` with its receipt once the batch it joins has committed (or with
    its refusal, raised); ``counting``: see ``batch``."""
    loop = asyncio.get_running_loop()
    intake = _intakes.get(loop)
    if intake is None:
        intake = _intakes[loop] = Intake()
    return await intake.submit(sessions, submission, counting)
