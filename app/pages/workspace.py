"""The drafter's workspace: the body's drafts with what is due, a new draft or version (first
previewed, then published), and one draft's period, answer queue and summary."""

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from app import i18n
from app.api.deps import DraftDep, DrafterOfDraft, require_role
from app.api.uploads import MAX_UPLOAD_BYTES, import_upload
from app.db import DbSession, parse_id
from app.errors import Forbidden, InvalidInput, PayloadTooLarge, TalkuuError
from app.models import (
    Comment, Decision, Draft, Organization, Role, StagedImport, StagedImportKind, User,
)
from app.pages import views
from app.pages.deps import PageForm, attempt, fields, local_datetime, redirect, require_csrf
from app.services import answer_templates as templates_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import responses as responses_service
from app.services import staging as staging_service
from app.services import summaries as summaries_service
from app.services import workspace as workspace_service
from app.services.drafts import TEXT_LANGUAGES
from app.services.responses import QueueFilters
from app.templating import render

router = APIRouter(prefix="/workspace")

Drafter = Annotated[User, Depends(require_role(Role.DRAFTER))]

TEXT_FIELDS = ("text_ru", "text_ky")
NEW_DRAFT_FIELDS = ("title_ru", "title_ky", "act_type", "summary_ru", "summary_ky",
                    *TEXT_FIELDS, "language")
NEW_VERSION_FIELDS = (*TEXT_FIELDS, "change_note", "language")
StagedParam = Annotated[str | None, Query(max_length=64)]
CLAUSE_KEY = re.compile(r"[a-z0-9][a-z0-9/-]{0,199}")


def _organization_of(user: User) -> Organization:
    if user.organization is None:
        raise Forbidden("Your account is not attached to a state body.")
    return user.organization


@router.get("")
def workspace(request: Request, session: DbSession, user: Drafter,
              days: Annotated[int, Query(ge=1, le=365)] = summaries_service.DUE_WITHIN_DAYS,
              ) -> Response:
    """The body's drafts, what is due first: periods closing, summaries due, overdue."""
    organization = _organization_of(user)
    items = workspace_service.body_drafts(session=session, organization_id=organization.id)
    return render(request, "workspace/index.html", {
        "organization": organization, "items": items,
        "due": summaries_service.what_is_due(items=items, within_days=days),
        "policies": {p.act_type: p for p in drafts_service.list_policies(session=session)},
    })


# --- the text of a new draft or version, as typed or uploaded ----------------------------

def _read_upload(upload: object, language: str) -> staging_service.UploadedFile | None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None  # browsers send an empty file part when no file was chosen
    raw = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge()
    result = import_upload(raw, upload.filename, language)  # 415/422 for what cannot be read
    return staging_service.UploadedFile(filename=upload.filename, raw=raw, text=result.text)


def _uploaded_files(form: FormData, language: str) -> dict[str, staging_service.UploadedFile]:
    """The files by language: ``file_ky`` / ``file_ru``, or ``file`` with ``language`` as the
    API takes them."""
    files = {}
    for code in TEXT_LANGUAGES:
        uploaded = _read_upload(form.get(f"file_{code}"), code)
        if uploaded is not None:
            files[code] = uploaded
    single = form.get("file")
    if isinstance(single, UploadFile) and single.filename and language not in files:
        if language not in TEXT_LANGUAGES:
            raise InvalidInput("The language of the file must be ru or ky.")
        files[language] = _read_upload(single, language)  # type: ignore[assignment]
    return files


def _texts(values: dict[str, str]) -> dict[str, str | None]:
    return {code: values[f"text_{code}"] for code in TEXT_LANGUAGES}


def _staged_values(staged: StagedImport) -> dict[str, Any]:
    """The form filled in again from a staged import, to change it before publishing."""
    stored = staged.form_fields
    values: dict[str, Any] = {
        "act_type": stored.get("act_type", ""), "change_note": stored.get("change_note", ""),
        **{f"{name}_{code}": stored.get(name, {}).get(code, "")
           for name in ("title", "summary") for code in TEXT_LANGUAGES},
        # A file cannot be put back into a file field; its name tells what to choose again.
        "files": {code: staged.file(code)[0] for code in TEXT_LANGUAGES if staged.file(code)},
    }
    for code in TEXT_LANGUAGES:
        values[f"text_{code}"] = "" if code in values["files"] else staged.text(code) or ""
    return values


# --- a new draft -------------------------------------------------------------------------

def _render_new_draft(request: Request, session: DbSession, values: dict[str, Any], *,
                      error: TalkuuError | None = None) -> Response:
    return render(request, "workspace/new.html", {
        "values": values,
        "act_types": [(p.act_type, i18n.pick(p.name))
                      for p in drafts_service.list_policies(session=session)],
        "error": error.detail() if error else None, "page_path": "/workspace/drafts/new",
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/new")
def new_draft_form(request: Request, session: DbSession, user: Drafter,
                   staged: StagedParam = None) -> Response:
    """The form for a new draft of the body (filled in again from a preview if asked)."""
    _organization_of(user)
    values: dict[str, Any] = {"act_type": "law"}
    if staged:
        found = staging_service.get_staged(session=session, token=staged, actor=user)
        if found.kind is not StagedImportKind.NEW_DRAFT:
            raise staging_service.StagedImportNotFound()
        values = _staged_values(found)
    return _render_new_draft(request, session, values)


@router.post("/drafts", dependencies=[Depends(require_csrf)])
def create_draft(request: Request, session: DbSession, user: Drafter,
                 form: PageForm) -> Response:
    """Keep the new draft for its preview; nothing is published yet."""
    values = fields(form, *NEW_DRAFT_FIELDS)
    try:
        organization = _organization_of(user)
        files = _uploaded_files(form, values["language"])
        with attempt(session):
            staged = staging_service.stage_draft(
                session=session, actor=user, organization=organization,
                act_type=values["act_type"],
                title={"ru": values["title_ru"], "ky": values["title_ky"]},
                summary={"ru": values["summary_ru"], "ky": values["summary_ky"]},
                texts=_texts(values), files=files)
    except TalkuuError as error:
        return _render_new_draft(request, session, values, error=error)
    return redirect(f"/workspace/imports/{staged.token}")


# --- a new version -----------------------------------------------------------------------

def _render_new_version(request: Request, session: DbSession, draft: Draft,
                        values: dict[str, Any], *, error: TalkuuError | None = None) -> Response:
    return render(request, "workspace/version_new.html", {
        "draft": draft, "values": values,
        "version": drafts_service.get_version(session=session, draft=draft),
        "error": error.detail() if error else None,
        "page_path": f"/workspace/drafts/{draft.id}/versions/new",
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}/versions/new")
def new_version_form(request: Request, draft: DraftDep, session: DbSession,
                     user: DrafterOfDraft, staged: StagedParam = None) -> Response:
    """The form for a new version of the draft: its text and what changed."""
    values: dict[str, Any] = {}
    if staged:
        found = staging_service.get_staged(session=session, token=staged, actor=user)
        if found.draft_id != draft.id or found.kind is not StagedImportKind.NEW_VERSION:
            raise staging_service.StagedImportNotFound()
        values = _staged_values(found)
    return _render_new_version(request, session, draft, values)


@router.post("/drafts/{draft_id}/versions", dependencies=[Depends(require_csrf)])
def create_version(request: Request, draft: DraftDep, session: DbSession,
                   user: DrafterOfDraft, form: PageForm) -> Response:
    """Keep the new version for its preview; nothing is published yet."""
    values = fields(form, *NEW_VERSION_FIELDS)
    try:
        files = _uploaded_files(form, values["language"])
        with attempt(session):
            staged = staging_service.stage_version(
                session=session, actor=user, draft=draft, texts=_texts(values), files=files,
                change_note=values["change_note"])
    except TalkuuError as error:
        return _render_new_version(request, session, draft, values, error=error)
    return redirect(f"/workspace/imports/{staged.token}")


# --- preview, then publish ---------------------------------------------------------------

def _render_preview(request: Request, session: DbSession, staged: StagedImport, *,
                    error: TalkuuError | None = None) -> Response:
    draft = (drafts_service.get_draft(session=session, draft_id=staged.draft_id)
             if staged.draft_id is not None else None)
    act_type = staged.form_fields.get("act_type")
    return render(request, "workspace/preview.html", {
        "staged": staged, "preview": staging_service.preview(session=session, staged=staged),
        "draft": draft, "values": staged.form_fields, "citation": views.citation,
        "act_type_name": i18n.pick(drafts_service.get_policy(
            session=session, act_type=act_type).name) if act_type else None,
        "error": error.detail() if error else None,
        "page_path": f"/workspace/imports/{staged.token}",
    }, status_code=error.status_code if error else 200)


@router.get("/imports/{token}")
def staged_import(request: Request, token: Annotated[str, Path(max_length=64)],
                  session: DbSession, user: Drafter) -> Response:
    """What was recognised in the uploaded text, with the button that publishes it."""
    staged = staging_service.get_staged(session=session, token=token, actor=user)
    return _render_preview(request, session, staged)


@router.post("/imports/{token}/publish", dependencies=[Depends(require_csrf)])
def publish_staged_import(request: Request, token: Annotated[str, Path(max_length=64)],
                          session: DbSession, user: Drafter) -> Response:
    """Publish the previewed draft or version (once: 409 the second time)."""
    staged = staging_service.get_staged(session=session, token=token, actor=user)
    if staged.published_at is not None:
        raise staging_service.StagedImportPublished()
    try:
        with attempt(session):
            published = staging_service.publish(session=session, actor=user, staged=staged)
    except staging_service.StagedImportPublished:
        raise
    except TalkuuError as error:
        return _render_preview(request, session, staged, error=error)
    if staged.kind is StagedImportKind.NEW_DRAFT:
        return redirect(f"/workspace/drafts/{published.draft.id}?created=1")
    return redirect(f"/workspace/drafts/{published.draft.id}?published="
                    f"{published.version_number}")


# --- one draft ---------------------------------------------------------------------------

def queue_filters(*, unanswered: str | None = None, clause: str | None = None,
                  decision: str | None = None, group: str | None = None) -> QueueFilters:
    """The answer queue's filters from a query string or hidden form fields (unknown values
    are ignored: a filter narrows, it never fails)."""
    return QueueFilters(
        unanswered=unanswered == "1",
        clause=clause if clause is not None and (clause == "" or CLAUSE_KEY.fullmatch(clause))
        else None,
        decision=Decision(decision) if decision in set(Decision) else None,
        group_id=parse_id(group))


def queue_query(filters: QueueFilters) -> str:
    """The query string that shows the queue with ``filters`` ("" for the whole queue)."""
    params: dict[str, str | int] = {}
    if filters.unanswered:
        params["unanswered"] = 1
    if filters.clause is not None:
        params["clause"] = filters.clause
    if filters.decision is not None:
        params["decision"] = filters.decision.value
    if filters.group_id is not None:
        params["group"] = filters.group_id
    return urlencode(params)


def render_draft(request: Request, session: DbSession, draft: Draft, *,
                 filters: QueueFilters = QueueFilters(), form_name: str | None = None,
                 values: dict[str, Any] | None = None, error: TalkuuError | None = None,
                 notice: dict[str, Any] | None = None) -> Response:
    """The workspace page of a draft, with a form's error and values when one failed."""
    info = views.overview(session=session, draft=draft)
    queue = responses_service.answer_queue(session=session, draft=draft, filters=filters)
    unanswered_receipts = {}
    if error is not None and error.extra.get("comment_ids"):
        unanswered_receipts = dict(session.execute(
            select(Comment.id, Comment.receipt).where(Comment.id.in_(error.extra["comment_ids"]))
            .order_by(Comment.id)).tuples().all())
    can_open = consultations_service.may_open(latest=info.consultation,
                                              version_id=info.version.id)
    query = queue_query(filters)
    return render(request, "workspace/draft.html", {
        "info": info, "draft": draft, "queue": queue, "filters": filters,
        "text_lang": views.text_language(info.version, None),
        "citations": {item.comment.id: views.citation(item.context.path)
                      for item in queue.items if item.context is not None},
        "citation": views.citation,
        "clause_counts": workspace_service.clause_counts(session=session,
                                                         version_id=info.version.id),
        "can_open": can_open,
        "round_changes": workspace_service.changed_since_last_round(session=session,
                                                                    draft=draft)
        if can_open else None,
        "articles": workspace_service.articles(session=session, version_id=info.version.id)
        if can_open else [],
        "can_extend": consultations_service.may_extend(
            consultation=info.consultation, summary_published=info.state.summary is not None),
        "templates": templates_service.list_templates(session=session,
                                                      organization_id=draft.organization_id),
        "summary_view": summaries_service.get_summary(session=session, draft=draft)
        if info.state.summary else None,
        "form_name": form_name, "values": values or {},
        "error": error.detail() if error else None,
        "unanswered_receipts": unanswered_receipts,
        "notice": notice or {}, "decisions": list(Decision),
        "page_path": f"/workspace/drafts/{draft.id}" + (f"?{query}" if query else ""),
    }, status_code=error.status_code if error else 200)


@router.get("/drafts/{draft_id}")
def workspace_draft(
    request: Request, draft: DraftDep, session: DbSession, user: DrafterOfDraft,
    unanswered: Annotated[str | None, Query(max_length=1)] = None,
    clause: Annotated[str | None, Query(max_length=200)] = None,
    decision: Annotated[str | None, Query(max_length=24)] = None,
    group: Annotated[str | None, Query(max_length=12)] = None,
    created: Annotated[str | None, Query(max_length=1)] = None,
    published: Annotated[int | None, Query(ge=1)] = None,
    answered: Annotated[int | None, Query(ge=0)] = None,
    corrected: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """One draft in the workspace: its period, the answer queue and the summary."""
    outcome = None
    if created == "1" or published:
        # Right after publishing: what the drafter should check (clauses in one language).
        outcome = staging_service.latest_outcome(session=session, draft_id=draft.id,
                                                 actor=user)
    filters = queue_filters(unanswered=unanswered, clause=clause, decision=decision,
                            group=group)
    return render_draft(request, session, draft, filters=filters,
                        notice={"created": created == "1", "published": published,
                                "answered": answered, "corrected": corrected,
                                "mismatched_keys": (outcome or {}).get("mismatched_keys")})


def _split_keys(raw: list[str]) -> list[str]:
    return [k for value in raw for k in re.split(r"[\s,;]+", value) if k]


@router.post("/drafts/{draft_id}/consultation", dependencies=[Depends(require_csrf)])
def open_consultation(request: Request, draft: DraftDep, session: DbSession,
                      user: DrafterOfDraft, form: PageForm) -> Response:
    """Open the comment period on the current version, for all of it or some clauses."""
    values: dict[str, Any] = fields(form, "opens_at", "closes_at", "urgent_reason",
                                    "limit_to_changes")
    # Articles ticked in the list and keys typed by hand arrive under the same API name.
    chosen = _split_keys([v for v in form.getlist("clause_keys") if isinstance(v, str)])
    values["selected_keys"] = chosen
    try:
        if values["limit_to_changes"] == "1":
            chosen = workspace_service.limited_to_changes(session=session, draft=draft,
                                                          chosen=chosen)
        with attempt(session):
            consultations_service.open_consultation(
                session=session, actor=user, draft=draft,
                opens_at=local_datetime(values["opens_at"]),
                closes_at=local_datetime(values["closes_at"]),
                urgent_reason=values["urgent_reason"], clause_keys=chosen or None)
    except TalkuuError as error:
        return render_draft(request, session, draft, form_name="open", values=values,
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
        return render_draft(request, session, draft, form_name="extend", values=values,
                             error=error)
    return redirect(f"/workspace/drafts/{draft.id}")
