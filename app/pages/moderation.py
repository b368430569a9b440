"""The moderators' page: reported comments of their body, to hide or to leave as they are."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.deps import CommentDep
from app.db import DbSession, parse_id
from app.errors import InvalidInput, NotAuthenticated, TalkuuError
from app.models import User
from app.pages.deps import PageForm, PageViewer, attempt, redirect, require_csrf
from app.pages.drafts import comment_paths
from app.services import attachments as attachments_service
from app.services import moderation as moderation_service
from app.templating import render

router = APIRouter()


def _render_queue(request: Request, session: DbSession, moderator: User, *,
                  error: TalkuuError | None = None) -> Response:
    items = moderation_service.open_flags(session=session, moderator=moderator)
    comments = [item.comment for item in items]
    return render(request, "moderation/index.html", {
        "items": items, "paths": comment_paths(session, comments),
        # The queue shows the comments' files, nothing else of their details.
        "attachments": attachments_service.by_comment(session=session,
                                                      comment_ids=[c.id for c in comments]),
        "error": error.detail() if error else None,
    }, status_code=error.status_code if error else 200)


@router.get("/moderation")
def queue(request: Request, session: DbSession, viewer: PageViewer) -> Response:
    """Open reports on comments of the moderator's body, oldest first."""
    if viewer is None:
        raise NotAuthenticated()
    return _render_queue(request, session, viewer)


@router.post("/moderation/comments/{comment_id}/dismiss", dependencies=[Depends(require_csrf)])
def dismiss(request: Request, comment: CommentDep, session: DbSession, viewer: PageViewer,
            form: PageForm) -> Response:
    """Dismiss the reports shown for a comment: it stays as it is."""
    if viewer is None:
        raise NotAuthenticated()
    try:
        ids = [i for i in (parse_id(v) for v in form.getlist("flag_id") if isinstance(v, str))
               if i is not None]
        if not ids:
            raise InvalidInput("No report was chosen.")
        flags = [moderation_service.get_flag(session=session, flag_id=i) for i in ids]
        if any(f.comment_id != comment.id for f in flags):
            raise InvalidInput("No report was chosen.")
        with attempt(session):
            moderation_service.dismiss_flags(session=session, moderator=viewer, flags=flags)
    except TalkuuError as error:
        if error.status_code in (401, 403):
            raise
        return _render_queue(request, session, viewer, error=error)
    return redirect("/moderation")
