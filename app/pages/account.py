"""The account holder's pages: confirming the email, a forgotten password, the profile with
one's own comments, and following drafts."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.deps import DraftDep
from app.api.ratelimits import PageAccountEmailLimit, raise_if_limited
from app.db import DbSession
from app.errors import NotAuthenticated, TalkuuError
from app.pages.deps import (
    PageForm, PageViewer, SignedIn, attempt, check_honeypot, fields, redirect, referring_path,
    require_csrf,
)
from app.services import auth as auth_service
from app.services import follows as follows_service
from app.services import profile as profile_service
from app.templating import render

router = APIRouter()


@router.get("/verify-email")
def verify_email(request: Request, session: DbSession, viewer: PageViewer,
                 token: str = "") -> Response:
    """The link from the confirmation email."""
    try:
        with attempt(session):
            user = auth_service.verify_email(session=session, token=token)
    except TalkuuError as error:
        return render(request, "account/verified.html", {"error": error.detail()},
                      status_code=error.status_code)
    return render(request, "account/verified.html", {"user": user, "error": None})


@router.get("/forgot-password")
def forgot_password_form(request: Request, viewer: PageViewer) -> Response:
    return render(request, "account/forgot.html", {"values": {}, "error": None, "sent": False})


@router.post("/forgot-password", dependencies=[PageAccountEmailLimit, Depends(require_csrf)])
def forgot_password(request: Request, session: DbSession, viewer: PageViewer,
                    form: PageForm) -> Response:
    """Email a reset link; the page says the same whether the account exists or not."""
    values = fields(form, "email")
    try:
        raise_if_limited(request)
        check_honeypot(form)
        with attempt(session):
            auth_service.request_password_reset(session=session, email=values["email"])
    except TalkuuError as error:
        return render(request, "account/forgot.html",
                      {"values": values, "error": error.detail(), "sent": False},
                      status_code=error.status_code)
    return render(request, "account/forgot.html", {"values": values, "error": None,
                                                   "sent": True})


@router.get("/reset-password")
def reset_password_form(request: Request, viewer: PageViewer, token: str = "") -> Response:
    return render(request, "account/reset.html", {"token": token, "error": None})


@router.post("/reset-password", dependencies=[Depends(require_csrf)])
def reset_password(request: Request, session: DbSession, viewer: PageViewer,
                   form: PageForm) -> Response:
    """Set the new password; every session of the account ends, so sign in again."""
    values = fields(form, "token", "password")
    try:
        with attempt(session):
            auth_service.reset_password(session=session, token=values["token"],
                                        password=values["password"])
    except TalkuuError as error:
        return render(request, "account/reset.html",
                      {"token": values["token"], "error": error.detail()},
                      status_code=error.status_code)
    return redirect("/login?reset=1")


def _signed_in(viewer: PageViewer) -> None:
    if viewer is None:
        raise NotAuthenticated()


def _render_account(request: Request, session: DbSession, viewer: PageViewer, *,
                    values: dict[str, str] | None = None, error: TalkuuError | None = None,
                    notice: str | None = None) -> Response:
    assert viewer is not None
    return render(request, "account/index.html", {
        "account": viewer,
        "values": values or {"name": viewer.name, "affiliation": viewer.affiliation or ""},
        "comments": profile_service.authored_comments(session=session, user=viewer),
        "error": error.detail() if error else None, "notice": notice,
    }, status_code=error.status_code if error else 200)


@router.get("/account", dependencies=[Depends(_signed_in)])
def account(request: Request, session: DbSession, viewer: PageViewer,
            notice: str | None = None) -> Response:
    """Profile, the confirmation state of the address, and one's comments with their answers."""
    return _render_account(request, session, viewer,
                           notice=notice if notice in ("registered", "saved", "sent") else None)


@router.post("/account", dependencies=[Depends(_signed_in), Depends(require_csrf)])
def update_account(request: Request, session: DbSession, viewer: PageViewer,
                   form: PageForm) -> Response:
    values = fields(form, "name", "affiliation")
    assert viewer is not None
    try:
        with attempt(session):
            auth_service.update_profile(session=session, user=viewer, name=values["name"],
                                        affiliation=values["affiliation"])
    except TalkuuError as error:
        return _render_account(request, session, viewer, values=values, error=error)
    request.state.viewer = SignedIn.of(viewer)
    return redirect("/account?notice=saved")


@router.post("/account/verification",
             dependencies=[Depends(_signed_in), PageAccountEmailLimit, Depends(require_csrf)])
def resend_verification(request: Request, session: DbSession, viewer: PageViewer) -> Response:
    """Send the confirmation link again."""
    assert viewer is not None
    try:
        raise_if_limited(request)
        auth_service.send_verification(session=session, user=viewer)
    except TalkuuError as error:
        return _render_account(request, session, viewer, error=error)
    return redirect("/account?notice=sent")


@router.post("/drafts/{draft_id}/follow", dependencies=[Depends(_signed_in),
                                                        Depends(require_csrf)])
def follow(request: Request, draft: DraftDep, session: DbSession, viewer: PageViewer,
           form: PageForm) -> Response:
    """Follow or unfollow a draft (``action`` is "follow" or "unfollow")."""
    assert viewer is not None
    if fields(form, "action")["action"] == "unfollow":
        follows_service.unfollow(session=session, user=viewer, draft=draft)
    else:
        follows_service.follow(session=session, user=viewer, draft=draft)
    return redirect(referring_path(request, f"/drafts/{draft.id}"))
