"""Where the real legal texts are: ../shared/corpus beside the repository (as in CI), or
wherever TALKUU_CORPUS_DIR points. Tests fail rather than skip without them: a skipped corpus
test would hide a broken parser, import or comparison."""

import os
from pathlib import Path

_BESIDE_REPO = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_dir() -> Path:
    configured = os.environ.get("TALKUU_CORPUS_DIR")
    return Path(configured) if configured else _BESIDE_REPO


def corpus_file(name: str) -> Path:
    """A corpus file by its path inside the corpus ("ru/tax-code.txt", "html/kg/...")."""
    path = corpus_dir() / name
    assert path.is_file(), f"corpus file {path} not found (set TALKUU_CORPUS_DIR)"
    return path


def read_corpus(name: str) -> str:
    """The text of a Russian corpus file ("road-traffic-law.txt")."""
    return corpus_file(f"ru/{name}").read_text(encoding="utf-8")
