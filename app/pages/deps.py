"""What the page routes share: who is looking, the posted form, CSRF, redirects, form values."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.api.deps import CSRF_COOKIE, Viewer
from app.api.uploads import MAX_UPLOAD_BYTES
from app.config import get_settings
from app.errors import CsrfFailed, HoneypotFilled, InvalidInput
from app.models import Role, User
from app.services import auth as auth_service


@dataclass(frozen=True)
class SignedIn:
    """What the layout shows of the signed-in user.

    A plain copy, not the ORM object: an error page is rendered after the request's session
    has rolled back and closed, when the ORM object can no longer be read.
    """

    id: int
    name: str
    role: Role
    organization_id: int | None
    organization_name: dict[str, str | None] | None

    @classmethod
    def of(cls, user: User) -> "SignedIn":
        organization = user.organization
        return cls(id=user.id, name=user.name, role=user.role,
                   organization_id=user.organization_id,
                   organization_name=organization.name if organization else None)

    @property
    def is_drafter(self) -> bool:
        return self.role is Role.DRAFTER


def page_viewer(request: Request, viewer: Viewer) -> User | None:
    """The signed-in user (or None), also remembered for the layout of this request."""
    request.state.viewer = SignedIn.of(viewer) if viewer is not None else None
    return viewer


PageViewer = Annotated[User | None, Depends(page_viewer)]


async def page_form(request: Request) -> FormData:
    """The posted form; a draft's text pasted into a textarea may be megabytes long."""
    return await request.form(max_part_size=MAX_UPLOAD_BYTES)


PageForm = Annotated[FormData, Depends(page_form)]


def verify_csrf(request: Request, form: FormData) -> None:
    """CsrfFailed unless the form carries the token that goes with this browser's cookie."""
    if not auth_service.csrf_valid(request.cookies.get(CSRF_COOKIE), field(form, "csrf_token")):
        raise CsrfFailed()


async def require_csrf(request: Request, form: PageForm) -> None:
    """For every page POST: 403 csrf_failed when the token is missing or wrong."""
    verify_csrf(request, form)


def field(form: FormData, name: str) -> str:
    """A text field of the form ("" when missing, or when a file was sent in its place)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def fields(form: FormData, *names: str) -> dict[str, str]:
    return {name: field(form, name) for name in names}


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """Run service calls in a savepoint, so a domain error leaves nothing half-written.

    The page then re-renders the form with the error, and the request's transaction commits
    nothing of the failed attempt.
    """
    with session.begin_nested():
        yield


# --- redirects ---------------------------------------------------------------------------

def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default`` (no open redirects)."""
    if (not value or not value.startswith("/") or value.startswith(("//", "/\\"))
            or any(ord(ch) < 32 or ch == "\\" for ch in value)):
        return default
    return value


def redirect(url: str) -> RedirectResponse:
    """See other: the answer to a successful form post."""
    return RedirectResponse(url, status_code=303)


def login_redirect(next_path: str) -> RedirectResponse:
    return redirect(f"/login?next={quote(safe_next(next_path), safe='/')}")


def referring_path(request: Request, default: str = "/") -> str:
    """The page a form was posted from, if it was one of ours."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return default
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(path, default)


# --- form values -------------------------------------------------------------------------

def local_datetime(value: str) -> datetime:
    """An <input type=datetime-local> value, read as a time in Asia/Bishkek."""
    value = value.strip()
    if not value:
        raise InvalidInput("Please enter a date and time.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Please enter a date and time such as 2026-12-01 09:00.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=get_settings().tz)
    return moment


# --- bots --------------------------------------------------------------------------------

HONEYPOT_FIELD = "website"


def check_honeypot(form: FormData) -> None:
    """Refuse a form whose hidden trap field was filled: people never see it, bots fill it."""
    if field(form, HONEYPOT_FIELD).strip():
        raise HoneypotFilled()
