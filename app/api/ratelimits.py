"""Rate-limit dependencies. Each runs before the request's own transaction begins, in a short
transaction of its own, so that attempts are counted even when the request then fails.

The JSON API's comment submission, the busiest write, counts inside its own transaction instead
(app/api/comment_intake.py says how a failed attempt still counts), and a subject refused a
moment ago is refused before routing (``app.gate.RefusedAtTheDoor``)."""

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.deps import SESSION_COOKIE, bearer_token
from app.db import SideSessions
from app.errors import RateLimited
from app.services import ratelimit as ratelimit_service
from app.services.ratelimit import Subject


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _credential(request: Request) -> str | None:
    token = bearer_token(request)
    if token:
        return "bearer:" + hashlib.sha256(token.encode()).hexdigest()
    cookie = request.cookies.get(SESSION_COOKIE)
    return "session:" + hashlib.sha256(cookie.encode()).hexdigest() if cookie else None


def count_attempt(sessions: Callable[[], Session], action: str, subject: Subject) -> None:
    """Count one attempt of ``action`` by ``subject`` in a transaction of its own, committed
    whatever the outcome (RateLimited past a limit)."""
    with sessions() as session:
        try:
            ratelimit_service.check(session=session, action=action, subject=subject)
        except RateLimited:
            session.commit()  # the refused attempt counts too
            raise
        except BaseException:
            # The database failed (e.g. it is restarting): let that error through as it is,
            # so that it becomes a 503, instead of a commit on a dead transaction (a 500).
            session.rollback()
            raise
        session.commit()


async def _submitted_username(request: Request) -> str | None:
    form = await request.form()  # cached by Starlette; the endpoint reads it again for free
    value = form.get("username") or form.get("email")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


async def _submitted_email(request: Request) -> str | None:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return None
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = (await request.form()).get("email")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def limit_account_email(request: Request, sessions: SideSessions,
                        email: Annotated[str | None, Depends(_submitted_email)]) -> None:
    """Requests that email a link (password reset, verification again) per address and email."""
    count_attempt(sessions, "account_email",
           Subject(account=email or _credential(request), address=_address(request)))


def limit_sign_in(request: Request, sessions: SideSessions,
                  username: Annotated[str | None, Depends(_submitted_username)]) -> None:
    """Sign-in attempts per account (the email tried) and per address."""
    count_attempt(sessions, "sign_in", Subject(account=username, address=_address(request)))


def limit_registration(request: Request, sessions: SideSessions) -> None:
    """Registrations per address."""
    count_attempt(sessions, "register", Subject(account=None, address=_address(request)))


def credential_and_address(request: Request) -> Subject:
    """Who submits: the hashed credential (bearer token or session cookie) and the address."""
    return Subject(account=_credential(request), address=_address(request))


def limit_commenting(request: Request, sessions: SideSessions) -> None:
    """Comment submissions per account (its credential) and per address."""
    count_attempt(sessions, "comment", credential_and_address(request))


def limit_supporting(request: Request, sessions: SideSessions) -> None:
    """Supports given or taken back, counted like comments (the "support" policy row)."""
    count_attempt(sessions, "support", credential_and_address(request))


def limit_flagging(request: Request, sessions: SideSessions) -> None:
    """Reports of comments, counted like comments (the "flag" policy row)."""
    count_attempt(sessions, "flag", credential_and_address(request))


def _refused_on_the_loop(action: str, limit: Callable[[Request, Callable[[], Session]], None]
                         ) -> Callable[..., Awaitable[None]]:
    """``limit`` as an async dependency: a refusal remembered a moment ago is given at once on
    the event loop, without a hop to a thread (under a bot's flood those hops are most of what
    a 429 costs); otherwise ``limit`` counts in a thread as usual."""
    async def dependency(request: Request, sessions: SideSessions) -> None:
        retry_after = ratelimit_service.remembered_refusal(
            action, credential_and_address(request))
        if retry_after is not None:
            raise RateLimited(retry_after=retry_after)
        await run_in_threadpool(limit, request, sessions)
    return dependency


def limit_subscribing(request: Request, sessions: SideSessions,
                      email: Annotated[str | None, Depends(_submitted_email)]) -> None:
    """Alert subscriptions per address subscribed and per network address."""
    count_attempt(sessions, "alert_subscribe", Subject(account=email, address=_address(request)))


AccountEmailLimit = Depends(limit_account_email)
SignInLimit = Depends(limit_sign_in)
RegistrationLimit = Depends(limit_registration)
SupportLimit = Depends(_refused_on_the_loop("support", limit_supporting))
FlagLimit = Depends(_refused_on_the_loop("flag", limit_flagging))
SubscribeLimit = Depends(limit_subscribing)


# --- pages -------------------------------------------------------------------------------------
# A page re-renders its form with what the user typed when refused, so the page variants keep
# the refusal for the route (``raise_if_limited``) instead of raising before it runs.

def _defer(request: Request, count: Callable[[], None]) -> None:
    try:
        count()
    except RateLimited as refusal:
        request.state.rate_limited = refusal


def raise_if_limited(request: Request) -> None:
    """Raise the refusal a page's rate-limit dependency kept, if there was one."""
    refusal = getattr(request.state, "rate_limited", None)
    if refusal is not None:
        raise refusal


def page_limit_sign_in(request: Request, sessions: SideSessions,
                       username: Annotated[str | None, Depends(_submitted_username)]) -> None:
    _defer(request, lambda: limit_sign_in(request, sessions, username))


def page_limit_registration(request: Request, sessions: SideSessions) -> None:
    _defer(request, lambda: limit_registration(request, sessions))


def page_limit_commenting(request: Request, sessions: SideSessions) -> None:
    _defer(request, lambda: limit_commenting(request, sessions))


def page_limit_account_email(request: Request, sessions: SideSessions,
                             email: Annotated[str | None, Depends(_submitted_email)]) -> None:
    _defer(request, lambda: limit_account_email(request, sessions, email))


PageAccountEmailLimit = Depends(page_limit_account_email)
PageSignInLimit = Depends(page_limit_sign_in)
PageRegistrationLimit = Depends(page_limit_registration)
def page_limit_subscribing(request: Request, sessions: SideSessions,
                           email: Annotated[str | None, Depends(_submitted_email)]) -> None:
    _defer(request, lambda: limit_subscribing(request, sessions, email))


PageCommentLimit = Depends(page_limit_commenting)
PageSubscribeLimit = Depends(page_limit_subscribing)
