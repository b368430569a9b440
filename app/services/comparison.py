"""Comparing two stored versions of a draft, and carrying clauses across versions.

Versions never change once published, so a comparison is computed once per pair of versions
and language and then kept in a small in-process cache; so is the chain of key maps that
carries a clause of an early version to the matching clause of a later one (v1 -> v2 -> v3).
A comparison that is not cached costs one query per version: its clauses, loaded at once.
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, VersionNotFound
from app.models import Clause, Draft, Version
from app.services import diffing
from app.services import drafts as drafts_service

_CACHE_SIZE = 32
_CARRIED_SIZE = 128
# A version is known by its id and the moment it was written: an id alone can come back after
# a rolled-back insert (SQLite reuses it), the pair does not.
_Identity = tuple[int, datetime]
_cache: "OrderedDict[tuple[_Identity, _Identity, str], diffing.VersionDiff]" = OrderedDict()
_carried: "OrderedDict[tuple[_Identity, _Identity], dict[str, str]]" = OrderedDict()
_lock = Lock()

_K = TypeVar("_K")
_V = TypeVar("_V")


class _HasLanguages(Protocol):
    @property
    def languages(self) -> Sequence[str]: ...


class _VersionLike(Protocol):  # a Version or a VersionInfo
    id: int
    created_at: datetime


def _identity(version: _VersionLike) -> _Identity:
    return version.id, version.created_at


@dataclass(frozen=True)
class VersionInfo:
    """A version without its source texts (the text of a code is megabytes)."""

    id: int
    number: int
    created_at: datetime
    change_note: str | None
    languages: tuple[str, ...]


def list_versions(*, session: Session, draft: Draft) -> list[VersionInfo]:
    """Every version of ``draft``, oldest first, in one query that leaves the texts behind."""
    rows = session.execute(
        select(Version.id, Version.number, Version.created_at, Version.change_note,
               Version.source_ky.is_not(None), Version.source_ru.is_not(None))
        .where(Version.draft_id == draft.id).order_by(Version.number))
    return [VersionInfo(id=id_, number=number, created_at=created_at, change_note=note,
                        languages=tuple(code for code, present in (("ky", ky), ("ru", ru))
                                        if present))
            for id_, number, created_at, note, ky, ru in rows.tuples()]


def shared_languages(old: _HasLanguages, new: _HasLanguages) -> list[str]:
    """The languages both versions have a text in, Russian first."""
    return [code for code in ("ru", "ky") if code in old.languages and code in new.languages]


def common_language(old: _HasLanguages, new: _HasLanguages, wanted: str | None) -> str:
    """The language to compare in: the one asked for, else Russian, else Kyrgyz."""
    shared = shared_languages(old, new)
    if wanted:
        if wanted not in shared:
            raise InvalidInput("Both versions need a text in this language to be compared.")
        return wanted
    if not shared:
        raise InvalidInput("The two versions have no language in common.")
    return shared[0]


def clear_cache() -> None:
    """Forget every comparison."""
    with _lock:
        _cache.clear()
        _carried.clear()


def _cached(store: "OrderedDict[_K, _V]", key: _K) -> _V | None:
    with _lock:
        value = store.get(key)
        if value is not None:
            store.move_to_end(key)
        return value


def _keep(store: "OrderedDict[_K, _V]", key: _K, value: _V, size: int) -> None:
    with _lock:
        store[key] = value
        while len(store) > size:
            store.popitem(last=False)


class _Snapshots:
    """Each version's clauses loaded at most once per call, whatever the chain asks for."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.loaded: dict[tuple[int, str], list[diffing.ClauseSnapshot]] = {}

    def of(self, version_id: int, language: str) -> list[diffing.ClauseSnapshot]:
        key = (version_id, language)
        if key not in self.loaded:
            clauses = self.session.scalars(select(Clause).where(Clause.version_id == version_id)
                                           .order_by(Clause.position))
            self.loaded[key] = diffing.snapshots_from_clauses(clauses, language)
        return self.loaded[key]


def _diff(snapshots: _Snapshots, old: _VersionLike, new: _VersionLike,
          language: str) -> diffing.VersionDiff:
    key = (_identity(old), _identity(new), language)
    result = _cached(_cache, key)
    if result is None:
        result = diffing.diff_versions(snapshots.of(old.id, language),
                                       snapshots.of(new.id, language))
        _keep(_cache, key, result, _CACHE_SIZE)
    return result


def compare(*, session: Session, draft: Draft, from_number: int | None, to_number: int | None,
            language: str | None = None) -> tuple[Version, Version, str, diffing.VersionDiff]:
    """The clause-by-clause comparison of two versions (by default the last two)."""
    to_number = to_number or draft.current_version
    from_number = from_number or max(1, to_number - 1)
    old = drafts_service.get_version(session=session, draft=draft, number=from_number)
    new = drafts_service.get_version(session=session, draft=draft, number=to_number)
    return old, new, *compare_versions(session=session, old=old, new=new, language=language)


def compare_versions(*, session: Session, old: VersionInfo | Version, new: VersionInfo | Version,
                     language: str | None = None) -> tuple[str, diffing.VersionDiff]:
    """The language compared in and the comparison of two versions already at hand (a page
    with :func:`list_versions` need not load their texts again)."""
    lang = common_language(old, new, language)
    return lang, _diff(_Snapshots(session), old, new, lang)


def _step(snapshots: _Snapshots, old: VersionInfo, new: VersionInfo) -> dict[str, str]:
    """Old key -> new key between two versions that follow each other."""
    shared = shared_languages(old, new)
    if shared:
        return _diff(snapshots, old, new, shared[0]).key_map
    # A Russian-only version followed by a Kyrgyz-only one: nothing to compare the words
    # with, so a clause is only followed where its place (its key) stayed.
    keys = set(snapshots.session.scalars(select(Clause.key).where(Clause.version_id == new.id)))
    return {key: key for key in snapshots.session.scalars(
        select(Clause.key).where(Clause.version_id == old.id)) if key in keys}


def carry_keys(*, session: Session, draft: Draft, from_version: int,
               to_version: int | None = None,
               versions: Sequence[VersionInfo] | None = None) -> dict[str, str]:
    """Key in ``from_version`` -> key of the same clause in ``to_version`` (the current one).

    The key maps of the diff engine are chained through every version in between, so a clause
    renumbered twice is still followed; a clause removed on the way has no entry.  ``versions``
    (from :func:`list_versions`) saves the query when the caller has them already.
    """
    by_number = {v.number: v for v in versions or list_versions(session=session, draft=draft)}
    to_version = to_version or draft.current_version
    if from_version not in by_number or to_version not in by_number:
        raise VersionNotFound()
    if from_version >= to_version:
        raise ValueError("carry_keys goes from an earlier version to a later one")
    target = by_number[to_version]
    known = _cached(_carried, (_identity(by_number[from_version]), _identity(target)))
    if known is not None:
        return known
    chain = sorted(n for n in by_number if from_version <= n <= to_version)
    snapshots = _Snapshots(session)
    # From the target backwards: each version's map is its step composed with the next one's,
    # so carrying the comments of several versions reuses the same links.
    carried: dict[str, str] | None = None  # None: the target itself (every key to itself)
    for before, after in reversed(list(zip(chain, chain[1:]))):
        key = (_identity(by_number[before]), _identity(target))
        found = _cached(_carried, key)
        if found is None:
            step = _step(snapshots, by_number[before], by_number[after])
            found = step if carried is None else {
                old: carried[new] for old, new in step.items() if new in carried}
            _keep(_carried, key, found, _CARRIED_SIZE)
        carried = found
    return carried or {}
