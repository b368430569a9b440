from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from app.api.deps import DraftDep, DrafterOfDraft
from app.api.opendata import ExportSessions, streamed
from app.db import DbSession
from app.models import Consultation
from app.schemas.answer import SummaryCorrection
from app.schemas.summary import SummaryComment, SummaryRead, SummaryRevisionRead, SummaryStats
from app.services import summaries as summaries_service
from app.services import summary_export as export_service
from app.services.summaries import AnswerChange, SummaryView

router = APIRouter(tags=["summaries"])

RevisionParam = Annotated[int | None, Query(ge=1, le=10_000)]
LanguageParam = Annotated[str, Query(pattern="^(ru|ky)$")]


def summary_read(view: SummaryView, round_: int) -> SummaryRead:
    comments = [SummaryComment(
        id=row.comment.id, receipt=row.comment.receipt, clause_key=row.comment.clause_key,
        version=row.comment.version_number, author=row.comment.author.name,
        on_behalf_of=row.comment.on_behalf_of, body=row.comment.body,
        proposed_wording=row.comment.proposed_wording, decision=row.decision.value,
        reasoning=row.reasoning) for row in view.rows]
    return SummaryRead(
        draft_id=view.summary.draft_id, round=round_, revision=view.summary.revision,
        published_at=view.summary.published_at, comments=comments,
        stats=SummaryStats(comments=len(comments), hidden=view.hidden,
                           by_decision=view.by_decision, by_clause=view.by_clause),
        correction_reason=view.summary.correction_reason,
        revisions=[SummaryRevisionRead(revision=s.revision, published_at=s.published_at,
                                       correction_reason=s.correction_reason)
                   for s in view.revisions])


def _round(session: DbSession, view: SummaryView) -> int:
    consultation = session.get(Consultation, view.summary.consultation_id)
    return consultation.round if consultation else 1


@router.post("/drafts/{draft_id}/summary", status_code=201, response_model=SummaryRead)
def publish_summary(draft: DraftDep, user: DrafterOfDraft, session: DbSession) -> SummaryRead:
    """Publish the feedback summary of the latest round."""
    summaries_service.publish_summary(session=session, actor=user, draft=draft)
    view = summaries_service.get_summary(session=session, draft=draft)
    return summary_read(view, _round(session, view))


@router.post("/drafts/{draft_id}/summary/corrections", status_code=201,
             response_model=SummaryRead)
def correct_summary(draft: DraftDep, user: DrafterOfDraft, session: DbSession,
                    correction: SummaryCorrection) -> SummaryRead:
    """Publish a corrected revision of the summary, with its reason; earlier revisions stay."""
    summaries_service.correct_summary(
        session=session, actor=user, draft=draft, reason=correction.reason,
        changes=[AnswerChange(c.comment_id, c.decision, c.reasoning)
                 for c in correction.changes])
    view = summaries_service.get_summary(session=session, draft=draft)
    return summary_read(view, _round(session, view))


@router.get("/drafts/{draft_id}/summary", response_model=SummaryRead)
def get_summary(draft: DraftDep, session: DbSession,
                revision: RevisionParam = None) -> SummaryRead:
    """The published feedback summary: every comment with its decision and reasoning
    (the newest revision, or ``?revision=``)."""
    view = summaries_service.get_summary(session=session, draft=draft, revision=revision)
    return summary_read(view, _round(session, view))


def _document(draft: DraftDep, session: DbSession, revision: int | None,
              lang: str) -> export_service.SummaryDocument:
    view = summaries_service.get_summary(session=session, draft=draft, revision=revision)
    return export_service.build_document(session=session, draft=draft, view=view,
                                         language=lang)


def _file_name(draft_id: int, revision: int, language: str, extension: str) -> dict[str, str]:
    """The Content-Disposition header of a file of the summary."""
    name = f"summary-{draft_id}-r{revision}-{language}.{extension}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/drafts/{draft_id}/summary.csv", response_class=StreamingResponse)
def get_summary_csv(draft: DraftDep, session: DbSession, sessions: ExportSessions,
                    revision: RevisionParam = None, lang: LanguageParam = "ru") -> Response:
    """The summary as CSV (UTF-8 with BOM, for Excel), streamed: a summary of 100,000 comments
    starts at once and takes no more memory than one of ten."""
    summary, _revisions = summaries_service.find_revision(session=session, draft=draft,
                                                          revision=revision)
    return streamed(
        sessions, lambda own: export_service.stream_csv(session=own, summary=summary,
                                                        language=lang),
        "text/csv; charset=utf-8", _file_name(draft.id, summary.revision, lang, "csv"))


@router.get("/drafts/{draft_id}/summary.docx", response_class=StreamingResponse)
def get_summary_docx(draft: DraftDep, session: DbSession, sessions: ExportSessions,
                     revision: RevisionParam = None, lang: LanguageParam = "ru") -> Response:
    """The comparison table as a Word document, in Russian or Kyrgyz (``?lang=``), streamed
    like the CSV: a table of 100,000 rows starts at once and takes no more memory than one of
    a thousand."""
    summary, _revisions = summaries_service.find_revision(session=session, draft=draft,
                                                          revision=revision)
    document = export_service.document_header(session=session, draft=draft, summary=summary,
                                              language=lang)
    return streamed(
        sessions, lambda own: export_service.stream_docx(session=own, document=document,
                                                         summary=summary),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _file_name(draft.id, summary.revision, lang, "docx"))


@router.get("/drafts/{draft_id}/summary.pdf", response_class=Response)
def get_summary_pdf(draft: DraftDep, session: DbSession, revision: RevisionParam = None,
                    lang: LanguageParam = "ru") -> Response:
    """The comparison table as a PDF, in Russian or Kyrgyz (``?lang=``), for a summary of at
    most ``PDF_MAX_ROWS`` comments (422 beyond: the .docx and the CSV hold any number)."""
    summary, _revisions = summaries_service.find_revision(session=session, draft=draft,
                                                          revision=revision)
    export_service.check_pdf_size(session=session, summary=summary)
    document = _document(draft, session, revision, lang)
    return Response(export_service.summary_pdf(document), media_type="application/pdf",
                    headers=_file_name(draft.id, document.revision, lang, "pdf"))
