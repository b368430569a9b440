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
from itertools import pairwise

from sqlalchemy import CompoundSelect, bindparam, func, insert, select, union_all
from sqlalchemy.orm import Session

from app import clock
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


def comment_text(comment: Comment) -> str:
    """What makes two comments the same: what they say and the wording they propose."""
    return "\n".join(part for part in (comment.body, comment.proposed_wording) if part)


def _candidates_statement() -> CompoundSelect:
    # One bounded index range per band: LIMIT without ORDER BY reads only PER_BUCKET entries.
    # Built once with bound parameters: constructing it anew for every comment cost more than
    # running it.
    per_band = [select(CommentSketch.comment_id).where(
        CommentSketch.consultation_id == bindparam("consultation_id"),
        CommentSketch.band == band, CommentSketch.bucket == bindparam(f"bucket{band}"),
    ).limit(PER_BUCKET).subquery() for band in range(BANDS)]
    return union_all(*(select(sub.c.comment_id) for sub in per_band))


_CANDIDATES = _candidates_statement()
_INSERT_SKETCHES = insert(CommentSketch.__table__)


def _candidate_ids(session: Session, consultation_id: int, keys: list[str]) -> set[int]:
    # On the session's connection: a Core statement needs none of the ORM's execution path.
    return set(session.connection().execute(_CANDIDATES, {
        "consultation_id": consultation_id, **{f"bucket{band}": key for band, key in
                                               enumerate(keys)}}).scalars())


def _locked(session: Session, ids: Iterable[int]) -> list[Comment]:
    """The comments, locked and re-read, so that a concurrent grouping is seen, not undone."""
    return list(session.scalars(
        select(Comment).where(Comment.id.in_(sorted(set(ids)))).order_by(Comment.id)
        # FOR NO KEY UPDATE: enough to change group_id, and no wait on a flag or support
        # being added to the same comment (those take only a key-share lock on it).
        .with_for_update(key_share=True).execution_options(populate_existing=True)))


def assign_group(*, session: Session, comment: Comment) -> int | None:
    """Index the just-flushed ``comment`` and put it in the group of its twins, if any (the
    group's id is returned)."""
    normal = normalise(comment_text(comment))
    own = shingles(normal)
    if not own:
        return None
    keys = buckets(own, comment.clause_key or "")
    found = _candidate_ids(session, comment.consultation_id, keys) - {comment.id}
    session.connection().execute(_INSERT_SKETCHES, [
        {"comment_id": comment.id, "band": band, "bucket": key,
         "consultation_id": comment.consultation_id} for band, key in enumerate(keys)])
    if not found:
        return None
    # A bucket is per clause, yet two clauses' buckets may collide: the clause is checked too.
    same_clause = (Comment.clause_key.is_(None) if comment.clause_key is None
                   else Comment.clause_key == comment.clause_key)
    candidates = session.scalars(select(Comment).where(
        Comment.id.in_(found), Comment.status == CommentStatus.PUBLISHED, same_clause))
    twins: list[tuple[float, Comment]] = []
    for candidate in candidates:
        other = normalise(comment_text(candidate))
        score = 1.0 if other == normal else jaccard(own, shingles(other))
        if score >= THRESHOLD:
            twins.append((score, candidate))
    if not twins:
        return None
    twins.sort(key=lambda pair: (-pair[0], pair[1].id))
    locked = _locked(session, [c.id for _score, c in twins])
    by_id = {c.id: c for c in locked}
    ordered = [by_id[c.id] for _score, c in twins if c.id in by_id]
    group_id = next((c.group_id for c in ordered if c.group_id is not None), None)
    if group_id is None:
        # The oldest twin stands for the new group: its text came first.
        first = min(ordered, key=lambda c: (c.created_at, c.id))
        group = CommentGroup(consultation_id=comment.consultation_id,
                             representative_id=first.id, created_at=clock.now())
        session.add(group)
        session.flush()
        group_id = group.id
    comment.group_id = group_id
    for twin in ordered:
        if twin.group_id is None:
            twin.group_id = group_id
    session.flush()
    return group_id


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
