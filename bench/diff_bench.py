"""Time the comparison of two versions of the Tax Code (the largest text a body uploads).

    .venv/bin/python bench/diff_bench.py [--repeat 5]

Version 2 is the Tax Code with article 200 removed (the following articles renumbered, inserted
ones such as "3651" following their base), several parts reworded and one part added.  A second
case rewords a phrase in every article ("Кыргызской Республики" -> "КР"), so that almost no
article is identical and the alignment works without anchors.  Parsing is timed apart: the API
diffs stored clauses, it does not parse.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.services.diffing import diff_versions, snapshots_from_parsed  # noqa: E402
from app.services.parsing import parse_text  # noqa: E402

TARGET_SECONDS = 3.0
_HEADING = re.compile(r"^Статья (\d+)\.(.*)$")
_CONTAINER = re.compile(r"^(?:РАЗДЕЛ|Раздел|Глава|ГЛАВА|ОБЩАЯ ЧАСТЬ|ОСОБЕННАЯ ЧАСТЬ)\b")


def corpus_file(name: str) -> Path:
    beside_repo = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    base = beside_repo if beside_repo.is_dir() else Path(
        os.environ.get("TALKUU_CORPUS_DIR", beside_repo))
    path = base / "ru" / name
    if not path.is_file():
        sys.exit(f"corpus file {path} not found (set TALKUU_CORPUS_DIR)")
    return path


def remove_article(text: str, number: int) -> str:
    """Drop article `number` and renumber the following base articles (and their inserts)."""
    out: list[str] = []
    base: int | None = None
    skipping = False
    for line in text.split("\n"):
        m = _HEADING.match(line)
        if m:
            raw = m.group(1)
            rest = raw[len(str(base)):] if base is not None and raw.startswith(str(base)) else ""
            if base is not None and int(raw) != base + 1 and rest and len(rest) <= 2 \
                    and rest[0] != "0":
                suffix = rest  # "3651" after 365: inserted article 365-1
            else:
                base, suffix = int(raw), ""
            skipping = base == number and not suffix
            if skipping:
                continue
            shown = base - 1 if base > number else base
            line = f"Статья {shown}{suffix}.{m.group(2)}"
        elif skipping and _CONTAINER.match(line):
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def edit_parts(text: str) -> str:
    """Reword a few parts and add one, as a drafter's second version would."""
    edits = [
        ("налогоплательщик обязан", "налогоплательщик должен", 6),
        ("в течение 30 календарных дней", "в течение 45 календарных дней", 3),
        ("Кабинет Министров", "Кабинет Министров Кыргызской Республики", 2),
    ]
    for old, new, count in edits:
        assert old in text, old
        text = text.replace(old, new, count)
    marker = "2. Налоговое обязательство является денежным обязательством."
    assert marker in text
    return text.replace(marker, marker + "\n\n3. Налоговое обязательство не может быть "
                                          "передано третьему лицу.", 1)


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    source = corpus_file("tax-code.txt").read_text(encoding="utf-8")
    cases = {
        "article 200 removed, parts edited": edit_parts(remove_article(source, 200)),
        "every article reworded": remove_article(source, 200).replace(
            "Кыргызской Республики", "КР"),
    }
    seconds, old_doc = timed(lambda: parse_text(source), args.repeat)
    old = snapshots_from_parsed(old_doc)
    print(f"parse tax-code.txt: {seconds:.3f} s, {len(old)} clauses")
    worst = 0.0
    for name, text in cases.items():
        new = snapshots_from_parsed(parse_text(text))
        seconds, diff = timed(lambda new=new: diff_versions(old, new), args.repeat)
        worst = max(worst, seconds)
        moved = sum(1 for a, b in diff.key_map.items() if a != b)
        print(f"diff ({name}): {seconds:.3f} s median of {args.repeat}; {diff.counts}; "
              f"{moved} keys renumbered; art-201 -> {diff.key_map.get('art-201')}")
    seconds, diff = timed(lambda: diff_versions(old, old), args.repeat)
    print(f"diff (identical): {seconds:.3f} s; {diff.counts}")
    verdict = "OK" if worst < TARGET_SECONDS else "TOO SLOW"
    print(f"worst {worst:.3f} s, target {TARGET_SECONDS:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
