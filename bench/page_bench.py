"""Time the draft page of the Tax Code (the largest text a body uploads), end to end.

    .venv/bin/python bench/page_bench.py [--repeat 5] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless a URL is given), publishes the Tax
Code as a draft through the services, opens a period and adds comments, then times through the
ASGI app (no network): the draft page, the version JSON, and publishing the draft itself
(parse + clause insert).  Prints medians; targets from the issue: page under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="talkuu-bench-"))
    os.environ["TALKUU_DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ["TALKUU_ENV"] = "test"

    from fastapi.testclient import TestClient

    from app import clock
    from app.cli import migrate
    from app.db import new_session
    from app.main import create_app
    from app.models import Role
    from app.services import auth, comments, consultations, drafts, organizations

    corpus = Path(os.environ.get("TALKUU_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
    text = (corpus / "ru" / "tax-code.txt").read_text(encoding="utf-8")
    migrate()
    with new_session() as session:
        org = organizations.create_organization(session=session, slug="minfin",
                                                name_ru="Министерство финансов",
                                                name_ky="Финансы министрлиги")
        drafter = auth.create_user(session=session, email="d@bench.kg", password="bench-pass",
                                   name="Drafter", role=Role.DRAFTER, organization=org,
                                   verified=True)
        citizen = auth.create_user(session=session, email="c@bench.kg", password="bench-pass",
                                   name="Citizen", verified=True)
        started = time.perf_counter()
        draft, outcome = drafts.create_draft(
            session=session, actor=drafter, organization=org, act_type="code",
            title="Налоговый кодекс", summary=None, text=drafts.VersionText(ru=text))
        session.flush()
        publish_seconds = time.perf_counter() - started
        now = clock.now()
        consultations.open_consultation(session=session, actor=drafter, draft=draft,
                                        opens_at=now - timedelta(days=1),
                                        closes_at=now + timedelta(days=30))
        keys = [c.key for c in drafts.get_clauses(
            session=session, version=drafts.get_version(session=session, draft=draft))]
        step = max(1, len(keys) // args.comments)
        for i in range(args.comments):
            comments.submit_comment(session=session, author=citizen, draft=draft,
                                    body=f"Замечание {i}", clause_key=keys[(i * step) % len(keys)])
        session.commit()
        draft_id = draft.id
    clauses = sum(outcome.counts.values())

    client = TestClient(create_app())
    timings: dict[str, list[float]] = {"draft page": [], "version JSON": []}
    size = 0
    for _ in range(args.repeat):
        for name, path in (("draft page", f"/drafts/{draft_id}"),
                           ("version JSON", f"/api/v1/drafts/{draft_id}/versions/1")):
            started = time.perf_counter()
            response = client.get(path)
            timings[name].append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:500]
            if name == "draft page":
                size = len(response.content)
    print(f"Tax Code: {clauses} clauses, {args.comments} comments, database "
          f"{os.environ['TALKUU_DATABASE_URL'].split(':')[0]}")
    print(f"publish (parse + insert clauses): {publish_seconds:.2f} s")
    for name, values in timings.items():
        print(f"{name}: median {statistics.median(values):.2f} s "
              f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")
    print(f"draft page size: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
