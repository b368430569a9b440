"""The redline page's view of a comparison: rows grouped into runs, long unchanged ones folded."""

from dataclasses import dataclass

from app.services.diffing import ChangeKind, ClauseDiff, VersionDiff
from app.templating import anchor

COLLAPSE_AT = 3  # runs of at least this many unchanged clauses are folded away


@dataclass
class RedlineRow:
    """One clause of the comparison: its words with what was deleted and inserted."""

    row: ClauseDiff
    anchor: str

    @property
    def change(self) -> str:
        return self.row.change.value

    @property
    def depth(self) -> int:
        return min(self.row.depth, 5)

    @property
    def renumbered(self) -> bool:
        return (self.row.change is not ChangeKind.ADDED and self.row.change is not
                ChangeKind.REMOVED and (self.row.from_number or "") != (self.row.number or ""))

    @property
    def old_ops(self) -> list[tuple[int, str]]:
        return [(op, text) for op, text in self.row.ops if op <= 0]

    @property
    def new_ops(self) -> list[tuple[int, str]]:
        return [(op, text) for op, text in self.row.ops if op >= 0]


@dataclass
class RedlineRun:
    """Rows shown together: changed ones in the open, a long unchanged stretch folded."""

    folded: bool
    rows: list[RedlineRow]


@dataclass
class Redline:
    runs: list[RedlineRun]
    counts: dict[str, int]  # added, removed, modified, unchanged, renumbered


def redline(diff: VersionDiff) -> Redline:
    """The comparison's rows grouped for reading, with what changed counted."""
    runs: list[RedlineRun] = []
    quiet: list[RedlineRow] = []

    def flush() -> None:
        if quiet:
            runs.append(RedlineRun(folded=len(quiet) >= COLLAPSE_AT, rows=list(quiet)))
            quiet.clear()

    counts = {**diff.counts, "renumbered": 0}
    for row in diff.clauses:
        view = RedlineRow(row=row, anchor=anchor(row.key) if row.key is not None
                          else "removed-" + anchor(row.from_key or ""))
        counts["renumbered"] += view.renumbered
        # A renumbered clause stays in view: the reader has to see that "article 10" moved.
        if row.change is ChangeKind.UNCHANGED and not view.renumbered:
            quiet.append(view)
            continue
        flush()
        if runs and not runs[-1].folded:
            runs[-1].rows.append(view)
        else:
            runs.append(RedlineRun(folded=False, rows=[view]))
    flush()
    return Redline(runs=runs, counts=counts)
