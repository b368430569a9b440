"""Tests for app.services.diffing on real texts (shared/corpus) and on small snippets."""

import random
import re

import pytest

from app.models.draft import Clause
from app.services.diffing import (
    ChangeKind,
    ClauseSnapshot,
    VersionDiff,
    diff_text,
    diff_versions,
    snapshots_from_clauses,
    snapshots_from_parsed,
)
from app.services.parsing import ParsedDocument, parse_text
from tests.corpus import read_corpus


# --- editing a legal text the way a drafter does -----------------------------------------------

_HEADING = re.compile(r"^Статья (\d+)\.(.*)$")
# Lines that end an article besides the next article: sections, chapters, parts of a code.
_CONTAINER = re.compile(r"^(?:РАЗДЕЛ|Раздел|Глава|ГЛАВА|ОБЩАЯ ЧАСТЬ|ОСОБЕННАЯ ЧАСТЬ)\b")


def _read_heading_numbers(lines: list[str]) -> list[tuple[int, str] | None]:
    """Per line, (base, suffix) of an article heading: 'Статья 231.' after 23 is (23, '1').

    Plain-text exports lost the superscript of inserted articles; this follows the parser's
    reading ("231" right after "23" is 23-1), so renumbering keeps the inserted ones readable.
    """
    result: list[tuple[int, str] | None] = []
    base: int | None = None
    for line in lines:
        m = _HEADING.match(line)
        if not m:
            result.append(None)
            continue
        number = m.group(1)
        prefix = str(base) if base is not None else None
        rest = number[len(prefix):] if prefix and number.startswith(prefix) else ""
        if (prefix and int(number) != base + 1 and rest and len(rest) <= 2
                and rest[0] != "0"):
            result.append((base, rest))
        else:
            base = int(number)
            result.append((base, ""))
    return result


def renumber(text: str, *, remove: int | None = None, insert_before: int | None = None,
             inserted: str = "") -> str:
    """Remove article `remove` (or insert `inserted` as article `insert_before`) and renumber.

    Only the `Статья N.` headings of base articles after the change move (by one); inserted
    articles ("231" = 23-1) follow their base.  References in the text stay as they are, as in
    a real amendment that is still being drafted.
    """
    lines = text.split("\n")
    numbers = _read_heading_numbers(lines)
    out: list[str] = []
    skipping = False
    for line, number in zip(lines, numbers):
        if number is not None:
            base, rest = number
            skipping = remove is not None and base == remove and not rest
            if skipping:
                continue
            if insert_before is not None and base == insert_before and not rest:
                out.extend([f"Статья {insert_before}. {inserted}", ""])
            if remove is not None and base > remove:
                base -= 1
            elif insert_before is not None and base >= insert_before:
                base += 1
            line = f"Статья {base}{rest}.{_HEADING.match(line).group(2)}"
        elif skipping and _CONTAINER.match(line):
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def replace_once(text: str, line_contains: str, old: str, new: str) -> str:
    """Replace `old` by `new` in the single line containing `line_contains`."""
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if line_contains in line]
    assert len(hits) == 1, hits
    assert old in lines[hits[0]]
    lines[hits[0]] = lines[hits[0]].replace(old, new, 1)
    return "\n".join(lines)


def shifted(key: str, after: int, delta: int) -> str:
    """The key of a clause of article N (> after, or >= for an insertion) once renumbered."""
    m = re.match(r"art-(\d+)((?:-\d+)?)(/.*)?$", key)
    if not m:
        return key
    base = int(m.group(1))
    if base > after:
        base += delta
    return f"art-{base}{m.group(2)}{m.group(3) or ''}"


def snapshots(text: str) -> tuple[ParsedDocument, list[ClauseSnapshot]]:
    doc = parse_text(text)
    return doc, snapshots_from_parsed(doc)


def article_numbers(doc: ParsedDocument) -> list[str]:
    return [c.number for c, _, _ in doc.iter_clauses() if c.kind.value == "article"]


def reconstruct(ops, side: int) -> str:
    return "".join(text for op, text in ops if op in (0, side))


def assert_consistent(diff: VersionDiff, old: list[ClauseSnapshot],
                      new: list[ClauseSnapshot]) -> None:
    """Invariants of every comparison: order, key_map, ops, change kinds."""
    rows = diff.clauses
    # every new clause once, in the new order; every old clause once, in the old order here
    assert [r.key for r in rows if r.key is not None] == [s.key for s in new]
    assert sorted(r.from_key for r in rows if r.from_key is not None) == sorted(
        s.key for s in old)
    # key_map is exactly the matched rows
    matched = {r.from_key: r.key for r in rows if r.key is not None and r.from_key is not None}
    assert diff.key_map == matched
    old_by_key = {s.key: s for s in old}
    new_by_key = {s.key: s for s in new}
    for r in rows:
        if r.change is ChangeKind.REMOVED:
            assert r.key is None and r.ops == [(-1, old_by_key[r.from_key].full_text)]
        elif r.change is ChangeKind.ADDED:
            assert r.from_key is None and r.ops == [(1, new_by_key[r.key].full_text)]
        else:
            before, after = old_by_key[r.from_key], new_by_key[r.key]
            assert before.kind == after.kind == r.kind
            assert reconstruct(r.ops, 1) == after.full_text
            if r.change is ChangeKind.UNCHANGED:
                assert r.ops == [(0, after.full_text)]
                assert (before.heading, before.text) == (after.heading, after.text)
            else:
                assert reconstruct(r.ops, -1) == before.full_text
                assert any(op != 0 for op, _ in r.ops)
                assert (before.heading, before.text) != (after.heading, after.text)
        assert r.as_dict()["ops"] == [[op, text] for op, text in r.ops]
    # a removed clause comes after the old clause that preceded it (shown as removed or with
    # its partner), so removed runs stand where they stood
    old_order = [s.key for s in old]
    position = {key: k for k, key in enumerate(old_order)}
    shown: set[str] = set()
    for r in rows:
        if r.change is ChangeKind.REMOVED and position[r.from_key] > 0:
            assert old_order[position[r.from_key] - 1] in shown, r.from_key
        if r.from_key is not None:
            shown.add(r.from_key)


# --- word-level diff of one text ----------------------------------------------------------------

def test_diff_text_is_word_level():
    assert diff_text("в течение тридцати календарных дней",
                     "в течение сорока календарных дней") == [
        (0, "в течение "), (-1, "тридцати"), (1, "сорока"), (0, " календарных дней")]
    # a word is never split, even when the two words share letters
    assert diff_text("налогоплательщик обязан уплатить", "налогоплательщик должен уплатить") == [
        (0, "налогоплательщик "), (-1, "обязан"), (1, "должен"), (0, " уплатить")]
    assert diff_text("Статья 11. Обустройство дорог", "Статья 10. Обустройство дорог") == [
        (0, "Статья "), (-1, "11"), (1, "10"), (0, ". Обустройство дорог")]


def test_diff_text_edges_and_semantic_cleanup():
    assert diff_text("", "") == []
    assert diff_text("a b", "a b") == [(0, "a b")]
    assert diff_text("", "текст") == [(1, "текст")]
    assert diff_text("текст", "") == [(-1, "текст")]
    ops = diff_text("срок составляет тридцать календарных дней со дня опубликования",
                    "срок составляет сорок пять рабочих дней со дня опубликования")
    assert ops == [(0, "срок составляет "), (-1, "тридцать календарных"),
                   (1, "сорок пять рабочих"), (0, " дней со дня опубликования")]
    ops = diff_text("1) коопсуз эмгек шарттары;", "1) коопсуз эмгек шарттары жана режими;")
    assert ops == [(0, "1) коопсуз эмгек шарттары"), (1, " жана режими"), (0, ";")]


# --- the road traffic law: an article removed, the rest renumbered ------------------------------

@pytest.fixture(scope="module")
def road_law() -> str:
    return read_corpus("road-traffic-law.txt")


def test_road_law_article_removed_and_renumbered(road_law):
    old_doc, old = snapshots(road_law)
    new_doc, new = snapshots(renumber(road_law, remove=10))
    # the edit is what we meant: 36 -> 35 articles, 23-1 style ones follow their base
    assert article_numbers(new_doc) == (
        [str(n) for n in range(1, 23)] + ["22-1", "23", "23-1", "24", "25", "25-1"]
        + [str(n) for n in range(26, 33)])

    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_from_key()
    removed_keys = [s.key for s in old if s.key == "art-10" or s.key.startswith("art-10/")]
    assert len(removed_keys) == 5
    for key in removed_keys:
        assert rows[key].change is ChangeKind.REMOVED and rows[key].key is None
    assert diff.counts == {"added": 0, "removed": 5, "modified": 0, "unchanged": len(new)}

    # every other clause is unchanged and maps to its renumbered key
    for snap in old:
        if snap.key in removed_keys:
            continue
        row = rows[snap.key]
        assert row.change is ChangeKind.UNCHANGED, snap.key
        assert row.key == shifted(snap.key, 10, -1), snap.key
        assert diff.key_map[snap.key] == row.key
    assert diff.key_map["art-11"] == "art-10"
    assert diff.key_map["art-23"] == "art-22"
    assert diff.key_map["art-23-1"] == "art-22-1"
    assert diff.key_map["art-11/part-1"] == "art-10/part-1"
    assert diff.key_map["art-9"] == "art-9"
    new_rows = diff.by_key()
    assert new_rows["art-10"].from_key == "art-11"
    assert new_rows["art-10"].from_number == "11" and new_rows["art-10"].number == "10"
    assert new_rows["art-22"].from_key == "art-23"
    assert new_rows["art-10/part-1"].from_key == "art-11/part-1"
    assert new_rows["art-10"].ops == [(0, new_rows["art-10"].ops[0][1])]
    assert new_rows["art-10"].ops[0][1].startswith("Статья 10. ")

    # the removed article stands where it stood: first in section III, before the new art-10
    keys = [(r.key, r.from_key) for r in diff.clauses]
    start = keys.index((None, "art-10"))
    assert keys[start - 2:start] == [("art-9/part-2/p-1", "art-9/part-2/p-1"), ("sec-3", "sec-3")]
    assert [k for _, k in keys[start:start + 5]] == removed_keys
    assert keys[start + 5] == ("art-10", "art-11")
    assert new_rows["art-10"].as_dict() == {
        "key": "art-10", "from_key": "art-11", "change": "unchanged",
        "ops": [[0, new_rows["art-10"].ops[0][1]]], "kind": "article", "number": "10",
        "from_number": "11", "depth": 1}


def test_road_law_part_modified_word_level(road_law):
    marker = '(категория "Г")'
    edited = replace_once(road_law, marker, "восемнадцатилетнего", "двадцатилетнего")
    old_doc, old = snapshots(road_law)
    _, new = snapshots(edited)
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    changed = [r for r in diff.clauses if r.change is not ChangeKind.UNCHANGED]
    assert [(r.key, r.from_key, r.change) for r in changed] == [
        ("art-25/part-2/p-3", "art-25/part-2/p-3", ChangeKind.MODIFIED)]
    before = next(s for s in old if s.key == "art-25/part-2/p-3").full_text
    prefix, suffix = before.split("восемнадцатилетнего")
    assert changed[0].ops == [(0, prefix), (-1, "восемнадцатилетнего"),
                              (1, "двадцатилетнего"), (0, suffix)]
    assert diff.key_map == {s.key: s.key for s in old}


def test_road_law_several_words_and_a_heading_changed(road_law):
    edited = replace_once(road_law, "Статья 12. ", "Обустройство дорог объектами сервиса",
                          "Обустройство автомобильных дорог объектами дорожного сервиса")
    edited = replace_once(edited, "Задачами настоящего Закона являются",
                          "жизни, здоровья и имущества граждан", "жизни и здоровья граждан")
    _, old = snapshots(road_law)
    _, new = snapshots(edited)
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_key()
    assert rows["art-12"].change is ChangeKind.MODIFIED
    assert rows["art-12"].ops == [
        (0, "Статья 12. Обустройство "), (1, "автомобильных "), (0, "дорог объектами "),
        (1, "дорожного "), (0, "сервиса")]
    assert rows["art-1/p-1"].change is ChangeKind.MODIFIED
    # "жизни, здоровья и имущества" -> "жизни и здоровья": whole phrases, not " и " kept
    assert [op for op in rows["art-1/p-1"].ops if op[0] != 0] == [
        (-1, ", здоровья и имущества"), (1, " и здоровья")]
    assert diff.counts["modified"] == 2 and diff.counts["added"] == diff.counts["removed"] == 0


def test_road_law_article_inserted_in_the_middle(road_law):
    inserted = ("Интеллектуальные транспортные системы\n\n"
                "1. Органы исполнительной власти внедряют интеллектуальные транспортные системы "
                "на автомобильных дорогах общего пользования.\n\n"
                "2. Порядок их эксплуатации определяется Кабинетом Министров.\n")
    old_doc, old = snapshots(road_law)
    new_doc, new = snapshots(renumber(road_law, insert_before=10, inserted=inserted))
    assert article_numbers(new_doc)[8:12] == ["9", "10", "11", "12"]
    assert len(article_numbers(new_doc)) == 37
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    added = [r.key for r in diff.clauses if r.change is ChangeKind.ADDED]
    assert added == ["art-10", "art-10/part-1", "art-10/part-2"]
    assert diff.counts == {"added": 3, "removed": 0, "modified": 0, "unchanged": len(old)}
    for snap in old:
        assert diff.key_map[snap.key] == shifted(snap.key, 9, +1), snap.key
    assert diff.key_map["art-10"] == "art-11"
    assert diff.key_map["art-10/part-3/p-1"] == "art-11/part-3/p-1"
    keys = [r.key for r in diff.clauses]
    assert keys.index("art-10") == keys.index("sec-3") + 1  # the first article of section III


def test_article_rewritten_beyond_recognition_keeps_its_identity(road_law):
    """Article 12 rewritten under the same heading is modified, not removed and added."""
    lines = road_law.split("\n")
    start = lines.index("Статья 12. Обустройство дорог объектами сервиса")
    end = next(i for i, line in enumerate(lines) if line.startswith("Статья 13. "))
    lines[start + 1:end] = ["", "1. Объекты дорожного сервиса размещаются по проектам, "
                                "согласованным с уполномоченным органом.", ""]
    _, old = snapshots(road_law)
    _, new = snapshots("\n".join(lines))
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_key()
    assert rows["art-12"].from_key == "art-12"
    assert rows["art-12"].change is ChangeKind.UNCHANGED  # its own heading is the same
    assert rows["art-12/part-1"].from_key == "art-12/part-1"
    assert rows["art-12/part-1"].change is ChangeKind.MODIFIED
    assert [r.from_key for r in diff.clauses if r.change is ChangeKind.REMOVED] == [
        "art-12/part-1/p-1", "art-12/part-2", "art-12/part-2/p-1"]


def test_identical_versions_are_unchanged(road_law):
    _, old = snapshots(road_law)
    diff = diff_versions(old, list(old))
    assert_consistent(diff, old, old)
    assert all(r.change is ChangeKind.UNCHANGED for r in diff.clauses)
    assert [(r.key, r.from_key) for r in diff.clauses] == [(s.key, s.key) for s in old]
    assert all(r.ops == [(0, s.full_text)] for r, s in zip(diff.clauses, old))
    assert diff.key_map == {s.key: s.key for s in old}


def test_parts_renumbered_inside_an_article(road_law):
    """Part 1 of article 11 dropped: its parts 2 -> 1 by content, not by key."""
    edited = replace_once(road_law, "1. Ремонт и содержание дорог на территории",
                          "1. Ремонт и содержание", "REMOVE-ME")
    lines = [line for line in edited.split("\n") if not line.startswith("REMOVE-ME")]
    i = next(k for k, line in enumerate(lines) if line.startswith("2. Обязанность по обеспечению "
                                                                    "соответствия состояния"))
    lines[i] = "1." + lines[i][2:]
    _, old = snapshots(road_law)
    _, new = snapshots("\n".join(lines))
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_from_key()
    assert rows["art-11/part-1"].change is ChangeKind.REMOVED
    assert rows["art-11/part-2"].key == "art-11/part-1"
    assert rows["art-11/part-2"].change is ChangeKind.UNCHANGED
    assert rows["art-11/part-2/p-1"].key == "art-11/part-1/p-1"
    assert rows["art-11"].change is ChangeKind.UNCHANGED


def test_removed_article_after_an_added_part(road_law):
    """An added last part of article 9 is shown in article 9, before the removed article 10."""
    lines = renumber(road_law, remove=10).split("\n")
    note = next(i for i, line in enumerate(lines) if line.startswith(
        "2. Порядок проведения государственного учета")) + 2
    assert lines[note].startswith("(В редакции Законов")
    lines[note + 1:note + 1] = ["", "3. Сведения публикуются ежегодно."]
    _, old = snapshots(road_law)
    _, new = snapshots("\n".join(lines))
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    order = [(r.change.value, r.key or r.from_key) for r in diff.clauses]
    start = order.index(("removed", "art-10"))
    assert order[start - 3:start + 1] == [
        ("unchanged", "art-9/part-2/p-1"), ("added", "art-9/part-3"), ("unchanged", "sec-3"),
        ("removed", "art-10")]
    assert diff.counts["added"] == 1 and diff.counts["modified"] == 0


def test_random_edits_keep_the_invariants(road_law):
    """Lines dropped, duplicated, swapped, moved and reworded: every clause is accounted for."""
    lines = road_law.split("\n")
    _, old = snapshots(road_law)
    for seed in range(12):
        rnd = random.Random(seed)
        edited = list(lines)
        for _ in range(rnd.randint(1, 12)):
            i, j = rnd.randrange(len(edited)), rnd.randrange(len(edited))
            action = rnd.choice(["drop", "duplicate", "swap", "move", "reword"])
            if action == "drop":
                del edited[i]
            elif action == "duplicate":
                edited.insert(i, edited[j])
            elif action == "swap":
                edited[i], edited[j] = edited[j], edited[i]
            elif action == "move":
                edited.insert(j, edited.pop(i))
            else:
                words = edited[i].split(" ")
                words[rnd.randrange(len(words))] = rnd.choice(["новое", "слово", "и"])
                edited[i] = " ".join(words)
        _, new = snapshots("\n".join(edited))
        assert_consistent(diff_versions(old, new), old, new)
        assert_consistent(diff_versions(new, old), new, old)


# --- Kyrgyz ----------------------------------------------------------------------------------

# Labour Code of the KR (shared/corpus/html/kg), articles renumbered 1-3 for the snippet.
KY_V1 = "\n".join([
    "ЖАЛПЫ БӨЛҮК",
    "I БӨЛҮМ. ЖАЛПЫ ЖОБОЛОР",
    "1-глава. Негизги жоболор",
    "1-берене. Ушул Кодексте колдонулуучу негизги түшүнүктөр",
    "Ушул Кодексте төмөнкү негизги түшүнүктөр пайдаланылат:",
    "1) коопсуз эмгек шарттары - иштегендерге зыяндуу же кооптуу өндүрүштүк факторлордун "
    "таасири жокко чыгарылган же болбосо алардын таасиринин деңгээли ченемдер менен "
    "белгиленген деңгээлден ашпаган эмгек шарттары;",
    "2) вахталык метод - кызматкерлердин туруктуу жашаган жерине күн сайын кайтып келүүсүн "
    "камсыз кылуу мүмкүн болбогон учурда, эмгек процессин алардын туруктуу жашаган жеринен "
    "тышкары жүзөгө ашыруунун өзгөчө формасы;",
    "3) зыяндуу эмгек шарттары - гигиеналык ченемдерден ашкан жана кызматкердин организмине "
    "жагымсыз таасир тийгизүүчү зыяндуу өндүрүштүк факторлордун болушу менен мүнөздөлгөн "
    "эмгек шарттары.",
    "2-берене. Эмгек келишиминин мазмуну",
    "1. Эмгек келишиминин мазмуну ушул Кодексте каралган талаптарды сактоо менен тараптардын "
    "макулдашуусу боюнча аныкталат.",
    "2. Эмгек келишими милдеттүү катары төмөнкү маалыматтарды камтууга тийиш:",
    "1) эмгек келишимин түзүү датасы жана орду;",
    "3-берене. Менчик ээси алмашкан жана уюм кайра уюштурулган учурдагы эмгек мамилелери",
    "1. Уюмдун менчик ээси алмашкан учурда жаңы менчик ээси анда менчик укугу пайда болгон "
    "күндөн тартып 3 айдан кечиктирбестен уюмдун жетекчиси, анын орун басарлары жана уюмдун "
    "башкы бухгалтери менен эмгек келишимин бузууга же кайра түзүүгө укуктуу.",
    "2. Уюмдун менчик ээсинин алмашуусу (аны ар кандай формада менчиктештирүү), ошондой эле "
    "уюмду ижарага берүү, ага барабар аны кайра уюштуруу (бириктирүү, кошуу, бөлүү, бөлүнүп "
    "чыгуу, өзгөртүп түзүү), баш ийүүчүлүгүн же аталышын өзгөртүү уюмдун башка кызматкерлери "
    "менен эмгек келишимин бузууга негиз болуп саналбайт.",
    "3. Уюмдун менчик ээсинин алмашуусуна байланыштуу кызматкер ишти улантуудан баш тарткан "
    "учурда эмгек келишими ушул Кодекстин 40-беренесинин 1-бөлүгүнүн 9-пунктуна ылайык "
    "токтотулат.",
    "4. Уюмдун мүлкүнүн менчик ээси алмашкан учурда кызматкерлердин санын же штатын "
    "кыскартууга менчик укугунун өтүшүн мамлекеттик каттоодон кийин гана жол берилет.",
]) + "\n"


def test_kyrgyz_article_removed_and_part_modified():
    v2 = KY_V1.split("2-берене.")[0] + "2-берене." + KY_V1.split("3-берене.")[1]
    v2 = v2.replace("3 айдан кечиктирбестен", "6 айдан кечиктирбестен")
    old_doc, old = snapshots(KY_V1)
    new_doc, new = snapshots(v2)
    assert article_numbers(old_doc) == ["1", "2", "3"]
    assert article_numbers(new_doc) == ["1", "2"]
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_from_key()
    assert [r.from_key for r in diff.clauses if r.change is ChangeKind.REMOVED] == [
        "art-2", "art-2/part-1", "art-2/part-2", "art-2/part-2/pt-1"]
    assert rows["art-3"].key == "art-2" and rows["art-3"].change is ChangeKind.UNCHANGED
    assert rows["art-3/part-1"].key == "art-2/part-1"
    assert rows["art-3/part-1"].change is ChangeKind.MODIFIED
    assert [op for op in rows["art-3/part-1"].ops if op[0]] == [(-1, "3"), (1, "6")]
    assert rows["art-3/part-4"].key == "art-2/part-4"
    assert rows["art-3/part-4"].change is ChangeKind.UNCHANGED
    assert diff.key_map["art-1/pt-3"] == "art-1/pt-3"
    assert diff.key_map["ch-1"] == "ch-1" and diff.key_map["sec-1"] == "sec-1"
    one = diff_text(
        "1) коопсуз эмгек шарттары - иштегендерге зыяндуу өндүрүштүк факторлор;",
        "1) коопсуз эмгек шарттары - кызматкерлерге зыяндуу өндүрүштүк факторлор;")
    assert [op for op in one if op[0]] == [(-1, "иштегендерге"), (1, "кызматкерлерге")]


# --- stored clauses ----------------------------------------------------------------------------

def test_snapshots_from_stored_clauses_pick_a_language():
    rows = [
        Clause(key="art-2", parent_key=None, kind="article", number="2", position=1, depth=0,
               label_ru="Статья 2.", label_ky="2-берене.", heading_ru="Права",
               heading_ky="Укуктар", text_ru="", text_ky=""),
        Clause(key="art-1", parent_key=None, kind="article", number="1", position=0, depth=0,
               label_ru="Статья 1.", label_ky="1-берене.", heading_ru="Цели",
               heading_ky="Максаттар", text_ru="", text_ky=""),
        Clause(key="art-1/part-1", parent_key="art-1", kind="part", number="1", position=2,
               depth=1, label_ru="1.", label_ky="1.", heading_ru="", heading_ky="",
               text_ru="Текст.", text_ky=None),
    ]
    ky = snapshots_from_clauses(rows, "ky")
    assert [s.key for s in ky] == ["art-1", "art-2", "art-1/part-1"]
    assert ky[0] == ClauseSnapshot("art-1", None, "article", "1", "1-берене.", "Максаттар", "")
    assert ky[2].text == "Текст."  # the model falls back to Russian
    diff = diff_versions(snapshots_from_clauses(rows, "ru"), snapshots_from_clauses(rows, "ru"))
    # the tree is rebuilt from parent keys: the part follows its article
    assert [r.key for r in diff.clauses] == ["art-1", "art-1/part-1", "art-2"]


def test_empty_versions():
    snap = ClauseSnapshot("p-1", None, "paragraph", None, "", "", "Преамбула.")
    assert diff_versions([], []).clauses == []
    only_new = diff_versions([], [snap])
    assert [(r.key, r.from_key, r.change) for r in only_new.clauses] == [
        ("p-1", None, ChangeKind.ADDED)]
    only_old = diff_versions([snap], [])
    assert [(r.key, r.from_key, r.change) for r in only_old.clauses] == [
        (None, "p-1", ChangeKind.REMOVED)]
    assert only_old.key_map == {}


# --- the Tax Code: scale ------------------------------------------------------------------------

def test_tax_code_article_removed():
    source = read_corpus("tax-code.txt")
    old_doc, old = snapshots(source)
    edited = renumber(source, remove=200)
    edited = replace_once(edited, "1. При реорганизации налогоплательщик обязан письменно",
                          "обязан", "должен")
    new_doc, new = snapshots(edited)
    assert len(article_numbers(new_doc)) == len(article_numbers(old_doc)) - 1
    diff = diff_versions(old, new)
    assert_consistent(diff, old, new)
    rows = diff.by_from_key()
    assert rows["art-200"].change is ChangeKind.REMOVED
    assert all(r.change is ChangeKind.REMOVED for k, r in rows.items()
               if k.startswith("art-200/"))
    assert diff.key_map["art-199"] == "art-199"
    assert diff.key_map["art-201"] == "art-200"
    assert diff.key_map["art-201/pt-1"] == "art-200/pt-1"
    assert diff.key_map["art-365-1"] == "art-364-1"
    assert diff.key_map["art-34-1"] == "art-34-1"
    assert diff.key_map["art-56/part-4/pt-1-dup2"] == "art-56/part-4/pt-1-dup2"
    assert rows["art-73/part-1"].change is ChangeKind.MODIFIED
    assert [op for op in rows["art-73/part-1"].ops if op[0]] == [(-1, "обязан"), (1, "должен")]
    counts = diff.counts
    assert counts["added"] == 0 and counts["modified"] == 1
    assert counts["removed"] == sum(1 for s in old if s.key.split("/")[0] == "art-200")
    # chapters and sections are not renumbered: they map by key
    assert all(diff.key_map[s.key] == s.key for s in old if s.kind in ("section", "chapter"))
