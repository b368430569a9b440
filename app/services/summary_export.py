"""The feedback summary as files: CSV (UTF-8 with a BOM, for Excel), and the comparison table as
Kyrgyz state bodies lay it out (No | clause | current wording | proposed wording | author |
decision | reasoning) in Word (.docx) and PDF, in Kyrgyz or Russian."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from app import clock
from app.errors import SummaryTooLargeForPdf
from app.i18n import gettext_, pick, translations, use_language
from app.models import (
    Clause, Comment, Consultation, Decision, Draft, FeedbackSummary, SummaryEntry,
    User,
)
from app.services import workspace as workspace_service
from app.services.summaries import SummaryView, answered_in

EXPORT_LANGUAGES = ("ru", "ky")
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

# How each kind of clause is named; the same messages as the pages' clause names.
_STEP = {"section": "Section %(n)s", "chapter": "Chapter %(n)s", "article": "Article %(n)s",
         "part": "Part %(n)s", "point": "Point %(n)s", "subpoint": "Subpoint %(n)s",
         "paragraph": "Paragraph %(n)s"}


def decision_label(decision: Decision) -> str:
    return {Decision.ACCEPTED: gettext_("Accepted"),
            Decision.PARTIALLY_ACCEPTED: gettext_("Partially accepted"),
            Decision.REJECTED: gettext_("Rejected"),
            Decision.NOT_APPLICABLE: gettext_("Not applicable")}[decision]


def clause_name(path: list[Clause], language: str) -> str:
    """"Статья 1 › Часть 2" / "1-берене › 2-бөлүк" in ``language``."""
    catalog = translations(language)
    steps = []
    for clause in path:
        number = clause.number or clause.key.rsplit("/", 1)[-1].removeprefix("p-")
        template = _STEP.get(clause.kind)
        steps.append(catalog.gettext(template) % {"n": number} if template
                     else f"{clause.kind} {number}")
    return " › ".join(steps)


def clause_wording(clauses: list[Clause], language: str) -> str:
    """The text of a clause with everything under it, one paragraph a line."""
    lines = []
    for clause in clauses:
        parts = [clause.label(language), clause.heading(language), clause.text(language)]
        lines.append(" ".join(p for p in parts if p))
    return "\n".join(line for line in lines if line)


@dataclass
class ExportRow:
    number: int
    comment_id: int
    receipt: str
    clause_key: str
    clause: str
    version: int
    current_wording: str
    body: str
    proposed_wording: str
    author: str
    on_behalf_of: str
    decision: Decision
    reasoning: str
    submitted_at: datetime


@dataclass
class SummaryDocument:
    """Everything a file of the summary shows, in one language."""

    language: str
    title: str
    body: str
    draft_published: datetime
    opens_at: datetime | None
    closes_at: datetime | None
    revision: int
    published_at: datetime
    correction_reason: str | None
    rows: list[ExportRow]


def build_document(*, session: Session, draft: Draft, view: SummaryView,
                   language: str) -> SummaryDocument:
    """The rows of the summary with each comment's clause named and quoted in ``language``."""
    document = document_header(session=session, draft=draft, summary=view.summary,
                               language=language)
    document.rows = list(_export_rows(session, [(row.comment, row.decision, row.reasoning,
                                                 row.comment.author.name) for row in view.rows],
                                      language, first=1))
    return document


def document_header(*, session: Session, draft: Draft, summary: FeedbackSummary,
                    language: str) -> SummaryDocument:
    """What a file of ``summary`` says above its rows (its rows left empty, for a file that
    reads them in batches)."""
    consultation = session.get(Consultation, summary.consultation_id)
    return SummaryDocument(
        language=language, title=pick(draft.title, language),
        body=pick(draft.organization.name, language), draft_published=draft.created_at,
        opens_at=consultation.opens_at if consultation else None,
        closes_at=consultation.closes_at if consultation else None,
        revision=summary.revision, published_at=summary.published_at,
        correction_reason=summary.correction_reason, rows=[])


def _export_rows(session: Session, answered: list[tuple[Comment, Decision, str, str]],
                 language: str, first: int) -> Iterator[ExportRow]:
    """(comment, decision, reasoning, author's name) as rows numbered from ``first``."""
    comments = [comment for comment, *_rest in answered]
    index = workspace_service.clause_index(
        session=session, version_ids=[c.version_id for c in comments],
        keys=[c.clause_key for c in comments if c.clause_key])
    with use_language(language):
        whole = gettext_("The draft as a whole")
        for number, (comment, decision, reasoning, author) in enumerate(answered, start=first):
            context = index.context(comment.version_id, comment.clause_key)
            yield ExportRow(
                number=number, comment_id=comment.id, receipt=comment.receipt,
                clause_key=comment.clause_key or "",
                clause=clause_name(context.path, language) if context else
                (comment.clause_key or whole),
                version=comment.version_number,
                current_wording=clause_wording(context.quoted, language) if context else "",
                body=comment.body, proposed_wording=comment.proposed_wording or "",
                author=author, on_behalf_of=comment.on_behalf_of or "",
                decision=decision, reasoning=reasoning, submitted_at=comment.created_at)


# --- CSV ---------------------------------------------------------------------------------

CSV_BATCH = 1000
CSV_COLUMNS = ("no", "receipt", "clause_key", "clause", "version", "current_wording", "author",
               "on_behalf_of", "body", "proposed_wording", "decision", "reasoning",
               "submitted_at", "revision")


def summary_csv(document: SummaryDocument) -> str:
    """The summary as CSV, UTF-8 with a BOM so that Excel reads Cyrillic correctly.  Every
    field is written as stored (quoted where needed), so the csv module reads it back intact."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in document.rows:
        writer.writerow(_csv_cells(row, document.revision))
    return buffer.getvalue()


def _csv_cells(row: ExportRow, revision: int) -> list[object]:
    return [row.number, row.receipt, row.clause_key, row.clause, row.version,
            row.current_wording, row.author, row.on_behalf_of, row.body, row.proposed_wording,
            row.decision.value, row.reasoning, row.submitted_at.isoformat(), revision]


def stream_csv(*, session: Session, summary: FeedbackSummary, language: str,
               batch: int = CSV_BATCH) -> Iterator[bytes]:
    """The same CSV as ``summary_csv``, written ``batch`` comments at a time: memory stays flat
    however many comments the summary answers (issue 9: 100,000), and the first bytes leave at
    once instead of after every row is built."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for rows in _answered_batches(session, summary, language, batch):
        for row in rows:
            writer.writerow(_csv_cells(row, summary.revision))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _answered_batches(session: Session, summary: FeedbackSummary, language: str,
                      batch: int) -> Iterator[list[ExportRow]]:
    """The rows of the comments ``summary`` answers, in order, ``batch`` at a time, each batch
    read when the one before is written (what was written is let go)."""
    after: tuple[datetime, int] | None = None
    number = 1
    while True:
        query = (select(Comment, SummaryEntry.decision, SummaryEntry.reasoning, User.name)
                 .join(SummaryEntry, SummaryEntry.comment_id == Comment.id)
                 .join(User, User.id == Comment.author_id)
                 .where(*answered_in(summary))  # (draft_id, created_at) serves each batch
                 .order_by(Comment.created_at, Comment.id).limit(batch))
        if after is not None:
            query = query.where(tuple_(Comment.created_at, Comment.id) > after)
        answered = [tuple(row) for row in session.execute(query)]
        if answered:
            yield list(_export_rows(session, answered, language, first=number))
        if len(answered) < batch:
            return
        number += len(answered)
        last = answered[-1][0]
        after = (last.created_at, last.id)
        session.expunge_all()  # what was written is not needed again


# --- the comparison table ----------------------------------------------------------------

def _date(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%d.%m.%Y") if moment else "—"


def _headings() -> list[str]:
    return [gettext_("No"), gettext_("Clause"), gettext_("Current wording"),
            gettext_("Proposed wording"), gettext_("Author"), gettext_("Decision"),
            gettext_("Reasoning")]


def _preamble(document: SummaryDocument) -> list[str]:
    lines = [gettext_("State body: {body}", body=document.body),
             gettext_("Draft published on {date}", date=_date(document.draft_published)),
             gettext_("Public discussion from {opens} to {closes}",
                      opens=_date(document.opens_at), closes=_date(document.closes_at)),
             gettext_("Summary published on {date}, revision {revision}",
                      date=_date(document.published_at), revision=document.revision)]
    if document.correction_reason:
        lines.append(gettext_("Reason for the correction: {reason}",
                              reason=document.correction_reason))
    return lines


def _cells(row: ExportRow) -> list[str]:
    proposal = row.body
    if row.proposed_wording:
        proposal += "\n\n" + gettext_("Proposed wording:") + "\n" + row.proposed_wording
    author = row.author + (f" ({row.on_behalf_of})" if row.on_behalf_of else "")
    return [str(row.number), row.clause, row.current_wording or "—", proposal, author,
            decision_label(row.decision), row.reasoning]


def summary_docx(document: SummaryDocument) -> bytes:
    """The comparison table as a Word document (landscape A4), in one piece."""
    return b"".join(docx_chunks(document, iter([document.rows])))


# Where the rows go in the document that python-docx builds around them: a character of
# Unicode's private use area, which no text of ours contains (it is stripped from cells).
_ROWS_HERE = "\ue000rows\ue000"
# What XML 1.0 cannot carry: C0 controls but tab, newline and return; lone surrogates; the
# non-characters U+FFFE and U+FFFF; and the private use marker above.  python-docx refused a
# cell with any of them (a 500); they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\ue000]")


def _run(text: str) -> str:
    """A run's content as python-docx writes ``cell.text``: a new line as a break, a tab as
    a tab."""
    lines = []
    for line in _NOT_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines.append("<w:tab/>".join(f'<w:t xml:space="preserve">{escape(part)}</w:t>'
                                     for part in line.split("\t")))
    return "<w:br/>".join(lines)


def _skeleton(document: SummaryDocument) -> tuple[bytes, list[str]]:
    """The .docx around the table's rows (heading, preamble, the table's header row, then a
    placeholder row), and the widths of the table's columns."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    word = Document()
    section = word.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Mm(15))
    word.styles["Normal"].font.size = Pt(10)
    word.add_heading(gettext_("Feedback summary of the public discussion"), level=1)
    word.add_paragraph(_NOT_XML.sub("", document.title)).runs[0].bold = True
    for line in _preamble(document):
        word.add_paragraph(_NOT_XML.sub("", line))
    table = word.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, _headings(), strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    table.add_row().cells[0].text = _ROWS_HERE
    out = io.BytesIO()
    word.save(out)
    widths = [cell._tc.tcPr.tcW.get(qn("w:w")) for cell in table.rows[0].cells]
    return out.getvalue(), widths


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken away as they come (zipfile writes a
    non-seekable stream with data descriptors)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def docx_chunks(document: SummaryDocument,
                batches: Iterator[list[ExportRow]]) -> Iterator[bytes]:
    """The comparison table as a Word document (landscape A4), written a batch of rows at a
    time: python-docx builds the document around the rows, and the rows are written into its
    zip as they come.  Memory stays flat and the time linear in the rows (issue 9: built whole
    by python-docx, 100,000 rows took 17 minutes and 1.8 GB)."""
    with use_language(document.language):
        skeleton, widths = _skeleton(document)
    sink = _Sink()
    with zipfile.ZipFile(io.BytesIO(skeleton)) as source, \
            zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
                continue
            xml = source.read(info).decode("utf-8")
            marker = xml.index(_ROWS_HERE)
            row_start = xml.rindex("<w:tr>", 0, marker)
            row_end = xml.index("</w:tr>", marker) + len("</w:tr>")
            streamed = zipfile.ZipInfo("word/document.xml", info.date_time)
            streamed.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo's own default: stored
            with target.open(streamed, "w") as member:
                member.write(xml[:row_start].encode("utf-8"))
                for rows in batches:
                    # Each batch in the language itself: a streamed response takes each
                    # chunk in a new copy of the context, where a language set before is gone.
                    with use_language(document.language):
                        member.write(_rows_xml(rows, widths).encode("utf-8"))
                    yield sink.take()
                member.write(xml[row_end:].encode("utf-8"))
    yield sink.take()


def _rows_xml(rows: list[ExportRow], widths: list[str]) -> str:
    """Table rows as python-docx writes them (``add_row``, then ``cell.text`` of each cell)."""
    starts = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p><w:r>'
              for width in widths]
    return "".join(
        "<w:tr>" + "".join(f"{start}{_run(text)}</w:r></w:p></w:tc>"
                           for start, text in zip(starts, _cells(row), strict=True)) + "</w:tr>"
        for row in rows)


def stream_docx(*, session: Session, document: SummaryDocument, summary: FeedbackSummary,
                batch: int = CSV_BATCH) -> Iterator[bytes]:
    """``docx_chunks`` of the summary's rows read ``batch`` comments at a time."""
    yield from docx_chunks(document, _answered_batches(session, summary, document.language,
                                                       batch))


# fpdf2 builds a PDF whole, in memory: 10,000 rows took over two minutes and 100,000 more than
# twenty (bench/README.md), in a public request.  Beyond this many rows the .docx and the CSV,
# both streamed, are the files of the summary.
PDF_MAX_ROWS = 3_000


def check_pdf_size(*, session: Session, summary: FeedbackSummary) -> None:
    """SummaryTooLargeForPdf when ``summary`` answers more than ``PDF_MAX_ROWS`` comments."""
    rows = session.scalar(select(func.count()).select_from(Comment)
                          .join(SummaryEntry, SummaryEntry.comment_id == Comment.id)
                          .where(*answered_in(summary))) or 0
    if rows > PDF_MAX_ROWS:
        raise SummaryTooLargeForPdf(n=rows, limit=PDF_MAX_ROWS)


# Column widths of the table in millimetres, on landscape A4 with 12 mm margins (273 mm).
_PDF_WIDTHS = (10, 30, 55, 60, 30, 25, 63)
# fpdf2 does not split one table row over two pages: a cell is cut to what fits in about 30
# lines of its column (some 1.6 mm a character at 8 pt); the .docx and .csv carry every word.
_PDF_CHARS_PER_MM = 18


def _fit(text: str, width_mm: int) -> str:
    limit = width_mm * _PDF_CHARS_PER_MM
    lines = text.split("\n")
    if len(lines) > 30:  # many short lines are as tall as a long one
        text = "\n".join(lines[:30])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def summary_pdf(document: SummaryDocument) -> bytes:
    """The comparison table as a PDF (landscape A4), in a bundled DejaVu font that has every
    Kyrgyz and Russian letter."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    with use_language(document.language):
        pdf = FPDF(orientation="landscape", format="A4")
        pdf.set_margins(12, 12, 12)
        pdf.set_auto_page_break(auto=True, margin=12)
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
        pdf.set_title(document.title)
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 7, gettext_("Feedback summary of the public discussion"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, document.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for line in _preamble(document):
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=_PDF_WIDTHS, text_align="LEFT", line_height=4,
                       headings_style=FontFace(emphasis="BOLD"),
                       repeat_headings=1) as table:
            table.row(_headings())
            for row in document.rows:
                table.row([_fit(cell, width)
                           for cell, width in zip(_cells(row), _PDF_WIDTHS, strict=True)])
        return bytes(pdf.output())
