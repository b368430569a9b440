"""Comparing two stored versions of a draft, and carrying clauses across versions.

Versions never change once published, so a comparison is computed once per pair of versions
and language and then kept in a small in-process cache.
"""

from collections import OrderedDict
from threading import Lock

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Draft, Version
from app.services import diffing
from app.services import drafts as drafts_service

_CACHE_SIZE = 32
_cache: "OrderedDict[tuple[int, int, str], diffing.VersionDiff]" = OrderedDict()
_lock = Lock()


def common_language(old: Version, new: Version, wanted: str | None) -> str:
    """The language to compare in: the one asked for, else Russian, else Kyrgyz."""
    shared = [code for code in ("ru", "ky") if code in old.languages and code in new.languages]
    if wanted:
        if wanted not in shared:
            raise InvalidInput("Both versions need a text in this language to be compared.")
        return wanted
    if not shared:
        raise InvalidInput("The two versions have no language in common.")
    return shared[0]


def compare(*, session: Session, draft: Draft, from_number: int | None, to_number: int | None,
            language: str | None = None) -> tuple[Version, Version, str, diffing.VersionDiff]:
    """The clause-by-clause comparison of two versions (by default the last two)."""
    to_number = to_number or draft.current_version
    from_number = from_number or max(1, to_number - 1)
    old = drafts_service.get_version(session=session, draft=draft, number=from_number)
    new = drafts_service.get_version(session=session, draft=draft, number=to_number)
    lang = common_language(old, new, language)
    key = (old.id, new.id, lang)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return old, new, lang, cached
    result = diffing.diff_versions(
        diffing.snapshots_from_clauses(drafts_service.get_clauses(session=session, version=old),
                                       lang),
        diffing.snapshots_from_clauses(drafts_service.get_clauses(session=session, version=new),
                                       lang))
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return old, new, lang, result
