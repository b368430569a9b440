"""The outbox: email queued in the transaction of the change it announces, sent by the worker.

Nothing is lost when the mail server is down: a message stays ``pending`` and is retried with
a growing delay; after the last try it is ``failed`` and kept for an operator.
"""

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import bulk, clock
from app.config import get_settings
from app.models import OutboxMessage, OutboxStatus

log = logging.getLogger("talkuu.outbox")
MAX_ATTEMPTS = 12  # with the delays below, about a day and a half of trying
BATCH = 50


# Core inserts on the session's connection (no unit of work to flush).
_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)
# PostgreSQL: one JSON array, one statement (app/bulk.py); psycopg's executemany sends and
# handles each row on its own (a receipt for each comment of a surge's batch).
_INSERT_MANY = bulk.Insert(OutboxMessage.__table__, (
    "kind", "to_address", "subject", "body_text", "headers", "status", "attempts",
    "next_attempt_at", "created_at"))


def enqueue(*, session: Session, kind: str, to: str, subject: str, body: str,
            headers: dict[str, Any] | None = None) -> int:
    """Queue one email; it is sent only if the caller's transaction commits.  Its id."""
    return session.connection().execute(
        _INSERT, _row(kind=kind, to=to, subject=subject, body=body, headers=headers)
    ).scalar_one()


def enqueue_many(*, session: Session, messages: list[dict[str, Any]]) -> None:
    """Queue emails (each given as ``enqueue``'s keywords) in one statement: a receipt is
    queued for every comment of a surge."""
    if messages:
        _INSERT_MANY.write(session.connection(), [_row(**message) for message in messages])


def _row(*, kind: str, to: str, subject: str, body: str,
         headers: dict[str, Any] | None = None) -> dict[str, Any]:
    now = clock.now()  # every column but the id, the error and the sending: _INSERT_MANY
    return dict(kind=kind, to_address=to, subject=subject[:300], body_text=body,
                headers=headers, status=OutboxStatus.PENDING, attempts=0,
                next_attempt_at=now, created_at=now)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... up to 4 hours between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 4 * 3600))


def _email(message: OutboxMessage) -> EmailMessage:
    settings = get_settings()
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="talkuu.kg")
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text, charset="utf-8")
    return email


def deliver_due(*, session: Session, connect: Callable[[], smtplib.SMTP] | None = None,
                limit: int = BATCH) -> tuple[int, int]:
    """Send the messages that are due; returns (sent, deferred). The caller commits."""
    now = clock.now()
    query = (select(OutboxMessage)
             .where(OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # several workers never send twice
    messages = list(session.scalars(query))
    if not messages:
        return 0, 0
    settings = get_settings()
    sent = deferred = 0
    try:
        smtp = connect() if connect else smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                                                      timeout=30)
    except (OSError, smtplib.SMTPException) as error:
        for message in messages:
            _defer(message, f"cannot connect to the mail server: {error}")
        return 0, len(messages)
    try:
        for message in messages:
            try:
                smtp.send_message(_email(message))
            except (OSError, smtplib.SMTPException) as error:
                _defer(message, str(error))
                deferred += 1
            else:
                message.status = OutboxStatus.SENT
                message.sent_at = clock.now()
                message.attempts += 1
                sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent, deferred


def _defer(message: OutboxMessage, error: str) -> None:
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        log.error("giving up on outbox message %s to %s: %s", message.id, message.to_address,
                  error)
    else:
        message.next_attempt_at = clock.now() + retry_delay(message.attempts)
