"""Email alerts without an account: subscribe to a filter, confirm the address (double opt-in),
receive new drafts, periods closing within a week and published summaries, immediately or as a
daily digest; unsubscribe in one click (RFC 8058).

``run_due`` is a step of ``talkuu worker``: it finds the events, writes one ``AlertDelivery``
per event and subscription (unique, so no alert is ever given twice, even by two workers), and
queues the emails in the outbox, which sends them with its retries and backoff.
"""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import clock, i18n
from app.config import get_settings
from app.db import parse_id
from app.errors import InvalidInput, InvalidLink
from app.i18n import LANGUAGES, gettext_, pick, use_language
from app.models import (
    AlertDelivery, AlertEvent, AlertFrequency, AlertSubscription, Consultation, Draft,
    FeedbackSummary,
)
from app.services import audit as audit_service
from app.services import drafts as drafts_service
from app.services import notifications as notifications_service
from app.services import organizations as organizations_service
from app.services import outbox as outbox_service
from app.services import search as search_service
from app.services.auth import EMAIL_RE, normalize_email

CLOSING_WITHIN = timedelta(days=7)
LOOKBACK = timedelta(days=30)  # events older than this are news to nobody
DIGEST_HOUR = 8  # daily digests leave after 08:00 in Bishkek
MAX_KEYWORDS_CHARS = 300


# --- links -----------------------------------------------------------------------------------

def _signature(subscription: AlertSubscription, purpose: str) -> str:
    key = get_settings().secret_key.encode("utf-8")
    message = f"alert:{purpose}:{subscription.id}:{subscription.created_at.timestamp()}"
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def token(subscription: AlertSubscription, purpose: str) -> str:
    """The secret of a confirm or unsubscribe link: nothing to store, nothing to guess."""
    return f"{subscription.id}.{_signature(subscription, purpose)}"


def by_token(*, session: Session, token: str, purpose: str) -> AlertSubscription:
    """The subscription a link is for; InvalidLink for anything else."""
    raw_id, _sep, signature = (token or "").partition(".")
    subscription_id = parse_id(raw_id)
    subscription = session.get(AlertSubscription, subscription_id) if subscription_id else None
    if subscription is None or not hmac.compare_digest(
            _signature(subscription, purpose), signature):
        raise InvalidLink()
    return subscription


def _url(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def unsubscribe_url(subscription: AlertSubscription) -> str:
    return _url(f"/alerts/unsubscribe?token={token(subscription, 'unsubscribe')}")


# --- subscribing -----------------------------------------------------------------------------

@dataclass
class AlertFilter:
    organization: str | None = None
    act_type: str | None = None
    keywords: str | None = None


def subscribe(*, session: Session, email: str, alert_filter: AlertFilter,
              frequency: AlertFrequency, events: list[AlertEvent] | None,
              language: str) -> AlertSubscription:
    """Record a pending subscription and email the link that confirms it."""
    address = normalize_email(email or "")
    if not EMAIL_RE.match(address) or len(address) > 254:
        raise InvalidInput("Please enter a valid email address.")
    organization = (alert_filter.organization or "").strip() or None
    if organization:
        organizations_service.get_by_slug(session=session, slug=organization)
    act_type = (alert_filter.act_type or "").strip() or None
    if act_type:
        drafts_service.get_policy(session=session, act_type=act_type)
    keywords = " ".join((alert_filter.keywords or "").split()) or None
    if keywords and len(keywords) > MAX_KEYWORDS_CHARS:
        raise InvalidInput("The keywords are too long ({n} characters at most).",
                           n=MAX_KEYWORDS_CHARS)
    chosen = sorted({AlertEvent(e) for e in events}) if events else list(AlertEvent)
    subscription = AlertSubscription(
        email=address, language=language if language in LANGUAGES else "ru",
        organization=organization, act_type=act_type, keywords=keywords, frequency=frequency,
        events=[e.value for e in chosen], created_at=clock.now())
    session.add(subscription)
    session.flush()
    # The address is personal data: the log keeps what was asked for, not who asked.
    audit_service.record(session=session, actor=None, action="alert.subscribed",
                         entity_type="alert_subscription", entity_id=subscription.id,
                         after=_public(subscription))
    with use_language(subscription.language):
        outbox_service.enqueue(
            session=session, kind="alert_confirm", to=address,
            subject=gettext_("Confirm your Talkuu alert"),
            body=gettext_("Hello!\n\nSomeone (hopefully you) asked Talkuu to email this address "
                          "about draft laws: {filter}.\n\nTo start receiving these alerts, "
                          "open this link and confirm:\n{link}\n\nIf it was not you, ignore "
                          "this message: nothing will be sent.",
                          filter=describe(subscription),
                          link=_url(f"/alerts/confirm?token={token(subscription, 'confirm')}"))
            + notifications_service.SIGNATURE)
    return subscription


def _public(subscription: AlertSubscription) -> dict[str, object]:
    return audit_service.snapshot(subscription, "organization", "act_type", "keywords",
                                  "frequency", "events", "language")


def confirm(*, session: Session, token: str) -> AlertSubscription:
    """Confirm the address (again is harmless); alerts start with events from now on."""
    subscription = by_token(session=session, token=token, purpose="confirm")
    if subscription.unsubscribed_at is not None:
        raise InvalidLink()
    if subscription.confirmed_at is None:
        subscription.confirmed_at = clock.now()
        audit_service.record(session=session, actor=None, action="alert.confirmed",
                             entity_type="alert_subscription", entity_id=subscription.id)
    return subscription


def unsubscribe(*, session: Session, token: str) -> AlertSubscription:
    """Stop the alerts of one subscription (again is harmless)."""
    subscription = by_token(session=session, token=token, purpose="unsubscribe")
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = clock.now()
        audit_service.record(session=session, actor=None, action="alert.unsubscribed",
                             entity_type="alert_subscription", entity_id=subscription.id)
    return subscription


def describe(subscription: AlertSubscription) -> str:
    """The filter in words, in the current language."""
    parts = []
    if subscription.organization:
        parts.append(gettext_("state body {slug}", slug=subscription.organization))
    if subscription.act_type:
        parts.append(gettext_("type of act {act_type}", act_type=subscription.act_type))
    if subscription.keywords:
        parts.append(gettext_("words: {keywords}", keywords=subscription.keywords))
    where = "; ".join(parts) if parts else gettext_("all drafts")
    how = (gettext_("at once") if subscription.frequency is AlertFrequency.IMMEDIATE
           else gettext_("once a day"))
    return f"{where} ({how})"


# --- finding and sending alerts --------------------------------------------------------------

@dataclass
class _Event:
    kind: AlertEvent
    key: str
    draft: Draft
    moment: datetime
    closes_at: datetime | None = None


def _stems(keywords: str | None) -> list[str]:
    """The keywords as the draft texts are searched for them (any one is enough)."""
    return [search_service.stem(word) for word in search_service.terms(keywords)]


def _words_of(draft: Draft) -> str:
    """What keywords are looked for in: the title and summary in every language."""
    return " ".join(v for v in (*draft.title.values(), *draft.summary.values()) if v).lower()


def _matches(subscription: AlertSubscription, stems: list[str], draft: Draft,
             words: str) -> bool:
    if subscription.organization and draft.organization.slug != subscription.organization:
        return False
    if subscription.act_type and draft.act_type != subscription.act_type:
        return False
    if subscription.keywords:
        return any(stem in words for stem in stems)
    return True


def _events(session: Session, since: datetime, now: datetime) -> list[_Event]:
    events = [_Event(AlertEvent.NEW_DRAFT, f"new_draft:{d.id}", d, d.created_at)
              for d in session.scalars(select(Draft).where(Draft.created_at >= since))]
    latest = select(func.max(Consultation.id)).group_by(Consultation.draft_id)
    for consultation, draft in session.execute(
            select(Consultation, Draft).join(Draft, Draft.id == Consultation.draft_id)
            .where(Consultation.id.in_(latest), Consultation.opens_at <= now,
                   Consultation.closes_at > now,
                   Consultation.closes_at <= now + CLOSING_WITHIN)):
        events.append(_Event(AlertEvent.CLOSING, f"closing:{consultation.id}", draft, now,
                             closes_at=consultation.closes_at))
    for summary, draft in session.execute(
            select(FeedbackSummary, Draft).join(Draft, Draft.id == FeedbackSummary.draft_id)
            .where(FeedbackSummary.published_at >= since,
                   FeedbackSummary.published_at <= now)):
        events.append(_Event(AlertEvent.SUMMARY, f"summary:{summary.id}", draft,
                             summary.published_at))
    return events


def _record(session: Session, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(AlertDelivery).values(rows).on_conflict_do_nothing(
        index_elements=[AlertDelivery.subscription_id, AlertDelivery.event_key]))


def run_due(*, session: Session) -> int:
    """Record the new events of every confirmed subscription and queue the alerts that are
    due (at once, or the daily digest); returns how many emails were queued."""
    now = clock.now()
    subscriptions = list(session.scalars(select(AlertSubscription).where(
        AlertSubscription.confirmed_at.is_not(None), AlertSubscription.unsubscribed_at.is_(None))))
    if not subscriptions:
        return 0
    since = max(now - LOOKBACK, min(s.confirmed_at for s in subscriptions if s.confirmed_at))
    events = _events(session, since, now)
    # Only the events at hand can be told twice: the rest of the history is not read.
    known = set(session.execute(select(AlertDelivery.subscription_id, AlertDelivery.event_key)
                                .where(AlertDelivery.subscription_id.in_(
                                           [s.id for s in subscriptions]),
                                       AlertDelivery.event_key.in_([e.key for e in events])))
                .tuples()) if events else set()
    # Each draft's text and each subscription's keywords are prepared once, not per pair.
    words = {e.draft.id: _words_of(e.draft) for e in events}
    rows: list[dict[str, object]] = []
    for subscription in subscriptions:
        assert subscription.confirmed_at is not None
        stems = _stems(subscription.keywords)
        for event in events:
            if ((subscription.id, event.key) in known or event.kind.value not in subscription.events
                    or (event.kind is not AlertEvent.CLOSING
                        and event.moment < subscription.confirmed_at)
                    or not _matches(subscription, stems, event.draft, words[event.draft.id])):
                continue
            rows.append({"subscription_id": subscription.id, "event_key": event.key,
                         "event": event.kind.value, "draft_id": event.draft.id,
                         "created_at": now})
    _record(session, rows)
    closing = {e.key: e.closes_at for e in events if e.closes_at}
    return _send_due(session, subscriptions, now, closing)


def _digest_due(subscription: AlertSubscription, now: datetime) -> bool:
    if subscription.frequency is AlertFrequency.IMMEDIATE:
        return True
    local = clock.local(now)
    if local.hour < DIGEST_HOUR:
        return False
    return (subscription.last_digest_at is None
            or clock.local(subscription.last_digest_at).date() < local.date())


def _send_due(session: Session, subscriptions: list[AlertSubscription], now: datetime,
              closing: dict[str, datetime | None]) -> int:
    due = {s.id: s for s in subscriptions if _digest_due(s, now)}
    if not due:
        return 0
    pending: dict[int, list[AlertDelivery]] = defaultdict(list)
    for delivery in session.scalars(
            select(AlertDelivery).where(AlertDelivery.subscription_id.in_(list(due)),
                                        AlertDelivery.sent_at.is_(None))
            .order_by(AlertDelivery.id).with_for_update(skip_locked=True)):
        pending[delivery.subscription_id].append(delivery)
    drafts = {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(
        {d.draft_id for items in pending.values() for d in items})))}
    for subscription_id, deliveries in pending.items():
        subscription = due[subscription_id]
        _email(session, subscription, deliveries, drafts, closing)
        for delivery in deliveries:
            delivery.sent_at = now
        if subscription.frequency is AlertFrequency.DAILY:
            subscription.last_digest_at = now
    session.flush()
    return len(pending)


def _line(delivery: AlertDelivery, draft: Draft, closing: dict[str, datetime | None]) -> str:
    title = pick(draft.title)
    body = pick(draft.organization.name)
    if delivery.event == AlertEvent.NEW_DRAFT:
        head = gettext_("New draft: {title}", title=title)
        link = _url(f"/drafts/{draft.id}")
    elif delivery.event == AlertEvent.CLOSING:
        closes_at = closing.get(delivery.event_key)
        head = gettext_("Comments close on {date}: {title}", title=title,
                        date=i18n.format_moment(closes_at))
        link = _url(f"/drafts/{draft.id}")
    else:
        head = gettext_("Feedback summary published: {title}", title=title)
        link = _url(f"/drafts/{draft.id}/summary")
    return f"{head}\n{body}\n{link}"


def _email(session: Session, subscription: AlertSubscription, deliveries: list[AlertDelivery],
           drafts: dict[int, Draft], closing: dict[str, datetime | None]) -> None:
    with use_language(subscription.language):
        lines = [_line(d, drafts[d.draft_id], closing) for d in deliveries]
        if len(lines) == 1:
            subject = "Talkuu: " + lines[0].split("\n", 1)[0]
        else:
            subject = gettext_("Talkuu: {n} alerts on draft laws", n=len(lines))
        link = unsubscribe_url(subscription)
        body = gettext_("Hello!\n\n{alerts}\n\nYou receive this because you subscribed to "
                        "alerts on Talkuu: {filter}.\nUnsubscribe in one click: {link}",
                        alerts="\n\n".join(lines), filter=describe(subscription), link=link)
        outbox_service.enqueue(
            session=session, kind="alert", to=subscription.email, subject=subject,
            body=body + notifications_service.SIGNATURE,
            headers={"List-Unsubscribe": f"<{link}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
