"""Tests for app.services.parsing on real texts (shared/corpus) and on small snippets."""

import re
import time

import pytest

from app.services.parsing import (
    ClauseKind,
    ParsedClause,
    ParsedDocument,
    Table,
    match_heading,
    normalize_whitespace,
    parse_blocks,
    parse_text,
    split_paragraphs,
)
from tests.corpus import read_corpus


def flatten(doc: ParsedDocument) -> str:
    return normalize_whitespace(
        " ".join(f"{c.label} {c.heading} {c.text}" for c, _, _ in doc.iter_clauses()))


def assert_invariants(doc: ParsedDocument, source: str) -> None:
    assert flatten(doc) == normalize_whitespace(source)
    keys = [c.key for c, _, _ in doc.iter_clauses()]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z0-9/-]+", key) for key in keys)
    counted = {kind.value: 0 for kind in ClauseKind}
    for clause, _, _ in doc.iter_clauses():
        counted[clause.kind.value] += 1
    assert doc.report.counts == counted
    assert doc.report.notes == sum(1 for c, _, _ in doc.iter_clauses() if c.note)
    assert all(c.kind is ClauseKind.PARAGRAPH and c.label == ""
               for c, _, _ in doc.iter_clauses() if c.note or c.table is not None)


def articles(doc: ParsedDocument) -> list[ParsedClause]:
    return [c for c, _, _ in doc.iter_clauses() if c.kind is ClauseKind.ARTICLE]


def by_key(doc: ParsedDocument) -> dict[str, ParsedClause]:
    return {c.key: c for c, _, _ in doc.iter_clauses()}


# --- corpus -----------------------------------------------------------------------------------

def test_road_traffic_law():
    source = read_corpus("road-traffic-law.txt")
    doc = parse_text(source)
    assert_invariants(doc, source)
    numbers = [a.number for a in articles(doc)]
    expected = ([str(n) for n in range(1, 24)] + ["23-1", "24", "24-1", "25", "26", "26-1"]
                + [str(n) for n in range(27, 34)])
    assert numbers == expected
    assert len(numbers) == 36
    first = articles(doc)[0]
    assert (first.key, first.label, first.heading) == (
        "art-1", "Статья 1.", "Задачи настоящего Закона")
    clauses = by_key(doc)
    assert clauses["art-23-1"].label == "Статья 231."
    assert any("231" in w and "23-1" in w for w in doc.report.warnings)
    sections = [c for c in doc.clauses if c.kind is ClauseKind.SECTION]
    assert [s.number for s in sections] == ["1", "2", "3", "4", "5", "6", "7"]
    assert sections[1].label == "РАЗДЕЛ II."
    assert sections[1].heading == (
        "ГОСУДАРСТВЕННАЯ ПОЛИТИКА В ОБЛАСТИ ОБЕСПЕЧЕНИЯ БЕЗОПАСНОСТИ ДОРОЖНОГО ДВИЖЕНИЯ")
    assert sections[4].heading == ("ОТВЕТСТВЕННОСТЬ ЗА НАРУШЕНИЕ ЗАКОНОДАТЕЛЬСТВА КЫРГЫЗСКОЙ "
                                   "РЕСПУБЛИКИ О БЕЗОПАСНОСТИ ДОРОЖНОГО ДВИЖЕНИЯ")
    # The sentence between "РАЗДЕЛ I" and "Статья 1" belongs to the section.
    assert clauses["sec-1/p-1"].text.startswith("Настоящий Закон определяет")
    assert clauses["art-5/p-2"].label == "-"
    # Editorial notes are flagged; the publication reference in parentheses is not one.
    assert doc.report.notes == 26
    assert clauses["art-7/p-1"].note and clauses["art-7/p-1"].text.startswith("(Утратила силу")
    assert not clauses["art-33/p-2"].note
    assert doc.report.unplaced == []


def test_family_code():
    source = read_corpus("family-code.txt")
    doc = parse_text(source)
    assert_invariants(doc, source)
    numbers = [a.number for a in articles(doc)]
    assert len(numbers) == 141
    assert numbers[84:87] == ["85", "85-1", "86"]
    assert numbers[125:127] == ["125", "163"]  # section VI was repealed with its articles
    assert any("125" in w and "163" in w for w in doc.report.warnings)
    clauses = by_key(doc)
    assert clauses["art-1"].heading == "Основные задачи семейного законодательства"
    assert clauses["art-163"].heading == "Заключение брака на территории Кыргызской Республики"
    assert clauses["art-177"].heading == (
        "Приведение нормативных правовых актов в соответствие с настоящим Кодексом")
    # "РАЗДЕЛ I" / "Глава 1" carry their titles on the next paragraph.
    section = clauses["sec-1"]
    assert (section.label, section.heading) == ("РАЗДЕЛ I", "ОБЩИЕ ПОЛОЖЕНИЯ")
    chapter = section.children[0]
    assert (chapter.key, chapter.label, chapter.heading) == (
        "ch-1", "Глава 1", "Семейное законодательство")
    assert chapter.children[0].key == "art-1"
    assert clauses["sec-7"].heading == ("ПРИМЕНЕНИЕ СЕМЕЙНОГО ЗАКОНОДАТЕЛЬСТВА К СЕМЕЙНЫМ "
                                        "ОТНОШЕНИЯМ С УЧАСТИЕМ ИНОСТРАННЫХ ГРАЖДАН И ЛИЦ БЕЗ "
                                        "ГРАЖДАНСТВА")
    assert clauses["sec-6"].heading == "ФОРМЫ ВОСПИТАНИЯ ДЕТЕЙ, ОСТАВШИХСЯ БЕЗ ПОПЕЧЕНИЯ РОДИТЕЛЕЙ"
    assert clauses["sec-6/p-1"].text.startswith("(Утратил силу")
    assert doc.report.counts["section"] == 8
    assert doc.report.counts["chapter"] == 18
    # The preamble stays at the top level.
    assert doc.clauses[0].kind is ClauseKind.PARAGRAPH and doc.clauses[0].text == "ВНИМАНИЕ!"
    assert clauses["art-1/part-2"].text.startswith("Признается брак")
    assert doc.report.notes == 62
    assert [clauses[k].note for k in ("p-7", "p-8", "art-2/p-14", "ch-13/p-1", "sec-6/p-1")] == [
        True, False, True, True, True]
    assert doc.report.unplaced == []


def test_water_code():
    source = read_corpus("water-code.txt")
    doc = parse_text(source)
    assert_invariants(doc, source)
    numbers = [a.number for a in articles(doc)]
    assert len(numbers) == 100
    assert numbers[15:18] == ["16", "16-1", "17"]
    assert numbers[-1] == "99"
    clauses = by_key(doc)
    assert clauses["art-1"].heading == "Цель и задачи"
    assert clauses["art-16-1"].heading == "Компетенция органов местного самоуправления"
    assert doc.report.counts["chapter"] == 19
    assert (clauses["ch-1"].label, clauses["ch-1"].heading) == ("Глава 1", "Общие положения")
    assert clauses["art-28/part-1/sub-zh"].label == "ж)"
    # A note wrapped over two lines is a note on both.
    assert clauses["p-3"].note and clauses["p-4"].note
    assert clauses["p-4"].text.startswith("7 мая 2016 года")
    assert doc.report.notes == 52


def test_tax_code():
    source = read_corpus("tax-code.txt")
    started = time.perf_counter()
    doc = parse_text(source)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert_invariants(doc, source)
    numbers = [a.number for a in articles(doc)]
    assert len(numbers) == 467
    assert numbers[33:36] == ["34", "34-1", "35"]
    assert "60-1" in numbers and "365-1" in numbers
    assert numbers[-1] == "464"
    clauses = by_key(doc)
    assert clauses["art-1"].heading == (
        "Отношения, регулируемые Налоговым кодексом Кыргызской Республики")
    assert clauses["art-34-1"].heading == "Права Кабинета Министров"
    assert clauses["art-464"].heading == (
        "Исполнение налогового обязательства и налоговая отчетность")
    # ОБЩАЯ ЧАСТЬ / ОСОБЕННАЯ ЧАСТЬ are the outermost sections; sections nest under them.
    books = [c for c in doc.clauses if c.kind is ClauseKind.SECTION]
    assert [(b.key, b.number, b.label) for b in books] == [
        ("book-1", "1", "ОБЩАЯ ЧАСТЬ"), ("book-2", "2", "ОСОБЕННАЯ ЧАСТЬ")]
    assert [c.key for c in books[0].children] == [f"sec-{n}" for n in range(1, 7)]
    assert books[1].children[0].key == "ch-21"  # a chapter directly in the book
    assert clauses["sec-14"].heading == "СПЕЦИАЛЬНЫЕ НАЛОГОВЫЕ РЕЖИМЫ"
    assert doc.report.counts["section"] == 16
    assert doc.report.counts["chapter"] == 63
    # A second list restarting at "1)" inside the same part gets suffixed keys, not lost.
    assert clauses["art-56/part-4/pt-1-dup2"].label == "1)"
    assert doc.report.notes == 189
    assert doc.report.unplaced == []


# --- snippets ---------------------------------------------------------------------------------

def test_parts_points_subpoints_nesting():
    source = """Статья 5. Основные понятия
1. Первая часть.
2. Вторая часть:
1) первый пункт;
2) второй пункт;
3) третий пункт:
а) подпункт а;
б) подпункт б;
ж) подпункт ж.
Абзац после списка.
Статья 6. Следующая
Текст статьи 6.
"""
    doc = parse_text(source)
    assert_invariants(doc, source)
    clauses = by_key(doc)
    assert [c.key for c, _, _ in doc.iter_clauses()] == [
        "art-5", "art-5/part-1", "art-5/part-2", "art-5/part-2/pt-1", "art-5/part-2/pt-2",
        "art-5/part-2/pt-3", "art-5/part-2/pt-3/sub-a", "art-5/part-2/pt-3/sub-b",
        "art-5/part-2/pt-3/sub-zh", "art-5/part-2/p-1", "art-6", "art-6/p-1"]
    sub = clauses["art-5/part-2/pt-3/sub-a"]
    assert (sub.kind, sub.number, sub.label, sub.text) == (
        ClauseKind.SUBPOINT, "а", "а)", "подпункт а;")
    part = clauses["art-5/part-2"]
    assert (part.kind, part.number, part.label, part.text) == (
        ClauseKind.PART, "2", "2.", "Вторая часть:")
    assert clauses["art-5/part-2/p-1"].text == "Абзац после списка."
    parents = {c.key: p.key if p else None for c, p, _ in doc.iter_clauses()}
    depths = {c.key: d for c, _, d in doc.iter_clauses()}
    assert parents["art-5/part-2/pt-3/sub-b"] == "art-5/part-2/pt-3"
    assert depths["art-5/part-2/pt-3/sub-b"] == 3


def test_points_directly_in_article():
    doc = parse_text("Статья 2. Термины\n1) термин;\n2) другой термин.")
    assert [c.key for c, _, _ in doc.iter_clauses()] == ["art-2", "art-2/pt-1", "art-2/pt-2"]


@pytest.mark.parametrize("heading", ["Статья 21-1. Рецидив", "Статья 21¹. Рецидив"])
def test_inserted_articles(heading):
    source = f"Статья 21. Совокупность\nТекст.\n{heading}\n1. Текст о рецидиве.\nСтатья 22. Дальше"
    doc = parse_text(source)
    assert_invariants(doc, source)
    inserted = articles(doc)[1]
    assert (inserted.key, inserted.number, inserted.heading) == ("art-21-1", "21-1", "Рецидив")
    assert inserted.label == heading.removesuffix(" Рецидив")
    assert inserted.children[0].key == "art-21-1/part-1"
    assert [a.number for a in articles(doc)] == ["21", "21-1", "22"]


def test_lost_superscripts_are_read_as_inserted_articles():
    doc = parse_text("Статья 23. А\nСтатья 231. Б\nСтатья 232. В\nСтатья 24. Г\nСтатья 25. Д")
    assert [a.number for a in articles(doc)] == ["23", "23-1", "23-2", "24", "25"]
    assert len([w for w in doc.report.warnings if "superscript" in w]) == 2


def test_superscript_part_number():
    doc = parse_text("Статья 21. Текст\n2. Часть два.\n2¹. Вставленная часть.")
    assert by_key(doc)["art-21/part-2-1"].label == "2¹."


def test_reference_is_not_a_heading():
    source = ("Статья 20. Испытательный срок\n"
              "Статья 21 настоящего Кодекса применяется, если иное не установлено законом.\n"
              "Глава 5 настоящего Кодекса не применяется.\n")
    doc = parse_text(source)
    assert_invariants(doc, source)
    assert [a.number for a in articles(doc)] == ["20"]
    children = articles(doc)[0].children
    assert [(c.kind, c.label) for c in children] == [(ClauseKind.PARAGRAPH, "")] * 2
    assert children[0].text.startswith("Статья 21 настоящего")


def test_heading_without_dot_needs_end_of_paragraph():
    doc = parse_text("Статья 5\nСодержание статьи\nСтатья 6.\nЭтот абзац кончается точкой.")
    first, second = articles(doc)
    assert (first.label, first.heading) == ("Статья 5", "Содержание статьи")
    assert (second.label, second.heading) == ("Статья 6.", "")
    assert second.children[0].text == "Этот абзац кончается точкой."


def test_kyrgyz_markers():
    source = """ЖАЛПЫ БӨЛҮК
I БӨЛҮМ. ЖАЛПЫ ЖОБОЛОР
1-глава. Негизги жоболор
1-берене. Ушул Кодексте колдонулуучу негизги түшүнүктөр
Ушул Кодексте төмөнкү негизги түшүнүктөр пайдаланылат:
1) коопсуз эмгек шарттары - ...;
2) вахталык метод - ...;
ӨЗГӨЧӨ БӨЛҮК
II БӨЛҮМ. ЭМГЕК МАМИЛЕЛЕРИ
3-Глава Эмгек келишими
38-берене. Менчик ээси алмашкан учурдагы эмгек мамилелери
3. Эмгек келишими ушул Кодекстин
40-беренесинин 1-бөлүгүнүн 9-пунктуна ылайык токтотулат.
"""
    doc = parse_text(source)
    assert_invariants(doc, source)
    clauses = by_key(doc)
    assert (clauses["book-1"].label, clauses["book-2"].label) == ("ЖАЛПЫ БӨЛҮК", "ӨЗГӨЧӨ БӨЛҮК")
    section = clauses["sec-1"]
    assert (section.number, section.label, section.heading) == ("1", "I БӨЛҮМ.", "ЖАЛПЫ ЖОБОЛОР")
    assert clauses["sec-2"].number == "2"
    chapter = clauses["ch-1"]
    assert (chapter.label, chapter.heading) == ("1-глава.", "Негизги жоболор")
    assert (clauses["ch-3"].label, clauses["ch-3"].heading) == ("3-Глава", "Эмгек келишими")
    article = clauses["art-1"]
    assert (article.label, article.heading) == (
        "1-берене.", "Ушул Кодексте колдонулуучу негизги түшүнүктөр")
    assert clauses["art-1/pt-2"].label == "2)"
    assert [a.number for a in articles(doc)] == ["1", "38"]
    reference = clauses["art-38/part-3/p-1"]
    assert reference.text.startswith("40-беренесинин")
    parents = {c.key: p.key if p else None for c, p, _ in doc.iter_clauses()}
    assert parents["sec-2"] == "book-2" and parents["ch-3"] == "sec-2"


def test_kyrgyz_older_article_marker():
    doc = parse_text("11-статья. Эски кодекстин беренеси\n11-статьяга ылайык текст.")
    article = articles(doc)[0]
    assert (article.key, article.label, article.heading) == (
        "art-11", "11-статья.", "Эски кодекстин беренеси")
    assert article.children[0].text == "11-статьяга ылайык текст."


def test_kyrgyz_bap_chapter():
    doc = parse_text("2-бап. Эмгек мыйзамдары\n5-берене. Максаттар")
    assert [(c.key, c.label) for c, _, _ in doc.iter_clauses()] == [
        ("ch-2", "2-бап."), ("art-5", "5-берене.")]


def test_preamble_is_top_level():
    source = ("Внимание! Изменения вступают в силу с 1 января 2027 года\n"
              "ТРУДОВОЙ КОДЕКС КЫРГЫЗСКОЙ РЕСПУБЛИКИ\n"
              "Настоящий Кодекс регулирует трудовые отношения.\n"
              "1. Это еще не часть статьи.\n"
              "Статья 1. Первая статья\n"
              "Текст первой статьи.\n")
    doc = parse_text(source)
    assert_invariants(doc, source)
    assert [c.key for c in doc.clauses] == ["p-1", "p-2", "p-3", "p-4", "art-1"]
    assert doc.clauses[3].label == ""
    assert doc.clauses[4].children[0].key == "art-1/p-1"
    # The preamble is fine; a part marker before any article is shown to the drafter.
    assert doc.report.unplaced == [
        "p-4: a part marker outside any article: 1. Это еще не часть статьи."]


def test_nbsp_soft_hyphen_tabs_and_crlf():
    source = ("Статья\u00a030. Нормализация\u00adтекста\r\n \u00a0\t\r\n"
              "Работо\u00adдатель обязан\u00a0\u00a0соблюдать\tтребования.\u202f\r\n")
    doc = parse_text(source)
    assert_invariants(doc, source)
    article = articles(doc)[0]
    assert (article.label, article.heading) == ("Статья 30.", "Нормализациятекста")
    assert article.children[0].text == "Работодатель обязан соблюдать требования."
    assert normalize_whitespace(" a\u00a0b\u00adc\t\n d ") == "a bc d"


def test_dash_indents():
    source = """Статья 5. Направления
Обеспечение осуществляется посредством:
- установления полномочий;
– координации деятельности;
1. Часть:
1) пункт:
— первый отступ;
Прозаический абзац.
- отступ части.
"""
    doc = parse_text(source)
    assert_invariants(doc, source)
    clauses = by_key(doc)
    indent = clauses["art-5/p-2"]
    assert (indent.label, indent.text) == ("-", "установления полномочий;")
    assert clauses["art-5/p-3"].label == "–"
    assert clauses["art-5/part-1/pt-1/p-1"].label == "—"
    assert clauses["art-5/part-1/p-1"].text == "Прозаический абзац."
    assert clauses["art-5/part-1/p-2"].text == "отступ части."


def test_duplicated_article_number_gets_unique_keys():
    source = "Глава 1. А\nСтатья 5. Первая\nСтатья 5. Повтор\nГлава 2. Б\nСтатья 5. Третья"
    doc = parse_text(source)
    assert_invariants(doc, source)
    assert [a.key for a in articles(doc)] == ["art-5", "ch-1/art-5", "ch-2/art-5"]
    assert len([w for w in doc.report.warnings if "duplicate" in w]) == 2


def test_chapters_restarting_per_section_are_qualified():
    doc = parse_text("РАЗДЕЛ I. А\nГлава 1. Х\nРАЗДЕЛ II. Б\nГлава 1. Y\nСтатья 1. Z")
    keys = [c.key for c, _, _ in doc.iter_clauses()]
    assert keys == ["sec-1", "ch-1", "sec-2", "sec-2/ch-1", "art-1"]
    assert any("sec-2/ch-1" in w for w in doc.report.warnings)


def test_part_of_code_with_ordinal_and_title_on_next_line():
    doc = parse_text("ЧАСТЬ ПЕРВАЯ\nОБЩИЕ ПОЛОЖЕНИЯ\nРаздел 1\nОсновы\nГлава 10-1. Вставленная")
    clauses = by_key(doc)
    assert (clauses["book-1"].label, clauses["book-1"].heading) == ("ЧАСТЬ ПЕРВАЯ",
                                                                    "ОБЩИЕ ПОЛОЖЕНИЯ")
    assert (clauses["sec-1"].label, clauses["sec-1"].heading) == ("Раздел 1", "Основы")
    assert clauses["ch-10-1"].number == "10-1"


def test_empty_input():
    for source in ("", "  \n\u00a0\n\t\r\n"):
        doc = parse_text(source)
        assert doc.clauses == []
        assert sum(doc.report.counts.values()) == 0
        assert list(doc.iter_clauses()) == []
        assert doc.report.unplaced == [] and doc.report.notes == 0


# --- editorial notes, unplaced text ---------------------------------------------------------

@pytest.mark.parametrize("note", [
    "(В редакции Закона КР от 17 мая 2012 года № 54)",
    "(В редакции Законов Кыргызской Республики от 5 февраля 2007 года № 11, 26 февраля 2015 "
    "года № 40)",
    "(Утратила силу в соответствии с Законом КР от 10 октября 2012 года № 170)",
    "(абзац четырнадцатый утратил силу в соответствии с Законом КР от 17 мая 2012 года № 54)",
    "(Название главы в редакции Закона КР от 12 июня 2008 года № 117)",
    "(Введен в действие Законом Кыргызской Республики от 18 января 2022 года № 4)",
    "(Часть 2 исключена Законом КР от 1 мая 2020 года № 5)",
    "(КР 2012-жылдын 17-майындагы № 54 Мыйзамынын редакциясына ылайык)",
    "(КР 2012-жылдын 17-майындагы № 54 Мыйзамына ылайык күчүн жоготту)",
])
def test_editorial_notes_are_flagged(note):
    doc = parse_text(f"Статья 5. Название\n{note}\nТекст статьи.")
    note_clause, body = articles(doc)[0].children
    assert (note_clause.kind, note_clause.label, note_clause.text, note_clause.note) == (
        ClauseKind.PARAGRAPH, "", note, True)
    assert body.note is False and doc.report.notes == 1


@pytest.mark.parametrize("text", [
    "(исключение составляют случаи, предусмотренные законом)",
    "(дополнительное соглашение)",
    '("Эркин Тоо - Свободные горы", 29 апреля 1998 года, № 53-54)',
    "В редакции Закона КР от 17 мая 2012 года № 54 без скобок.",
])
def test_parenthesised_prose_is_not_a_note(text):
    doc = parse_text(f"Статья 5. Название\n{text}")
    assert articles(doc)[0].children[0].note is False


def test_a_note_is_not_a_title_and_a_repealed_part_stays_a_part():
    doc = parse_text("Статья 5.\n(Утратила силу в соответствии с Законом КР от 1 мая 2020 года "
                     "№ 5)\nСтатья 6. Дальше\n1. (Утратила силу в соответствии с Законом)")
    clauses = by_key(doc)
    assert clauses["art-5"].heading == "" and clauses["art-5/p-1"].note
    assert clauses["art-6/part-1"].kind is ClauseKind.PART and not clauses["art-6/part-1"].note


def test_text_without_any_heading_is_reported_unplaced():
    doc = parse_text("Настоящий текст.\nБез заголовков и без пунктов.")
    assert [c.key for c in doc.clauses] == ["p-1", "p-2"]
    assert doc.report.unplaced == [
        "p-1: no section, chapter or article heading found; the whole text stays 2 "
        "unstructured paragraph(s)"]


def test_act_without_articles_is_structured_by_its_numbered_points():
    # Orders and resolutions have no articles: their "1." and "1)" are the structure.
    doc = parse_text("Приказываю:\n1. Утвердить положение:\n1) о порядке;\nа) первое;\n"
                     "2. Контроль оставляю за собой.")
    assert [c.key for c, _, _ in doc.iter_clauses()] == [
        "p-1", "part-1", "part-1/pt-1", "part-1/pt-1/sub-a", "part-2"]
    assert doc.report.unplaced == []


def test_one_digit_base_is_not_read_as_a_lost_superscript():
    doc = parse_text("1-берене. Биринчи\nТекст.\n17-берене. Он жетинчи\nТекст.")
    assert [c.key for c in doc.clauses] == ["art-1", "art-17"]


def test_point_in_a_chapter_outside_articles_is_unplaced():
    doc = parse_text("Глава 1. Общие\n1) пункт без статьи;\nСтатья 1. Первая\n1) пункт.")
    assert [c.key for c, _, _ in doc.iter_clauses()] == ["ch-1", "ch-1/p-1", "art-1", "art-1/pt-1"]
    assert doc.report.unplaced == ["ch-1/p-1: a point marker outside any article: 1) пункт без "
                                   "статьи;"]


# --- blocks: paragraphs and tables from an importer ------------------------------------------

def test_parse_text_is_parse_blocks_of_its_paragraphs():
    source = read_corpus("road-traffic-law.txt")
    assert parse_blocks(split_paragraphs(source)) == parse_text(source)


def test_tables_attach_where_they_stand():
    doc = parse_blocks([
        "Статья 7.",
        Table([["Разряд", "Коэффициент"], ["1", "1,00"]]),  # not the title of the article
        "1. Налог взимается:",
        "1) по ставкам:",
        Table([[" а\u00a0", "б\u00ad"], ["", ""]]),  # after a colon: in the point
        Table([["в", "г"]]),  # a second table right after goes to the same place
        "Прочее.",
        Table([["", ""]]),  # nothing in it: dropped
    ])
    assert [(c.key, c.text, c.table) for c, _, _ in doc.iter_clauses()] == [
        ("art-7", "", None),
        ("art-7/p-1", "Разряд | Коэффициент\n1 | 1,00", [["Разряд", "Коэффициент"], ["1", "1,00"]]),
        ("art-7/part-1", "Налог взимается:", None),
        ("art-7/part-1/pt-1", "по ставкам:", None),
        ("art-7/part-1/pt-1/p-1", "а | б", [["а", "б"]]),
        ("art-7/part-1/pt-1/p-2", "в | г", [["в", "г"]]),
        ("art-7/part-1/p-1", "Прочее.", None),
    ]
    assert by_key(doc)["art-7"].heading == ""
    assert doc.report.counts["paragraph"] == 4


def test_block_paragraphs_are_normalised_and_never_split():
    doc = parse_blocks(["Статья\u00a01.\tНазвание", "Текст\nв две строки\u00ad.", "  "])
    assert [(c.label, c.heading, c.text) for c, _, _ in doc.iter_clauses()] == [
        ("Статья 1.", "Название", ""), ("", "", "Текст в две строки.")]


def test_match_heading():
    assert match_heading("Статья 21¹. Рецидив") == (ClauseKind.ARTICLE, "Статья 21¹.", "Рецидив")
    assert match_heading("Статья 7.") == (ClauseKind.ARTICLE, "Статья 7.", "")
    assert match_heading("РАЗДЕЛ\u00a0I") == (ClauseKind.SECTION, "РАЗДЕЛ I", "")
    assert match_heading("1-глава. Негизги жоболор") == (ClauseKind.CHAPTER, "1-глава.",
                                                         "Негизги жоболор")
    assert match_heading("Статья 21 настоящего Кодекса применяется.") is None
    assert match_heading("40-беренесинин 1-бөлүгү") is None
    assert match_heading("1. Часть") is None
