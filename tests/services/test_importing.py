"""Tests for app.services.importing: every Word-HTML fragment of shared/corpus/html, .docx files
made at test time with python-docx, plain text in its encodings, and files that are refused."""

import io
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from bs4 import BeautifulSoup
from docx.oxml import OxmlElement, parse_xml

from app.services.importing import ImportResult, UnsupportedDocument, import_document
from app.services.parsing import (
    ClauseKind,
    ParsedDocument,
    match_heading,
    parse_text,
    split_paragraphs,
)
from tests.corpus import corpus_dir, corpus_file


def import_fixture(name: str) -> tuple[ImportResult, bytes]:
    raw = corpus_file(f"html/{name}").read_bytes()
    return import_document(raw, Path(name).name), raw


# --- helpers ----------------------------------------------------------------------------------

_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def squash(text: str) -> str:
    """Text without any whitespace or soft hyphen, superscript digits as digits: what is left
    must match character for character whatever the paragraph breaks."""
    return "".join(text.translate(_FROM_SUPERSCRIPT).replace("\u00ad", "").split())


def visible_text(raw: bytes) -> str:
    """The text a reader sees, extracted independently of the importer (BeautifulSoup)."""
    return BeautifulSoup(raw.decode("utf-8"), "html.parser").get_text()


def joined(doc: ParsedDocument) -> str:
    parts = []
    for clause, _, _ in doc.iter_clauses():
        body = (" ".join(cell for row in clause.table for cell in row) if clause.table is not None
                else clause.text)
        parts.append(f"{clause.label} {clause.heading} {body}")
    return " ".join(parts)


def outline(doc: ParsedDocument) -> list[tuple]:
    return [(c.key, c.kind.value, c.number, c.label, c.heading, c.text)
            for c, _, _ in doc.iter_clauses()]


def assert_outline(doc: ParsedDocument, expected: list[tuple]) -> None:
    """Compare (key, kind, number, label, heading, text); a text ending in "…" is a prefix."""
    actual = outline(doc)
    assert [row[0] for row in actual] == [row[0] for row in expected]
    for got, want in zip(actual, expected, strict=True):
        if want[5].endswith("…"):
            assert got[:5] == want[:5] and got[5].startswith(want[5][:-1]), got
        else:
            assert got == want


def assert_clean(result: ImportResult, raw: bytes, debris: str = "") -> None:
    """What every fixture must satisfy: no text lost or added, no nbsp or soft hyphen left,
    unique keys, counts that add up, the plain text giving back the same tree."""
    doc = result.document
    assert result.source_format == "html"
    visible = visible_text(raw)
    assert visible.lstrip().startswith(debris)
    assert squash(joined(doc)) == squash(visible.lstrip().removeprefix(debris))
    for clause, _, _ in doc.iter_clauses():
        for value in (clause.label, clause.heading, clause.text):
            assert "\u00a0" not in value and "\u00ad" not in value and "  " not in value
    keys = [c.key for c, _, _ in doc.iter_clauses()]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z0-9/-]+", key) for key in keys)
    counted = {kind.value: 0 for kind in ClauseKind}
    for clause, _, _ in doc.iter_clauses():
        counted[clause.kind.value] += 1
    notes = sum(1 for c, _, _ in doc.iter_clauses() if c.note)
    assert result.report.counts == {**counted, "note": notes}
    # The extracted text reads back to the same keys (only the table cells are not in it).
    again = parse_text(result.text)
    assert [c.key for c, _, _ in again.iter_clauses()] == keys
    assert squash(joined(again).replace("|", "")) == squash(joined(doc).replace("|", ""))


def articles(doc: ParsedDocument) -> list[tuple[str, str]]:
    return [(c.number, c.heading) for c, _, _ in doc.iter_clauses()
            if c.kind is ClauseKind.ARTICLE]


def by_key(doc: ParsedDocument) -> dict:
    return {c.key: c for c, _, _ in doc.iter_clauses()}


# --- every fixture of shared/corpus/html ------------------------------------------------------

FIXTURES = {
    "article_hyphen_numbers.html", "article_title_next_paragraph.html",
    "article_title_same_line.html", "editorial_note.html", "mention_not_article.html",
    "nbsp_softhyphen.html", "preamble.html", "superscript_article.html", "table_in_article.html",
    "kg/article_38_with_reference.html", "kg/section_2.html", "kg/section_chapter_article.html",
}


def test_every_fixture_has_its_test():
    html = corpus_dir() / "html"
    assert html.is_dir(), f"{html} not found (set TALKUU_CORPUS_DIR)"
    found = {str(p.relative_to(html)) for p in html.rglob("*.htm*")}
    assert found == FIXTURES


def test_article_hyphen_numbers():
    result, raw = import_fixture("article_hyphen_numbers.html")
    assert_clean(result, raw)
    P, A = "paragraph", "article"
    assert_outline(result.document, [
        ("art-82", A, "82", "Статья 82.", "Общий порядок", ""),
        ("art-82/p-1", P, None, "", "", "Текст статьи 82."),
        ("art-82-1", A, "82-1", "Статья 82-1.", "Особенности для отдельных категорий", ""),
        ("art-82-1/p-1", P, None, "", "", "Текст вставленной статьи 82-1."),
        ("art-82-1-1", A, "82-1-1", "Статья 82-1-1.", "Дополнительные особенности", ""),
        ("art-82-1-1/p-1", P, None, "", "", "Текст вставленной статьи 82-1-1."),
        ("art-83", A, "83", "Статья 83.", "Следующая", ""),
        ("art-83/p-1", P, None, "", "", "Текст статьи 83."),
    ])
    assert result.report.warnings == []  # 82 -> 82-1 -> 82-1-1 -> 83 is in sequence
    assert result.report.unplaced == []


def test_article_title_next_paragraph():
    result, raw = import_fixture("article_title_next_paragraph.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-7", "article", "7", "Статья 7.", "Трудовые отношения и основания их возникновения",
         ""),
        ("art-7/p-1", "paragraph", None, "", "", "Трудовые отношения - отношения, основанные на "
         "соглашении между работником и работодателем."),
        ("art-8", "article", "8", "Статья 8.", "", ""),
        # It ends with a full stop, so it is the body, not the title.
        ("art-8/p-1", "paragraph", None, "", "", "Настоящая статья не имеет заголовка, а этот "
         "абзац кончается точкой и потому не заголовок."),
    ])


def test_article_title_same_line_with_section_and_chapter():
    result, raw = import_fixture("article_title_same_line.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("sec-1", "section", "1", "РАЗДЕЛ I.", "ОБЩИЕ ПОЛОЖЕНИЯ", ""),
        ("ch-1", "chapter", "1", "Глава 1.", "Основные положения", ""),
        ("art-1", "article", "1", "Статья 1.", "Основные понятия, используемые в настоящем "
         "Кодексе", ""),
        ("art-1/p-1", "paragraph", None, "", "", "В настоящем Кодексе используются следующие "
         "основные понятия."),
        ("art-1/p-2", "paragraph", None, "", "", "Работник - физическое лицо, состоящее в "
         "трудовых отношениях с работодателем."),
        ("art-2", "article", "2", "Статья 2.", "Цели и задачи трудового законодательства", ""),
        ("art-2/part-1", "part", "1", "1.", "", "Целями трудового законодательства являются "
         "установление гарантий."),
    ])
    parents = {c.key: p.key if p else None for c, p, _ in result.document.iter_clauses()}
    assert parents["ch-1"] == "sec-1" and parents["art-1"] == "ch-1" and parents["art-2"] == "ch-1"
    # The page declares windows-1251 but its bytes are UTF-8: the bytes win.
    assert result.report.encoding == "utf-8"
    assert any("windows-1251" in w for w in result.report.warnings)


def test_editorial_note_is_flagged():
    result, raw = import_fixture("editorial_note.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-60", "article", "60", "Статья 60.", "Оплата труда", ""),
        ("art-60/p-1", "paragraph", None, "", "", "(В редакции Закона КР от 23 июня 2026 года "
         "№ 112)"),
        ("art-60/p-2", "paragraph", None, "", "", "Оплата труда производится не реже одного раза "
         "в месяц."),
    ])
    clauses = by_key(result.document)
    assert clauses["art-60/p-1"].note is True
    assert clauses["art-60/p-2"].note is False and clauses["art-60"].note is False
    assert result.report.counts["note"] == 1
    assert result.report.counts["paragraph"] == 2  # a note is still a paragraph


def test_reference_is_not_a_heading():
    result, raw = import_fixture("mention_not_article.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-20", "article", "20", "Статья 20.", "Испытательный срок", ""),
        ("art-20/p-1", "paragraph", None, "", "", "При приеме на работу в соответствии со "
         "статьей 15 настоящего Кодекса может устанавливаться испытательный срок."),
        ("art-20/p-2", "paragraph", None, "", "", "Статья 21 настоящего Кодекса при этом не "
         "применяется, если иное не установлено законом."),
    ])
    assert articles(result.document) == [("20", "Испытательный срок")]


def test_nbsp_and_soft_hyphens_are_gone():
    result, raw = import_fixture("nbsp_softhyphen.html")
    assert b"&nbsp;" in raw and b"&shy;" in raw
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-30", "article", "30", "Статья 30.", "Нормализациятекста", ""),
        ("art-30/p-1", "paragraph", None, "", "", "Работодатель обязан соблюдать требования."),
    ])


def test_preamble_stays_at_the_top_level():
    result, raw = import_fixture("preamble.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("p-1", "paragraph", None, "", "", "Внимание! Изменения, внесенные Законом КР от 14 "
         "ноября 2025 года № 257, вступают в силу с 1 января 2027 года"),
        ("p-2", "paragraph", None, "", "", "ТРУДОВОЙ КОДЕКС КЫРГЫЗСКОЙ РЕСПУБЛИКИ"),
        ("p-3", "paragraph", None, "", "", "Настоящий Кодекс регулирует трудовые отношения."),
        ("art-1", "article", "1", "Статья 1.", "Первая статья", ""),
        ("art-1/p-1", "paragraph", None, "", "", "Текст первой статьи."),
    ])
    assert [c.key for c in result.document.clauses] == ["p-1", "p-2", "p-3", "art-1"]
    assert not any(c.note for c, _, _ in result.document.iter_clauses())
    assert result.report.unplaced == []


def test_superscript_article_and_part():
    result, raw = import_fixture("superscript_article.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-21", "article", "21", "Статья 21.", "Совокупность преступлений", ""),
        ("art-21/p-1", "paragraph", None, "", "", "Текст статьи 21."),
        ("art-21-1", "article", "21-1", "Статья 21¹.", "Рецидив преступлений", ""),
        ("art-21-1/part-1", "part", "1", "1.", "", "Текст статьи о рецидиве."),
        ("art-21-1/part-2-1", "part", "2-1", "2¹.", "", "Пожизненное лишение свободы может "
         "применяться с учетом части 2¹ настоящей статьи."),
        ("art-22", "article", "22", "Статья 22.", "Следующая", ""),
        ("art-22/p-1", "paragraph", None, "", "", "Текст статьи 22."),
    ])
    assert [n for n, _ in articles(result.document)] == ["21", "21-1", "22"]
    assert result.report.warnings == []


def test_table_is_kept_as_a_table_inside_its_article():
    result, raw = import_fixture("table_in_article.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-154", "article", "154", "Статья 154.", "Тарифные коэффициенты", ""),
        ("art-154/p-1", "paragraph", None, "", "", "Применяются следующие коэффициенты:"),
        ("art-154/p-2", "paragraph", None, "", "", "Разряд | Коэффициент\n1 | 1,00\n2 | 1,30"),
        ("art-154/p-3", "paragraph", None, "", "", "Коэффициенты применяются с учетом "
         "квалификации."),
    ])
    table = by_key(result.document)["art-154/p-2"]
    assert table.table == [["Разряд", "Коэффициент"], ["1", "1,00"], ["2", "1,30"]]
    assert table.label == "" and table.note is False
    assert all(c.table is None for c, _, _ in result.document.iter_clauses() if c is not table)
    assert result.report.tables == 1


def test_kyrgyz_article_with_reference():
    result, raw = import_fixture("kg/article_38_with_reference.html")
    assert_clean(result, raw)
    assert_outline(result.document, [
        ("art-38", "article", "38", "38-берене.", "Менчик ээси алмашкан жана уюм кайра "
         "уюштурулган учурдагы эмгек мамилелери", ""),
        ("art-38/part-1", "part", "1", "1.", "", "Уюмдун менчик ээси алмашкан учурда жаңы менчик "
         "ээси анда менчик укугу пайда болгон күндөн тартып 3 айдан кечиктирбестен уюмдун "
         "жетекчиси, анын орун басарлары жана уюмдун башкы бухгалтери менен эмгек келишимин "
         "бузууга же кайра түзүүгө укуктуу."),
        ("art-38/part-2", "part", "2", "2.", "", "Уюмдун менчик ээсинин алмашуусу (аны ар кандай "
         "формада менчиктештирүү)…"),
        ("art-38/part-3", "part", "3", "3.", "", "Уюмдун менчик ээсинин алмашуусуна байланыштуу "
         "кызматкер ишти улантуудан баш тарткан учурда эмгек келишими ушул Кодекстин "
         "40-беренесинин 1-бөлүгүнүн 9-пунктуна ылайык токтотулат."),
        ("art-38/part-4", "part", "4", "4.", "", "Уюмдун мүлкүнүн менчик ээси алмашкан учурда "
         "кызматкерлердин санын же штатын кыскартууга менчик укугунун өтүшүн мамлекеттик "
         "каттоодон кийин гана жол берилет."),
    ])
    # "40-беренесинин" (a case form, inside a link) is a reference, not article 40.
    assert articles(result.document) == [
        ("38", "Менчик ээси алмашкан жана уюм кайра уюштурулган учурдагы эмгек мамилелери")]
    assert result.report.language == "ky"


def test_kyrgyz_special_part_section_chapter():
    result, raw = import_fixture("kg/section_2.html")
    # The fragment was cut out of a larger export in the middle of a tag.
    assert_clean(result, raw, debris="eight:115%>")
    assert_outline(result.document, [
        ("book-1", "section", "1", "ӨЗГӨЧӨ БӨЛҮК", "", ""),
        ("sec-2", "section", "2", "II БӨЛҮМ.", "ЭМГЕК МАМИЛЕЛЕРИ", ""),
        ("ch-3", "chapter", "3", "3-глава.", "Эмгек келишими", ""),
        ("art-17", "article", "17", "17-берене.", "Эмгек келишиминин мазмуну", ""),
        ("art-17/part-1", "part", "1", "1.", "", "Эмгек келишиминин мазмуну ушул Кодексте "
         "каралган талаптарды сактоо менен тараптардын макулдашуусу боюнча аныкталат."),
        ("art-17/part-2", "part", "2", "2.", "", "Эмгек келишими милдеттүү катары төмөнкү "
         "маалыматтарды камтууга тийиш:"),
        ("art-17/part-2/pt-1", "point", "1", "1)", "", "эмгек келишимин түзүү датасы жана орду;"),
    ])
    parents = {c.key: p.key if p else None for c, p, _ in result.document.iter_clauses()}
    assert parents["sec-2"] == "book-1" and parents["ch-3"] == "sec-2"
    assert parents["art-17"] == "ch-3"
    assert any("eight:115%>" in w for w in result.report.warnings)


def test_kyrgyz_general_part_section_chapter_article():
    result, raw = import_fixture("kg/section_chapter_article.html")
    assert_clean(result, raw, debris=".0cm;text-align:center;text-indent:0;line-height:115%>")
    assert_outline(result.document, [
        ("book-1", "section", "1", "ЖАЛПЫ БӨЛҮК", "", ""),
        ("sec-1", "section", "1", "I БӨЛҮМ.", "ЖАЛПЫ ЖОБОЛОР", ""),
        ("ch-1", "chapter", "1", "1-глава.", "Негизги жоболор", ""),
        ("art-1", "article", "1", "1-берене.", "Ушул Кодексте колдонулуучу негизги түшүнүктөр",
         ""),
        ("art-1/p-1", "paragraph", None, "", "", "Ушул Кодексте төмөнкү негизги түшүнүктөр "
         "пайдаланылат:"),
        ("art-1/pt-1", "point", "1", "1)", "", "коопсуз эмгек шарттары - иштегендерге зыяндуу "
         "же кооптуу өндүрүштүк факторлордун таасири…"),
        ("art-1/pt-2", "point", "2", "2)", "", "вахталык метод - кызматкерлердин туруктуу "
         "жашаган жерине…"),
        ("art-1/pt-3", "point", "3", "3)", "", "зыяндуу эмгек шарттары - гигиеналык "
         "ченемдерден ашкан…"),
        # The fragment stops mid-word; what is there is kept.
        ("art-1/pt-4", "point", "4", "4)", "", "эс алуу убактысы - анын аралыгында кызматкер "
         "эмгек мил"),
    ])
    parents = {c.key: p.key if p else None for c, p, _ in result.document.iter_clauses()}
    assert parents["sec-1"] == "book-1" and parents["ch-1"] == "sec-1"
    assert parents["art-1"] == "ch-1" and parents["art-1/pt-4"] == "art-1"


def test_html_in_windows_1251_reads_the_same():
    raw = corpus_file("html/superscript_article.html").read_bytes()
    text = raw.decode("utf-8").replace(
        "<html>", "<html><head><meta http-equiv=Content-Type content=\"text/html; "
        "charset=windows-1251\"></head>")
    result = import_document(text.encode("cp1251"), "superscript_article.htm")
    assert result.report.encoding == "windows-1251"
    assert outline(result.document) == outline(import_fixture("superscript_article.html")[0]
                                               .document)


def test_kyrgyz_uploaded_as_russian_is_reported():
    raw = corpus_file("html/kg/article_38_with_reference.html").read_bytes()
    result = import_document(raw, "38.html", language="ru")
    assert result.report.language == "ru"
    assert any("Kyrgyz" in w for w in result.report.warnings)


# --- HTML details -----------------------------------------------------------------------------

def html_doc(body: str) -> ImportResult:
    return import_document(f"<html><body>{body}</body></html>".encode(), "x.html")


def test_line_breaks_are_spaces_unless_they_end_a_bare_heading():
    result = html_doc(
        "<p class=MsoNormal><b>Статья 7.<br>Трудовые отношения</b>"
        "<p class=MsoNormal>Текст статьи<br>\nпродолжается.<br>Статья 8. Следующая"
        "<p class=MsoNormal>РАЗДЕЛ II<br>ЗАКЛЮЧИТЕЛЬНЫЕ ПОЛОЖЕНИЯ")
    assert [(c.key, c.label, c.heading, c.text) for c, _, _ in result.document.iter_clauses()] == [
        ("art-7", "Статья 7.", "Трудовые отношения", ""),
        ("art-7/p-1", "", "", "Текст статьи продолжается."),
        ("art-8", "Статья 8.", "Следующая", ""),
        ("sec-2", "РАЗДЕЛ II", "ЗАКЛЮЧИТЕЛЬНЫЕ ПОЛОЖЕНИЯ", "")]


def test_word_html_list_numbers_hidden_text_and_head_are_handled():
    result = import_document((
        "<html><head><title>Заголовок окна</title><style>p {margin:0}</style></head><body>"
        "<p class=MsoNormal><b>Статья 5. Термины</b>"
        "<p class=MsoListParagraph><![if !supportLists]><span>1.<span>&nbsp;&nbsp;&nbsp; "
        "</span></span><![endif]>Первая часть<span style='display:none'>скрытый текст</span>."
        "<!-- комментарий --></body></html>").encode(), "x.htm")
    assert [(c.key, c.label, c.text) for c, _, _ in result.document.iter_clauses()] == [
        ("art-5", "Статья 5.", ""), ("art-5/part-1", "1.", "Первая часть.")]


def test_layout_and_nested_tables():
    result = html_doc(
        "<table><tr><td><p>Статья 1. В рамке<p>Текст в рамке.</td></tr></table>"
        "<p>Ставки:"
        "<table><tr><td rowspan=2>А<td>Б<td colspan=2>В</tr><tr><td>Г<td>Д<td>Е</tr>"
        "<tr><td>Ж<td><table><tr><td>вложенная<td>таблица</table></td></tr></table>")
    doc = result.document
    assert [c.key for c, _, _ in doc.iter_clauses()] == ["art-1", "art-1/p-1", "art-1/p-2",
                                                         "art-1/p-3"]
    assert by_key(doc)["art-1"].heading == "В рамке"  # a one-cell table is only a frame
    assert by_key(doc)["art-1/p-3"].table == [
        ["А", "Б", "В", ""], ["", "Г", "Д", "Е"], ["Ж", "вложенная таблица", "", ""]]
    assert any("inside a table" in w for w in result.report.warnings)


def test_table_after_a_colon_belongs_to_the_open_point():
    result = html_doc("<p>Статья 3. Ставки<p>1. Налог взимается:<p>1) по ставкам:"
                      "<table><tr><td>а<td>б</tr></table><p>Прочее.")
    keys = [c.key for c, _, _ in result.document.iter_clauses()]
    assert keys == ["art-3", "art-3/part-1", "art-3/part-1/pt-1", "art-3/part-1/pt-1/p-1",
                    "art-3/part-1/p-1"]


# --- .docx ------------------------------------------------------------------------------------

def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def family_code_docx(source: str) -> bytes:
    """One Word paragraph per text paragraph; headings bold, label and title in two runs."""
    document = docx.Document()
    for para in split_paragraphs(source):
        paragraph = document.add_paragraph()
        heading = match_heading(para)
        if heading and heading[0] is ClauseKind.ARTICLE:
            label = heading[1]
            paragraph.add_run(label).bold = True
            paragraph.add_run(para[len(label):]).bold = True
        else:
            paragraph.add_run(para)
    return docx_bytes(document)


def test_docx_of_family_code_is_the_same_tree_as_the_text():
    source = corpus_file("ru/family-code.txt").read_text(encoding="utf-8")
    result = import_document(family_code_docx(source), "family-code.docx")
    expected = parse_text(source)
    assert result.source_format == "docx"
    assert outline(result.document) == outline(expected)
    assert result.document.clauses == expected.clauses  # also children, notes, tables
    assert result.document.report == expected.report
    assert len(articles(result.document)) == 141
    assert result.text == "\n".join(split_paragraphs(source)) + "\n"
    assert result.report.counts["note"] == expected.report.notes == 62


def _append(run, tag: str, text: str | None = None) -> None:
    element = OxmlElement(tag)
    run._r.append(element)
    if text is not None:
        t = OxmlElement("w:t")
        t.text = text
        run._r.append(t)


def test_docx_superscript_table_note_numbering_and_breaks():
    document = docx.Document()
    document.add_paragraph("ЗАКОН КЫРГЫЗСКОЙ РЕСПУБЛИКИ")
    document.add_paragraph().add_run("Статья 21. Совокупность").bold = True
    document.add_paragraph("Текст статьи 21.")
    heading = document.add_paragraph()
    heading.add_run("Статья 21").bold = True
    sup = heading.add_run("1")
    sup.bold = sup.font.superscript = True
    heading.add_run(". Рецидив").bold = True
    document.add_paragraph().add_run("(В редакции Закона КР от 1 января 2025 года № 1)").italic = (
        True)
    document.add_paragraph("Первая часть.", style="List Number")  # Word writes "1." itself
    document.add_paragraph("Вторая часть, ставки:", style="List Number")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Ставки"
    table.cell(1, 0).text, table.cell(1, 1).text = "Разряд", "Ставка"
    table.cell(2, 0).text, table.cell(2, 1).text = "1", "10"
    part = document.add_paragraph()
    part.add_run("2")
    part.add_run("1").font.superscript = True
    part.add_run(". Вставленная часть.")
    bare = document.add_paragraph()
    bare.add_run("Статья 22.").add_break()  # Shift+Enter between the heading and its title
    bare.add_run("Следующая")
    wrapped = document.add_paragraph()
    wrapped.add_run("Текст статьи 22").add_break()
    wrapped.add_run("продолжается.")
    inserted = document.add_paragraph().add_run("Статья 22")
    _append(inserted, "w:noBreakHyphen", "1. Вставленная")
    body = document.add_paragraph().add_run("Работо")
    _append(body, "w:softHyphen", "датель\u00a0обязан")
    hidden = body._parent.add_run(" СКРЫТЫЙ ТЕКСТ")
    hidden.font.hidden = True
    body._parent.add_run(" соблюдать.")

    result = import_document(docx_bytes(document), "draft.docx")
    doc = result.document
    assert [(c.key, c.label, c.heading, c.text) for c, _, _ in doc.iter_clauses()] == [
        ("p-1", "", "", "ЗАКОН КЫРГЫЗСКОЙ РЕСПУБЛИКИ"),
        ("art-21", "Статья 21.", "Совокупность", ""),
        ("art-21/p-1", "", "", "Текст статьи 21."),
        ("art-21-1", "Статья 21¹.", "Рецидив", ""),
        ("art-21-1/p-1", "", "", "(В редакции Закона КР от 1 января 2025 года № 1)"),
        ("art-21-1/part-1", "1.", "", "Первая часть."),
        ("art-21-1/part-2", "2.", "", "Вторая часть, ставки:"),
        ("art-21-1/part-2/p-1", "", "", "Ставки | \nРазряд | Ставка\n1 | 10"),
        ("art-21-1/part-2-1", "2¹.", "", "Вставленная часть."),
        ("art-22", "Статья 22.", "Следующая", ""),
        ("art-22/p-1", "", "", "Текст статьи 22 продолжается."),
        ("art-22-1", "Статья 22-1.", "Вставленная", ""),
        ("art-22-1/p-1", "", "", "Работодатель обязан соблюдать."),
    ]
    clauses = by_key(doc)
    assert [c.number for c, _, _ in doc.iter_clauses() if c.kind is ClauseKind.ARTICLE] == [
        "21", "21-1", "22", "22-1"]
    assert clauses["art-21-1/part-2/p-1"].table == [["Ставки", ""], ["Разряд", "Ставка"],
                                                     ["1", "10"]]
    assert clauses["art-21-1/p-1"].note is True
    assert result.report.counts["note"] == 1 and result.report.tables == 1
    assert any("numbering" in w for w in result.report.warnings)
    assert result.report.warnings[-1:] == ["2 list number(s) written out from Word's automatic "
                                           "numbering"]
    again = parse_text(result.text)
    assert [c.key for c, _, _ in again.iter_clauses()] == [c.key for c, _, _ in doc.iter_clauses()]


def test_docx_tables_come_in_document_order():
    document = docx.Document()
    document.add_paragraph("Статья 1. Первая")
    document.add_paragraph("До таблицы.")
    row = document.add_table(rows=1, cols=2).rows[0]
    row.cells[0].text, row.cells[1].text = "ячейка", "другая"
    document.add_paragraph("После таблицы.")
    document.add_paragraph("Статья 2. Вторая")
    result = import_document(docx_bytes(document), "t.docx")
    assert [(c.key, c.text, c.table) for c, _, _ in result.document.iter_clauses()] == [
        ("art-1", "", None), ("art-1/p-1", "До таблицы.", None),
        ("art-1/p-2", "ячейка | другая", [["ячейка", "другая"]]),
        ("art-1/p-3", "После таблицы.", None),
        ("art-2", "", None)]


# --- plain text and format detection ----------------------------------------------------------

SNIPPET = "Статья 1. Тест\n\n1. Часть первая.\n(В редакции Закона КР от 1 мая 2020 года № 5)\n"


@pytest.mark.parametrize("encoded, encoding", [
    (SNIPPET.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + SNIPPET.encode("utf-8"), "utf-8"),
    (SNIPPET.replace("\n", "\r\n").encode("cp1251"), "windows-1251"),
    (SNIPPET.encode("utf-16"), "utf-16"),
], ids=["utf-8", "utf-8-bom", "cp1251-crlf", "utf-16"])
def test_plain_text_in_its_encodings(encoded, encoding):
    result = import_document(encoded, "draft.txt")
    assert (result.source_format, result.report.encoding) == ("txt", encoding)
    assert result.text == SNIPPET
    assert result.document == parse_text(SNIPPET)
    assert by_key(result.document)["art-1/part-1/p-1"].note


def test_format_is_told_by_content_not_by_name():
    html = corpus_file("html/editorial_note.html").read_bytes()
    assert import_document(html, "note.txt").source_format == "html"
    document = docx.Document()
    document.add_paragraph("Статья 1. Тест")
    assert import_document(docx_bytes(document), "draft.txt").source_format == "docx"
    assert import_document("Статья 1. Тест".encode(), "draft.html").source_format == "txt"
    # A text that merely mentions a tag stays text.
    assert import_document("Статья 1. Знак <b> в тексте".encode(), "a.txt").source_format == "txt"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _macro_enabled_docx() -> bytes:
    """A .docm: a Word package whose main part has the macro-enabled content type."""
    document = docx.Document()
    document.add_paragraph("Статья 1. Тест")
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(document)))
    files = {info.filename: source.read(info.filename) for info in source.infolist()}
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")
    return _zip(files)


@pytest.mark.parametrize("data, reason, words", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "unsupported", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "unsupported", "image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "unsupported", "image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "unsupported", ".doc"),
    (b"{\\rtf1\\ansi\\deff0 text}", "unsupported", "RTF"),
    (b"PK\x03\x04\x14\x00\x00\x00broken", "unreadable", "damaged"),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), "unsupported",
     "OpenDocument"),
    (_zip({"xl/workbook.xml": b"<workbook/>"}), "unsupported", "spreadsheet"),
    (_zip({"word/document.xml": b"<not xml"}), "unreadable", "damaged"),
    (_zip({"readme.txt": b"hello"}), "unsupported", "zip"),
    (b"\x00\x01\x02\x03binary\x00", "unsupported", "binary"),
    (b"", "empty", "empty"),
    (b" \r\n\t", "empty", "empty"),
    (b"<html><body><p>&nbsp;</p></body></html>", "empty", "no text"),
], ids=["pdf", "png", "jpeg", "doc", "rtf", "corrupt-zip", "odt", "xlsx", "docx-bad-xml",
        "zip", "binary", "empty", "blank", "html-without-text"])
def test_unsupported_files_are_refused_clearly(data, reason, words):
    with pytest.raises(UnsupportedDocument) as raised:
        import_document(data, "upload.docx")
    assert isinstance(raised.value, ValueError)
    assert raised.value.reason == reason
    assert words in str(raised.value)


def test_macro_enabled_word_file_is_refused():
    with pytest.raises(UnsupportedDocument) as raised:
        import_document(_macro_enabled_docx(), "draft.docm")
    assert raised.value.reason == "unsupported" and "macro" in str(raised.value)


def test_tax_code_text_imports_fast():
    raw = corpus_file("ru/tax-code.txt").read_bytes()
    started = time.perf_counter()
    result = import_document(raw, "tax-code.txt")
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert len(articles(result.document)) == 467
    assert result.document == parse_text(raw.decode("utf-8"))
    assert result.report.counts["note"] == 189 and result.report.unplaced == []


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_docx_multilevel_numbering_is_written_out():
    """Parts "1.", points "1)" and subpoints "а)" numbered by Word, not typed."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
        for ilvl, fmt, text in ((0, "decimal", "%1."), (1, "decimal", "%2)"),
                                (2, "russianLower", "%3)")))
    numbering.insert(0, parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="90">{levels}'
                                  f'</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W_NS} w:numId="90"><w:abstractNumId w:val="90"/>'
                               f'</w:num>'))
    numbering.append(parse_xml(  # the same list restarted at 1 in the next article
        f'<w:num {W_NS} w:numId="91"><w:abstractNumId w:val="90"/><w:lvlOverride w:ilvl="0">'
        f'<w:startOverride w:val="1"/></w:lvlOverride></w:num>'))

    def numbered(text: str, num_id: int, ilvl: int) -> None:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W_NS}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))

    document.add_paragraph("Статья 5. Понятия")
    numbered("Первая часть.", 90, 0)
    numbered("Вторая часть:", 90, 0)
    numbered("пункт;", 90, 1)
    numbered("пункт с подпунктами:", 90, 1)
    numbered("подпункт;", 90, 2)
    numbered("подпункт.", 90, 2)
    numbered("Третья часть.", 90, 0)
    document.add_paragraph("Статья 6. Дальше")
    numbered("Снова первая часть.", 91, 0)
    result = import_document(docx_bytes(document), "numbered.docx")
    assert [(c.key, c.label, c.text) for c, _, _ in result.document.iter_clauses()] == [
        ("art-5", "Статья 5.", ""),
        ("art-5/part-1", "1.", "Первая часть."),
        ("art-5/part-2", "2.", "Вторая часть:"),
        ("art-5/part-2/pt-1", "1)", "пункт;"),
        ("art-5/part-2/pt-2", "2)", "пункт с подпунктами:"),
        ("art-5/part-2/pt-2/sub-a", "а)", "подпункт;"),
        ("art-5/part-2/pt-2/sub-b", "б)", "подпункт."),
        ("art-5/part-3", "3.", "Третья часть."),
        ("art-6", "Статья 6.", ""),
        ("art-6/part-1", "1.", "Снова первая часть."),
    ]


def test_docx_tracked_changes_and_alternate_content():
    document = docx.Document()
    paragraph = document.add_paragraph("Статья 1. Тест ")
    paragraph._p.append(parse_xml(
        '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
        f'2006" {W_NS}><mc:Choice Requires="w14"><w:r><w:t>один раз</w:t></w:r></mc:Choice>'
        '<mc:Fallback><w:r><w:t>один раз</w:t></w:r></mc:Fallback></mc:AlternateContent>'))
    paragraph._p.append(parse_xml(f'<w:del {W_NS} w:id="1" w:author="x"><w:r><w:delText>удалено'
                                  f'</w:delText></w:r></w:del>'))
    paragraph._p.append(parse_xml(f'<w:ins {W_NS} w:id="2" w:author="x"><w:r><w:t xml:space='
                                  f'"preserve"> вставлено</w:t></w:r></w:ins>'))
    result = import_document(docx_bytes(document), "changes.docx")
    assert [(c.label, c.heading) for c, _, _ in result.document.iter_clauses()] == [
        ("Статья 1.", "Тест один раз вставлено")]


def test_unclosed_hidden_paragraph_and_head_end_at_the_next_block():
    result = import_document(
        "<html><head><title>окно<body><p>Статья 1. А<p style='display: none'>скрыто"
        "<p>видно<p>еще".encode(), "x.html")
    assert [(c.key, c.heading, c.text) for c, _, _ in result.document.iter_clauses()] == [
        ("art-1", "А", ""), ("art-1/p-1", "", "видно"), ("art-1/p-2", "", "еще")]


def test_a_file_named_docx_that_is_not_one_is_refused_not_read_as_text():
    with pytest.raises(UnsupportedDocument) as refused:
        import_document(b"PK... not really a zip", "law.docx")
    assert refused.value.reason == "unreadable"
