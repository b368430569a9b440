"""Who is told what. Every email is queued in the outbox inside the caller's transaction, in
the recipient's own language, and sent later by ``talkuu worker``."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import i18n
from app.config import get_settings
from app.i18n import gettext_, pick, use_language
from app.models import (
    Comment, CommentStatus, Consultation, Decision, Draft, DraftFollow, FeedbackSummary, User,
)
from app.services import outbox as outbox_service

SIGNATURE = "\n\n—\nTalkuu"


def _url(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def _decision(decision: Decision) -> str:
    return {Decision.ACCEPTED: gettext_("Accepted"),
            Decision.PARTIALLY_ACCEPTED: gettext_("Partially accepted"),
            Decision.REJECTED: gettext_("Rejected"),
            Decision.NOT_APPLICABLE: gettext_("Not applicable")}[decision]


def _send(session: Session, user: User, kind: str, subject: str, body: str) -> None:
    outbox_service.enqueue(session=session, **_message(user, kind, subject, body))


def _message(user: User, kind: str, subject: str, body: str) -> dict[str, str]:
    return {"kind": kind, "to": user.email, "subject": subject, "body": body + SIGNATURE}


def email_verification(*, session: Session, user: User, token: str) -> None:
    """The link that confirms a new account's address."""
    with use_language(user.language):
        _send(session, user, "verify_email", gettext_("Confirm your email address"),
              gettext_("Hello, {name}!\n\nTo confirm your email address and start commenting "
                       "on draft laws, open this link within 7 days:\n{link}\n\nIf you did "
                       "not register on Talkuu, ignore this message.", name=user.name,
                       link=_url(f"/verify-email?token={token}")))


def password_reset(*, session: Session, user: User, token: str) -> None:
    """The link that lets an account holder choose a new password."""
    with use_language(user.language):
        _send(session, user, "reset_password", gettext_("Choose a new password"),
              gettext_("Hello, {name}!\n\nSomeone (hopefully you) asked to reset the password "
                       "of your Talkuu account. Open this link within one hour to choose a new "
                       "one:\n{link}\n\nIf it was not you, ignore this message: your password "
                       "stays as it is.", name=user.name,
                       link=_url(f"/reset-password?token={token}")))


def comments_received(*, session: Session, comments: list[Comment]) -> None:
    """The receipts, by email, for comments just accepted, queued in one statement (their
    authors and drafts are in the session already)."""
    messages = []
    for comment in comments:
        author = session.get(User, comment.author_id)
        draft = session.get(Draft, comment.draft_id)
        assert author is not None and draft is not None
        with use_language(author.language):
            where = (gettext_("Clause: {key}", key=comment.clause_key) if comment.clause_key
                     else gettext_("On the draft as a whole"))
            messages.append(_message(
                author, "receipt",
                gettext_("Your comment was received: {receipt}", receipt=comment.receipt),
                gettext_("Hello, {name}!\n\nYour comment on the draft \"{title}\" was "
                         "received.\nReceipt number: {receipt}\n{where}\n\n{body}\n\nThe "
                         "state body will answer every comment in its feedback summary; we "
                         "will write to you when it is published. Your comment: {link}",
                         name=author.name, title=pick(draft.title), receipt=comment.receipt,
                         where=where, body=comment.body,
                         link=_url(f"/comments/{comment.id}/receipt"))))
    outbox_service.enqueue_many(session=session, messages=messages)


def _round_authors(session: Session, consultation_id: int) -> list[list[Comment]]:
    """The published comments of a round with their answers, one list per author."""
    comments = session.scalars(
        select(Comment).where(Comment.consultation_id == consultation_id,
                              Comment.status == CommentStatus.PUBLISHED)
        .options(selectinload(Comment.author), selectinload(Comment.response))
        .order_by(Comment.id))
    by_author: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        by_author[comment.author_id].append(comment)
    return list(by_author.values())


def summary_published(*, session: Session, draft: Draft, summary: FeedbackSummary) -> None:
    """Every author of the round learns what was decided on each of their comments."""
    for authored in _round_authors(session, summary.consultation_id):
        author = authored[0].author
        with use_language(author.language):
            lines = []
            for comment in authored:
                assert comment.response is not None  # the summary needs every answer
                lines.append(gettext_("{receipt}: {decision}\n{reasoning}",
                                      receipt=comment.receipt,
                                      decision=_decision(comment.response.decision),
                                      reasoning=comment.response.reasoning))
            _send(session, author, "summary",
                  gettext_("Answers to your comments on \"{title}\"", title=pick(draft.title)),
                  gettext_("Hello, {name}!\n\nThe state body has published the feedback "
                           "summary of the draft \"{title}\" with its answer to each comment."
                           "\n\n{answers}\n\nThe whole summary: {link}",
                           name=author.name, title=pick(draft.title),
                           answers="\n\n".join(lines),
                           link=_url(f"/drafts/{draft.id}/summary")))


def draft_changed(*, session: Session, draft: Draft, event: str,
                  consultation: Consultation | None = None, version: int | None = None) -> None:
    """Followers of a draft hear of a new version, a period opened or extended."""
    followers = session.scalars(select(User).join(DraftFollow, DraftFollow.user_id == User.id)
                                .where(DraftFollow.draft_id == draft.id, User.is_active))
    for follower in followers:
        with use_language(follower.language):
            title = pick(draft.title)
            if event == "version":
                subject = gettext_("New version of \"{title}\"", title=title)
                text = gettext_("Version {number} of the draft has been published.",
                                number=version)
            elif event == "period_opened" and consultation is not None:
                subject = gettext_("Comments open on \"{title}\"", title=title)
                text = gettext_("Comments are accepted until {date}.",
                                date=_local(consultation.closes_at))
            elif event == "period_extended" and consultation is not None:
                subject = gettext_("Comment period extended: \"{title}\"", title=title)
                text = gettext_("Comments are now accepted until {date}.",
                                date=_local(consultation.closes_at))
            else:
                continue
            _send(session, follower, "follow",
                  subject, gettext_("Hello, {name}!\n\n{text}\n\n{link}", name=follower.name,
                                    text=text, link=_url(f"/drafts/{draft.id}")))


def _local(moment: datetime) -> str:
    return i18n.format_moment(moment)  # in the reader's language, Bishkek time


def summary_corrected(*, session: Session, draft: Draft, summary: FeedbackSummary,
                      changed: set[int]) -> None:
    """Every author of the round learns that the summary was corrected, why, and the new
    answer on each of their comments the correction changed."""
    for authored in _round_authors(session, summary.consultation_id):
        author = authored[0].author
        with use_language(author.language):
            lines = [gettext_("{receipt}: {decision}\n{reasoning}", receipt=c.receipt,
                              decision=_decision(c.response.decision),
                              reasoning=c.response.reasoning)
                     for c in authored if c.id in changed and c.response is not None]
            answers = ("\n\n".join(lines) if lines else
                       gettext_("The answers to your comments did not change."))
            _send(session, author, "summary_correction",
                  gettext_("The feedback summary of \"{title}\" was corrected",
                           title=pick(draft.title)),
                  gettext_("Hello, {name}!\n\nThe state body has published revision "
                           "{revision} of the feedback summary of the draft \"{title}\".\n"
                           "Reason for the correction: {reason}\n\n{answers}\n\n"
                           "The whole summary: {link}",
                           name=author.name, title=pick(draft.title),
                           revision=summary.revision, reason=summary.correction_reason,
                           answers=answers, link=_url(f"/drafts/{draft.id}/summary")))
