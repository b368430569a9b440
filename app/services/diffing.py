"""Compare two versions of a draft clause by clause (pure: no database, diff-match-patch only).

A version is a list of :class:`ClauseSnapshot` in document order, one language at a time.
:func:`diff_versions` answers two questions:

* **identity** - which clause of the old version is which clause of the new one.  Keys are
  derived from the place in the tree, so when article 10 is removed, old ``art-11`` becomes new
  ``art-10`` and a key match would pair the wrong texts.  Clauses are therefore matched by
  content with an order-preserving alignment (see "Matching" below); the key only breaks ties.
  ``VersionDiff.key_map`` (old key -> new key) lets the caller show comments made on an earlier
  version next to the matching clause of the current one.
* **wording** - for every clause, a word-level diff of its own text (label, heading and text
  joined with spaces) as ``(op, text)`` pairs in the diff-match-patch convention:
  -1 removed, 0 kept, 1 added.

Matching
--------
1. Articles are aligned over the whole document, regardless of the chapter that holds them,
   in passes, each one aligning only the gaps left by the previous ones:
   a. identical articles (same headings and texts over the whole subtree; labels and numbers
      ignored) are anchored with :class:`difflib.SequenceMatcher`;
   b. similar ones: Dice coefficient over word unigrams and bigrams of the subtree text
      (lowercased, whitespace collapsed) of at least ``MATCH_THRESHOLD``;
   c. the looser ``GAP_THRESHOLD``: with neighbours matched on both sides a weaker
      resemblance is convincing;
   d. articles left in a short gap between two matched pairs (at most ``LEFTOVER_GAP`` on a
      side) that keep their key or their heading: an article rewritten beyond recognition.
   Each pass keeps the heaviest chain of candidate pairs increasing on both sides (never a
   greedy key match); a pair with the same key gets a small bonus.  Large gaps only score
   candidates that share rare words (an inverted index), so the Tax Code takes well under a
   second.
2. Sections and chapters are aligned the same way, their similarity being the share of their
   articles matched with each other (plus a little of their heading), so a renumbered chapter
   follows its articles.
3. Inside matched articles, children (parts, points, subpoints, paragraphs) are aligned
   recursively with the same passes among siblings; there a lone old clause and a lone new
   one between matched siblings are always paired (the same part rewritten).  Loose
   paragraphs of sections, chapters and the preamble are aligned among the children of
   matched containers (and of the root).  Only clauses of the same kind are ever matched.
4. A matched pair whose heading and text are unchanged is ``unchanged`` even if its number and
   label changed (renumbering: ``from_key``/``from_number`` tell), else ``modified``;
   unmatched old clauses are ``removed``, unmatched new ones ``added``.  A clause's change
   concerns its own text only: an article whose part changed is itself ``unchanged``.

Output order
------------
``VersionDiff.clauses`` follows the new version; a removed clause is placed where it stood,
after the preceding matched clause (removed before added at the same depth, deeper clauses
first, so that an added part of article 9 is not shown under a removed article 10).  A removed
clause has ``key=None`` and ``from_key`` = its old key; an added one has ``from_key=None``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from itertools import chain
from typing import Any, Protocol

from diff_match_patch import diff_match_patch

from app.services.parsing import ParsedDocument

__all__ = [
    "ChangeKind",
    "ClauseDiff",
    "ClauseSnapshot",
    "VersionDiff",
    "diff_text",
    "diff_versions",
    "snapshots_from_clauses",
    "snapshots_from_parsed",
]

MATCH_THRESHOLD = 0.6  # similarity for a match anywhere in a gap between identical clauses
GAP_THRESHOLD = 0.35  # looser similarity once neighbours on both sides are matched
KEY_BONUS = 0.05  # tie-breaker: prefer the pair whose key (last segment) is the same
SHORT_TEXT = 80  # below this many characters, compare leaf texts character by character
DENSE_PAIRS = 4000  # gaps with more pairs than this only score candidates from the index
CANDIDATES = 6  # candidates per clause in a large gap
LEFTOVER_GAP = 5  # at most this many articles on a side of a gap paired by key or heading

_CONTAINERS = frozenset({"section", "chapter"})
_ARTICLE = "article"


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class ClauseSnapshot:
    """One clause of one version in one language; ``parent_key`` None (or "") for a root."""

    key: str
    parent_key: str | None
    kind: str
    number: str | None
    label: str
    heading: str
    text: str

    @property
    def full_text(self) -> str:
        """Label, heading and text joined with single spaces: what the diff ``ops`` cover."""
        return " ".join(part for part in (self.label, self.heading, self.text) if part)


Op = tuple[int, str]


@dataclass(slots=True)
class ClauseDiff:
    """One row of the comparison.

    ``key`` is the key in the new version (None when removed), ``from_key`` the key in the old
    version (None when added).  ``kind``, ``number`` and ``depth`` describe the new clause, or
    the old one when removed; ``from_number`` is the old number (differs when renumbered).
    """

    key: str | None
    from_key: str | None
    change: ChangeKind
    ops: list[Op]
    kind: str
    number: str | None
    depth: int
    from_number: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{key, from_key, change, ops: [[op, text], ...], kind, number, ...}``."""
        return {"key": self.key, "from_key": self.from_key, "change": self.change.value,
                "ops": [[op, text] for op, text in self.ops], "kind": self.kind,
                "number": self.number, "from_number": self.from_number, "depth": self.depth}


@dataclass(slots=True)
class VersionDiff:
    clauses: list[ClauseDiff]
    key_map: dict[str, str]  # old key -> new key, for every matched clause

    @property
    def counts(self) -> dict[str, int]:
        counts = {change.value: 0 for change in ChangeKind}
        for row in self.clauses:
            counts[row.change.value] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{clauses: [...], key_map: {...}, counts: {...}}``."""
        return {"clauses": [row.as_dict() for row in self.clauses], "key_map": self.key_map,
                "counts": self.counts}

    def by_key(self) -> dict[str, ClauseDiff]:
        """Rows of clauses present in the new version, by new key."""
        return {row.key: row for row in self.clauses if row.key is not None}

    def by_from_key(self) -> dict[str, ClauseDiff]:
        """Rows of clauses present in the old version, by old key."""
        return {row.from_key: row for row in self.clauses if row.from_key is not None}


# --- snapshots -------------------------------------------------------------------------------

def snapshots_from_parsed(doc: ParsedDocument) -> list[ClauseSnapshot]:
    """Snapshots of a freshly parsed text (tests, previews before a version is stored)."""
    return [
        ClauseSnapshot(key=clause.key, parent_key=parent.key if parent else None,
                       kind=clause.kind.value, number=clause.number, label=clause.label,
                       heading=clause.heading, text=clause.text)
        for clause, parent, _ in doc.iter_clauses()
    ]


class _StoredClause(Protocol):  # app.models.Clause, without importing the ORM here
    key: str
    parent_key: str | None
    kind: str
    number: str | None
    position: int

    def label(self, language: str) -> str: ...

    def heading(self, language: str) -> str: ...

    def text(self, language: str) -> str: ...


def snapshots_from_clauses(clauses: Iterable[_StoredClause], language: str
                           ) -> list[ClauseSnapshot]:
    """Snapshots of stored ``Clause`` rows (already loaded) in one language, by position."""
    return [
        ClauseSnapshot(key=c.key, parent_key=c.parent_key or None, kind=str(c.kind),
                       number=c.number, label=c.label(language) or "",
                       heading=c.heading(language) or "", text=c.text(language) or "")
        for c in sorted(clauses, key=lambda c: c.position)
    ]


# --- word-level text diff --------------------------------------------------------------------

# Words (Cyrillic included: \w is Unicode), runs of whitespace, single other characters.
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")
_INVISIBLE = ("\u00ad", "\u200b", "\u2060", "\ufeff")  # as in parsing.normalize_whitespace


class _TokenCodec:
    """Maps each distinct token to one character, the diff_linesToChars trick for words."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.tokens: list[str] = []

    def encode(self, text: str) -> str:
        codes = self.codes
        out = []
        for token in _TOKEN_RE.findall(text):
            code = codes.get(token)
            if code is None:
                n = len(self.tokens) + 0xE000  # from the private use area up
                if n >= 0xF900:  # then past it, never into the surrogates
                    n += 0x10000 - 0xF900
                code = codes[token] = chr(n)
                self.tokens.append(token)
            out.append(code)
        return "".join(out)

    def decode(self, chars: str) -> str:
        tokens, base = self.tokens, 0x10000 - 0xF900 + 0xE000
        return "".join(tokens[n - 0xE000 if n < 0x10000 else n - base]
                       for n in map(ord, chars))


def _make_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # texts are token strings of one clause: always finish
    return dmp


def diff_text(old: str, new: str, *, codec: _TokenCodec | None = None,
              dmp: diff_match_patch | None = None) -> list[Op]:
    """Word-level diff of two texts as ``(op, text)`` pairs, semantically cleaned up."""
    if old == new:
        return [(0, new)] if new else []
    if not old:
        return [(1, new)]
    if not new:
        return [(-1, old)]
    codec = codec or _TokenCodec()
    dmp = dmp or _make_dmp()
    diffs = dmp.diff_main(codec.encode(old), codec.encode(new), False)
    dmp.diff_cleanupSemantic(diffs)  # in tokens: never splits a word
    ops: list[Op] = []
    for op, chars in diffs:
        text = codec.decode(chars)
        if text:
            ops.append((op, text))
    return _absorb_short_equalities(ops)


def _absorb_short_equalities(ops: list[Op]) -> list[Op]:
    """The semantic rule of diff-match-patch again, weighing characters instead of tokens.

    An equality no longer than the edits on both sides of it (" и " between two replaced
    phrases) becomes part of both, so that a reader sees whole phrases replaced.  Between two
    equalities the edits come out as one deletion followed by one insertion.
    """
    # Runs: (None, equal text, "") or (True, deleted text, inserted text).
    runs: list[tuple[bool | None, str, str]] = []
    for op, text in ops:
        if op == 0:
            runs.append((None, text, ""))
        elif runs and runs[-1][0]:
            _, deleted, inserted = runs[-1]
            runs[-1] = (True, deleted + text, inserted) if op < 0 else (
                True, deleted, inserted + text)
        else:
            runs.append((True, text, "") if op < 0 else (True, "", text))
    k = 1
    while k < len(runs) - 1:
        before, equal, after = runs[k - 1], runs[k], runs[k + 1]
        size = len(equal[1])
        if (equal[0] is None and before[0] and after[0]
                and size <= max(len(before[1]), len(before[2]))
                and size <= max(len(after[1]), len(after[2]))):
            runs[k - 1:k + 2] = [(True, before[1] + equal[1] + after[1],
                                  before[2] + equal[1] + after[2])]
            k = max(1, k - 1)  # the grown edit may now swallow the equality before it
        else:
            k += 1
    result: list[Op] = []
    for edit, first, second in runs:
        if edit is None:
            result.append((0, first))
        else:
            result.extend((op, text) for op, text in ((-1, first), (1, second)) if text)
    return result


# --- the clause tree -------------------------------------------------------------------------

def _squash(text: str) -> str:
    """``normalize_whitespace`` made fast for texts that rarely hold invisible characters."""
    for invisible in _INVISIBLE:
        if invisible in text:
            text = text.replace(invisible, "")
    return " ".join(text.split())


def _normal(text: str) -> str:
    return _squash(text).lower().replace("ё", "е")


def _features(words: list[str]) -> set[int]:
    feats = {hash(w) for w in words}
    feats.update(hash(pair) for pair in zip(words, words[1:]))
    return feats


class _Node:
    __slots__ = ("index", "snap", "depth", "parent", "children", "body", "fingerprint",
                 "_feats", "_short", "local_key")

    def __init__(self, index: int, snap: ClauseSnapshot | None, depth: int,
                 parent: _Node | None) -> None:
        self.index = index
        self.snap = snap
        self.depth = depth
        self.parent = parent
        self.children: list[_Node] = []
        # Heading and text, normalised: equal bodies mean the wording did not change.
        self.body = _squash(f"{snap.heading} {snap.text}") if snap else ""
        self.fingerprint = 0
        self._feats: frozenset[int] | None = None
        self._short: str | None = None
        key = snap.key if snap else ""
        self.local_key = key.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        return self.snap.kind if self.snap else ""

    def feats(self) -> frozenset[int]:
        """Word unigrams and bigrams of the subtree's headings and texts (labels excluded)."""
        if self._feats is None:
            feats = _features(_WORD_RE.findall(_normal(self.body)))
            for child in self.children:
                feats.update(child.feats())
            self._feats = frozenset(feats)
        return self._feats

    def short_text(self) -> str | None:
        """The normalised body of a short leaf, compared character by character."""
        if self._short is None:
            self._short = ("" if self.children or len(self.body) >= SHORT_TEXT
                           else _normal(self.body) or " ")
        return self._short or None


class _Tree:
    """Snapshots linked into a tree; ``nodes`` in pre-order (index = position)."""

    def __init__(self, snapshots: Sequence[ClauseSnapshot]) -> None:
        self.root = _Node(-1, None, -1, None)
        by_key: dict[str, _Node] = {}
        children: dict[str | None, list[ClauseSnapshot]] = {}
        keys = {s.key for s in snapshots}
        for snap in snapshots:
            parent = snap.parent_key if snap.parent_key in keys else None
            children.setdefault(parent, []).append(snap)
        self.nodes: list[_Node] = []
        # Roots first; then whatever a cycle of parent keys made unreachable, as roots too.
        for top in [*children.get(None, []), *snapshots]:
            stack = [(top, self.root)]
            while stack:
                snap, parent = stack.pop()
                if snap.key in by_key:  # reached already (or a duplicate key: keep the first)
                    continue
                node = _Node(len(self.nodes), snap, parent.depth + 1, parent)
                parent.children.append(node)
                by_key[snap.key] = node
                self.nodes.append(node)
                stack.extend((child, node) for child in reversed(children.get(snap.key, [])))
        for node in reversed(self.nodes):  # children before parents
            node.fingerprint = hash((node.body, tuple(c.fingerprint for c in node.children)))

    def of_kind(self, kinds: Iterable[str]) -> list[_Node]:
        kinds = frozenset(kinds)
        return [node for node in self.nodes if node.kind in kinds]


# --- similarity and alignment ----------------------------------------------------------------

def _text_similarity(a: _Node, b: _Node) -> float:
    if a.fingerprint == b.fingerprint:
        return 1.0
    sa, sb = a.short_text(), b.short_text()
    if sa is not None and sb is not None:
        matcher = SequenceMatcher(None, sa, sb, autojunk=False)
        return matcher.ratio() if matcher.real_quick_ratio() >= GAP_THRESHOLD else 0.0
    fa, fb = a.feats(), b.feats()
    total = len(fa) + len(fb)
    if not total:
        return 0.0
    if 2 * min(len(fa), len(fb)) < GAP_THRESHOLD * total:  # cannot reach any threshold
        return 0.0
    return 2 * len(fa & fb) / total


class _Aligner:
    """Order-preserving alignment of two lists of nodes; collects the matched pairs."""

    def __init__(self, similarity=_text_similarity, *, pair_lone: bool = False,
                 dense_pairs: int = DENSE_PAIRS) -> None:
        self.similarity = similarity
        # Whether a lone old clause and a lone new one of the same kind, left between two
        # matched pairs, are always the same clause rewritten.
        self.pair_lone = pair_lone
        self.dense_pairs = dense_pairs

    def align(self, old: list[_Node], new: list[_Node]) -> list[tuple[_Node, _Node]]:
        if not old or not new:
            return []
        # 1. identical subtrees anchor the alignment
        matcher = SequenceMatcher(None, [(n.kind, n.fingerprint) for n in old],
                                  [(n.kind, n.fingerprint) for n in new], autojunk=False)
        anchors = [(i + k, j + k) for i, j, size in matcher.get_matching_blocks()
                   for k in range(size)]
        pairs = self._fill(old, new, anchors, MATCH_THRESHOLD)
        # 2. similar ones in the gaps, 3. looser inside gaps bounded by matches
        pairs = self._fill(old, new, pairs, GAP_THRESHOLD)
        # 4. what is left: the same key or heading, or (pair_lone) one old and one new clause
        pairs = self._fill(old, new, pairs, None)
        return [(old[i], new[j]) for i, j in pairs]

    def _fill(self, old: list[_Node], new: list[_Node], pairs: list[tuple[int, int]],
              threshold: float | None) -> list[tuple[int, int]]:
        """Align each gap between consecutive pairs; return all pairs in order."""
        result: list[tuple[int, int]] = []
        prev_i = prev_j = -1
        for i, j in [*pairs, (len(old), len(new))]:
            if i - prev_i > 1 and j - prev_j > 1:
                bounded = prev_i >= 0 and i < len(old)
                result.extend(self._gap(old, new, range(prev_i + 1, i), range(prev_j + 1, j),
                                        threshold, bounded))
            if i < len(old):
                result.append((i, j))
            prev_i, prev_j = i, j
        return result

    def _gap(self, old: list[_Node], new: list[_Node], rows: range, cols: range,
             threshold: float | None, bounded: bool) -> list[tuple[int, int]]:
        if threshold is None:  # the last pass: nothing here is similar enough
            if self.pair_lone:  # siblings: the matched parent bounds every gap
                if len(rows) == len(cols) == 1:
                    same = old[rows[0]].kind == new[cols[0]].kind
                    return [(rows[0], cols[0])] if same else []
            elif not bounded or max(len(rows), len(cols)) > LEFTOVER_GAP:
                return []  # in a long or open gap a shared key means nothing
            return _heaviest_chain([(i, j, 1.0) for i in rows for j in cols
                                    if old[i].kind == new[j].kind and _same_place(old[i], new[j])])
        similarity = self.similarity
        scored: list[tuple[int, int, float]] = []
        if len(rows) * len(cols) <= self.dense_pairs:
            candidates = ((i, j) for i in rows for j in cols)
        else:
            candidates = _candidates(old, new, rows, cols)
        for i, j in candidates:
            a, b = old[i], new[j]
            if a.kind != b.kind:
                continue
            score = similarity(a, b)
            if score >= threshold:
                if a.local_key == b.local_key:
                    score += KEY_BONUS
                scored.append((i, j, score))
        return _heaviest_chain(scored)


def _candidates(old: list[_Node], new: list[_Node], rows: range, cols: range
                ) -> list[tuple[int, int]]:
    """Pairs sharing the most rare features (an inverted index over the old side)."""
    index: dict[int, list[int]] = {}
    for i in rows:
        for feat in old[i].feats():
            posting = index.get(feat)
            if posting is None:
                index[feat] = [i]
            else:
                posting.append(i)
    rare = max(4, len(rows) // 20)
    index = {feat: posting for feat, posting in index.items() if len(posting) <= rare}
    rare_feats = index.keys()
    pairs = []
    for j in cols:
        hits = Counter(chain.from_iterable(map(index.__getitem__, rare_feats & new[j].feats())))
        pairs.extend((i, j) for i, _ in hits.most_common(CANDIDATES))
    return sorted(pairs)


def _heaviest_chain(scored: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The subset of (i, j, w), strictly increasing in i and j, with the greatest total w."""
    if not scored:
        return []
    cols = sorted({j for _, j, _ in scored})
    size = len(cols)
    tree_value = [0.0] * (size + 1)  # Fenwick tree of prefix maxima over columns
    tree_entry = [-1] * (size + 1)
    entries: list[tuple[int, int, int]] = []  # (i, j, predecessor entry)
    best_value, best_entry = 0.0, -1

    def query(pos: int) -> tuple[float, int]:
        value, entry = 0.0, -1
        while pos > 0:
            if tree_value[pos] > value:
                value, entry = tree_value[pos], tree_entry[pos]
            pos -= pos & -pos
        return value, entry

    def update(pos: int, value: float, entry: int) -> None:
        while pos <= size:
            if value > tree_value[pos]:
                tree_value[pos], tree_entry[pos] = value, entry
            pos += pos & -pos

    scored.sort()
    start = 0
    while start < len(scored):
        row = scored[start][0]
        end = start
        while end < len(scored) and scored[end][0] == row:
            end += 1
        pending = []
        for _, j, weight in scored[start:end]:
            col = bisect_left(cols, j)  # columns strictly before j are 1..col
            value, prev = query(col)
            entries.append((row, j, prev))
            pending.append((col + 1, value + weight, len(entries) - 1))
        for pos, value, entry in pending:  # after the row: one match per row
            update(pos, value, entry)
            if value > best_value:
                best_value, best_entry = value, entry
        start = end
    chain = []
    while best_entry >= 0:
        i, j, best_entry = entries[best_entry]
        chain.append((i, j))
    return chain[::-1]


def _container_similarity(article_pair: dict[int, int]):
    """Share of two containers' articles that are matched with each other, plus the heading."""
    members: dict[int, frozenset[int]] = {}

    def articles(node: _Node, mapped: bool) -> frozenset[int]:
        """Indices of the articles inside; for an old node, those of their new partners."""
        if id(node) not in members:
            found = []
            stack = list(node.children)
            while stack:
                child = stack.pop()
                if child.kind == _ARTICLE:
                    found.append(child.index)
                else:
                    stack.extend(child.children)
            if mapped:
                found = [article_pair.get(i, -1 - i) for i in found]  # unmatched: negative
            members[id(node)] = frozenset(found)
        return members[id(node)]

    def similarity(a: _Node, b: _Node) -> float:
        old_arts, new_arts = articles(a, True), articles(b, False)
        if not old_arts and not new_arts:
            return _text_similarity(a, b)
        share = 2 * len(old_arts & new_arts) / (len(old_arts) + len(new_arts))
        if 0.75 * share + 0.25 < GAP_THRESHOLD:
            return 0.0
        ha, hb = _normal(a.body), _normal(b.body)
        heading = 1.0 if ha == hb else SequenceMatcher(None, ha, hb, autojunk=False).ratio()
        return 0.75 * share + 0.25 * heading

    return similarity


def _same_place(a: _Node, b: _Node) -> bool:
    """A clause rewritten beyond recognition keeps its key (its last segment) or heading."""
    if a.local_key == b.local_key:
        return True
    return bool(a.snap.heading) and _normal(a.snap.heading) == _normal(b.snap.heading)


def _match(old: _Tree, new: _Tree) -> dict[int, int]:
    """Old node index -> new node index for every matched clause."""
    # Inside a matched article (or container), a lone clause replaced by a lone clause of the
    # same kind is the same clause rewritten, however different the words.
    children_aligner = _Aligner(pair_lone=True)
    pairs: dict[int, int] = {}
    articles = _Aligner().align(
        old.of_kind([_ARTICLE]), new.of_kind([_ARTICLE]))
    pairs.update((a.index, b.index) for a, b in articles)
    containers = _Aligner(_container_similarity(dict(pairs)), dense_pairs=250_000).align(
        old.of_kind(_CONTAINERS), new.of_kind(_CONTAINERS))
    pairs.update((a.index, b.index) for a, b in containers)

    def descend(a: _Node, b: _Node, only_loose: bool) -> None:
        """Align the children of a matched pair (only loose paragraphs of containers)."""
        skip = _CONTAINERS | {_ARTICLE} if only_loose else frozenset()
        old_children = [c for c in a.children if c.kind not in skip]
        new_children = [c for c in b.children if c.kind not in skip]
        for x, y in children_aligner.align(old_children, new_children):
            pairs[x.index] = y.index
            descend(x, y, False)

    descend(old.root, new.root, True)
    for a, b in containers:
        descend(a, b, True)
    for a, b in articles:
        descend(a, b, False)
    return pairs


# --- the comparison --------------------------------------------------------------------------

def diff_versions(old: Sequence[ClauseSnapshot], new: Sequence[ClauseSnapshot]) -> VersionDiff:
    """Compare two versions (snapshots in document order); see the module docstring."""
    old_tree, new_tree = _Tree(old), _Tree(new)
    forward = _match(old_tree, new_tree)
    backward = {j: i for i, j in forward.items()}
    codec, dmp = _TokenCodec(), _make_dmp()
    rows: list[ClauseDiff] = []

    def removed(node: _Node) -> None:
        snap = node.snap
        rows.append(ClauseDiff(None, snap.key, ChangeKind.REMOVED, diff_text(snap.full_text, ""),
                               snap.kind, snap.number, node.depth, snap.number))

    def present(node: _Node) -> None:
        snap = node.snap
        i = backward.get(node.index)
        if i is None:
            rows.append(ClauseDiff(snap.key, None, ChangeKind.ADDED,
                                   diff_text("", snap.full_text), snap.kind, snap.number,
                                   node.depth))
            return
        before = old_tree.nodes[i]
        if before.body == node.body:
            change, ops = ChangeKind.UNCHANGED, diff_text(snap.full_text, snap.full_text)
        else:
            change = ChangeKind.MODIFIED
            ops = diff_text(before.snap.full_text, snap.full_text, codec=codec, dmp=dmp)
        rows.append(ClauseDiff(snap.key, before.snap.key, change, ops, snap.kind, snap.number,
                               node.depth, before.snap.number))

    # Merge the two pre-orders: the new one leads, removed clauses come in where they stood.
    old_nodes, new_nodes = old_tree.nodes, new_tree.nodes
    i = j = 0
    while i < len(old_nodes) or j < len(new_nodes):
        if i < len(old_nodes):
            partner = forward.get(i)
            if partner is not None and partner < j:  # shown with its partner already
                i += 1
                continue
            if partner is None and (j >= len(new_nodes) or j in backward
                                    or old_nodes[i].depth >= new_nodes[j].depth):
                removed(old_nodes[i])
                i += 1
                continue
        present(new_nodes[j])
        j += 1
    key_map = {old_nodes[i].snap.key: new_nodes[j].snap.key for i, j in forward.items()}
    return VersionDiff(clauses=rows, key_map=key_map)
