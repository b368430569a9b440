"""Staged imports: a new draft or version is previewed before it is published.

The drafter uploads a file or pastes the text; it is kept as a ``StagedImport`` and shown back
as a parse report, a table of contents and, for a new version, what changed. The file's bytes
are kept, not only its text, so that publishing reads it again exactly as it was previewed,
tables included. Publishing goes through the drafts service (which writes the clauses and the
audit entry) and consumes the staged import once.

Nothing here is public: a staged import is only ever looked up by its author, by token.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Draft, Organization, StagedImport, StagedImportKind, User
from app.services import diffing
from app.services import drafts as drafts_service
from app.services import importing as importing_service
from app.services import parsing as parsing_service
from app.services.drafts import TEXT_LANGUAGES, ParseOutcome, VersionText

MAX_CHANGE_NOTE_CHARS = 5000
STRUCTURAL = ("section", "chapter", "article")
REPORTED_KINDS = ("section", "chapter", "article", "part", "point", "subpoint", "paragraph",
                  "note", "table")


class StagedImportNotFound(NotFound):
    code = "staged_import_not_found"
    message = "There is no such text waiting to be published."


class StagedImportPublished(Conflict):
    code = "staged_import_published"
    message = "This text has already been published."


class DraftChangedSincePreview(Conflict):
    code = "draft_changed"
    message = ("The draft has got another version since this preview was made. Please upload "
               "the text again.")


@dataclass
class UploadedFile:
    """A file as the drafter sent it, already read once (so known to be readable)."""

    filename: str
    raw: bytes
    text: str


# --- staging -----------------------------------------------------------------------------

def _texts(texts: dict[str, str | None], files: dict[str, UploadedFile]) -> dict[str, str]:
    """The text per language (a file replaces what was typed in its language), checked."""
    merged = {code: files[code].text if code in files else (texts.get(code) or "")
              for code in TEXT_LANGUAGES}
    merged = {code: text for code, text in merged.items() if text.strip()}
    drafts_service.check_texts(merged)
    return merged


def _staged(*, kind: StagedImportKind, actor: User, organization_id: int, draft_id: int | None,
            form_fields: dict[str, Any], texts: dict[str, str],
            files: dict[str, UploadedFile]) -> StagedImport:
    staged = StagedImport(token=secrets.token_urlsafe(24), kind=kind, user_id=actor.id,
                          organization_id=organization_id, draft_id=draft_id,
                          form_fields=form_fields)
    for code, text in texts.items():
        setattr(staged, f"text_{code}", text)
        if code in files:
            setattr(staged, f"file_{code}", files[code].raw)
            setattr(staged, f"filename_{code}", files[code].filename[-255:])
    return staged


def stage_draft(
    *, session: Session, actor: User, organization: Organization, act_type: str,
    title: dict[str, str | None], summary: dict[str, str | None], texts: dict[str, str | None],
    files: dict[str, UploadedFile],
) -> StagedImport:
    """Keep a new draft for its preview; what publishing would refuse is refused now."""
    drafts_service.get_policy(session=session, act_type=act_type)
    titles = drafts_service.clean_titles(title, TEXT_LANGUAGES[0])
    merged = _texts(texts, files)
    staged = _staged(kind=StagedImportKind.NEW_DRAFT, actor=actor,
                     organization_id=organization.id, draft_id=None,
                     form_fields={"act_type": act_type, "title": titles,
                                  "summary": drafts_service.multilingual(
                                      summary, TEXT_LANGUAGES[0])},
                     texts=merged, files=files)
    session.add(staged)
    session.flush()
    return staged


def stage_version(
    *, session: Session, actor: User, draft: Draft, texts: dict[str, str | None],
    files: dict[str, UploadedFile], change_note: str,
) -> StagedImport:
    """Keep a new version of ``draft`` for its preview; the change note is required."""
    drafts_service.refuse_if_decided(draft)
    change_note = (change_note or "").strip()
    if not change_note:
        raise InvalidInput("Please describe what changed in this version.")
    if len(change_note) > MAX_CHANGE_NOTE_CHARS:
        raise InvalidInput("The change note is too long.")
    merged = _texts(texts, files)
    staged = _staged(kind=StagedImportKind.NEW_VERSION, actor=actor,
                     organization_id=draft.organization_id, draft_id=draft.id,
                     form_fields={"change_note": change_note,
                                  "base_version": draft.current_version},
                     texts=merged, files=files)
    session.add(staged)
    session.flush()
    return staged


def get_staged(*, session: Session, token: str, actor: User) -> StagedImport:
    """The actor's own staged import; StagedImportNotFound for anyone else's (not 403: a
    token of someone else's says nothing about whether it exists)."""
    staged = session.scalar(select(StagedImport).where(StagedImport.token == token))
    if staged is None or staged.user_id != actor.id:
        raise StagedImportNotFound()
    return staged


def latest_outcome(*, session: Session, draft_id: int, actor: User) -> dict[str, Any] | None:
    """What the actor's last publishing of ``draft_id`` reported (for the notice after it)."""
    return session.scalar(
        select(StagedImport.outcome).where(StagedImport.draft_id == draft_id,
                                           StagedImport.user_id == actor.id,
                                           StagedImport.published_at.is_not(None))
        .order_by(StagedImport.published_at.desc(), StagedImport.id.desc()).limit(1))


# --- reading the staged text -------------------------------------------------------------

@dataclass
class ReadText:
    """One language of a staged import, parsed as publishing will parse it."""

    language: str
    document: parsing_service.ParsedDocument
    text: str
    filename: str | None  # None for a pasted text
    warnings: list[str]

    @property
    def from_file(self) -> bool:
        return self.filename is not None


def _read(staged: StagedImport) -> list[ReadText]:
    read = []
    for code in TEXT_LANGUAGES:
        stored = staged.file(code)
        if stored is not None:
            filename, raw = stored
            # Read successfully when staged: the same bytes give the same result.
            result = importing_service.import_document(raw, filename, language=code)
            read.append(ReadText(code, result.document, result.text, filename,
                                 result.report.warnings))
        elif (staged.text(code) or "").strip():
            document = parsing_service.parse_text(staged.text(code) or "")
            read.append(ReadText(code, document, staged.text(code) or "", None,
                                 list(document.report.warnings)))
    return read


def _version_text(read: Sequence[ReadText]) -> VersionText:
    text = VersionText()
    for item in read:
        setattr(text, item.language, item.text)
        if item.from_file:
            text.documents[item.language] = item.document
    return text


# --- the preview -------------------------------------------------------------------------

@dataclass
class LanguageReport:
    """What the parser recognised in one language."""

    language: str
    filename: str | None
    counts: dict[str, int]  # per kind of clause, plus "note" and "table"
    warnings: list[str]
    unplaced: list[str]


@dataclass
class TocItem:
    kind: str
    key: str
    label: str
    heading: str
    children: list["TocItem"] = field(default_factory=list)


@dataclass
class ChangedClause:
    """A row of the comparison with the current version; ``path`` names it (clauses above it,
    then itself: anything with ``kind``, ``number`` and ``key``)."""

    change: str
    key: str | None
    from_key: str | None
    path: list[Any]
    ops: list[tuple[int, str]]


@dataclass
class ChangeSummary:
    from_number: int
    language: str
    counts: dict[str, int]  # added, removed, modified, unchanged
    clauses: list[ChangedClause]  # all but the unchanged ones, in the order of the new text


@dataclass
class Preview:
    staged: StagedImport
    reports: list[LanguageReport]
    toc: list[TocItem]
    mismatched_keys: dict[str, list[str]]
    changes: ChangeSummary | None = None
    no_common_language: bool = False
    stale: bool = False  # the draft got another version after the preview was made

    @property
    def languages(self) -> list[str]:
        return [r.language for r in self.reports]


def _report(item: ReadText) -> LanguageReport:
    report = item.document.report
    counts = {kind: report.counts.get(kind, 0) for kind in REPORTED_KINDS[:7]}
    counts["note"] = report.notes
    counts["table"] = sum(1 for c, _, _ in item.document.iter_clauses() if c.table is not None)
    return LanguageReport(item.language, item.filename, counts, item.warnings,
                          list(report.unplaced))


def _toc(document: parsing_service.ParsedDocument) -> list[TocItem]:
    roots: list[TocItem] = []
    items: dict[str, TocItem] = {}
    for clause, parent, _depth in document.iter_clauses():
        if clause.kind not in STRUCTURAL:
            continue
        entry = items[clause.key] = TocItem(str(clause.kind), clause.key, clause.label,
                                            clause.heading)
        # Structural clauses hang only under structural ones.
        holder = items.get(parent.key) if parent is not None else None
        (holder.children if holder is not None else roots).append(entry)
    return roots


def mismatched_keys(read: Sequence[ReadText]) -> dict[str, list[str]]:
    """Keys present in one language only (as ``drafts.add_version`` reports them)."""
    return drafts_service.mismatched_keys(
        {item.language: {c.key for c, _, _ in item.document.iter_clauses()} for item in read})


class _Named:
    """Clauses by key with their parents, to name a clause as the draft page does."""

    def __init__(self, clauses: Iterable[tuple[Any, str | None]]) -> None:
        self._by_key = {clause.key: (clause, parent_key) for clause, parent_key in clauses}

    def path(self, key: str | None) -> list[Any]:
        path: list[Any] = []
        while key is not None and key in self._by_key:
            clause, parent_key = self._by_key[key]
            path.append(clause)
            # A child's key extends its parent's; an article under a chapter is named alone.
            key = parent_key if parent_key and clause.key.startswith(parent_key + "/") else None
        return list(reversed(path))


def _changes(*, session: Session, draft: Draft, read: Sequence[ReadText]
             ) -> ChangeSummary | None:
    current = drafts_service.get_version(session=session, draft=draft)
    language = next((item for item in read if item.language in current.languages), None)
    if language is None:
        return None
    old_clauses = drafts_service.get_clauses(session=session, version=current)
    diff = diffing.diff_versions(
        diffing.snapshots_from_clauses(old_clauses, language.language),
        diffing.snapshots_from_parsed(language.document))
    old_names = _Named((c, c.parent_key) for c in old_clauses)
    new_names = _Named((c, p.key if p else None)
                       for c, p, _ in language.document.iter_clauses())
    rows = [ChangedClause(change=row.change.value, key=row.key, from_key=row.from_key,
                          path=(new_names.path(row.key) if row.key is not None
                                else old_names.path(row.from_key)), ops=row.ops)
            for row in diff.clauses if row.change is not diffing.ChangeKind.UNCHANGED]
    return ChangeSummary(from_number=current.number, language=language.language,
                         counts=diff.counts, clauses=rows)


def preview(*, session: Session, staged: StagedImport) -> Preview:
    """The report, the contents and (for a new version) the changes of a staged import."""
    read = _read(staged)
    result = Preview(staged=staged, reports=[_report(item) for item in read],
                     toc=_toc(read[0].document) if read else [],
                     mismatched_keys=mismatched_keys(read))
    if staged.kind is StagedImportKind.NEW_VERSION and staged.draft_id is not None:
        draft = drafts_service.get_draft(session=session, draft_id=staged.draft_id)
        result.changes = _changes(session=session, draft=draft, read=read)
        result.no_common_language = result.changes is None
        result.stale = (staged.published_at is None
                        and draft.current_version != staged.form_fields.get("base_version"))
    return result


# --- publishing --------------------------------------------------------------------------

@dataclass
class Published:
    draft: Draft
    version_number: int
    outcome: ParseOutcome


def _consume(session: Session, staged: StagedImport) -> None:
    # One conditional UPDATE: of two "Publish" clicks racing, only one finds it unpublished.
    moment = clock.now()
    consumed = session.execute(
        update(StagedImport).where(StagedImport.id == staged.id,
                                   StagedImport.published_at.is_(None))
        .values(published_at=moment).execution_options(synchronize_session=False))
    if consumed.rowcount != 1:
        raise StagedImportPublished()
    # Also through the ORM, so that a rolled-back attempt expires it with the rest.
    staged.published_at = moment


def publish(*, session: Session, actor: User, staged: StagedImport) -> Published:
    """Publish the staged draft or version through the drafts service, once."""
    if staged.user_id != actor.id:
        raise StagedImportNotFound()
    if actor.organization_id != staged.organization_id:
        raise Forbidden("Only the staff of the state body that published this draft may do this.")
    _consume(session, staged)
    text = _version_text(_read(staged))
    values = staged.form_fields
    if staged.kind is StagedImportKind.NEW_DRAFT:
        organization = session.get(Organization, staged.organization_id)
        draft, outcome = drafts_service.create_draft(
            session=session, actor=actor, organization=organization,
            act_type=values["act_type"], title=values["title"], summary=values["summary"],
            text=text)
        staged.draft_id = draft.id
        number = 1
    else:
        draft = drafts_service.get_draft(session=session, draft_id=staged.draft_id)
        if draft.current_version != values["base_version"]:
            raise DraftChangedSincePreview()
        version, outcome = drafts_service.add_version(
            session=session, actor=actor, draft=draft, text=text,
            change_note=values["change_note"])
        number = version.number
    staged.outcome = {"version": number, "counts": outcome.counts,
                      "mismatched_keys": outcome.mismatched_keys}
    session.flush()
    return Published(draft=draft, version_number=number, outcome=outcome)


def purge_abandoned(*, session: Session, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget uploads previewed but never published (they are not part of any record)."""
    result = session.execute(delete(StagedImport).where(
        StagedImport.published_at.is_(None), StagedImport.created_at < clock.now() - older_than))
    return result.rowcount or 0
