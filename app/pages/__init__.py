"""Server-rendered pages, on the same app as the API."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.pages import account, auth, comments, drafts, home, moderation, workspace
from app.pages import compliance, monitor, outcomes
from app.pages import answers  # the drafter's answering pages (issue 5)
from app.pages import alerts, opendata, search  # journalists and open data (issue 7)
from app.pages.deps import login_redirect, page_viewer, referring_path
from app.templating import render


def build_router() -> APIRouter:
    # Every page learns who is looking first, so that even its error page shows the right
    # header (the viewer is copied into request.state before anything can fail).
    router = APIRouter(include_in_schema=False, dependencies=[Depends(page_viewer)])
    for module in (home, auth, account, drafts, comments, moderation, workspace):
        router.include_router(module.router)
    router.include_router(answers.router)
    for module in (compliance, monitor, outcomes):  # the Ministry's watch (issue 6)
        router.include_router(module.router)
    for module in (alerts, search, opendata):  # issue 7
        router.include_router(module.router)
    return router


def render_error(request: Request, *, status: int, payload: dict[str, object],
                 headers: dict[str, str] | None = None) -> Response:
    """The error page for a page request; "please sign in" is a trip to the sign-in form."""
    if status == 401:
        if request.method in ("GET", "HEAD"):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            here = referring_path(request)
        return login_redirect(here)
    return render(request, "error.html", {"status": status, "error": payload},
                  status_code=status, headers=headers)
