"""The drafter's workspace: the body's drafts with what is due, a new draft, and one draft's
period, answer queue and summary."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from app import clock, i18n
from app.api.deps import CommentDep, DraftDep, DrafterOfComment, DrafterOfDraft, require_role
from app.api.uploads import MAX_UPLOAD_BYTES, import_upload
from app.services.importing import ImportResult
from app.db import DbSession
from app.errors import Forbidden, InvalidInput, PayloadTooLarge, TalkuuError
from app.models import Decision, Draft, Organization, Role, User
from app.pages import views
from app.pages.deps import (
    PageForm, attempt, field, fields, local_datetime, redirect, require_csrf,
)
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import responses as responses_service
from app.services import summaries as summaries_service
from app.services import workspace as workspace_service
from app.services.drafts import VersionText
from app.templating import render

router = APIRouter(prefix="/workspace")

Drafter = Annotated[User, Depends(require_role(Role.DRAFTER))]

NEW_DRAFT_FIELDS = ("title_ru", "title_ky", "act_type", "summary_ru", "summary_ky", "text_ru",
                    "text_ky", "language")


def _organization_of(user: User) -> Organization:
    if user.organization is None:
        raise Forbidden("Your account is not attached to a state body.")
    return user.organization


@router.get("")
def workspace(request: Request, session: DbSession, user: Drafter) -> Response:
    """The body's drafts, what is due first."""
    organization = _organization_of(user)
    return render(request, "workspace/index.html", {
        "organization": organization,
        "items": workspace_service.body_drafts(session=session,
                                               organization_id=organization.id),
        "policies": {p.act_type: p for p in drafts_service.list_policies(session=session)},
    })


# --- a new draft -------------------------------------------------------------------------

def _render_new_draft(request: Request, session: DbSession, values: dict[str, str], *,
                      error: TalkuuError | None = None) -> Response:
    return render(request, "workspace/new.html", {
        "values": values,
        "act_types": [(p.act_type, i18n.pick(p.name))
                      for p in drafts_service.list_policies(session=session)],
        "error": error.detail() if error else None, "page_path": "/workspace/drafts/new",
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/new")
def new_draft_form(request: Request, session: DbSession, user: Drafter) -> Response:
    """The form to publish a new draft of the body."""
    _organization_of(user)
    return _render_new_draft(request, session, {"act_type": "law", "language": "ru"})


def _uploaded_document(form: FormData, language: str) -> ImportResult | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None  # browsers send an empty file part when no file was chosen
    raw = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge()
    if language not in ("ru", "ky"):
        raise InvalidInput("The language of the file must be ru or ky.")
    return import_upload(raw, upload.filename, language)


@router.post("/drafts", dependencies=[Depends(require_csrf)])
def create_draft(request: Request, session: DbSession, user: Drafter,
                 form: PageForm) -> Response:
    """Publish the draft; its text becomes version 1 and the drafter goes on to its page."""
    values = fields(form, *NEW_DRAFT_FIELDS)
    try:
        organization = _organization_of(user)
        text = VersionText(ru=values["text_ru"], ky=values["text_ky"])
        uploaded = _uploaded_document(form, values["language"])
        if uploaded is not None:
            setattr(text, values["language"], uploaded.text)
            text.documents[values["language"]] = uploaded.document
        with attempt(session):
            draft, _outcome = drafts_service.create_draft(
                session=session, actor=user, organization=organization,
                act_type=values["act_type"],
                title={"ru": values["title_ru"], "ky": values["title_ky"]},
                summary={"ru": values["summary_ru"], "ky": values["summary_ky"]}, text=text)
    except TalkuuError as error:
        return _render_new_draft(request, session, values, error=error)
    return redirect(f"/workspace/drafts/{draft.id}?created=1")


# --- one draft ---------------------------------------------------------------------------

def _render_draft(request: Request, session: DbSession, draft: Draft, *,
                  unanswered_only: bool = False, form_name: str | None = None,
                  values: dict[str, str] | None = None, error: TalkuuError | None = None,
                  notice: dict[str, Any] | None = None) -> Response:
    info = views.overview(session=session, draft=draft)
    queue = workspace_service.answer_queue(session=session, draft=draft,
                                           unanswered_only=unanswered_only)
    unanswered_receipts = {}
    if error is not None and error.extra.get("comment_ids"):
        unanswered_receipts = {item.comment.id: item.comment.receipt for item in queue
                               if item.comment.id in error.extra["comment_ids"]}
    return render(request, "workspace/draft.html", {
        "info": info, "draft": draft, "queue": queue, "unanswered_only": unanswered_only,
        "text_lang": views.text_language(info.version, None),
        "citations": {item.comment.id: views.citation(item.context.path)
                      for item in queue if item.context is not None},
        "clause_counts": workspace_service.clause_counts(session=session,
                                                         version_id=info.version.id),
        "can_open": info.consultation is None or info.consultation.version_id != info.version.id,
        "can_extend": info.consultation is not None and info.consultation.closes_at > clock.now()
        and info.state.summary is None,
        "form_name": form_name, "values": values or {},
        "error": error.detail() if error else None,
        "unanswered_receipts": unanswered_receipts,
        "notice": notice or {}, "decisions": list(Decision),
        "page_path": f"/workspace/drafts/{draft.id}"
                     + ("?unanswered=1" if unanswered_only else ""),
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}")
def workspace_draft(
    request: Request, draft: DraftDep, session: DbSession, user: DrafterOfDraft,
    unanswered: Annotated[str | None, Query(max_length=1)] = None,
    created: Annotated[str | None, Query(max_length=1)] = None,
    answered: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """One draft in the workspace: its period, the answer queue and the summary."""
    return _render_draft(request, session, draft, unanswered_only=unanswered == "1",
                         notice={"created": created == "1", "answered": answered})


def _clause_keys(raw: str) -> list[str] | None:
    keys = [k for k in re.split(r"[\s,;]+", raw) if k]
    return keys or None


@router.post("/drafts/{draft_id}/consultation", dependencies=[Depends(require_csrf)])
def open_consultation(request: Request, draft: DraftDep, session: DbSession,
                      user: DrafterOfDraft, form: PageForm) -> Response:
    """Open the comment period on the current version."""
    values = fields(form, "opens_at", "closes_at", "urgent_reason", "clause_keys")
    try:
        with attempt(session):
            consultations_service.open_consultation(
                session=session, actor=user, draft=draft,
                opens_at=local_datetime(values["opens_at"]),
                closes_at=local_datetime(values["closes_at"]),
                urgent_reason=values["urgent_reason"],
                clause_keys=_clause_keys(values["clause_keys"]))
    except TalkuuError as error:
        return _render_draft(request, session, draft, form_name="open", values=values,
                             error=error)
    return redirect(f"/workspace/drafts/{draft.id}")


@router.post("/drafts/{draft_id}/consultation/extend", dependencies=[Depends(require_csrf)])
def extend_consultation(request: Request, draft: DraftDep, session: DbSession,
                        user: DrafterOfDraft, form: PageForm) -> Response:
    """Move the end of the running period later, with the reason."""
    values = fields(form, "closes_at", "reason")
    try:
        with attempt(session):
            consultations_service.extend_consultation(
                session=session, actor=user, draft=draft,
                closes_at=local_datetime(values["closes_at"]), reason=values["reason"])
    except TalkuuError as error:
        return _render_draft(request, session, draft, form_name="extend", values=values,
                             error=error)
    return redirect(f"/workspace/drafts/{draft.id}")


@router.post("/comments/{comment_id}/response", dependencies=[Depends(require_csrf)])
def answer_comment(request: Request, comment: CommentDep, session: DbSession,
                   user: DrafterOfComment, form: PageForm) -> Response:
    """Record the decision and reasoning on one comment of the queue."""
    values = fields(form, "decision", "reasoning", "unanswered")
    unanswered_only = values["unanswered"] == "1"
    try:
        if values["decision"] not in set(Decision):
            raise InvalidInput("Please choose a decision.")
        with attempt(session):
            responses_service.answer_comment(session=session, actor=user, comment=comment,
                                             decision=Decision(values["decision"]),
                                             reasoning=values["reasoning"])
    except TalkuuError as error:
        draft = drafts_service.get_draft(session=session, draft_id=comment.draft_id)
        return _render_draft(request, session, draft, unanswered_only=unanswered_only,
                             form_name=f"answer-{comment.id}", values=values, error=error)
    query = "unanswered=1&" if unanswered_only else ""
    anchor = "queue" if unanswered_only else f"comment-{comment.id}"
    return redirect(f"/workspace/drafts/{comment.draft_id}?{query}answered={comment.id}#{anchor}")


@router.post("/drafts/{draft_id}/summary", dependencies=[Depends(require_csrf)])
def publish_summary(request: Request, draft: DraftDep, session: DbSession,
                    user: DrafterOfDraft, form: PageForm) -> Response:
    """Publish the feedback summary; refusals say what is missing (e.g. which comments)."""
    try:
        with attempt(session):
            summaries_service.publish_summary(session=session, actor=user, draft=draft)
    except TalkuuError as error:
        return _render_draft(request, session, draft, form_name="summary",
                             values={"unanswered": field(form, "unanswered")}, error=error)
    return redirect(f"/drafts/{draft.id}/summary")
