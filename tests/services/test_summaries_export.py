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
