"""Admission control: how many requests of each kind a process works on at once.

Sync routes and dependencies run on a pool of threads (40 by default), and a request hops
between threads: the dependencies, the handler and the commit each take one. A request that
holds a lock between two hops (SQLite's write lock, PostgreSQL's audit-chain lock, a row lock)
needs a free thread to finish. Under a surge, without a gate, every thread can end up waiting
for that very lock, or for a pooled connection that such a waiter holds, and the process stalls
until timeouts fire (seen in tests/test_concurrent_comments.py: 174 of 200 comments failed).

So requests wait *here*, on the event loop, where waiting costs no thread and no connection:
at most ``writes`` writing and ``reads`` reading requests are inside the app at once, and the
thread pool and the connection pool are sized above that (``ensure_threads``,
``app.db.make_engine``), so whoever holds a lock always finds a thread and a connection.
A writing request's body is read before it is admitted, so a slow client holds no place.
The JSON API's comment submissions take no write place: they wait for their batch on the loop,
and the batches hold at most ``comment_intake.LANES`` threads and connections.

One client address has at most ``writes_per_client`` (one by default) of the write places at
once, and as many comment submissions in the batch intake; its further writes wait for one of
its own to finish.  A bot bursting thousands of submissions from one address then cannot fill
every place and make everybody else queue behind it (issue 9, scenario 3); its attempts are
still counted and refused by the rate limits.  One rather than the four it was: with four, the
bot's submissions that reach the app filled each batch with four of its comments, and the
users' comments that joined those batches (or waited for them) took twice as long as in calm
(bench/README.md); a person sends one thing at a time, and an office behind one address waits
a batch (milliseconds) per colleague.  Behind a reverse proxy this needs the client's address
from the proxy (``FORWARDED_ALLOW_IPS``, see docs/deploy.md), or every request shares the
proxy's address and the cap becomes a limit on the whole site: it is then better switched off
(set it to 64, the most a batch holds, as docs/deploy.md says).
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import comment_intake
from app.api.ratelimits import credential_and_address
from app.config import get_settings
from app.db import READ_METHODS
from app.errors import RateLimited
from app.services import ratelimit as ratelimit_service

UNGATED_PREFIXES = ("/static/",)


class ConcurrencyGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._reads: asyncio.Semaphore | None = None
        self._writes: asyncio.Semaphore | None = None
        self._clients: dict[str, _ClientPlaces] = {}

    def _semaphores(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        if self._reads is None or self._writes is None:
            # Made on first use, inside the event loop that serves the requests.
            settings = get_settings()
            ensure_threads()
            self._reads = asyncio.Semaphore(settings.max_concurrent_reads)
            self._writes = asyncio.Semaphore(settings.max_concurrent_writes)
        return self._reads, self._writes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        reads, writes = self._semaphores()
        if scope["method"] in READ_METHODS:
            async with reads:
                await self.app(scope, receive, send)
            return
        messages = await _buffered(receive)
        replay = iter(messages)

        async def replaying_receive() -> Message:
            message = next(replay, None)
            return message if message is not None else await receive()

        client = scope.get("client")
        async with self._client_places(client[0] if client else ""):
            if _batched(scope):
                # It waits for its batch on the loop and holds no thread or connection
                # (app/api/comment_intake.py): a write place would only cap the batches.
                await self.app(scope, replaying_receive, send)
                return
            async with writes:
                await self.app(scope, replaying_receive, send)

    @contextlib.asynccontextmanager
    async def _client_places(self, address: str) -> AsyncIterator[None]:
        places = self._clients.get(address)
        if places is None:
            places = self._clients[address] = _ClientPlaces(
                asyncio.Semaphore(get_settings().max_concurrent_writes_per_client))
        places.users += 1
        try:
            async with places.semaphore:
                yield
        finally:
            places.users -= 1
            if places.users == 0:
                del self._clients[address]  # only addresses with a request in hand are kept


# The JSON API's comment submission, the route a bot floods (issue 9, scenario 3).
_COMMENT_SUBMISSION = re.compile(r"/api/v1/drafts/[0-9]+/comments")


def _batched(scope: Scope) -> bool:
    """A JSON comment submission, which joins a batch (a form with files is handled alone)."""
    if scope["method"] != "POST" or not _COMMENT_SUBMISSION.fullmatch(scope["path"]):
        return False
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"),
                        b"")
    return not comment_intake.is_form(content_type.decode("latin-1"))


class RefusedAtTheDoor:
    """A comment submission from a subject refused a moment ago is answered 429 here, before
    the gate, the routing and the dependencies: a bot's flood then costs each of its requests
    a header lookup and a short answer.  Only an optimisation: the route counts every attempt
    it receives and refuses by the same memory (``ratelimit.check``), so nothing depends on
    this layer seeing a request first.  Inside RequestContextMiddleware, so the refusal is in
    the caller's language and carries the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST"
                and _COMMENT_SUBMISSION.fullmatch(scope["path"])):
            retry_after = ratelimit_service.remembered_refusal(
                "comment", credential_and_address(Request(scope)))
            if retry_after is not None:
                refusal = RateLimited(retry_after=retry_after)
                await JSONResponse(refusal.payload(), status_code=429,
                                   headers={"Retry-After": str(retry_after)})(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass
class _ClientPlaces:
    semaphore: asyncio.Semaphore
    users: int = 0


async def _buffered(receive: Receive) -> list[Message]:
    """The whole request body (its size is capped by the middleware outside this one)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def ensure_threads() -> None:
    """Give the thread pool room for every admitted request plus the hops of a lock holder."""
    settings = get_settings()
    limiter = anyio.to_thread.current_default_thread_limiter()
    needed = (settings.max_concurrent_reads + settings.max_concurrent_writes
              + comment_intake.LANES + 8)
    if limiter.total_tokens < needed:
        limiter.total_tokens = needed
