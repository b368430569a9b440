"""Feeds: GET /feeds/drafts.atom|.rss and GET /drafts/{id}/feed.atom, with conditional GET."""

import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import pagecache
from app.api.deps import IdPath
from app.db import DbSession
from app.i18n import LANGUAGES, current_language
from app.models import DraftStatus
from app.services import drafts as drafts_service
from app.services import feeds as feeds_service
from app.services.feeds import Feed

router = APIRouter(tags=["feeds"])
MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8",
               "rss": "application/rss+xml; charset=utf-8"}


def _not_modified(request: Request, etag: str, updated: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return updated.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _respond(request: Request, feed: Feed, kind: str) -> Response:
    body = feeds_service.render(feed, kind)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60",
               "Last-Modified": format_datetime(feed.updated.astimezone(timezone.utc),
                                                usegmt=True),
               "Vary": "Accept-Language, Cookie"}
    if _not_modified(request, etag, feed.updated):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def _drafts(request: Request, session: DbSession, kind: str, organization: str | None,
            act_type: str | None, status: DraftStatus | None,
            closing_within: int | None) -> Response:
    feed = feeds_service.drafts_feed(
        session=session, organization=organization, act_type=act_type, status=status,
        closing_within_days=closing_within, language=current_language.get(),
        self_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return _respond(request, feed, kind)


@router.get("/feeds/drafts.atom", response_class=Response)
def drafts_atom(request: Request, session: DbSession, organization: str | None = None,
                act_type: str | None = None, status: DraftStatus | None = None,
                closing_within: Annotated[int | None, Query(ge=1, le=90)] = None) -> Response:
    """New drafts as Atom 1.0; ``closing_within=7``: periods closing within 7 days."""
    return _drafts(request, session, "atom", organization, act_type, status, closing_within)


@router.get("/feeds/drafts.rss", response_class=Response)
def drafts_rss(request: Request, session: DbSession, organization: str | None = None,
               act_type: str | None = None, status: DraftStatus | None = None,
               closing_within: Annotated[int | None, Query(ge=1, le=90)] = None) -> Response:
    """New drafts as RSS 2.0."""
    return _drafts(request, session, "rss", organization, act_type, status, closing_within)


@router.get("/drafts/{draft_id}/feed.atom", response_class=Response)
def draft_events(request: Request, draft_id: IdPath, session: DbSession) -> Response:
    """One draft's events: versions, periods opened, extended and closed, the summary.

    The same for every reader of a language, so it is kept per process until anything
    changes or a period's end arrives (app/pagecache.py).
    """
    def render() -> pagecache.Rendered:
        # The draft is loaded here, after the cache has read its stamp (never before it).
        draft = drafts_service.get_draft(session=session, draft_id=draft_id)
        feed = feeds_service.draft_events_feed(session=session, draft=draft,
                                               language=current_language.get(),
                                               self_path=request.url.path)
        return pagecache.Rendered(body=feeds_service.render(feed, "atom"),
                                  media_type=MEDIA_TYPES["atom"], valid_until=feed.changes_at,
                                  last_modified=feed.updated)

    # Readers and proxies may keep it a minute: a feed reader polls, it does not act on it.
    kept_for = "public, max-age=60"
    if not pagecache.cacheable_query(request, {"lang": LANGUAGES}):
        entry = pagecache.uncached(render, kept_for)
    else:
        entry = pagecache.lookup_draft(request, session=session, draft_id=draft_id,
                                       render=render, cache_control=kept_for)
    return pagecache.respond(request, entry)
