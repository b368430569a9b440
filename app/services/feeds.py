"""Atom and RSS feeds: new drafts (with filters) and each draft's events.

A draft's events come from the audit log, which already records every state change with its
time; the end of a period, which nobody records because it simply arrives, is added from the
clock.
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feedgen.feed import FeedGenerator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, i18n
from app.config import get_settings
from app.i18n import gettext_, pick
from app.models import AuditEntry, Consultation, Draft, DraftStatus, Organization
from app.services import drafts as drafts_service

FEED_SIZE = 50
DRAFT_EVENTS = ("draft.published", "version.published", "consultation.opened",
                "consultation.extended", "summary.published")


@dataclass
class FeedEntry:
    id: str
    title: str
    link: str
    updated: datetime
    summary: str
    categories: list[str] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    subtitle: str
    link: str
    self_path: str
    language: str
    updated: datetime
    entries: list[FeedEntry]
    # The next moment the clock alone changes the feed (a period's end arrives); None: never.
    changes_at: datetime | None = None


def _url(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def _date(moment: datetime | None) -> str:
    return i18n.format_moment(moment)  # in the reader's language, Bishkek time


def drafts_feed(*, session: Session, organization: str | None, act_type: str | None,
                status: DraftStatus | None, closing_within_days: int | None, language: str,
                self_path: str) -> Feed:
    """The newest drafts matching the filters (or those whose period closes within N days)."""
    if closing_within_days is not None:
        states = _closing_soon(session=session, organization=organization, act_type=act_type,
                               days=closing_within_days)
    else:
        page = drafts_service.list_drafts(session=session, organization=organization,
                                          act_type=act_type, status=status, per_page=FEED_SIZE)
        states = page.items
    last_event = _last_events(session, [s.draft.id for s in states])
    entries = []
    for state in states:
        draft = state.draft
        status_now = state.status()
        consultation = state.consultation
        lines = [pick(draft.organization.name, language),
                 gettext_("Status: {status}", status=_status_label(status_now))]
        if consultation is not None:
            lines.append(gettext_("Comment period: {opens} – {closes}",
                                  opens=_date(consultation.opens_at),
                                  closes=_date(consultation.closes_at)))
        if pick(draft.summary, language):
            lines.append(pick(draft.summary, language))
        entries.append(FeedEntry(
            id=_url(f"/drafts/{draft.id}"), title=pick(draft.title, language),
            link=_url(f"/drafts/{draft.id}"),
            updated=max(draft.created_at, last_event.get(draft.id, draft.created_at)),
            summary="\n".join(lines),
            categories=[draft.organization.slug, draft.act_type, status_now.value]))
    title = (gettext_("Drafts closing within {days} days", days=closing_within_days)
             if closing_within_days is not None else gettext_("New draft legal acts"))
    return Feed(id=_url("/feeds/drafts"), title=f"Talkuu: {title}",
                subtitle=gettext_("Draft normative legal acts of the Kyrgyz Republic open for "
                                  "public discussion"),
                link=_url("/drafts"), self_path=self_path, language=language,
                updated=max((e.updated for e in entries), default=_epoch()), entries=entries)


def _closing_soon(*, session: Session, organization: str | None, act_type: str | None,
                  days: int) -> list[drafts_service.DraftState]:
    now = clock.now()
    conditions = [Consultation.opens_at <= now, Consultation.closes_at > now,
                  Consultation.closes_at <= now + timedelta(days=days),
                  Consultation.id.in_(select(func.max(Consultation.id))
                                      .group_by(Consultation.draft_id))]
    query = select(Draft).join(Consultation, Consultation.draft_id == Draft.id).where(*conditions)
    if organization:
        query = query.where(Draft.organization.has(Organization.slug == organization))
    if act_type:
        query = query.where(Draft.act_type == act_type)
    drafts = list(session.scalars(query.order_by(Consultation.closes_at).limit(FEED_SIZE)))
    return [s for s in drafts_service.load_states(session=session, drafts=drafts)
            if s.status() is DraftStatus.UNDER_CONSULTATION]


def _last_events(session: Session, draft_ids: Sequence[int]) -> dict[int, datetime]:
    if not draft_ids:
        return {}
    rows = session.execute(
        select(AuditEntry.entity_id, func.max(AuditEntry.occurred_at))
        .where(AuditEntry.entity_type == "draft", AuditEntry.action.in_(DRAFT_EVENTS),
               AuditEntry.entity_id.in_([str(i) for i in draft_ids]))
        .group_by(AuditEntry.entity_id)).all()
    return {int(entity_id): moment for entity_id, moment in rows}


def draft_events_feed(*, session: Session, draft: Draft, language: str, self_path: str) -> Feed:
    """Everything that happened to one draft, newest first."""
    link = _url(f"/drafts/{draft.id}")
    entries: list[FeedEntry] = []
    for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "draft",
                                     AuditEntry.entity_id == str(draft.id),
                                     AuditEntry.action.in_(DRAFT_EVENTS))
            .order_by(AuditEntry.id)):
        title, summary = _describe(entry)
        entries.append(FeedEntry(id=f"{link}#event-{entry.id}", title=title,
                                 link=_event_link(draft, entry), updated=entry.occurred_at,
                                 summary=summary, categories=[entry.action]))
    now = clock.now()
    rounds = session.scalars(select(Consultation).where(Consultation.draft_id == draft.id)).all()
    for consultation in (c for c in rounds if c.closes_at <= now):
        entries.append(FeedEntry(
            id=f"{link}#round-{consultation.round}-closed",
            title=gettext_("Comment period closed"), link=link, updated=consultation.closes_at,
            summary=gettext_("The comment period (round {round}) ended on {date}.",
                             round=consultation.round, date=_date(consultation.closes_at)),
            categories=["consultation.closed"]))
    # Newest first; events of the same instant in the order they happened.
    entries = [e for _, e in sorted(enumerate(entries), key=lambda p: (p[1].updated, p[0]),
                                    reverse=True)]
    return Feed(id=f"{link}/feed", title=f"Talkuu: {pick(draft.title, language)}",
                subtitle=pick(draft.organization.name, language), link=link,
                self_path=self_path, language=language,
                updated=max((e.updated for e in entries), default=draft.created_at),
                entries=entries,
                changes_at=min((c.closes_at for c in rounds if c.closes_at > now), default=None))


def _event_link(draft: Draft, entry: AuditEntry) -> str:
    if entry.action == "summary.published":
        return _url(f"/drafts/{draft.id}/summary")
    return _url(f"/drafts/{draft.id}")


def _describe(entry: AuditEntry) -> tuple[str, str]:
    after = entry.after or {}
    match entry.action:
        case "draft.published":
            return gettext_("Draft published"), ""
        case "version.published":
            return (gettext_("Version {number} published", number=after.get("version")),
                    after.get("change_note") or "")
        case "consultation.opened":
            urgent = after.get("urgent_reason")
            summary = gettext_("Comments are accepted from {opens} to {closes}.",
                               opens=_date(_parse(after.get("opens_at"))),
                               closes=_date(_parse(after.get("closes_at"))))
            if urgent:
                summary += " " + gettext_("Urgent procedure: {reason}", reason=urgent)
            return gettext_("Comment period opened"), summary
        case "consultation.extended":
            return (gettext_("Comment period extended until {date}",
                             date=_date(_parse(after.get("closes_at")))),
                    after.get("reason") or "")
        case "summary.published":
            return gettext_("Feedback summary published"), ""
    return entry.action, ""


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _status_label(status: DraftStatus) -> str:
    # The same words as the pages' status labels (web/templates/macros/labels.html).
    return {
        DraftStatus.PUBLISHED: gettext_("Published"),
        DraftStatus.UNDER_CONSULTATION: gettext_("Open for comments"),
        DraftStatus.CLOSED: gettext_("Comment period closed"),
        DraftStatus.SUMMARY_PUBLISHED: gettext_("Summary published"),
        DraftStatus.ADOPTED: gettext_("Adopted"),
        DraftStatus.WITHDRAWN: gettext_("Withdrawn"),
    }[status]


def _epoch() -> datetime:
    return datetime(2026, 1, 1, tzinfo=get_settings().tz)


def render(feed: Feed, kind: str) -> bytes:
    """The feed as Atom 1.0 (``kind="atom"``) or RSS 2.0 (``"rss"``)."""
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.subtitle(feed.subtitle or feed.title)
    generator.link(href=feed.link, rel="alternate")
    generator.link(href=_url(feed.self_path), rel="self")
    generator.language(feed.language)
    generator.updated(feed.updated)
    generator.lastBuildDate(feed.updated)
    generator.generator("Talkuu")
    generator.author({"name": "Talkuu"})  # RFC 4287 wants an author for the feed or entries
    for item in reversed(feed.entries):  # feedgen prepends: add oldest first
        entry = generator.add_entry()
        entry.id(item.id)
        entry.guid(item.id, permalink=False)
        entry.title(item.title)
        entry.link(href=item.link)
        entry.updated(item.updated)
        entry.published(item.updated)
        text = item.summary or item.title
        if kind == "atom":
            entry.content(text, type="text")
            entry.description(text)
        else:
            # An RSS description is HTML by convention: readers render it, so the text the
            # users wrote is escaped once more (and content:encoded is left out).
            entry.description(html.escape(text, quote=False))
        for category in item.categories:
            entry.category(term=category)
    return generator.atom_str(pretty=True) if kind == "atom" else generator.rss_str(pretty=True)
