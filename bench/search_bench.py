"""Full-text search latency over 1 million comments on PostgreSQL (target: p95 under 200 ms).

    .venv/bin/python bench/search_bench.py [--comments 1000000] [--rounds 10]
        [--pg-host /tmp/devpg] [--database talkuu_bench7] [--keep]

Creates a database of its own (dropped at the end unless --keep), migrates it, publishes 100
drafts with open periods through the services, then seeds the comments in SQL
(generate_series; each body 15-17 words drawn with a skewed distribution from a vocabulary of
real Russian and Kyrgyz words and synthetic rare ones, so that some words are in a third of all
comments and most in very few). The tsvector columns and GIN indexes fill as rows go in, as
they would in production. Then it times GET /api/v1/search through the ASGI app in process
(no network) for a mix of queries: inflected Russian words, Kyrgyz words with ң/ө/ү, two-word
queries, rare and very frequent words; and GET /api/v1/drafts?q=.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seeding import body_sql, create_database, drop_database, percentile, vocabulary

QUERIES = ["потребителей", "налоговых", "предпринимателю", "водоснабжения", "лицензий",
           "штрафы", "коррупционных", "мыйзамдын", "өкүлү", "керектөөчүлөрдүн", "мөөнөтү",
           "салыктар", "ишкерлер", "права потребителя", "налог срок", "термин1234",
           "термин19999", "термин77 термин78", "конституции", "предлагаю"]


def seed(*, host: str, name: str, comments: int, drafts: int = 100) -> None:
    """A fresh database ``name`` with ``drafts`` open drafts and ``comments`` comments."""
    create_database(host, name)
    os.environ["TALKUU_DATABASE_URL"] = f"postgresql+psycopg://postgres@/{name}?host={host}"
    os.environ["TALKUU_ENV"] = "test"
    import psycopg

    from app import clock
    from app.cli import migrate
    from app.db import new_session
    from app.models import Role
    from app.services import auth, consultations, organizations
    from app.services import drafts as drafts_service

    law = (ROOT / "tests" / "pages" / "conftest.py").read_text(encoding="utf-8")
    text_ru = law.split('LAW = """', 1)[1].split('"""', 1)[0]
    text_ky = law.split('LAW_KY = """', 1)[1].split('"""', 1)[0]
    migrate()
    started = time.perf_counter()
    with new_session() as session:
        org = organizations.create_organization(session=session, slug="mineconom",
                                                name_ru="Министерство экономики",
                                                name_ky="Экономика министрлиги")
        drafter = auth.create_user(session=session, email="d@bench.kg", password="bench-pass",
                                   name="Drafter", role=Role.DRAFTER, organization=org,
                                   verified=True)
        citizen = auth.create_user(session=session, email="c@bench.kg", password="bench-pass",
                                   name="Citizen", verified=True)
        now = clock.now()
        for n in range(drafts):
            draft, _ = drafts_service.create_draft(
                session=session, actor=drafter, organization=org, act_type="law",
                title={"ru": f"О защите прав потребителей ({n})",
                       "ky": f"Керектөөчүлөрдүн укуктарын коргоо жөнүндө ({n})"},
                summary=None, text=drafts_service.VersionText(ru=text_ru, ky=text_ky))
            consultations.open_consultation(session=session, actor=drafter, draft=draft,
                                            opens_at=now - timedelta(days=1),
                                            closes_at=now + timedelta(days=30))
        session.commit()
        author_id = citizen.id
    words = vocabulary()
    with psycopg.connect(host=host, user="postgres", dbname=name) as connection:
        connection.execute("""
            CREATE TEMP TABLE target AS
            SELECT row_number() OVER (ORDER BY c.id) - 1 AS n, c.draft_id, c.id AS consultation_id,
                   c.version_id FROM consultation c""")
        batch = 100_000
        for start in range(0, comments, batch):
            stop = min(comments, start + batch) - 1
            connection.execute(f"""
                INSERT INTO comment (receipt, draft_id, consultation_id, version_id,
                                     version_number, author_id, body, status, created_at)
                SELECT 'BENCH-' || g, t.draft_id, t.consultation_id, t.version_id, 1, %(author)s::int,
                       {body_sql("g")},
                       'published', now() - make_interval(secs => g)
                FROM generate_series(%(start)s::int, %(stop)s::int) g
                JOIN target t ON t.n = g %% %(drafts)s::int""",
                {"author": author_id, "vocab": words, "size": len(words),
                 "start": start, "stop": stop, "drafts": drafts})
            connection.commit()
            print(f"  seeded {stop + 1:,} comments ({time.perf_counter() - started:.0f} s)",
                  flush=True)
        connection.execute("ANALYZE")
        connection.commit()
    print(f"seeding took {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pg-host", default="/tmp/devpg")
    parser.add_argument("--database", default="talkuu_bench7")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the database a --keep run left, without seeding")
    args = parser.parse_args()
    try:
        if args.reuse:
            os.environ["TALKUU_DATABASE_URL"] = (f"postgresql+psycopg://postgres@/{args.database}"
                                                 f"?host={args.pg_host}")
            os.environ["TALKUU_ENV"] = "test"
        else:
            seed(host=args.pg_host, name=args.database, comments=args.comments)
        from fastapi.testclient import TestClient

        from app.main import create_app

        client = TestClient(create_app())
        timings: dict[str, list[float]] = {"search (all kinds)": [], "search comments only": [],
                                           "drafts ?q=": []}
        slowest: dict[tuple[str, str], float] = {}
        for _round in range(args.rounds):
            for query in QUERIES:
                for name, path, params in (
                        ("search (all kinds)", "/api/v1/search", {"q": query}),
                        ("search comments only", "/api/v1/search",
                         {"q": query, "kind": "comment"}),
                        ("drafts ?q=", "/api/v1/drafts", {"q": query})):
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 200, response.text[:300]
                    timings[name].append(elapsed)
                    slowest[query, name] = max(slowest.get((query, name), 0.0), elapsed)
        counts = {q: client.get("/api/v1/search", params={"q": q, "kind": "comment"}).json()
                  for q in QUERIES}
        print(f"{args.comments:,} comments, {len(QUERIES)} queries x {args.rounds} rounds")
        for name, values in timings.items():
            print(f"{name}: p50 {statistics.median(values) * 1000:.0f} ms, "
                  f"p95 {percentile(values, 0.95) * 1000:.0f} ms, "
                  f"max {max(values) * 1000:.0f} ms (n={len(values)})")
        for query, result in counts.items():
            capped = "+" if result["total_is_lower_bound"] else ""
            print(f"  {query!r}: {result['total']}{capped} comments; slowest: "
                  + ", ".join(f"{name} {slowest[query, name] * 1000:.0f} ms"
                              for name in timings))
    finally:
        if not args.keep:
            drop_database(args.pg_host, args.database)


if __name__ == "__main__":
    main()
