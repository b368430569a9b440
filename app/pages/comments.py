"""Commenting through a form, the receipt (and withdrawing), supporting and reporting a
comment, and hiding one (moderators)."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.api.comment_intake import uploads_from
from app.api.deps import CommentDep, DraftDep, ModeratorOfComment
from app.api.ratelimits import FlagLimit, PageCommentLimit, SupportLimit, raise_if_limited
from app.db import DbSession
from app.errors import ClauseNotFound, NotAuthenticated, TalkuuError
from app.models import Comment, Draft, User
from app.pages import views
from app.pages.deps import (
    PageForm, PageViewer, attempt, check_honeypot, fields, login_redirect, redirect, referring_path,
    require_csrf, safe_next, verify_csrf,
)
from app.pages.drafts import comment_paths
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import moderation as moderation_service
from app.services import workspace as workspace_service
from app.templating import render

router = APIRouter()

COMMENT_FIELDS = ("clause_key", "body", "proposed_wording", "on_behalf_of", "quote")


def _comment_page_path(draft: Draft, clause_key: str | None) -> str:
    query = f"?{urlencode({'clause_key': clause_key})}" if clause_key else ""
    return f"/drafts/{draft.id}/comment{query}"


def _clause_context(session: DbSession, version_id: int,
                    key: str | None) -> workspace_service.ClauseContext | None:
    if not key:
        return None
    index = workspace_service.clause_index(session=session, version_ids=[version_id],
                                           keys=[key])
    return index.context(version_id, key)


def _render_comment_form(request: Request, session: DbSession, draft: Draft,
                         values: dict[str, str], *,
                         error: TalkuuError | None = None) -> Response:
    info = views.overview(session=session, draft=draft)
    version_id = info.consultation.version_id if info.consultation else info.version.id
    clause_key = values.get("clause_key") or None
    clause = _clause_context(session, version_id, clause_key)
    if clause_key and clause is None and error is None:
        raise ClauseNotFound(key=clause_key)
    # (After an error the form is shown again with what was typed, clause or not.)
    language = views.text_language(info.version, None)
    context: dict[str, Any] = {
        "info": info, "draft": draft, "values": values, "clause": clause,
        "citation": views.citation(clause.path) if clause else [], "text_lang": language,
        "error": error.detail() if error else None,
        "covered": info.consultation is not None and info.consultation.covers(clause_key),
        "page_path": _comment_page_path(draft, clause_key),
    }
    return render(request, "drafts/comment.html", context,
                  status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}/comment")
def comment_form(request: Request, draft: DraftDep, session: DbSession,
                 clause_key: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """A page with one clause and the form to comment on it (or on the whole draft)."""
    return _render_comment_form(request, session, draft, {"clause_key": clause_key or ""})


@router.post("/drafts/{draft_id}/comments", dependencies=[PageCommentLimit])
def submit_comment(request: Request, draft: DraftDep, session: DbSession, viewer: PageViewer,
                   form: PageForm) -> Response:
    """Submit a comment; on any refusal the form comes back with the text the user wrote."""
    values = fields(form, *COMMENT_FIELDS)
    try:
        # Checked here rather than by require_csrf, so that an expired form keeps its text.
        verify_csrf(request, form)
        if viewer is None:
            return login_redirect(_comment_page_path(draft, values["clause_key"] or None))
        check_honeypot(form)
        raise_if_limited(request)
        with attempt(session):
            comment = comments_service.submit_comment(
                session=session, author=viewer, draft=draft, body=values["body"],
                clause_key=values["clause_key"] or None,
                proposed_wording=values["proposed_wording"],
                on_behalf_of=values["on_behalf_of"], quote=values["quote"],
                attachments=uploads_from(form))
    except TalkuuError as error:
        return _render_comment_form(request, session, draft, values, error=error)
    return redirect(f"/comments/{comment.id}/receipt")


def _render_receipt(request: Request, session: DbSession, comment: Comment,
                    viewer: User | None, *, values: dict[str, str] | None = None,
                    error: TalkuuError | None = None) -> Response:
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    clause = _clause_context(session, comment.version_id, comment.clause_key)
    is_author = viewer is not None and viewer.id == comment.author_id
    return render(request, "comments/receipt.html", {
        "comment": comment, "draft": draft, "clause": clause,
        "citation": views.citation(clause.path) if clause else [],
        "text_lang": views.text_language(
            drafts_service.get_version(session=session, draft=draft,
                                       number=comment.version_number), None),
        "is_author": is_author,
        "visibility": comments_service.visibility(session=session, viewer=viewer, draft=draft),
        "comment_details": details_service.load(session=session, comments=[comment],
                                                viewer=viewer),
        "may_withdraw": comments_service.may_withdraw(session=session, user=viewer,
                                                      comment=comment),
        "values": values or {"reason": ""}, "error": error.detail() if error else None,
        "page_path": f"/comments/{comment.id}/receipt",
    }, status_code=error.status_code if error else 200)


@router.get("/comments/{comment_id}/receipt")
def receipt(request: Request, comment: CommentDep, session: DbSession,
            viewer: PageViewer) -> Response:
    """The receipt of a comment: its number, the clause and the text; the author's withdrawal."""
    return _render_receipt(request, session, comment, viewer)


@router.post("/comments/{comment_id}/withdraw", dependencies=[Depends(require_csrf)])
def withdraw(request: Request, comment: CommentDep, session: DbSession, viewer: PageViewer,
             form: PageForm) -> Response:
    """The author withdraws the comment with a public reason; the record stays."""
    if viewer is None:
        raise NotAuthenticated()
    values = fields(form, "reason")
    try:
        with attempt(session):
            comments_service.withdraw_comment(session=session, actor=viewer, comment=comment,
                                              reason=values["reason"])
    except TalkuuError as error:
        if error.status_code in (401, 403):
            raise
        return _render_receipt(request, session, comment, viewer, values=values, error=error)
    return redirect(f"/comments/{comment.id}/receipt")


def _back_to(request: Request, comment: Comment) -> Response:
    return redirect(referring_path(request, f"/drafts/{comment.draft_id}")
                    + f"#comment-{comment.id}")


@router.post("/comments/{comment_id}/support",
             dependencies=[Depends(require_csrf), SupportLimit])
def support(request: Request, comment: CommentDep, session: DbSession,
            viewer: PageViewer) -> Response:
    """"I support this comment": one more voice behind it instead of a duplicate."""
    if viewer is None:
        return login_redirect(f"/drafts/{comment.draft_id}#comment-{comment.id}")
    comments_service.support_comment(session=session, user=viewer, comment=comment)
    return _back_to(request, comment)


@router.post("/comments/{comment_id}/unsupport",
             dependencies=[Depends(require_csrf), SupportLimit])
def unsupport(request: Request, comment: CommentDep, session: DbSession,
              viewer: PageViewer) -> Response:
    """Take one's support back while the period is open."""
    if viewer is None:
        return login_redirect(f"/drafts/{comment.draft_id}#comment-{comment.id}")
    comments_service.withdraw_support(session=session, user=viewer, comment=comment)
    return _back_to(request, comment)


def _render_flag_form(request: Request, session: DbSession, comment: Comment,
                      values: dict[str, str], *,
                      error: TalkuuError | None = None) -> Response:
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    return render(request, "comments/flag.html", {
        "comment": comment, "draft": draft, "values": values,
        "citation": comment_paths(session, [comment]).get(comment.id, []),
        "error": error.detail() if error else None,
        "page_path": f"/comments/{comment.id}/flag",
    }, status_code=error.status_code if error else 200)


@router.get("/comments/{comment_id}/flag")
def flag_form(request: Request, comment: CommentDep, session: DbSession,
              viewer: PageViewer) -> Response:
    """The form to report a comment to the moderators."""
    if viewer is None:
        raise NotAuthenticated()
    return _render_flag_form(request, session, comment, {"reason": ""})


@router.post("/comments/{comment_id}/flag", dependencies=[Depends(require_csrf), FlagLimit])
def flag(request: Request, comment: CommentDep, session: DbSession, viewer: PageViewer,
         form: PageForm) -> Response:
    """Report the comment; a moderator of the draft's body will look at it."""
    if viewer is None:
        return login_redirect(f"/comments/{comment.id}/flag")
    values = fields(form, "reason")
    try:
        with attempt(session):
            moderation_service.flag_comment(session=session, user=viewer, comment=comment,
                                            reason=values["reason"])
    except TalkuuError as error:
        if error.status_code in (401, 403):
            raise
        return _render_flag_form(request, session, comment, values, error=error)
    return redirect(f"/drafts/{comment.draft_id}#comment-{comment.id}")


def _render_hide_form(request: Request, session: DbSession, comment: Comment,
                      values: dict[str, str],
                      *, error: TalkuuError | None = None) -> Response:
    draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
    return render(request, "comments/hide.html", {
        "comment": comment, "draft": draft, "values": values,
        "citation": comment_paths(session, [comment]).get(comment.id, []),
        "error": error.detail() if error else None,
        "page_path": f"/comments/{comment.id}/hide",
    }, status_code=error.status_code if error else 200)


@router.get("/comments/{comment_id}/hide")
def hide_form(request: Request, comment: CommentDep, session: DbSession,
              _moderator: ModeratorOfComment) -> Response:
    """The moderator's form to hide a comment, with a public reason."""
    return _render_hide_form(request, session, comment, {"reason": "", "next": ""})


@router.post("/comments/{comment_id}/hide", dependencies=[Depends(require_csrf)])
def hide(request: Request, comment: CommentDep, session: DbSession,
         moderator: ModeratorOfComment, form: PageForm) -> Response:
    """Hide the comment; it stays in the record, and the reason is shown in its place."""
    values = fields(form, "reason", "next")
    try:
        with attempt(session):
            comments_service.hide_comment(session=session, actor=moderator, comment=comment,
                                          reason=values["reason"])
    except TalkuuError as error:
        return _render_hide_form(request, session, comment, values, error=error)
    return redirect(safe_next(values["next"] or None,
                              f"/drafts/{comment.draft_id}#comment-{comment.id}"))
