"""Time the import of the Tax Code (1.3 MB, the largest text a body uploads) in every format.

    .venv/bin/python bench/import_bench.py [--repeat 5]

The .txt is the corpus file.  The .docx is built here with python-docx the way Word would hold
it (one paragraph per line, article headings bold with the label and the title in two runs);
the .html is built the way Word's "Save as Web Page" writes it (<p class=MsoNormal>, spans,
&nbsp;).  Building them is not timed; each import (format detection, extraction, parsing) is.
Not run by pytest.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.services.importing import import_document  # noqa: E402
from app.services.parsing import ClauseKind, match_heading, split_paragraphs  # noqa: E402

TARGET_SECONDS = 2.0


def corpus_file(name: str) -> Path:
    beside_repo = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    base = beside_repo if beside_repo.is_dir() else Path(
        os.environ.get("TALKUU_CORPUS_DIR", beside_repo))
    path = base / "ru" / name
    if not path.is_file():
        sys.exit(f"corpus file {path} not found (set TALKUU_CORPUS_DIR)")
    return path


def build_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for para in split_paragraphs(text):
        paragraph = document.add_paragraph()
        heading = match_heading(para)
        if heading is not None:
            label = heading[1]
            paragraph.add_run(label).bold = True
            if para[len(label):]:
                paragraph.add_run(para[len(label):]).bold = True
        else:
            paragraph.add_run(para)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_html(text: str) -> bytes:
    out = ["<html><head><meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">"
           "<style>p.MsoNormal {margin:0cm}</style></head><body lang=RU>"
           "<div class=WordSection1>"]
    for para in split_paragraphs(text):
        escaped = html.escape(para).replace(" ", "&nbsp;", 1)  # as Word writes "Статья&nbsp;1"
        if match_heading(para) is not None:
            out.append(f"<p class=MsoNormal style='text-indent:1.0cm'><b><span>{escaped}"
                       f"</span></b></p>")
        else:
            out.append(f"<p class=MsoNormal style='text-indent:1.0cm'><span lang=RU "
                       f"style='font-size:12.0pt'>{escaped}</span></p>")
    out.append("</div></body></html>")
    return "\n".join(out).encode("utf-8")


def timed(data: bytes, name: str, repeat: int) -> tuple[float, list[float], object]:
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = import_document(data, name)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raw = corpus_file("tax-code.txt").read_bytes()
    text = raw.decode("utf-8")

    started = time.perf_counter()
    docx_data = build_docx(text)
    built_docx = time.perf_counter() - started
    html_data = build_html(text)
    print(f"Tax Code: {len(raw) / 1e6:.2f} MB text, {len(split_paragraphs(text))} paragraphs; "
          f"docx {len(docx_data) / 1e6:.2f} MB (built in {built_docx:.1f} s, not timed), "
          f"html {len(html_data) / 1e6:.2f} MB")
    reference = None
    for name, data in (("tax-code.txt", raw), ("tax-code.docx", docx_data),
                       ("tax-code.html", html_data)):
        median, times, result = timed(data, name, args.repeat)
        articles = sum(1 for c, _, _ in result.document.iter_clauses()
                       if c.kind is ClauseKind.ARTICLE)
        verdict = "ok" if median < TARGET_SECONDS else f"SLOWER than {TARGET_SECONDS} s"
        print(f"  {name:14} median {median:.3f} s (min {min(times):.3f}, max {max(times):.3f}) "
              f"{result.source_format}, {articles} articles, "
              f"{sum(result.report.counts.values()) - result.report.counts['note']} clauses "
              f"- {verdict}")
        if reference is None:
            reference = result.document
        elif result.document.clauses != reference.clauses:
            print(f"  {name}: the tree differs from the .txt import!")


if __name__ == "__main__":
    main()
