"""Identical and near-identical comments (mass campaigns) gathered into groups.

A comment's text (its body and proposed wording) is normalised (lower case, punctuation
dropped, whitespace collapsed) and cut into word shingles (pairs of neighbouring words).
32 MinHash values of the shingles, in 8 bands of 4, give 8 bucket hashes, stored in
``comment_sketch`` under an index on (consultation_id, band, bucket).  A new comment looks up,
through that index only, a bounded number of comments sharing a bucket with it; those whose
shingles really are similar (Jaccard >= ``THRESHOLD``, or the same normalised text) are its
twins, and it joins their group.  The cost of a submission is therefore a few index lookups
and at most ``BANDS * PER_BUCKET`` comparisons, however many comments the round holds.

Two texts with Jaccard similarity 0.8 share at least one bucket with probability 0.985
(1 - (1 - 0.8^4)^8); in a campaign a newcomer needs to find only one member of the group.

Buckets are computed per clause (the clause key is hashed in), so the same words said about
two different clauses are two different comments, never one group.

Concurrency: the lookup runs in the submitting transaction and sees the comments committed
before it.  Two identical comments grouped at the same instant may not see each other; both
then stay alone until the next similar comment finds both, and every verified twin without a
group is pulled into the group it joins, which heals that case.  The twins' rows are locked and
re-read before they are changed (SELECT ... FOR NO KEY UPDATE, in id order, so two groupings
never wait on each other in opposite orders), so a group set concurrently is joined, not
overwritten.  (Until issue 9 the audit log's lock was taken before grouping and serialised every
submission; it is now taken at commit, see app/services/audit.py.)
"""

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlalchemy.orm import Session

from app import bulk, clock
from app.models import Comment, CommentGroup, CommentSketch, CommentStatus

NUM_HASHES = 32
BANDS = 8
ROWS = NUM_HASHES // BANDS
THRESHOLD = 0.8
PER_BUCKET = 8  # comments read per matching bucket: a campaign of a million reads as few
_PRIME = (1 << 61) - 1  # a Mersenne prime, for the universal hash family a*x + b mod p


def _seeded(i: int, salt: bytes) -> int:
    digest = hashlib.blake2b(salt + i.to_bytes(2, "big"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _PRIME


# Fixed coefficients: the same text gives the same sketch in every process, forever.
_COEFFICIENTS = [(_seeded(i, b"talkuu-minhash-a") or 1, _seeded(i, b"talkuu-minhash-b"))
                 for i in range(NUM_HASHES)]


def normalise(text: str) -> str:
    """Lower case, punctuation and symbols as spaces, invisible characters dropped, spaces
    collapsed: "Против!  Статья 5" and "против статья 5" are the same text."""
    out = []
    for ch in text.casefold():
        category = unicodedata.category(ch)
        if category[0] in "PS":
            out.append(" ")
        elif category == "Cf":  # soft hyphens, zero-width spaces
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def shingles(normalised: str) -> frozenset[str]:
    """Pairs of neighbouring words (a one-word text is its word)."""
    words = normalised.split()
    if len(words) < 2:
        return frozenset(words)
    return frozenset(f"{a} {b}" for a, b in pairwise(words))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def signature(items: Iterable[str]) -> list[int]:
    """The MinHash signature: for each hash function, the least hash of any shingle."""
    bases = [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "big")
             for s in items]
    return [min((a * x + b) % _PRIME for x in bases) for a, b in _COEFFICIENTS]


def buckets(items: frozenset[str], scope: str) -> list[str]:
    """One bucket per band (32 hex characters); ``scope`` keeps clauses apart."""
    values = signature(items)
    result = []
    for band in range(BANDS):
        chunk = ",".join(str(v) for v in values[band * ROWS:(band + 1) * ROWS])
        result.append(hashlib.blake2b(f"{scope}|{band}|{chunk}".encode(),
                                      digest_size=16).hexdigest())
    return result


def comment_text(body: str, proposed_wording: str | None) -> str:
    """What makes two comments the same: what they say and the wording they propose."""
    return "\n".join(part for part in (body, proposed_wording) if part)


_CANDIDATES: dict[int, TextClause] = {}  # number of comments -> statement
# SQLite: a UNION ALL of the ranges.  It allows 500 terms in a compound SELECT: 8 per
# comment, so 32 comments per statement.
_CHUNK = 32


def _candidates_statement(n: int) -> TextClause:
    """The comments sharing a bucket with each of ``n`` comments, in one statement: one
    bounded index range per band and comment (LIMIT without ORDER BY reads only PER_BUCKET
    entries), each row saying which comment (``n``) it was found for.  Written out once per
    number of comments: building it anew for every comment cost more than running it."""
    statement = _CANDIDATES.get(n)
    if statement is None:
        parts = [f"SELECT {i} AS n, comment_id FROM (SELECT comment_id FROM comment_sketch "
                 f"WHERE consultation_id = :consultation{i} AND band = {band} "
                 f"AND bucket = :bucket{i}_{band} LIMIT {PER_BUCKET}) AS found{i}_{band}"
                 for i in range(n) for band in range(BANDS)]
        statement = _CANDIDATES[n] = text(" UNION ALL ".join(parts))
    return statement


_SKETCH_COLUMNS = ("comment_id", "band", "consultation_id", "bucket")
# PostgreSQL: eight rows a comment as one JSON array, one statement (psycopg's executemany
# sends and handles each row on its own: ~0.5 ms a comment in a profile of a batched surge).
_INSERT_SKETCHES = bulk.Insert(CommentSketch.__table__, _SKETCH_COLUMNS)


# PostgreSQL: the buckets as one JSON array, one text for any number of comments
# (app/bulk.py), each bucket's bounded range read by a LATERAL subquery.
_CANDIDATES_RECORDS = text(
    "SELECT u.n, found.comment_id FROM " + bulk.typed_records(
        [("n", "INTEGER"), ("consultation_id", "INTEGER"), ("band", "INTEGER"),
         ("bucket", "VARCHAR(32)")]) + " CROSS JOIN LATERAL (SELECT comment_id FROM comment_sketch "
    "WHERE comment_sketch.consultation_id = u.consultation_id AND comment_sketch.band = u.band "
    f"AND comment_sketch.bucket = u.bucket LIMIT {PER_BUCKET}) AS found")


def _candidate_ids(session: Session, wanted: list[tuple[int, list[str]]]) -> list[set[int]]:
    """For each (consultation id, bucket keys), the ids of comments in the index sharing a
    bucket with them.  On the session's connection: a Core statement needs none of the ORM's
    execution path."""
    found: list[set[int]] = [set() for _ in wanted]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = bulk.plain_rows([
            {"n": n, "consultation_id": consultation_id, "band": band, "bucket": key}
            for n, (consultation_id, keys) in enumerate(wanted) for band, key in enumerate(keys)])
        for n, comment_id in connection.execute(_CANDIDATES_RECORDS, params):
            found[n].add(comment_id)
        return found
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        params: dict[str, object] = {}
        for i, (consultation_id, keys) in enumerate(chunk):
            params[f"consultation{i}"] = consultation_id
            params.update({f"bucket{i}_{band}": key for band, key in enumerate(keys)})
        for n, comment_id in connection.execute(_candidates_statement(len(chunk)), params):
            found[start + n].add(comment_id)
    return found


def _locked(session: Session, ids: Iterable[int]) -> list[Comment]:
    """The comments, locked and re-read, so that a concurrent grouping is seen, not undone."""
    return list(session.scalars(
        select(Comment).where(Comment.id.in_(sorted(set(ids)))).order_by(Comment.id)
        # FOR NO KEY UPDATE: enough to change group_id, and no wait on a flag or support
        # being added to the same comment (those take only a key-share lock on it).
        .with_for_update(key_share=True).execution_options(populate_existing=True)))


@dataclass
class _Indexed:
    comment: Comment
    normal: str
    own: frozenset[str]
    keys: list[str]


def assign_groups(*, session: Session, comments: list[Comment]) -> None:
    """Index the just-inserted ``comments`` and put each, in order, in the group of its twins:
    those the index finds, and the comments before it in ``comments`` (a batch of a surge,
    which the index cannot find yet).  A few statements for the lot."""
    indexed = []
    for comment in comments:
        normal = normalise(comment_text(comment.body, comment.proposed_wording))
        own = shingles(normal)
        if own:
            indexed.append(_Indexed(comment, normal, own,
                                    buckets(own, comment.clause_key or "")))
    if not indexed:
        return
    ours = {item.comment.id for item in indexed}
    found = [ids - ours for ids in _candidate_ids(
        session, [(item.comment.consultation_id, item.keys) for item in indexed])]
    _INSERT_SKETCHES.write(session.connection(), [
        {"comment_id": item.comment.id, "band": band, "bucket": key,
         "consultation_id": item.comment.consultation_id}
        for item in indexed for band, key in enumerate(item.keys)])
    twins_of = _twins(session, indexed, found, _batch_mates(indexed))
    stored = {comment_id for twins in twins_of for comment_id, mate in twins if mate is None}
    locked = {c.id: c for c in _locked(session, stored)} if stored else {}
    for item, twins in zip(indexed, twins_of, strict=True):
        ordered = [mate or locked[comment_id] for comment_id, mate in twins
                   if mate is not None or comment_id in locked]
        if ordered:
            _join(session, item.comment, ordered)
    session.flush()


def _batch_mates(indexed: list[_Indexed]) -> list[list[Comment]]:
    """For each comment, the earlier comments of the batch sharing a bucket with it, as many
    as the index would give."""
    earlier = []
    by_bucket: dict[tuple[int, int, str], list[Comment]] = {}
    for item in indexed:
        mates: dict[int, Comment] = {}
        for band, key in enumerate(item.keys):
            shared = by_bucket.setdefault((item.comment.consultation_id, band, key), [])
            mates.update((c.id, c) for c in shared[:PER_BUCKET])
            shared.append(item.comment)
        earlier.append(list(mates.values()))
    return earlier


def _twins(session: Session, indexed: list[_Indexed], found: list[set[int]],
           mates: list[list[Comment]]) -> list[list[tuple[int, Comment | None]]]:
    """For each comment, its twins, most similar first: (id, None) for one in the index,
    (id, the comment) for a batch mate.  The candidates' texts are read without making mapped
    objects of them: in a campaign most share a bucket without being twins, and each comes up
    for many comments of a batch (each is normalised once)."""
    stored_ids = set().union(*found)
    texts = {row.id: (row.clause_key, row.body, row.proposed_wording)
             for row in session.connection().execute(
                 _CANDIDATE_TEXTS, {"ids": sorted(stored_ids)})} if stored_ids else {}
    texts.update((c.id, (c.clause_key, c.body, c.proposed_wording))
                 for batch in mates for c in batch)
    compared: dict[int, tuple[str, frozenset[str]]] = {}
    twins_of = []
    for item, ids, batch in zip(indexed, found, mates, strict=True):
        candidates = [(i, None) for i in sorted(ids) if i in texts]
        candidates += [(c.id, c) for c in batch]
        twins = []
        for comment_id, mate in candidates:
            clause_key, body, wording = texts[comment_id]
            # A bucket is per clause, yet two clauses' buckets may collide: the clause is
            # checked too.
            if clause_key != item.comment.clause_key:
                continue
            if comment_id not in compared:
                other = normalise(comment_text(body, wording))
                compared[comment_id] = (other, shingles(other))
            other, theirs = compared[comment_id]
            score = 1.0 if other == item.normal else jaccard(item.own, theirs)
            if score >= THRESHOLD:
                twins.append((score, comment_id, mate))
        twins.sort(key=lambda twin: (-twin[0], twin[1]))
        twins_of.append([(comment_id, mate) for _score, comment_id, mate in twins])
    return twins_of


def _join(session: Session, comment: Comment, twins: list[Comment]) -> None:
    """Put ``comment`` and its twins without a group in the group of the first twin that has
    one, or in a new group that the oldest twin stands for (its text came first)."""
    group_id = next((c.group_id for c in twins if c.group_id is not None), None)
    if group_id is None:
        first = min(twins, key=lambda c: (c.created_at, c.id))
        group = CommentGroup(consultation_id=comment.consultation_id,
                             representative_id=first.id, created_at=clock.now())
        session.add(group)
        session.flush()
        group_id = group.id
    comment.group_id = group_id
    for twin in twins:
        if twin.group_id is None:
            twin.group_id = group_id


_CANDIDATE_TEXTS = select(Comment.id, Comment.clause_key, Comment.body,
                          Comment.proposed_wording).where(
    Comment.id.in_(bindparam("ids", expanding=True)),
    Comment.status == CommentStatus.PUBLISHED)


def group_sizes(*, session: Session, group_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """group id -> (number of comments in it, id of its representative)."""
    ids = sorted(set(group_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(CommentGroup.id, CommentGroup.representative_id, func.count(Comment.id))
        .join(Comment, Comment.group_id == CommentGroup.id)
        .where(CommentGroup.id.in_(ids))
        .group_by(CommentGroup.id, CommentGroup.representative_id))
    return {group_id: (size, representative) for group_id, representative, size in rows}
