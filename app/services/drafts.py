"""Drafts and their versions: publishing a text as a clause tree, reading it back, listing."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from app import clock
from app.errors import DraftNotFound, InvalidInput, PayloadTooLarge, VersionNotFound
from app.models import (
    ActPolicy, Clause, Comment, CommentStatus, Consultation, Draft, DraftOutcome, DraftStatus,
    FeedbackSummary, Organization, Response, User, Version,
)
from app.services import audit as audit_service
from app.services import notifications as notifications_service
from app.services import parsing as parsing_service
from app.services import search as search_service

TEXT_LANGUAGES = ("ru", "ky")
MAX_TEXT_CHARS = 5_000_000
MAX_TITLE_CHARS = 500


@dataclass
class VersionText:
    """The text of a new version, in one or both of the languages of the law.

    ``documents`` holds texts already parsed by an import (.docx, .html), which carry what
    plain text cannot (tables); the others are parsed here.
    """

    ru: str | None = None
    ky: str | None = None
    documents: dict[str, parsing_service.ParsedDocument] = field(default_factory=dict)

    def languages(self) -> list[str]:
        return [code for code in TEXT_LANGUAGES if (getattr(self, code) or "").strip()]


@dataclass
class ParseOutcome:
    counts: dict[str, int]
    warnings: list[str]
    unplaced: list[str] = field(default_factory=list)
    mismatched_keys: dict[str, list[str]] = field(default_factory=dict)


def get_policy(*, session: Session, act_type: str) -> ActPolicy:
    """The legal parameters for ``act_type``; InvalidInput for an unknown type."""
    policy = session.get(ActPolicy, act_type)
    if policy is None:
        raise InvalidInput("Unknown act type: {act_type}.", act_type=act_type)
    return policy


def list_policies(*, session: Session) -> list[ActPolicy]:
    return list(session.scalars(select(ActPolicy).order_by(ActPolicy.act_type)))


def check_texts(texts: Mapping[str, str]) -> None:
    """The texts of a version (by language, blank ones left out): not none, not too large."""
    if not texts:
        raise InvalidInput("The text of the draft is empty.")
    if sum(len(text) for text in texts.values()) > MAX_TEXT_CHARS:
        raise PayloadTooLarge()


def mismatched_keys(keys: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """The clause keys found in one language only, by language; {} when both agree."""
    if len(keys) != 2:
        return {}
    (first, first_keys), (second, second_keys) = keys.items()
    mismatch = {first: sorted(first_keys - second_keys), second: sorted(second_keys - first_keys)}
    return mismatch if any(mismatch.values()) else {}


def _clause_rows(text: VersionText, version_id: int) -> tuple[list[dict[str, Any]], ParseOutcome]:
    languages = text.languages()
    check_texts({code: getattr(text, code) for code in languages})
    rows: dict[str, dict[str, Any]] = {}
    outcome = ParseOutcome(counts={}, warnings=[])
    per_language_keys: dict[str, set[str]] = {}
    for code in languages:
        document = text.documents.get(code) or parsing_service.parse_text(getattr(text, code))
        if code == languages[0]:
            outcome.counts = dict(document.report.counts)
        outcome.warnings.extend(f"[{code}] {w}" for w in document.report.warnings)
        outcome.unplaced.extend(f"[{code}] {u}" for u in document.report.unplaced)
        keys: set[str] = set()
        for position, (clause, parent, depth) in enumerate(document.iter_clauses()):
            keys.add(clause.key)
            row = rows.get(clause.key)
            if row is None:
                if code != languages[0]:
                    continue  # reported below as a structural mismatch; the source keeps it
                row = rows[clause.key] = {
                    "version_id": version_id, "key": clause.key, "kind": str(clause.kind),
                    "number": clause.number, "position": position, "depth": depth,
                    "parent_key": parent.key if parent else None,
                    "label_ru": None, "label_ky": None, "heading_ru": None,
                    "heading_ky": None, "text_ru": None, "text_ky": None,
                    "table_ru": None, "table_ky": None, "note": clause.note,
                }
            row[f"label_{code}"] = clause.label
            row[f"heading_{code}"] = clause.heading
            row[f"text_{code}"] = clause.text
            row[f"table_{code}"] = clause.table
        per_language_keys[code] = keys
    outcome.mismatched_keys = mismatched_keys(per_language_keys)
    return list(rows.values()), outcome


def _write_version(
    *, session: Session, draft: Draft, number: int, text: VersionText, change_note: str | None,
    actor: User,
) -> tuple[Version, ParseOutcome]:
    version = Version(draft_id=draft.id, number=number, change_note=change_note,
                      source_ru=text.ru if "ru" in text.languages() else None,
                      source_ky=text.ky if "ky" in text.languages() else None,
                      created_by_id=actor.id)
    session.add(version)
    session.flush()
    rows, outcome = _clause_rows(text, version.id)
    if rows:
        session.execute(insert(Clause), rows)
    return version, outcome


def multilingual(value: str | dict[str, str | None] | None, fallback: str) -> dict[str, str]:
    """A title or summary by language (ru, ky, en), trimmed, blank ones left out; a plain
    string is in ``fallback``."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {fallback: value.strip()} if value.strip() else {}
    return {k: v.strip() for k, v in value.items() if k in ("ru", "ky", "en") and v and v.strip()}


def clean_titles(title: str | dict[str, str | None], fallback: str) -> dict[str, str]:
    """The draft's title by language (see ``multilingual``); one is required, of a sane length."""
    titles = multilingual(title, fallback)
    if not titles:
        raise InvalidInput("The draft needs a title.")
    if any(len(t) > MAX_TITLE_CHARS for t in titles.values()):
        raise InvalidInput("The title is too long (500 characters at most).")
    return titles


def refuse_if_decided(draft: Draft) -> None:
    """An adopted or withdrawn draft gets no new version."""
    if draft.outcome is not DraftOutcome.PENDING:
        raise InvalidInput("An adopted or withdrawn draft cannot get a new version.")


def create_draft(
    *,
    session: Session,
    actor: User,
    organization: Organization,
    act_type: str,
    title: str | dict[str, str | None],
    summary: str | dict[str, str | None] | None,
    text: VersionText,
) -> tuple[Draft, ParseOutcome]:
    """Publish a new draft; its text becomes version 1."""
    get_policy(session=session, act_type=act_type)
    languages = text.languages()
    main_language = languages[0] if languages else "ru"
    titles = clean_titles(title, main_language)
    summaries = multilingual(summary, main_language)
    draft = Draft(organization_id=organization.id, act_type=act_type, created_by_id=actor.id,
                  current_version=1, outcome=DraftOutcome.PENDING,
                  **{f"title_{k}": v for k, v in titles.items()},
                  **{f"summary_{k}": v for k, v in summaries.items()})
    session.add(draft)
    session.flush()
    version, outcome = _write_version(session=session, draft=draft, number=1, text=text,
                                      change_note=None, actor=actor)
    audit_service.record(
        session=session, actor=actor, action="draft.published", entity_type="draft",
        entity_id=draft.id,
        after={"organization": organization.slug, "act_type": act_type, "title": titles,
               "version": 1, "languages": version.languages, "clauses": outcome.counts},
    )
    return draft, outcome


def add_version(
    *, session: Session, actor: User, draft: Draft, text: VersionText, change_note: str | None,
) -> tuple[Version, ParseOutcome]:
    """Publish a new version of ``draft``; earlier versions stay as they were."""
    refuse_if_decided(draft)
    number = draft.current_version + 1
    version, outcome = _write_version(session=session, draft=draft, number=number, text=text,
                                      change_note=(change_note or "").strip() or None,
                                      actor=actor)
    draft.current_version = number
    notifications_service.draft_changed(session=session, draft=draft, event="version",
                                        version=number)
    audit_service.record(
        session=session, actor=actor, action="version.published", entity_type="draft",
        entity_id=draft.id, before={"version": number - 1},
        after={"version": number, "change_note": version.change_note,
               "languages": version.languages, "clauses": outcome.counts},
    )
    return version, outcome


def get_draft(*, session: Session, draft_id: int) -> Draft:
    """The draft or DraftNotFound."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise DraftNotFound()
    return draft


def get_version(*, session: Session, draft: Draft, number: int | None = None) -> Version:
    """A version (the current one by default) or VersionNotFound."""
    number = number or draft.current_version
    version = session.scalar(
        select(Version).where(Version.draft_id == draft.id, Version.number == number)
    )
    if version is None:
        raise VersionNotFound()
    return version


def get_clauses(*, session: Session, version: Version) -> list[Clause]:
    """Every clause of ``version`` in document order."""
    return list(session.scalars(
        select(Clause).where(Clause.version_id == version.id).order_by(Clause.position)
    ))


def get_clause(*, session: Session, version_id: int, key: str) -> Clause | None:
    return session.scalar(select(Clause).where(Clause.version_id == version_id, Clause.key == key))


@dataclass
class ClauseNode:
    clause: Clause
    children: list["ClauseNode"] = field(default_factory=list)


def build_tree(clauses: Sequence[Clause]) -> list[ClauseNode]:
    """The clauses (in document order) as a tree."""
    nodes: dict[str, ClauseNode] = {}
    roots: list[ClauseNode] = []
    for clause in clauses:
        node = nodes[clause.key] = ClauseNode(clause)
        parent = nodes.get(clause.parent_key) if clause.parent_key else None
        (parent.children if parent else roots).append(node)
    return roots


# --- status -------------------------------------------------------------------------------

@dataclass
class DraftState:
    """A draft with what its public status and counts are derived from."""

    draft: Draft
    consultation: Consultation | None
    summary: FeedbackSummary | None
    comments: int = 0
    answered: int = 0

    def status(self, moment: datetime | None = None) -> DraftStatus:
        return derive_status(self.draft, self.consultation, self.summary, moment or clock.now())


def derive_status(draft: Draft, consultation: Consultation | None,
                  summary: FeedbackSummary | None, moment: datetime) -> DraftStatus:
    """The public status from the outcome, the latest round and its summary, at ``moment``."""
    if draft.outcome is DraftOutcome.ADOPTED:
        return DraftStatus.ADOPTED
    if draft.outcome is DraftOutcome.WITHDRAWN:
        return DraftStatus.WITHDRAWN
    if consultation is None or moment < consultation.opens_at:
        return DraftStatus.PUBLISHED
    if moment < consultation.closes_at:
        return DraftStatus.UNDER_CONSULTATION
    return DraftStatus.SUMMARY_PUBLISHED if summary is not None else DraftStatus.CLOSED


def latest_consultation_ids(draft_ids: Sequence[int]) -> Any:
    return (select(func.max(Consultation.id)).where(Consultation.draft_id.in_(draft_ids))
            .group_by(Consultation.draft_id))


def load_states(*, session: Session, drafts: Sequence[Draft]) -> list[DraftState]:
    """The states of ``drafts`` in four queries, whatever their number."""
    ids = [d.id for d in drafts]
    if not ids:
        return []
    consultations = {c.draft_id: c for c in session.scalars(
        select(Consultation).where(Consultation.id.in_(latest_consultation_ids(ids))))}
    summaries = {s.consultation_id: s for s in session.scalars(
        select(FeedbackSummary).where(
            FeedbackSummary.consultation_id.in_([c.id for c in consultations.values()]),
            FeedbackSummary.corrects_id.is_(None)))}
    counted = CommentStatus.PUBLISHED
    comment_counts = dict(session.execute(
        select(Comment.draft_id, func.count()).where(Comment.draft_id.in_(ids),
                                                    Comment.status == counted)
        .group_by(Comment.draft_id)).all())
    answered_counts = dict(session.execute(
        select(Comment.draft_id, func.count()).join(Response, Response.comment_id == Comment.id)
        .where(Comment.draft_id.in_(ids), Comment.status == counted)
        .group_by(Comment.draft_id)).all())
    states = []
    for draft in drafts:
        consultation = consultations.get(draft.id)
        states.append(DraftState(
            draft=draft, consultation=consultation,
            summary=summaries.get(consultation.id) if consultation else None,
            comments=comment_counts.get(draft.id, 0), answered=answered_counts.get(draft.id, 0),
        ))
    return states


def _status_condition(status: DraftStatus, moment: datetime) -> ColumnElement[bool]:
    latest = aliased(Consultation)
    latest_id = (select(func.max(Consultation.id)).where(Consultation.draft_id == Draft.id)
                 .correlate(Draft).scalar_subquery())
    has_round = exists().where(latest.id == latest_id)
    pending = Draft.outcome == DraftOutcome.PENDING

    def round_where(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(latest.id == latest_id, *conditions)

    summary_exists = exists().where(FeedbackSummary.consultation_id == latest.id)
    match status:
        case DraftStatus.ADOPTED:
            return Draft.outcome == DraftOutcome.ADOPTED
        case DraftStatus.WITHDRAWN:
            return Draft.outcome == DraftOutcome.WITHDRAWN
        case DraftStatus.PUBLISHED:
            return and_(pending, or_(~has_round, round_where(latest.opens_at > moment)))
        case DraftStatus.UNDER_CONSULTATION:
            return and_(pending, round_where(latest.opens_at <= moment, latest.closes_at > moment))
        case DraftStatus.CLOSED:
            return and_(pending, round_where(latest.closes_at <= moment, ~summary_exists))
        case DraftStatus.SUMMARY_PUBLISHED:
            return and_(pending, round_where(latest.closes_at <= moment, summary_exists))


@dataclass
class DraftPage:
    items: list[DraftState]
    total: int
    page: int
    per_page: int


def list_drafts(
    *,
    session: Session,
    organization: str | None = None,
    status: DraftStatus | None = None,
    act_type: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> DraftPage:
    """Drafts, newest first, filtered by body, status, act type and full-text words."""
    conditions: list[ColumnElement[bool]] = []
    if organization:
        conditions.append(Draft.organization.has(Organization.slug == organization))
    if act_type:
        conditions.append(Draft.act_type == act_type)
    if status:
        conditions.append(_status_condition(status, clock.now()))
    if q and q.strip():
        # Full text (title, summary, clauses of the current version), as the search page.
        matching = search_service.matching_drafts(session=session, q=q)
        if matching is not None:
            conditions.append(matching)
    total = session.scalar(select(func.count()).select_from(Draft).where(*conditions)) or 0
    drafts = list(session.scalars(
        select(Draft).where(*conditions).order_by(Draft.created_at.desc(), Draft.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return DraftPage(items=load_states(session=session, drafts=drafts), total=total, page=page,
                     per_page=per_page)
