"""A per-process cache of what anonymous visitors read, exact to the last state change.

A flash crowd (a draft on the evening news) reads one draft page and its feed thousands of
times a minute, and each rendering costs tens of milliseconds of one core. What anonymous
visitors see depends only on the database, the language, the address and the clock, so a
rendering is kept and served again while none of those has changed:

- **The database**: every state change in this app appends an entry to the audit log in the
  same transaction (``app/services/audit.py``), so the newest entry's id is a stamp of the whole
  state. It is read *before* anything the page shows, so a rendering holds at least what was
  committed up to its stamp; once anything else is committed, the stamp is newer and the
  rendering is passed over (unless the entries in between concern only other drafts or
  nothing public: ``draft_untouched``; then it is kept under the newer stamp). This relies on
  entries being committed in the order of their ids: they are inserted under a transaction
  lock held until the commit on PostgreSQL (``audit._chain``), and SQLite has one writer. Were
  that to change (or a change to slip past the audit log), a rendering could be older than its
  stamp: ``TTL_SECONDS`` bounds how long such a rendering lives.
- **The language and the address**: part of the key (language, path, query string); only the
  query parameters a page knows are cached, so made-up ones cannot fill the cache.
- **The clock**: a period opens or closes and "3 days left" becomes 2 without any write; each
  rendering says until when (by ``app.clock``) it holds, and is not used outside
  [rendered at, valid until), so a closed period never shows its form.

Only requests without a session cookie and without a bearer token are served from here, and
nothing per user is in a cached rendering (one carrying the visitor's CSRF token is served but
not kept: ``_store``).  Once a page is kept, its readers are answered at the door
(``KeptPages``, a middleware before routing: the stamp read, nothing else); the routes are
reached only by what has to be rendered.

One exception, for a crowd: while one request renders a page again after a change, the
others asking for that same page meanwhile get the rendering it replaces (``stale_while``)
instead of queueing behind it; so a page is at most one rendering's time (a fraction of a
second) behind the last change, and only for the anonymous readers who arrive during that
rendering.  They could not tell it from having arrived a moment earlier; whoever made the
change is signed in and never served from here.  Without it, every comment on a draft that a
crowd is reading stopped the whole crowd of each process for a rendering (bench/load.py,
scenario 2 "while comments come in").  The clock still applies: a rendering past its
``valid_until`` is never served (a closed period never shows its form).

The cache is per process (shared nothing: each server process renders once per change), kept
on the application object, bounded in bytes with least-recently-used eviction. A rendering is
kept both as it is and gzip-compressed; each client gets the form it accepts, with an ETag for
``If-None-Match`` (304) and ``Cache-Control: no-cache``: a browser or proxy may keep the page
but must ask again, because any comment may change it.
"""

import contextlib
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app import clock, i18n
from app.api.deps import SESSION_COOKIE
from app.db import reading_sessions
from app.models import AuditEntry, Comment
from app.services import auth as auth_service

log = logging.getLogger("talkuu.pagecache")

# Changes are seen through the stamp at once; the TTL only bounds what the stamp could miss.
# Short TTLs cost: each rendering holds the interpreter for a while (a whole draft page of 500
# clauses takes about 0.1 s), during which the process answers nobody.
TTL_SECONDS = 30.0
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 16 * 1024 * 1024
RENDER_LOCKS = 64
VARY = "Accept-Encoding, Accept-Language, Cookie"


@dataclass(frozen=True)
class Rendered:
    """What a page hands to the cache: its body and until when the clock leaves it valid."""

    body: bytes
    media_type: str
    valid_until: datetime | None = None  # None: only a write changes it
    last_modified: datetime | None = None  # for Last-Modified and If-Modified-Since


@dataclass(frozen=True)
class Entry:
    stamp: int
    body: bytes
    gzipped: bytes
    media_type: str
    etag: str
    last_modified: datetime | None
    rendered_at: datetime  # by app.clock
    valid_until: datetime | None
    made: float  # time.monotonic()
    draft_id: int | None = None  # a page about this draft: kept across changes to others
    cache_control: str = "no-cache"

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    def holds(self, stamp: int, now: datetime) -> bool:
        """Nothing was written since ``stamp`` was read that this rendering lacks (one made
        after a later stamp shows more, not less), and the clock is within what it shows."""
        return (self.stamp >= stamp and self.rendered_at <= now
                and (self.valid_until is None or now < self.valid_until))

    def expired(self, monotonic: float, ttl: float) -> bool:
        return monotonic - self.made >= ttl


Key = tuple[str, ...]


class PageCache:
    """Renderings by key, least recently used first out once ``max_bytes`` are held."""

    def __init__(self, *, max_bytes: int = MAX_BYTES, ttl: float = TTL_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # One rendering of a page at a time: the crowd waits for it instead of repeating it.
        self._render_locks = [threading.Lock() for _ in range(RENDER_LOCKS)]
        self._rendering: dict[Key, int] = {}  # key -> requests rendering it now

    def get(self, key: Key) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, entry: Entry) -> None:
        if entry.size > MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                _key, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def render_lock(self, key: Key) -> threading.Lock:
        return self._render_locks[hash(key) % RENDER_LOCKS]

    @contextlib.contextmanager
    def rendering(self, key: Key) -> Iterator[None]:
        """Mark ``key`` as being rendered while the block runs (``being_rendered``)."""
        with self._lock:
            self._rendering[key] = self._rendering.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._rendering.pop(key) - 1
                if left:
                    self._rendering[key] = left

    def __contains__(self, key: Key) -> bool:
        return key in self._entries

    def being_rendered(self, key: Key) -> bool:
        """Whether a request is rendering this very page now (not only another page that
        shares its lock)."""
        return key in self._rendering

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


_creation = threading.Lock()


def of_app(request: Request) -> PageCache:
    """The cache of this application (one per process)."""
    state = request.app.state
    cache = getattr(state, "page_cache", None)
    if cache is None:
        with _creation:
            cache = getattr(state, "page_cache", None)
            if cache is None:
                cache = state.page_cache = PageCache()
    return cache


def anonymous(request: Request) -> bool:
    """A request that no session cookie or token could make personal."""
    return not request.cookies.get(SESSION_COOKIE) and "authorization" not in request.headers


def cacheable_query(request: Request, known: Mapping[str, Collection[str] | None]) -> bool:
    """Whether the query string holds only parameters the page knows, each at most once and
    with one of its values (None: any value the route accepts)."""
    items = request.query_params.multi_items()
    if len({name for name, _value in items}) != len(items):
        return False
    return all(name in known and (known[name] is None or value in known[name])
               for name, value in items)


def page_key(request: Request, *parts: object) -> Key:
    """The key of what ``request`` reads: the page's own parts, language, path and query."""
    return (*(str(p) for p in parts), i18n.current_language.get(), request.url.path,
            request.url.query)


def current_stamp(session: Session) -> int:
    """The id of the newest audit entry: it changes with every state change."""
    return session.scalar(select(func.max(AuditEntry.id))) or 0


# Audit entries that change nothing a public page about a draft shows.
UNSEEN_ENTITIES = frozenset({"answer_template", "alert_subscription", "compliance_digest"})
UNSEEN_ACTIONS = frozenset({"user.created", "user.verified", "user.password_reset",
                            "follow.started", "follow.stopped", "organization.created"})
MAX_ENTRIES_CHECKED = 200


def draft_untouched(session: Session, draft_id: int, since: int, until: int) -> bool:
    """Whether the audit entries after ``since`` up to ``until`` leave every public page about
    draft ``draft_id`` as it was: all of them concern other drafts (their comments, campaigns)
    or nothing public. Anything not known to be elsewhere counts as a change, and so do more
    than MAX_ENTRIES_CHECKED entries."""
    rows = session.execute(
        select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.action)
        .where(AuditEntry.id > since, AuditEntry.id <= until)
        .limit(MAX_ENTRIES_CHECKED + 1)).all()
    if len(rows) > MAX_ENTRIES_CHECKED:
        return False
    comments: set[int] = set()
    groups: set[int] = set()
    for entity_type, entity_id, action in rows:
        if entity_type in UNSEEN_ENTITIES or action in UNSEEN_ACTIONS:
            continue
        if entity_type == "draft" and entity_id != str(draft_id):
            continue
        if entity_type == "comment" and entity_id.isdigit():
            comments.add(int(entity_id))
        elif entity_type == "comment_group" and entity_id.isdigit():
            groups.add(int(entity_id))
        else:
            return False
    if not comments and not groups:
        return True
    return session.scalar(select(Comment.id).where(
        Comment.draft_id == draft_id,
        or_(Comment.id.in_(sorted(comments)), Comment.group_id.in_(sorted(groups))))
        .limit(1)) is None


def lookup(request: Request, *, session: Session, key: Key, render: Callable[[], Rendered],
           draft_id: int | None = None, cache_control: str = "no-cache") -> Entry:
    """The rendering of ``key`` that holds now, rendered by ``render`` if there is none.

    ``render`` must read everything it shows from ``session`` *after* this is called (the
    stamp is read first). With ``draft_id``, a page about that draft: a rendering is kept
    under a newer stamp when the changes in between concern only other drafts or nothing
    public (``draft_untouched``; its TTL still counts from its rendering), so that comments on
    other drafts do not make a crowd's page render again and again.
    """
    cache = of_app(request)
    stamp = current_stamp(session)
    entry = _moved_on(cache, key, session, stamp)
    served = _without_rendering(cache, key, entry, stamp)
    if served is not None:
        return served
    if entry is not None and entry.holds(stamp, clock.now()):
        # Only the TTL ran out: one request renders again, the others keep this one meanwhile.
        lock = cache.render_lock(key)
        if not lock.acquire(blocking=False):
            return entry
        try:
            return _store(request, cache, key, stamp, render, draft_id, cache_control)
        finally:
            lock.release()
    with cache.render_lock(key):
        entry = cache.get(key)  # another request may have rendered it while this one waited
        if (entry is not None and entry.holds(stamp, clock.now())
                and not entry.expired(time.monotonic(), cache.ttl)):
            return entry
        return _store(request, cache, key, stamp, render, draft_id, cache_control)


def _moved_on(cache: PageCache, key: Key, session: Session, stamp: int) -> Entry | None:
    """The kept rendering of ``key``, moved on to ``stamp`` (and kept so) when it is a page
    about a draft that the changes since its own stamp leave as it was."""
    entry = cache.get(key)
    if (entry is not None and entry.draft_id is not None and entry.stamp < stamp
            and replace(entry, stamp=stamp).holds(stamp, clock.now())
            and not entry.expired(time.monotonic(), cache.ttl)
            and draft_untouched(session, entry.draft_id, entry.stamp, stamp)):
        entry = replace(entry, stamp=stamp)
        cache.put(key, entry)
    return entry


def servable(cache: PageCache, key: Key, session: Session) -> Entry | None:
    """What ``lookup`` would answer without rendering anything: the kept rendering of ``key``
    when it holds now and its TTL has not run out, or while it is being rendered again
    (``stale_while``); None when only a rendering will do."""
    stamp = current_stamp(session)
    return _without_rendering(cache, key, _moved_on(cache, key, session, stamp), stamp)


def _without_rendering(cache: PageCache, key: Key, entry: Entry | None,
                       stamp: int) -> Entry | None:
    """``entry`` if it may be served as it is: it holds at ``stamp`` and its TTL has not run
    out, or this page is being rendered again meanwhile (``stale_while``)."""
    if entry is None:
        return None
    now = clock.now()
    if entry.holds(stamp, now) and not entry.expired(time.monotonic(), cache.ttl):
        return entry
    return entry if stale_while(cache, key, entry, now) else None


def stale_while(cache: PageCache, key: Key, entry: Entry, now: datetime) -> bool:
    """Whether ``entry``, older than the last change, may be served because this very page is
    being rendered again right now (the module's docstring says why); never outside the clock
    span it shows, nor past the TTL."""
    return (cache.being_rendered(key) and entry.rendered_at <= now
            and (entry.valid_until is None or now < entry.valid_until)
            and not entry.expired(time.monotonic(), cache.ttl))


def lookup_draft(request: Request, *, session: Session, draft_id: int,
                 render: Callable[[], Rendered], cache_control: str = "no-cache") -> Entry:
    """``lookup`` of a page about draft ``draft_id``, keyed by what ``request`` reads, kept
    across changes that concern only other drafts."""
    return lookup(request, session=session, key=page_key(request), render=render,
                  draft_id=draft_id, cache_control=cache_control)


def uncached(render: Callable[[], Rendered], cache_control: str = "no-cache") -> Entry:
    """A rendering for this request only, answered like a kept one but not kept."""
    rendered_at = clock.now()
    return _entry(0, render(), rendered_at, None, cache_control)


def _entry(stamp: int, page: Rendered, rendered_at: datetime, draft_id: int | None,
           cache_control: str) -> Entry:
    return Entry(stamp=stamp, body=page.body, gzipped=gzip.compress(page.body, 6, mtime=0),
                 media_type=page.media_type,
                 etag='W/"' + hashlib.sha256(page.body).hexdigest()[:32] + '"',
                 last_modified=page.last_modified, rendered_at=rendered_at,
                 valid_until=page.valid_until, made=time.monotonic(), draft_id=draft_id,
                 cache_control=cache_control)


def _store(request: Request, cache: PageCache, key: Key, stamp: int,
           render: Callable[[], Rendered], draft_id: int | None, cache_control: str) -> Entry:
    rendered_at = clock.now()
    with cache.rendering(key):
        entry = _entry(stamp, render(), rendered_at, draft_id, cache_control)
    if _personal(request, entry.body):
        # A form meant for this browser must never be handed to another: served, not kept.
        log.warning("not cached, it holds the visitor's CSRF token: %s", request.url.path)
    else:
        cache.put(key, entry)
    return entry


def _personal(request: Request, body: bytes) -> bool:
    seed = request.scope.get("state", {}).get("csrf_seed", "")
    return bool(seed) and auth_service.csrf_token(seed).encode() in body


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _sep, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=")
            try:
                return quality == "" or float(quality) > 0
            except ValueError:
                return False
    return False


def not_modified(request: Request, entry: Entry) -> bool:
    """The client already has this rendering: ``If-None-Match`` names it (weak comparison, as
    for any GET), or without one, ``If-Modified-Since`` is not older than it."""
    header = request.headers.get("if-none-match")
    if header is not None:
        tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
        return "*" in tags or entry.etag.removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since and entry.last_modified is not None:
        try:
            return entry.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def respond(request: Request, entry: Entry) -> Response:
    """The rendering as the client accepts it, or 304 when it already has it."""
    headers = {"ETag": entry.etag, "Vary": VARY, "Cache-Control": entry.cache_control}
    if entry.last_modified is not None:
        headers["Last-Modified"] = format_datetime(entry.last_modified.astimezone(timezone.utc),
                                                   usegmt=True)
    if not_modified(request, entry):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped, media_type=entry.media_type, headers=headers)
    return Response(entry.body, media_type=entry.media_type, headers=headers)


class KeptPages:
    """Pure ASGI middleware: an anonymous GET of a page this process keeps is answered here,
    before routing.  Only the stamp is read (one hop to a thread, ``servable``); the rest of
    the way (FastAPI's routing, the dependencies' three hops to threads, the route) cost about
    three times as much as the answer itself, for every reader of a crowd (bench/render_bench.py,
    "served from the page cache").  Whatever ``servable`` cannot answer (nothing kept, a
    change since, an error reading the stamp) goes on to the app, which renders, waits or
    answers the error as before.  It sits inside the language middleware (the key has the
    language) and the concurrency gate (a crowd is still admitted by it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        application = scope.get("app")
        cache = getattr(getattr(application, "state", None), "page_cache", None)
        if scope["type"] == "http" and scope["method"] == "GET" and cache is not None:
            request = Request(scope)
            key = page_key(request)
            if key in cache and anonymous(request):
                entry = await run_in_threadpool(_servable_now, application, cache, key)
                if entry is not None:
                    await respond(request, entry)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _servable_now(application: FastAPI, cache: PageCache, key: Key) -> Entry | None:
    try:
        with reading_sessions(application)() as session:
            return servable(cache, key, session)
    except (DBAPIError, PoolTimeout):
        return None  # the route answers it: a 503 while the database is down
    except Exception:  # noqa: BLE001 - the route renders it, or answers the error itself
        log.exception("a kept page could not be answered at the door: %s", key)
        return None
