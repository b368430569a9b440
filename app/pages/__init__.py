"""Server-rendered pages, on the same app as the API."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.templating import render


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    return router


def render_error(request: Request, *, status: int, payload: dict[str, object],
                 headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page for a page request."""
    return render(request, "error.html", {"status": status, "error": payload},
                  status_code=status, headers=headers)
