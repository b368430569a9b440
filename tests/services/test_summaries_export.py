"""The comparison table's files hold up with long texts and every Kyrgyz letter."""

from datetime import UTC, datetime

from app.models import Decision
from app.services.summary_export import ExportRow, SummaryDocument, summary_docx, summary_pdf

NOW = datetime(2027, 1, 2, 4, tzinfo=UTC)


def _document(text: str, lines: int = 1) -> SummaryDocument:
    row = ExportRow(number=1, comment_id=1, receipt="T-1", clause_key="art-1",
                    clause="1-берене", version=1, current_wording="\n".join([text] * lines),
                    body=text, proposed_wording=text, author="Айгүл Өмүрбекова",
                    on_behalf_of="Коомдук бирикме", decision=Decision.ACCEPTED,
                    reasoning=text * 3, submitted_at=NOW)
    return SummaryDocument(language="ky", title="Керектөөчүлөрдүн укуктары жөнүндө",
                           body="Экономика министрлиги", draft_published=NOW, opens_at=NOW,
                           closes_at=NOW, revision=1, published_at=NOW,
                           correction_reason=None, rows=[row] * 25)


def test_pdf_with_very_long_cells_and_kyrgyz_letters():
    long_text = "Бул Мыйзам ңөү ҢӨҮ керектөөчүлөрдүн укуктарын коргойт. " * 200
    for document in (_document(long_text), _document("ңөү", lines=400)):
        data = summary_pdf(document)
        assert data.startswith(b"%PDF") and len(data) > 5000


def test_docx_keeps_every_word():
    from io import BytesIO

    from docx import Document

    long_text = "Бул Мыйзам ңөү ҢӨҮ. " * 500
    table = Document(BytesIO(summary_docx(_document(long_text)))).tables[0]
    assert len(table.rows) == 26
    assert table.rows[1].cells[6].text == long_text * 3


def test_the_streamed_csv_is_the_whole_csv_in_batches(db):
    """The CSV leaves a batch of comments at a time (flat memory for 100,000 comments, issue
    9) and is byte for byte the file built in one piece."""
    from sqlalchemy import func, select

    from app.models import Draft, FeedbackSummary, SummaryEntry
    from app.services import demo as demo_service
    from app.services import summaries as summaries_service
    from app.services.summary_export import build_document, stream_csv, summary_csv

    demo_service.seed(session=db)
    db.expunge_all()  # read back as an export reads them (times in UTC), not as created
    summary = db.scalar(select(FeedbackSummary).order_by(FeedbackSummary.id).limit(1))
    entries = db.scalar(select(func.count()).select_from(SummaryEntry)
                        .where(SummaryEntry.summary_id == summary.id))
    assert entries >= 5
    draft = db.get(Draft, summary.draft_id)
    for language in ("ru", "ky"):
        view = summaries_service.get_summary(session=db, draft=draft)
        whole = summary_csv(build_document(session=db, draft=draft, view=view,
                                           language=language)).encode("utf-8")
        chunks = list(stream_csv(session=db, summary=summary, language=language, batch=2))
        assert len(chunks) >= 3
        assert b"".join(chunks) == whole
