"""Turn the plain text of a draft law into a tree of clauses.

Comments, diffs and answers attach to clauses by key, so the parser must be predictable on the
texts drafters really upload (see shared/corpus): Russian and Kyrgyz markers, inserted articles
("21-1", "21¹", or "231" when an export lost the superscript), titles on the next paragraph,
section titles wrapped over several ALL CAPS lines, references that look like headings
("Статья 21 настоящего Кодекса ...", "40-беренесинин ..."), nbsp and soft hyphens.

The one hard rule: nothing is lost or duplicated.  Joining label, heading and text of every
clause in pre-order gives back the input up to whitespace (see ``normalize_whitespace``).
The parser is a single linear pass over paragraphs (non-empty lines) with a stack of open clauses.

``parse_text`` reads plain text; ``parse_blocks`` reads what an importer extracted from a Word
document or a Word HTML export (app.services.importing): paragraphs and tables in document
order.  ``parse_text(text)`` is exactly ``parse_blocks(split_paragraphs(text))``.  A table
becomes one PARAGRAPH clause that keeps its cells in ``table`` (its ``text`` is the rows, cells
joined with " | ", so search and the no-text-lost rule still work); editorial notes such as
"(В редакции Закона КР от ...)" stay PARAGRAPH clauses flagged ``note``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class ClauseKind(StrEnum):
    SECTION = "section"
    CHAPTER = "chapter"
    ARTICLE = "article"
    PART = "part"
    POINT = "point"
    SUBPOINT = "subpoint"
    PARAGRAPH = "paragraph"


@dataclass
class ParsedClause:
    """One node of the tree; label + heading + text is exactly the source of this node."""

    kind: ClauseKind
    key: str  # unique within the document, [a-z0-9/-]: "art-21-1/part-2/pt-3"
    number: str | None  # "21-1", "2" (from "II"), "а"; None for paragraphs
    label: str  # the marker as written: "Статья 21-1.", "1)", "I БӨЛҮМ.", "-"; "" for prose
    heading: str  # title of a section/chapter/article, else ""
    text: str  # own body text, without label, heading or children
    children: list[ParsedClause] = field(default_factory=list)
    # A table kept as rows of cells (kind PARAGRAPH, label ""); ``text`` is the rows with cells
    # joined by " | ", one row per line.
    table: list[list[str]] | None = None
    # An editorial note of the publisher, "(В редакции Закона КР от ...)", "(Утратила силу
    # ...)", "(... Мыйзамынын редакциясына ылайык)": a PARAGRAPH the UI shows greyed.
    note: bool = False


@dataclass
class ParseReport:
    """What was found (clauses per kind) and what looked suspicious.

    ``counts`` has one entry per ClauseKind and sums to the number of clauses; ``notes`` is how
    many of the paragraphs are editorial notes.  ``unplaced`` lists what the parser kept but
    could not place in the structure (a part marker "1." outside any article, a text without
    any heading ...), each as "<key>: <reason>: <start of the text>", for the drafter to check
    before publishing.
    """

    counts: dict[str, int]
    warnings: list[str]
    unplaced: list[str] = field(default_factory=list)
    notes: int = 0


@dataclass
class Table:
    """A table as extracted from a document: rows of cell texts."""

    rows: list[list[str]]


# What ``parse_blocks`` reads: a paragraph (one string) or a table, in document order.
Block = str | Table


@dataclass
class ParsedDocument:
    """Root clauses in document order plus the report."""

    clauses: list[ParsedClause]
    report: ParseReport

    def iter_clauses(self) -> Iterator[tuple[ParsedClause, ParsedClause | None, int]]:
        """Yield (clause, parent, depth) in pre-order, i.e. in document order."""
        stack: list[tuple[ParsedClause, ParsedClause | None, int]] = [
            (c, None, 0) for c in reversed(self.clauses)
        ]
        while stack:
            clause, parent, depth = stack.pop()
            yield clause, parent, depth
            stack.extend((child, clause, depth + 1) for child in reversed(clause.children))


# Characters that carry no text: soft hyphen, zero-width space, word joiner, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


def normalize_whitespace(text: str) -> str:
    """Collapse all whitespace (nbsp, tabs, newlines) to single spaces and drop soft hyphens."""
    return " ".join(text.translate(_INVISIBLE).split())


# --- markers -------------------------------------------------------------------------------
# Rank of each level in the stack of open clauses; books and sections are both SECTION kind.
_BOOK, _SECTION, _CHAPTER, _ARTICLE, _PART, _POINT, _SUBPOINT = range(7)
_KIND = {_BOOK: ClauseKind.SECTION, _SECTION: ClauseKind.SECTION, _CHAPTER: ClauseKind.CHAPTER,
         _ARTICLE: ClauseKind.ARTICLE, _PART: ClauseKind.PART, _POINT: ClauseKind.POINT,
         _SUBPOINT: ClauseKind.SUBPOINT}
_KEY_PREFIX = {_BOOK: "book", _SECTION: "sec", _CHAPTER: "ch", _ARTICLE: "art",
               _PART: "part", _POINT: "pt", _SUBPOINT: "sub"}

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_NUM = rf"[0-9]+(?:[-‑–][0-9]+)*[{_SUPERSCRIPTS}]*"
_ROMAN = r"[IVXLCІХ]+"  # Cyrillic І and Х stand in for Latin letters in sloppy texts
# `(?P<dot>\.)?(?=\s|$)`: the marker ends at a dot or a space, never glued to the next word,
# so that case forms ("40-беренесинин") and "Статья 1.Текст" are not headings.
_END = r"(?P<dot>\.)?(?=\s|$)"
_ORDINALS = ("ПЕРВАЯ|ВТОРАЯ|ТРЕТЬЯ|ЧЕТВЕРТАЯ|ЧЕТВЁРТАЯ|ПЯТАЯ|БИРИНЧИ|ЭКИНЧИ|ҮЧҮНЧҮ|ТӨРТҮНЧҮ")

_NAMED_BOOK_RE = re.compile(r"(?:ОБЩАЯ|ОСОБЕННАЯ) ЧАСТЬ|(?:ЖАЛПЫ|ӨЗГӨЧӨ) БӨЛҮК")
_NUMBERED_BOOK_RE = re.compile(
    rf"(?:ЧАСТЬ (?:{_ORDINALS}|{_ROMAN}|[0-9]+)|(?:{_ORDINALS}) БӨЛҮК){_END}")
# (rank, regex, how the remainder must look when there is no dot: "empty" | "caps" | "upper")
_STRUCTURAL = [
    (_SECTION, re.compile(rf"(?:РАЗДЕЛ|Раздел)\s+(?P<num>{_ROMAN}|{_NUM}){_END}"), "caps"),
    (_SECTION, re.compile(rf"(?P<num>{_ROMAN}|[0-9]+)(?:\s+|-)(?:БӨЛҮМ|Бөлүм|бөлүм){_END}"),
     "caps"),
    (_CHAPTER, re.compile(rf"(?:Глава|ГЛАВА)\s+(?P<num>{_NUM}|{_ROMAN}){_END}"), "caps"),
    (_CHAPTER, re.compile(rf"(?P<num>{_NUM})-(?:глава|Глава|ГЛАВА|бап|Бап|БАП){_END}"), "upper"),
    (_ARTICLE, re.compile(rf"(?:Статья|СТАТЬЯ)\s+(?P<num>{_NUM}){_END}"), "empty"),
    (_ARTICLE, re.compile(rf"(?P<num>{_NUM})-(?:берене|Берене|БЕРЕНЕ|статья|Статья|СТАТЬЯ){_END}"),
     "empty"),
]
_PART_RE = re.compile(rf"(?P<num>{_NUM})\.(?=\s|$)")
_POINT_RE = re.compile(rf"(?P<num>{_NUM})\)(?=\s|$)")
_SUBPOINT_RE = re.compile(r"(?P<num>[а-яёңөүa-z])\)(?=\s|$)")
_DASH_RE = re.compile(r"[-‐‑‒–—−\uf02d](?=\s|$)")
_ENUMERATED = ((_PART, _PART_RE), (_POINT, _POINT_RE), (_SUBPOINT, _SUBPOINT_RE))
# Editorial notes of the publisher: a paragraph in parentheses that says a text was amended,
# repealed or enacted.  Russian notes say so in the first words ("(В редакции ...", "(Глава в
# редакции ...", "(абзац второй утратил силу ..."), Kyrgyz ones at the end ("... Мыйзамынын
# редакциясына ылайык)", "... күчүн жоготту)").  A note wrapped over several lines of a text
# export goes on until its parenthesis closes.
_NOTE_START_RE = re.compile(
    r"\((?:\S+\s+){0,3}?(?:в\s+редакции|в\s+ред\.|утратил[аои]?\s+силу|утратившим[и]?\s+силу"
    r"|(?:исключ|введ|излож|дополн|приостановл)[её]н[аоы]?\b|вступ\w*\s+в\s+силу)",
    re.IGNORECASE)
_NOTE_END_RE = re.compile(
    r"(?:редакциясына\s+ылайык|редакциясында|күчүн\s+жоготту|күчүн\s+жоготкон|алынып\s+салынды|"
    r"толукталды|өзгөртүлдү|киргизилди)\W*$", re.IGNORECASE)

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү",
    "a b v g d e yo zh z i j k l m n o p r s t u f h ts ch sh shch hs y ss eh yu ya ng oe ue"
    .split()))
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman_to_int(roman: str) -> int:
    """Value of a Roman numeral; Cyrillic look-alikes were already mapped to Latin."""
    total = 0
    for i, ch in enumerate(roman):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[roman[i + 1]] if i + 1 < len(roman) else 0
        total += -value if value < nxt else value
    return total


def _normalize_number(raw: str) -> str:
    """'II' -> '2', '21¹' -> '21-1', '10–1' -> '10-1'."""
    raw = raw.replace("І", "I").replace("Х", "X")
    if raw.isalpha() and all(ch in _ROMAN_VALUES for ch in raw):
        return str(_roman_to_int(raw))
    base = raw.rstrip(_SUPERSCRIPTS)
    sup = raw[len(base):].translate(str.maketrans(_SUPERSCRIPTS, "0123456789"))
    number = re.sub(r"[‑–]", "-", base)
    return f"{number}-{sup}" if sup else number


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and not any(ch.islower() for ch in letters)


def _match_structural(para: str) -> tuple[int, str, str | None, str] | None:
    """(rank, label, raw number, rest) if the paragraph opens a book/section/chapter/article."""
    if _NAMED_BOOK_RE.fullmatch(para):
        return _BOOK, para, None, ""
    m = _NUMBERED_BOOK_RE.match(para)
    if m:
        rest = para[m.end():].strip()
        if m.group("dot") or not rest or _is_caps(rest):
            return _BOOK, m.group(0), None, rest
    for rank, regex, rest_rule in _STRUCTURAL:
        m = regex.match(para)
        if not m:
            continue
        rest = para[m.end():].strip()
        # Without a dot the paragraph must end at the number, or (for sections and chapters)
        # go on with an ALL CAPS / capitalised title; otherwise it is a reference in prose.
        if m.group("dot") or not rest or (rest_rule == "caps" and _is_caps(rest)) or (
                rest_rule == "upper" and rest[0].isupper()):
            return rank, m.group(0), m.group("num"), rest
    return None


def match_heading(paragraph: str) -> tuple[ClauseKind, str, str] | None:
    """(kind, label, title) if the paragraph opens a section, chapter or article, else None.

    ``title`` is "" for a bare heading ("Статья 7.", "РАЗДЕЛ I") whose title, if any, is the
    next paragraph.  References in prose ("Статья 21 настоящего Кодекса ...") are not headings.
    Importers use it to keep a line break that separates a heading from its title.
    """
    found = _match_structural(normalize_whitespace(paragraph))
    if found is None:
        return None
    rank, label, _, rest = found
    return _KIND[rank], label, rest


def _is_note(para: str) -> bool:
    return para.startswith("(") and bool(_NOTE_START_RE.match(para) or _NOTE_END_RE.search(para))


def _excerpt(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _looks_like_marker(para: str) -> bool:
    return bool(_match_structural(para) or _PART_RE.match(para) or _POINT_RE.match(para)
                or _SUBPOINT_RE.match(para) or _DASH_RE.match(para))


def _can_be_title(para: str) -> bool:
    """A paragraph after a bare 'Статья 7.' is its title unless it reads like body text."""
    return (len(para) <= 300 and not para.startswith("(") and para[-1] not in ".;:,"
            and not _looks_like_marker(para))


def _sequential(prev: str, new: str) -> bool:
    """True if `new` may follow `prev`: 23 -> 24, 23 -> 23-1, 23-1 -> 23-2, 23-1 -> 24."""
    try:
        p = tuple(int(x) for x in prev.split("-"))
        n = tuple(int(x) for x in new.split("-"))
    except ValueError:
        return True
    return n == p + (1,) or any(n == p[:k] + (p[k] + 1,) for k in range(len(p)))


class _Builder:
    """Holds the stack of open clauses and keeps keys unique while the tree grows."""

    def __init__(self) -> None:
        self.roots: list[ParsedClause] = []
        self.stack: list[tuple[int, ParsedClause]] = []
        self.keys: set[str] = set()
        self.paragraphs: dict[str, int] = {}
        self.previous: dict[int, str] = {}
        self.books = 0
        self.warnings: list[str] = []
        self.counts = {kind.value: 0 for kind in ClauseKind}
        self.unplaced: list[str] = []
        self.notes = 0

    def inside_article(self) -> bool:
        return any(rank == _ARTICLE for rank, _ in self.stack)

    def _attach(self, clause: ParsedClause, parent: ParsedClause | None) -> None:
        (parent.children if parent else self.roots).append(clause)
        self.keys.add(clause.key)
        self.counts[clause.kind.value] += 1

    def _unique(self, key: str, parent: ParsedClause | None, qualify: bool) -> str:
        """Keep keys unique: chapters restarting per section become "sec-2/ch-1", else "-dup2"."""
        if key not in self.keys:
            return key
        candidate = f"{parent.key}/{key}" if qualify and parent else key
        suffix = 2
        while candidate in self.keys:
            candidate = f"{key}-dup{suffix}"
            suffix += 1
        self.warnings.append(f"duplicate key {key!r} resolved as {candidate!r}")
        return candidate

    def _number(self, rank: int, raw: str | None) -> str:
        if rank == _BOOK:
            self.books += 1
            return str(self.books)
        if rank == _SUBPOINT:
            return raw or ""
        number = _normalize_number(raw or "")
        prev = self.previous.get(rank)
        if rank in (_ARTICLE, _CHAPTER) and prev and number.isdigit():
            base = prev.split("-")[0]
            rest = number[len(base):]
            # Plain-text exports print 23¹ as "231": read it as inserted when it is not the
            # next number but the previous base followed by one or two digits.
            # A one-digit base is not enough evidence ("17" after "1" is article 17).
            if (int(number) != int(base) + 1 and len(base) >= 2 and number.startswith(base)
                    and 1 <= len(rest) <= 2 and rest[0] != "0"):
                self.warnings.append(f"{_KIND[rank]} {number} read as {base}-{rest} "
                                     f"(superscript lost?)")
                number = f"{base}-{rest}"
        if rank <= _ARTICLE and prev and number != "1" and not _sequential(prev, number):
            self.warnings.append(f"{_KIND[rank]} numbering jumps from {prev} to {number}")
        if rank <= _ARTICLE:
            self.previous[rank] = number
        return number

    def open(self, rank: int, label: str, raw: str | None, heading: str, text: str) -> None:
        """Close clauses at this level or deeper, then open a new one under what is left."""
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        parent = self.stack[-1][1] if self.stack else None
        number = self._number(rank, raw)
        slug = "".join(_TRANSLIT.get(ch, ch) for ch in number.lower())
        slug = re.sub(r"[^a-z0-9-]+", "", slug) or "x"
        key = f"{_KEY_PREFIX[rank]}-{slug}"
        if rank > _ARTICLE and parent:
            key = f"{parent.key}/{key}"
        key = self._unique(key, parent, qualify=rank <= _ARTICLE)
        clause = ParsedClause(_KIND[rank], key, number, label, heading, text)
        self._attach(clause, parent)
        self.stack.append((rank, clause))

    def paragraph(self, label: str, text: str, deepest: int, *, note: bool = False,
                  table: list[list[str]] | None = None) -> ParsedClause:
        """Attach a paragraph to the innermost open clause of rank <= `deepest`."""
        while self.stack and self.stack[-1][0] > deepest:
            self.stack.pop()
        parent = self.stack[-1][1] if self.stack else None
        parent_key = parent.key if parent else ""
        index = self.paragraphs.get(parent_key, 0) + 1
        self.paragraphs[parent_key] = index
        key = f"{parent_key}/p-{index}" if parent else f"p-{index}"
        key = self._unique(key, parent, qualify=False)
        clause = ParsedClause(ClauseKind.PARAGRAPH, key, None, label, "", text, table=table,
                              note=note)
        self._attach(clause, parent)
        if note:
            self.notes += 1
        return clause


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines with whitespace collapsed; blank or space-only lines separate."""
    lines = text.translate(_INVISIBLE).replace("\r\n", "\n").splitlines()
    return [p for p in (" ".join(line.split()) for line in lines) if p]


_paragraphs = split_paragraphs  # the old private name


def _normalize_table(table: Table) -> Table | None:
    rows = [[normalize_whitespace(cell) for cell in row] for row in table.rows]
    rows = [row for row in rows if any(row)]
    return Table(rows) if rows else None


def _normalize_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Paragraphs with whitespace collapsed and tables with clean cells; empty ones dropped."""
    result: list[Block] = []
    for block in blocks:
        if isinstance(block, Table):
            table = _normalize_table(block)
            if table is not None:
                result.append(table)
        else:
            para = normalize_whitespace(block)
            if para:
                result.append(para)
    return result


def table_text(rows: list[list[str]]) -> str:
    """The text of a table clause: cells joined with " | ", one row per line."""
    return "\n".join(" | ".join(row) for row in rows)


_UNPLACED_REASON = {_PART: "a part marker outside any article",
                    _POINT: "a point marker outside any article",
                    _SUBPOINT: "a subpoint marker outside any article"}


def parse_blocks(blocks: Iterable[Block]) -> ParsedDocument:
    """Parse paragraphs and tables (in document order) into a clause tree with a report.

    A paragraph is one string (whitespace inside it is collapsed, so a newline in it does not
    start a new paragraph); a ``Table`` becomes one PARAGRAPH clause with ``table`` set.  It
    attaches to the innermost open clause when the paragraph before it ends with a colon
    ("... по следующим ставкам:"), else like prose to the part, article, chapter ... open.
    """
    return _parse(_normalize_blocks(blocks))


def parse_text(text: str) -> ParsedDocument:
    """Parse the plain text of a legal act into a clause tree with a report."""
    return _parse(split_paragraphs(text))


def _parse(paras: list[Block]) -> ParsedDocument:
    builder = _Builder()
    headings = 0
    note_depth = 0  # parentheses a note left open: it goes on in the next paragraph
    table_depth: int | None = None  # where the previous block, if a table, was attached
    after_colon = False
    has_articles = any(isinstance(p, str) and (m := _match_structural(p)) and m[0] == _ARTICLE
                       for p in paras)
    i = 0
    while i < len(paras):
        para = paras[i]
        i += 1
        if isinstance(para, Table):
            if table_depth is None:
                table_depth = _SUBPOINT if after_colon else _PART
            builder.paragraph("", table_text(para.rows), table_depth, table=para.rows)
            note_depth = 0
            after_colon = False
            continue
        table_depth = None
        after_colon = para.endswith(":")
        structural = _match_structural(para)
        if structural:
            rank, label, raw, heading = structural
            headings += 1
            # "РАЗДЕЛ I" / "Глава 1" / "Статья 7." with the title on the next paragraph;
            # "ОБЩАЯ ЧАСТЬ" is its own title.
            named = _NAMED_BOOK_RE.fullmatch(label)
            if (not heading and not named and i < len(paras) and isinstance(paras[i], str)
                    and _can_be_title(paras[i])):
                heading = paras[i]
                i += 1
            # Section titles wrap over several ALL CAPS lines (road-traffic-law, family code).
            if rank <= _SECTION and _is_caps(heading):
                while (i < len(paras) and isinstance(paras[i], str) and _is_caps(paras[i])
                       and _can_be_title(paras[i])):
                    heading = f"{heading} {paras[i]}"
                    i += 1
            builder.open(rank, label, raw, heading, "")
            note_depth = 0
            after_colon = False
            continue
        # Parts, points and subpoints exist only inside an article; elsewhere "1." is prose,
        # except in acts without articles (resolutions, orders), whose points are the structure.
        enumerated = next(
            ((rank, m) for rank, regex in _ENUMERATED if (m := regex.match(para))), None)
        if enumerated and (builder.inside_article() or not has_articles):
            rank, m = enumerated
            headings += 1
            builder.open(rank, m.group(0), m.group("num"), "", para[m.end():].strip())
            note_depth = 0
            continue
        dash = _DASH_RE.match(para)
        if dash:
            # An indent belongs to whatever is open, so that "а) ...:" keeps its dash list.
            builder.paragraph(dash.group(0), para[dash.end():].strip(), _SUBPOINT)
            note_depth = 0
            continue
        if note_depth > 0:
            note = True
            note_depth += para.count("(") - para.count(")")
        else:
            note = _is_note(para)
            note_depth = para.count("(") - para.count(")") if note else 0
        # Prose after a list ends the list: it goes to the part (or article, chapter ...).
        clause = builder.paragraph("", para, _PART, note=note)
        if enumerated:
            rank, _ = enumerated
            builder.unplaced.append(f"{clause.key}: {_UNPLACED_REASON[rank]}: {_excerpt(para)}")
    if paras and not headings:
        builder.unplaced.append(f"{builder.roots[0].key}: no section, chapter or article heading "
                                f"found; the whole text stays {len(builder.roots)} unstructured "
                                f"paragraph(s)")
    report = ParseReport(counts=builder.counts, warnings=builder.warnings,
                         unplaced=builder.unplaced, notes=builder.notes)
    return ParsedDocument(clauses=builder.roots, report=report)
