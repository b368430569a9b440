from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from app.api.deps import DraftDep, DrafterOfDraft
from app.api.opendata import ExportSessions
from app.db import DbSession
from app.errors import SummaryTooLargeForPdf
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


def _attachment(content: bytes | str, media_type: str, draft_id: int,
                document: export_service.SummaryDocument, extension: str) -> Response:
    name = f"summary-{draft_id}-r{document.revision}-{document.language}.{extension}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/drafts/{draft_id}/summary.csv", response_class=StreamingResponse)
def get_summary_csv(draft: DraftDep, session: DbSession, sessions: ExportSessions,
                    revision: RevisionParam = None, lang: LanguageParam = "ru") -> Response:
    """The summary as CSV (UTF-8 with BOM, for Excel), streamed: a summary of 100,000 comments
    starts at once and takes no more memory than one of ten."""
    summary, _revisions = summaries_service.find_revision(session=session, draft=draft,
                                                          revision=revision)

    def body() -> Iterator[bytes]:
        # A session of its own: the request's is closed once this function returns.
        with sessions() as own:
            yield from export_service.stream_csv(session=own, summary=summary, language=lang)

    name = f"summary-{draft.id}-r{summary.revision}-{lang}.csv"
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


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

    def body() -> Iterator[bytes]:
        # A session of its own: the request's is closed once this function returns.
        with sessions() as own:
            yield from export_service.stream_docx(session=own, document=document,
                                                  summary=summary)

    name = f"summary-{draft.id}-r{summary.revision}-{lang}.docx"
    return StreamingResponse(
        body(), media_type=("application/vnd.openxmlformats-officedocument"
                            ".wordprocessingml.document"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/drafts/{draft_id}/summary.pdf", response_class=Response)
def get_summary_pdf(draft: DraftDep, session: DbSession, revision: RevisionParam = None,
                    lang: LanguageParam = "ru") -> Response:
    """The comparison table as a PDF, in Russian or Kyrgyz (``?lang=``), for a summary of at
    most ``PDF_MAX_ROWS`` comments (422 beyond: the .docx and the CSV hold any number)."""
    summary, _revisions = summaries_service.find_revision(session=session, draft=draft,
                                                          revision=revision)
    rows = export_service.count_rows(session=session, summary=summary)
    if rows > export_service.PDF_MAX_ROWS:
        raise SummaryTooLargeForPdf(n=rows, limit=export_service.PDF_MAX_ROWS)
    document = _document(draft, session, revision, lang)
    return _attachment(export_service.summary_pdf(document), "application/pdf", draft.id,
                       document, "pdf")