"""Dependencies shared by the JSON API and the pages: who is calling, and may they."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from app.db import MAX_ID, READ_METHODS, DbSession
from app.errors import CsrfFailed, Forbidden, NotAuthenticated
from app.models import Comment, Draft, Role, TokenKind, User
from app.services import auth as auth_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service

SESSION_COOKIE = "talkuu_session"
CSRF_COOKIE = "talkuu_csrf"
CSRF_HEADER = "x-csrf-token"

# The id of a row in a path: past MAX_ID it can name nothing (app/db.py), a 422 like 0.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Credentials:
    """What a request presents to say who sends it: a bearer token, or a session cookie with
    the CSRF cookie and header (a write to the JSON API must carry both)."""

    bearer: str | None
    session: str | None
    csrf_cookie: str | None
    csrf_header: str | None
    csrf_required: bool

    @classmethod
    def of(cls, request: Request) -> "Credentials":
        return cls(bearer=bearer_token(request),
                   session=request.cookies.get(SESSION_COOKIE),
                   csrf_cookie=request.cookies.get(CSRF_COOKIE),
                   csrf_header=request.headers.get(CSRF_HEADER),
                   csrf_required=(request.method not in READ_METHODS
                                  and request.url.path.startswith("/api/")))

    def token(self) -> tuple[str, TokenKind] | None:
        """The token to look up, if any."""
        if self.bearer:
            return self.bearer, TokenKind.BEARER
        return (self.session, TokenKind.SESSION) if self.session else None

    def viewer(self, user: User | None) -> User | None:
        """The viewer, given the user the token resolved to: 401 for a bearer token that
        resolves to no one, 403 for a session without the CSRF header on a JSON write."""
        if self.bearer:
            if user is None:
                raise NotAuthenticated("The access token is not valid or has expired.")
            return user
        if (user is not None and self.csrf_required
                and not auth_service.csrf_valid(self.csrf_cookie, self.csrf_header)):
            # A cookie rides along on cross-site requests; a script of ours also sends the header.
            raise CsrfFailed()
        return user

    def resolve(self, session: Session) -> User | None:
        """The viewer these credentials present (``viewer``), their token looked up."""
        token = self.token()
        return self.viewer(auth_service.resolve_token(session=session, raw=token[0],
                                                      kind=token[1]) if token else None)


def get_viewer(request: Request, session: DbSession) -> User | None:
    """The signed-in user (bearer token or session cookie), or None for a visitor."""
    return Credentials.of(request).resolve(session)


Viewer = Annotated[User | None, Depends(get_viewer)]


def require_user(viewer: Viewer) -> User:
    """The signed-in user, or 401."""
    if viewer is None:
        raise NotAuthenticated()
    return viewer


CurrentUser = Annotated[User, Depends(require_user)]


def require_role(*roles: Role):  # noqa: ANN201 - returns a dependency
    """A dependency that lets only the given roles through (403 for the others)."""

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user

    return dependency


def get_draft_or_404(session: DbSession, draft_id: IdPath) -> Draft:
    return drafts_service.get_draft(session=session, draft_id=draft_id)


DraftDep = Annotated[Draft, Depends(get_draft_or_404)]


def get_comment_or_404(session: DbSession, comment_id: IdPath) -> Comment:
    return comments_service.get_comment(session=session, comment_id=comment_id)


CommentDep = Annotated[Comment, Depends(get_comment_or_404)]


def _staff_of(user: User, role: Role, organization_id: int) -> None:
    if user.role is not role or user.organization_id != organization_id:
        raise Forbidden("Only the staff of the state body that published this draft may do this.")


def require_drafter_of_draft(user: CurrentUser, draft: DraftDep) -> User:
    """A drafter of the body that published the draft (401 anonymous, 403 anyone else)."""
    _staff_of(user, Role.DRAFTER, draft.organization_id)
    return user


def require_drafter_of_comment(user: CurrentUser, comment: CommentDep,
                               session: DbSession) -> User:
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    _staff_of(user, Role.DRAFTER, draft.organization_id)
    return user


def require_moderator_of_comment(user: CurrentUser, comment: CommentDep,
                                 session: DbSession) -> User:
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    _staff_of(user, Role.MODERATOR, draft.organization_id)
    return user


DrafterOfDraft = Annotated[User, Depends(require_drafter_of_draft)]
DrafterOfComment = Annotated[User, Depends(require_drafter_of_comment)]
ModeratorOfComment = Annotated[User, Depends(require_moderator_of_comment)]
