from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import ValidationError

from app.api import presenters
from app.api.deps import DraftDep, DrafterOfDraft, require_role
from app.api.uploads import parse_text_field, read_payload, text_request_body
from app.db import DbSession
from app.errors import FieldsToCheck, Forbidden, InvalidInput
from app.models import Draft, DraftStatus, Role, User, Version
from app.schemas.common import Multilingual
from app.schemas.draft import (
    ClauseRead, ConsultationExtend, ConsultationOpen, DraftCreate, DraftCreated, DraftList,
    DraftRead, ParseReportRead, VersionCreate, VersionCreated, VersionDiffRead, VersionRead,
)
from app.services import comparison as comparison_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from app.services.drafts import ClauseNode, VersionText

router = APIRouter(prefix="/drafts", tags=["drafts"])
# A version's number, bounded as on the pages (no draft comes near it; the database's integer
# would overflow far later).
MAX_VERSION = 100_000


def draft_read(session: DbSession, draft: Draft) -> DraftRead:
    """The full public view of one draft."""
    (state,) = drafts_service.load_states(session=session, drafts=[draft])
    consultation_read = None
    if state.consultation is not None:
        policy = drafts_service.get_policy(session=session, act_type=draft.act_type)
        version = session.get(Version, state.consultation.version_id)
        consultation_read = presenters.consultation(
            state.consultation, version=version.number if version else draft.current_version,
            summary_due_days=policy.summary_due_days,
            extensions=consultations_service.extensions(session=session,
                                                         consultation=state.consultation))
    current = drafts_service.get_version(session=session, draft=draft)
    return presenters.draft(state, consultation_read=consultation_read,
                            languages=current.languages)


@router.get("", response_model=DraftList)
def list_drafts(
    session: DbSession,
    organization: str | None = None,
    status: DraftStatus | None = None,
    act_type: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DraftList:
    """Drafts, newest first, with filters."""
    result = drafts_service.list_drafts(session=session, organization=organization,
                                        status=status, act_type=act_type, q=q, page=page,
                                        per_page=per_page)
    return DraftList(items=[presenters.draft(s) for s in result.items], total=result.total,
                     page=result.page, per_page=result.per_page)


@router.post("", status_code=201, response_model=DraftCreated, openapi_extra=text_request_body(
    DraftCreate, {name: {"type": "string"} for name in ("organization", "act_type", "title",
                                                         "summary")}))
def create_draft(
    session: DbSession,
    user: Annotated[User, Depends(require_role(Role.DRAFTER))],
    payload: Annotated[dict[str, Any], Depends(read_payload)],
) -> DraftCreated:
    """Publish a new draft of the caller's state body; its text becomes version 1."""
    try:
        data = DraftCreate.model_validate({**payload, "text": parse_text_field(payload.get("text"))})
    except ValidationError as error:
        raise FieldsToCheck.of(error) from None
    organization = organizations_service.get_by_slug(session=session, slug=data.organization)
    if organization.id != user.organization_id:
        raise Forbidden("Drafters publish drafts only for their own state body.")
    title = data.title.model_dump() if isinstance(data.title, Multilingual) else data.title
    summary = data.summary.model_dump() if isinstance(data.summary, Multilingual) else data.summary
    draft, outcome = drafts_service.create_draft(
        session=session, actor=user, organization=organization, act_type=data.act_type,
        title=title, summary=summary,
        text=VersionText(ru=data.text.ru, ky=data.text.ky, documents=payload.get("documents", {})))
    read = draft_read(session, draft)
    return DraftCreated(**read.model_dump(), parse_report=ParseReportRead(**vars(outcome)))


@router.get("/{draft_id}", response_model=DraftRead)
def get_draft(draft: DraftDep, session: DbSession) -> DraftRead:
    """One draft with its status, current period and counts."""
    return draft_read(session, draft)


@router.post("/{draft_id}/versions", status_code=201, response_model=VersionCreated,
             openapi_extra=text_request_body(VersionCreate, {"change_note": {"type": "string"}}))
def create_version(
    draft: DraftDep, user: DrafterOfDraft, session: DbSession,
    payload: Annotated[dict[str, Any], Depends(read_payload)],
) -> VersionCreated:
    """Publish a new version of the draft with a change note."""
    text = parse_text_field(payload.get("text"))
    change_note = payload.get("change_note")
    if change_note is not None and not isinstance(change_note, str):
        raise InvalidInput("change_note must be text.")
    version, outcome = drafts_service.add_version(
        session=session, actor=user, draft=draft,
        text=VersionText(ru=text.ru, ky=text.ky, documents=payload.get("documents", {})),
        change_note=change_note)
    return VersionCreated(number=version.number, parse_report=ParseReportRead(**vars(outcome)))


def _clause_read(node: ClauseNode, language: str) -> ClauseRead:
    clause = node.clause
    return ClauseRead(key=clause.key, kind=clause.kind, number=clause.number,
                      label=clause.label(language), heading=clause.heading(language),
                      text=clause.text(language), note=clause.note,
                      table=clause.table(language),
                      children=[_clause_read(child, language) for child in node.children])


@router.get("/{draft_id}/versions/{number}", response_model=VersionRead)
def get_version(
    draft: DraftDep, number: Annotated[int, Path(ge=1, le=MAX_VERSION)], session: DbSession,
    lang: Annotated[str | None, Query(pattern="^(ru|ky)$")] = None,
) -> VersionRead:
    """A version's clause tree in Russian or Kyrgyz."""
    version = drafts_service.get_version(session=session, draft=draft, number=number)
    language = lang or (version.languages[0] if version.languages else "ru")
    tree = drafts_service.build_tree(drafts_service.get_clauses(session=session, version=version))
    return VersionRead(number=version.number, created_at=version.created_at,
                       change_note=version.change_note, languages=version.languages,
                       language=language, clauses=[_clause_read(n, language) for n in tree])


@router.get("/{draft_id}/diff", response_model=VersionDiffRead)
def diff_versions(
    draft: DraftDep, session: DbSession,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=MAX_VERSION)] = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    lang: Annotated[str | None, Query(pattern="^(ru|ky)$")] = None,
) -> VersionDiffRead:
    """What changed between two versions, clause by clause, word by word."""
    old, new, language, result = comparison_service.compare(
        session=session, draft=draft, from_number=from_, to_number=to, language=lang)
    return VersionDiffRead(**{"from": old.number}, to=new.number, language=language,
                           **result.as_dict())


@router.post("/{draft_id}/consultation", status_code=201, response_model=DraftRead)
def open_consultation(draft: DraftDep, user: DrafterOfDraft, session: DbSession,
                      payload: ConsultationOpen) -> DraftRead:
    """Open a comment period on the current version."""
    consultations_service.open_consultation(
        session=session, actor=user, draft=draft, opens_at=payload.opens_at,
        closes_at=payload.closes_at, urgent_reason=payload.urgent_reason,
        clause_keys=payload.clause_keys)
    return draft_read(session, draft)


@router.post("/{draft_id}/consultation/extend", response_model=DraftRead)
def extend_consultation(draft: DraftDep, user: DrafterOfDraft, session: DbSession,
                        payload: ConsultationExtend) -> DraftRead:
    """Move the end of the running period later, with a reason."""
    consultations_service.extend_consultation(session=session, actor=user, draft=draft,
                                              closes_at=payload.closes_at, reason=payload.reason)
    return draft_read(session, draft)
