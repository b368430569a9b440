"""Signing in, registering and signing out in the browser (a session cookie, CSRF-checked forms)."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.deps import SESSION_COOKIE
from app.api.ratelimits import PageRegistrationLimit, PageSignInLimit, raise_if_limited
from app.config import get_settings
from app.db import DbSession
from app.errors import TalkuuError
from app.models import Role, TokenKind, User
from app.pages.deps import (
    PageForm, attempt, check_honeypot, fields, redirect, require_csrf, safe_next,
)
from app.services import auth as auth_service
from app.templating import render

router = APIRouter()


def _start_session(request: Request, response: Response, *, session: DbSession,
                   user: User) -> None:
    """A new session token at every sign-in; the browser's previous one ends."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        auth_service.revoke_token(session=session, raw=previous)
    raw = auth_service.issue_token(session=session, user=user, kind=TokenKind.SESSION)
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, raw, max_age=settings.session_days * 86400, path="/",
                        secure=settings.secure_cookies, httponly=True, samesite="lax")


def _landing(user: User, next_path: str) -> str:
    default = "/workspace" if user.role is Role.DRAFTER else "/"
    return safe_next(next_path, default)


def _form(request: Request, template: str, values: dict[str, Any], *,
          error: TalkuuError | None = None) -> Response:
    values.pop("password", None)  # never sent back to the browser
    return render(request, template, {
        "values": values, "next": safe_next(values.get("next"), ""),
        "error": error.detail() if error else None,
        "page_path": request.url.path, "min_password": auth_service.MIN_PASSWORD_LENGTH,
    }, status_code=error.status_code if error else 200)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return _form(request, "auth/login.html", {"next": next or ""})


@router.post("/login", dependencies=[PageSignInLimit, Depends(require_csrf)])
def login(request: Request, session: DbSession, form: PageForm) -> Response:
    """Check the password, start a session, go where the user was going."""
    values = fields(form, "email", "password", "next")
    try:
        raise_if_limited(request)
        with attempt(session):
            user = auth_service.authenticate(session=session, email=values["email"],
                                             password=values["password"])
            response = redirect(_landing(user, values["next"]))
            _start_session(request, response, session=session, user=user)
    except TalkuuError as error:
        return _form(request, "auth/login.html", values, error=error)
    return response


@router.get("/register")
def register_form(request: Request, next: str | None = None) -> Response:
    """The form to create a citizen's account."""
    return _form(request, "auth/register.html", {"next": next or ""})


@router.post("/register", dependencies=[PageRegistrationLimit, Depends(require_csrf)])
def register(request: Request, session: DbSession, form: PageForm) -> Response:
    """Create the account and sign it in."""
    values = fields(form, "name", "email", "password", "next")
    try:
        raise_if_limited(request)
        check_honeypot(form)
        with attempt(session):
            user = auth_service.register(session=session, email=values["email"],
                                         password=values["password"], name=values["name"])
            # Where the new citizen was going, else the account page that says to check the
            # inbox for the confirmation link.
            response = redirect(safe_next(values["next"], "/account?notice=registered"))
            _start_session(request, response, session=session, user=user)
    except TalkuuError as error:
        return _form(request, "auth/register.html", values, error=error)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: DbSession) -> Response:
    """End the session on the server, then forget the cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        auth_service.revoke_token(session=session, raw=raw)
    response = redirect("/")
    settings = get_settings()
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")
    return response
