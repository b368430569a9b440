"""Full-text search over drafts (title and summary), the clauses of their current versions and
published comments, in Russian and Kyrgyz.

PostgreSQL: generated ``tsvector`` columns with GIN indexes (migration 0008). Each word of the
query matches either its Russian stem (``russian``) or, as a prefix, the word itself
(``simple``), which serves Kyrgyz, an agglutinative language PostgreSQL has no stemmer for.
SQLite: FTS5 tables kept by triggers; no stemmer there, so a long word is looked up by its
first letters without the last two (a crude stand-in for an ending).

Snippets are made by the database with two private-use characters as highlight marks; the text
is escaped first and only then are the marks turned into ``<mark>``, so no comment can inject
markup.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (ColumnElement, Select, Text, and_, case, cast, column, func, literal_column,
                        or_, select)
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session

from app.models import Clause, Comment, CommentStatus, Draft, Organization, Version
from app.templating import anchor

KINDS = ("draft", "clause", "comment")
START, STOP = "\ue000", "\ue001"
# PostgreSQL's parser takes <...> for markup and leaves it out of a headline: the angle
# brackets go in disguised and come back as text.
LT, GT = "\ue002", "\ue003"
# A draft whose own title or summary matches outranks a clause or comment that matches as well.
KIND_BOOST = {"draft": 2.0, "clause": 1.0, "comment": 1.0}
MAX_TERMS = 8
# Matches are counted up to this many ("1,000+" beyond: as good as an exact number to a
# reader, and the 50 pages of 20 a reader can turn). Up to it every match is fetched and
# ranked; beyond it the newest come first. One query per kind, newest first with a LIMIT, so
# PostgreSQL may answer a common word from the primary key (the first 1,001 matches among the
# newest rows) instead of building the GIN bitmap of all its matches (bench/README.md).
COUNT_CAP = 1_000
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"^[\u0400-\u04ff]+$")


def terms(q: str | None) -> list[str]:
    """The words of a query, lower-cased, at most eight."""
    return [w[:64] for w in _WORD.findall((q or "").lower())][:MAX_TERMS]


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- PostgreSQL ----------------------------------------------------------------------------

def _tsquery(words: Sequence[str]) -> ColumnElement[Any]:
    russian = literal_column("'russian'::regconfig")
    simple = literal_column("'simple'::regconfig")
    query: ColumnElement[Any] | None = None
    for word in words:
        stem_of_word = func.plainto_tsquery(russian, word)
        prefix = func.to_tsquery(simple, word + ":*")
        # A word the Russian stemmer leaves as it is (Kyrgyz, numbers) needs its prefix only:
        # "w | w:*" would read the same index entries twice and double the row estimate that
        # chooses the plan. Constant arguments: PostgreSQL works this out while planning.
        part = case((cast(stem_of_word, Text) == f"'{word}'", prefix),
                    else_=stem_of_word.op("||")(prefix))
        query = part if query is None else query.op("&&")(part)
    assert query is not None
    return query


def _vector(table: str) -> ColumnElement[Any]:
    return literal_column(f"{table}.search_vector")


# --- SQLite --------------------------------------------------------------------------------

def stem(word: str) -> str:
    """A long Cyrillic word without its last two letters: a crude stand-in for an ending
    where no stemmer is at hand (SQLite, keyword alerts)."""
    return word[:-2] if len(word) >= 7 and _CYRILLIC.match(word) else word


def _fts_query(words: Sequence[str]) -> str:
    return " ".join(f'"{stem(word)}"*' for word in words)


FTS = {"draft": ("draft_fts", (10.0, 10.0, 10.0, 3.0, 3.0, 3.0)),
       "clause": ("clause_fts", (5.0, 5.0, 1.0, 1.0)),
       "comment": ("comment_fts", (1.0, 1.0))}


# --- the search ----------------------------------------------------------------------------

@dataclass
class SearchHit:
    kind: str
    id: int
    draft_id: int
    draft_title: dict[str, str | None]
    link: str
    snippet: Markup
    score: float
    clause_key: str | None = None
    receipt: str | None = None


@dataclass
class SearchResult:
    q: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)
    capped: bool = False


def highlight(raw: str | None) -> Markup:
    """A snippet with the database's marks: text escaped, marks made ``<mark>`` (balanced)."""
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{START}{STOP}])", raw or ""):
        if piece == START and not inside:
            out.append("<mark>")
            inside = True
        elif piece == STOP and inside:
            out.append("</mark>")
            inside = False
        elif piece not in (START, STOP):
            out.append(str(escape(piece.replace(LT, "<").replace(GT, ">"))))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


def _base(kind: str) -> tuple[Any, Select[Any]]:
    """The kind's model and its rows joined to their draft (published comments, current
    versions' clauses only)."""
    if kind == "draft":
        return Draft, select(Draft.id.label("id"), Draft.id.label("draft_id")).select_from(Draft)
    if kind == "clause":
        return Clause, (select(Clause.id.label("id"), Draft.id.label("draft_id")).select_from(Clause)
                        .join(Version, Version.id == Clause.version_id)
                        .join(Draft, and_(Draft.id == Version.draft_id,
                                          Draft.current_version == Version.number)))
    return Comment, (select(Comment.id.label("id"), Draft.id.label("draft_id")).select_from(Comment)
                     .join(Draft, Draft.id == Comment.draft_id)
                     .where(Comment.status == CommentStatus.PUBLISHED))


def _filtered(query: Select[Any], organization: str | None, act_type: str | None) -> Select[Any]:
    if organization:
        query = query.where(Draft.organization.has(Organization.slug == organization))
    if act_type:
        query = query.where(Draft.act_type == act_type)
    return query


def _matching(session: Session, kind: str, words: Sequence[str]) -> Select[Any]:
    """The kind's matching rows with a score (higher is better)."""
    model, query = _base(kind)
    if _is_postgres(session):
        tsquery = _tsquery(words)
        vector = _vector(model.__tablename__)
        return (query.add_columns(func.ts_rank_cd(vector, tsquery).label("score"))
                .where(vector.op("@@")(tsquery)))
    fts, weights = FTS[kind]
    table = literal_column(fts)
    fts_table = sa_table(fts, column("rowid"))
    query = (query.add_columns((-func.bm25(table, *weights)).label("score"),
                               func.snippet(table, -1, START, STOP, "…", 24).label("snippet"))
             .join(fts_table, fts_table.c.rowid == model.id)
             .where(table.op("MATCH")(_fts_query(words))))
    return query


def search(*, session: Session, q: str, organization: str | None = None,
           act_type: str | None = None, kind: str | None = None, page: int = 1,
           per_page: int = 20) -> SearchResult:
    """Ranked hits across drafts, clauses and comments, with highlighted snippets."""
    words = terms(q)
    result = SearchResult(q=q, hits=[], total=0, page=page, per_page=per_page)
    if not words:
        return result
    wanted = [kind] if kind in KINDS else list(KINDS)
    rows: list[tuple[str, Any]] = []
    for name in wanted:
        query = _filtered(_matching(session, name, words), organization, act_type)
        found = session.execute(query.order_by(literal_column("id").desc())
                                .limit(max(COUNT_CAP + 1, page * per_page))).all()
        result.capped = result.capped or len(found) > COUNT_CAP
        result.counts[name] = min(len(found), COUNT_CAP)
        if len(found) <= COUNT_CAP:  # every match is here: the best first
            found.sort(key=lambda row: (-float(row.score), -row.id))
        rows.extend((name, row) for row in found[:page * per_page])
    result.total = sum(result.counts.values())
    rows.sort(key=lambda item: (-float(item[1].score) * KIND_BOOST[item[0]], item[0],
                                -item[1].id))
    chosen = rows[(page - 1) * per_page: page * per_page]
    result.hits = _hits(session, chosen, words)
    return result


def _hits(session: Session, chosen: list[tuple[str, Any]], words: Sequence[str]) -> list[SearchHit]:
    by_kind: dict[str, list[int]] = {name: [] for name in KINDS}
    for name, row in chosen:
        by_kind[name].append(row.id)
    drafts = {d.id: d for d in session.scalars(
        select(Draft).where(Draft.id.in_({row.draft_id for _, row in chosen})))}
    clauses = {c.id: c for c in session.scalars(
        select(Clause).where(Clause.id.in_(by_kind["clause"])))}
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(by_kind["comment"])))}
    snippets = (_pg_snippets(session, by_kind, words) if _is_postgres(session)
                else {(name, row.id): row.snippet for name, row in chosen})
    hits = []
    for name, row in chosen:
        draft = drafts[row.draft_id]
        hit = SearchHit(kind=name, id=row.id, draft_id=draft.id, draft_title=draft.title,
                        link=f"/drafts/{draft.id}", score=float(row.score),
                        snippet=highlight(snippets.get((name, row.id))))
        if name == "clause":
            hit.clause_key = clauses[row.id].key
            hit.link += "#" + anchor(hit.clause_key)
        elif name == "comment":
            hit.clause_key = comments[row.id].clause_key
            hit.receipt = comments[row.id].receipt
            hit.link += f"#comment-{row.id}"
        hits.append(hit)
    return hits


_HEADLINE_OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, "
                     "MaxFragments=2, FragmentDelimiter=\" … \"")


def _pg_snippets(session: Session, by_kind: dict[str, list[int]],
                 words: Sequence[str]) -> dict[tuple[str, int], str]:
    tsquery = _tsquery(words)
    sources: dict[str, tuple[Any, ColumnElement[Any]]] = {
        "draft": (Draft, func.concat_ws(" — ", Draft.title_ru, Draft.summary_ru, Draft.title_ky,
                                        Draft.summary_ky, Draft.title_en, Draft.summary_en)),
        "clause": (Clause, func.concat_ws(" ¶ ", Clause.heading_ru, Clause.text_ru,
                                          Clause.heading_ky, Clause.text_ky)),
        "comment": (Comment, func.concat_ws(" ¶ ", Comment.body, Comment.proposed_wording)),
    }
    snippets: dict[tuple[str, int], str] = {}
    for name, ids in by_kind.items():
        if not ids:
            continue
        model, text = sources[name]
        text = func.replace(func.replace(text, "<", LT), ">", GT)
        headline = func.ts_headline(literal_column("'russian'::regconfig"), text, tsquery,
                                    _HEADLINE_OPTIONS)
        for row_id, snippet in session.execute(select(model.id, headline)
                                               .where(model.id.in_(ids))):
            snippets[(name, row_id)] = snippet
    return snippets


def matching_drafts(*, session: Session, q: str) -> ColumnElement[bool] | None:
    """A condition on Draft: its title or summary, or a clause of its current version,
    matches the words of ``q``. None when ``q`` has no words."""
    words = terms(q)
    if not words:
        return None
    own, clauses = (_matching(session, name, words).subquery() for name in ("draft", "clause"))
    return or_(Draft.id.in_(select(own.c.draft_id)), Draft.id.in_(select(clauses.c.draft_id)))
