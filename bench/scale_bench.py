"""Issue 9, scenario 4 ("scale"): 2,000 drafts and 1,000,000 comments, the pages' p50/p95 over
real HTTP against `talkuu serve --workers 2`, and the memory of a 100,000-comment summary export.

    .venv/bin/python bench/scale_bench.py [--drafts 2000] [--comments 1000000] [--big 100000]
        [--rounds 10] [--slow-rounds 3] [--exports csv,docx] [--skip pages,big,exports]
        [--pg-host /tmp/devpg] [--database talkuu_bench9s] [--keep] [--reuse]

Seeding (a database of its own, dropped at the end unless --keep; --reuse measures on the one a
--keep run left):

- eight state bodies, a drafter each, 5,000 citizens (the accounts through the services once,
  the other citizens copied in SQL with the same password hash);
- the template laws published through the services (`drafts.create_draft`: parser, clause
  tree, audit entry): the road-traffic law (293 clauses) and the water code (406) of app/demo,
  and, when the corpus is there (`../shared/corpus`, `TALKUU_CORPUS_DIR`), the family code
  (741), the water code (834) and the Tax Code (5,092);
- the other drafts in SQL, each one version whose clauses are the first N clauses of a template
  (a prefix of a parsed tree is a tree): 88 % of 20-100 clauses, 10 % of 100-400, 2 % of
  400-1,500; titles in Russian (half also in Kyrgyz), act types and bodies mixed;
- statuses (from the periods and the real clock the server reads): 10 % published without a
  round, 30 % under consultation, 20 % closed, 34 % with a published summary, 4 % adopted,
  1 % withdrawn (each with its outcome record); one more, the road-traffic law, with a published
  summary of exactly `--big` comments (all published, all answered);
- the other comments over the drafts that have a round, weight 1/(rank + 5) (a long tail: the
  busiest ~26,000, the median ~170, the least ~90), with `generate_series` in batches of about
  100,000: bodies of 15-17 words from the skewed vocabulary of bench/seeding.py (the tsvector
  columns are generated and their GIN indexes filled as rows go in), 80 % on a clause (early
  clauses more often), 10 % with a proposed wording, 5 % on behalf of an organisation, 1.5 %
  hidden and 0.5 % withdrawn (with their reasons), written within the round's period;
- answers: every published comment of a summary (the summary's entries copy them), half of
  those of closed rounds, a tenth of open ones.  No campaign groups, sketches, supports, flags
  or attachments (the pages load them by comment id; here they find none).

Measuring: the server is `talkuu serve --workers 2` (TALKUU_ENV=development, as bench/load.py
runs it); one client sends the requests one after another (no concurrency: latency, not
throughput), after one untimed pass of each group.  The exports are downloaded from a freshly
started server each, whose worker processes' peak resident memory (VmHWM in /proc) is read
before and after.  Every row carries the 1-minute load average at its start and end.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_bench import QUERIES
from seeding import body_sql, create_database, drop_database, memory, percentile, vocabulary

from tests.processes import free_port, stop, wait_until_answering

BODIES = [  # slug, Russian name, Kyrgyz name, its usual act types
    ("mineconom", "Министерство экономики и коммерции", "Экономика жана коммерция министрлиги",
     ["law", "cabinet_resolution", "ministerial_order"]),
    ("minfin", "Министерство финансов", "Финансы министрлиги",
     ["law", "code", "cabinet_resolution", "ministerial_order"]),
    ("minjust", "Министерство юстиции", "Юстиция министрлиги",
     ["law", "constitutional_law", "code", "presidential_decree"]),
    ("minzdrav", "Министерство здравоохранения", "Саламаттык сактоо министрлиги",
     ["law", "cabinet_resolution", "ministerial_order"]),
    ("minobr", "Министерство образования и науки", "Билим берүү жана илим министрлиги",
     ["law", "cabinet_resolution", "ministerial_order"]),
    ("mintrans", "Министерство транспорта и коммуникаций", "Транспорт жана коммуникациялар "
     "министрлиги", ["law", "code", "cabinet_resolution"]),
    ("minselhoz", "Министерство водных ресурсов, сельского хозяйства и перерабатывающей "
     "промышленности", "Суу ресурстары, айыл чарба жана кайра иштетүү өнөр жайы министрлиги",
     ["law", "code", "cabinet_resolution"]),
    ("bishkek-kenesh", "Бишкекский городской кенеш", "Бишкек шаардык кеңеши",
     ["local_council_resolution"]),
]
TOPICS = [  # (Russian, Kyrgyz) subjects of the titles
    ("О защите прав потребителей", "Керектөөчүлөрдүн укуктарын коргоо жөнүндө"),
    ("О лицензионно-разрешительной системе", "Лицензиялык-уруксат берүү системасы жөнүндө"),
    ("О питьевой воде", "Ичүүчү суу жөнүндө"),
    ("О дорожном движении", "Жол кыймылы жөнүндө"),
    ("О государственных закупках", "Мамлекеттик сатып алуулар жөнүндө"),
    ("Об охране здоровья граждан", "Жарандардын ден соолугун коргоо жөнүндө"),
    ("Об образовании", "Билим берүү жөнүндө"),
    ("О местном самоуправлении", "Жергиликтүү өз алдынча башкаруу жөнүндө"),
    ("О налогах на имущество", "Мүлк салыктары жөнүндө"),
    ("О пастбищах", "Жайыттар жөнүндө"),
    ("О тарифах на электроэнергию", "Электр энергиясына тарифтер жөнүндө"),
    ("О нормативных правовых актах", "Ченемдик укуктук актылар жөнүндө"),
    ("О земле сельскохозяйственного назначения", "Айыл чарба багытындагы жерлер жөнүндө"),
    ("О малом и среднем предпринимательстве", "Чакан жана орто ишкердик жөнүндө"),
    ("О персональных данных", "Жеке маалыматтар жөнүндө"),
    ("О благоустройстве города Бишкек", "Бишкек шаарын көрктөндүрүү жөнүндө"),
]
ACT_WORDS = {"law": "Закон", "code": "Кодекс", "constitutional_law": "Конституционный закон",
             "presidential_decree": "Указ", "cabinet_resolution": "Постановление",
             "ministerial_order": "Приказ", "local_council_resolution": "Решение"}
REASONINGS = [
    "Предложение учтено в новой редакции статьи.",
    "Учтено частично: срок сокращён, но не до предложенного.",
    "Не принято: норма соответствует Конституции и действующему законодательству.",
    "Не принято: предложение выходит за предмет регулирования проекта.",
    "Не принято: предложенная редакция создаёт коррупционные риски.",
    "Не относится к проекту; направлено в уполномоченный орган.",
    "Сунуш эске алынды, берене жаңы редакцияда берилди.",
    "Сунуш кабыл алынган жок: ченем мыйзамга шайкеш келет.",
]
# Decisions in rough proportion: most proposals are rejected, a fifth taken in whole or part.
DECISIONS = (["accepted"] * 3 + ["partially_accepted"] * 2 + ["rejected"] * 12
             + ["not_applicable"] * 3)
FIRST_NAMES = ["Айбек", "Айгуль", "Нурлан", "Жылдыз", "Бакыт", "Гульнара", "Эрмек", "Асель",
               "Тимур", "Чолпон", "Азамат", "Мээрим", "Сергей", "Ольга", "Алексей", "Динара"]
LAST_NAMES = ["Осмонов", "Садыкова", "Токтогулов", "Абдыкадырова", "Иванов", "Мамытова",
              "Жумабеков", "Кадырова", "Петров", "Эсенгулова", "Бекмуратов", "Асанова"]
ON_BEHALF = ["ОО «Союз потребителей»", "Ассоциация предпринимателей", "ОсОО «Тоо-Суу»",
             "Коомдук бирикме «Жарандык демилге»", "Торгово-промышленная палата"]
CITIZENS = 5_000


# --- the plan ---------------------------------------------------------------------------------

@dataclass
class Template:
    name: str
    path: Path
    clauses: int = 0
    version_id: int = 0


@dataclass
class PlannedDraft:
    n: int
    body: int
    act_type: str
    title_ru: str
    title_ky: str | None
    clauses: int
    template: int
    kind: str  # published, open, closed, summary, adopted, withdrawn
    created_at: datetime
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    summary_at: datetime | None = None
    decided_at: datetime | None = None
    comments: int = 0
    role: str | None = None  # big, typical, typical_summary
    extra: dict = field(default_factory=dict)


def templates() -> list[Template]:
    corpus = Path(os.environ.get("TALKUU_CORPUS_DIR", ROOT.parent / "shared" / "corpus")) / "ru"
    found = [Template("road-traffic-law", ROOT / "app" / "demo" / "road-traffic-law.ru.txt"),
             Template("water-code (demo)", ROOT / "app" / "demo" / "water-code.ru.txt")]
    for name in ("family-code", "water-code", "tax-code"):
        if (corpus / f"{name}.txt").exists():
            found.append(Template(name, corpus / f"{name}.txt"))
    return found


def plan(*, drafts: int, comments: int, big: int, sizes: list[int], now: datetime,
         seed: int = 9) -> list[PlannedDraft]:
    """What each draft will be: body, size, template, status and dates, number of comments.
    Drafts 0..len(sizes)-1 are the templates themselves; draft 0 is the big one."""
    rng = random.Random(seed)
    day = timedelta(days=1)
    out: list[PlannedDraft] = []
    largest = max(sizes)
    for n in range(drafts):
        if n < len(sizes):
            clauses, template = sizes[n], n
        else:
            r = rng.random()
            clauses = (rng.randint(20, 100) if r < 0.88 else rng.randint(100, 400) if r < 0.98
                       else rng.randint(400, min(1_500, largest)))
            template = rng.choice([i for i, size in enumerate(sizes) if size >= clauses])
        if n == 0:  # the road-traffic law: the big one
            body, act_type = next(i for i, b in enumerate(BODIES) if b[0] == "mintrans"), "law"
        elif clauses > 400 or n < len(sizes):  # the codes, and long texts
            body = rng.choice([i for i, b in enumerate(BODIES) if "code" in b[3]])
            act_type = "code"
        else:
            body = rng.randrange(len(BODIES))
            act_type = rng.choice(BODIES[body][3])
        ru, ky = TOPICS[3] if n == 0 else rng.choice(TOPICS)
        number = rng.randint(1, 250)
        title_ru = f"{ACT_WORDS[act_type]} «{ru}» (проект № {n + 1}-{number})"
        title_ky = f"«{ky}» долбоору № {n + 1}-{number}" if rng.random() < 0.5 else None
        kind = "summary" if n == 0 else rng.choices(
            ["published", "open", "closed", "summary", "adopted", "withdrawn"],
            [10, 30, 20, 34, 4, 1])[0]
        d = PlannedDraft(n=n, body=body, act_type=act_type, title_ru=title_ru, title_ky=title_ky,
                         clauses=clauses, template=template, kind=kind, created_at=now)
        if kind == "published":
            d.created_at = now - rng.uniform(0, 20) * day
        else:
            if kind == "open":
                d.opens_at = now - rng.uniform(1, 28) * day
            elif kind == "closed":
                d.opens_at = now - rng.uniform(31, 90) * day
            elif n == 0:
                d.opens_at = now - 90 * day
            else:
                d.opens_at = now - rng.uniform(60, 730) * day
            d.closes_at = d.opens_at + 30 * day
            d.created_at = d.opens_at - rng.uniform(0, 10) * day
            if kind in ("summary", "adopted"):
                d.summary_at = d.closes_at + rng.uniform(3, 29) * day
            if kind in ("adopted", "withdrawn"):
                d.decided_at = min(now - day / 24, (d.summary_at or d.closes_at)
                                   + rng.uniform(10, 60) * day)
        out.append(d)
    out[0].role, out[0].comments = "big", big
    # The long tail: the drafts with a round in random order, weight 1/(rank + 5).
    tail = [d for d in out[1:] if d.opens_at is not None]
    rng.shuffle(tail)
    weights = [1 / (rank + 5) for rank in range(1, len(tail) + 1)]
    left = comments - big
    total = sum(weights)
    for d, w in zip(tail, weights, strict=True):
        d.comments = int(left * w / total)
    for d in tail[:left - sum(d.comments for d in tail)]:
        d.comments += 1  # the rounding's remainder, one each to the busiest
    typical = [d for d in tail if d.kind == "open" and 20 <= d.clauses <= 100]
    typical.sort(key=lambda d: d.comments)
    if typical:
        typical[len(typical) // 2].role = "typical"
    summaries = sorted((d for d in tail if d.kind == "summary" and 20 <= d.clauses <= 100),
                       key=lambda d: d.comments)
    if summaries:
        summaries[len(summaries) // 2].role = "typical_summary"
    return out


# --- seeding ----------------------------------------------------------------------------------

def _say(started: float, what: str) -> None:
    print(f"  [{time.perf_counter() - started:6.0f} s] {what}", flush=True)


def seed(*, host: str, name: str, drafts: int, comments: int, big: int) -> float:
    """Create and fill the database; returns the seconds it took."""
    create_database(host, name)
    os.environ["TALKUU_DATABASE_URL"] = f"postgresql+psycopg://postgres@/{name}?host={host}"
    os.environ["TALKUU_ENV"] = "test"
    import psycopg

    from app.cli import migrate
    from app.db import new_session
    from app.models import Role
    from app.services import auth, organizations, parsing
    from app.services import drafts as drafts_service

    started = time.perf_counter()
    migrate()
    now = datetime.now(timezone.utc)
    found = templates()
    with new_session() as session:
        bodies, drafters = [], []
        for slug, name_ru, name_ky, _types in BODIES:
            body = organizations.create_organization(session=session, slug=slug,
                                                     name_ru=name_ru, name_ky=name_ky)
            bodies.append(body)
            drafters.append(auth.create_user(
                session=session, email=f"drafter@{slug}.kg", password="bench-password",
                name=f"Разработчик ({slug})", role=Role.DRAFTER, organization=body,
                verified=True))
        citizen = auth.create_user(session=session, email="citizen0@bench.kg",
                                   password="bench-password", name="Айбек Осмонов",
                                   verified=True)
        session.flush()
        sizes = []
        for template in found:
            text = template.path.read_text(encoding="utf-8")
            sizes.append(len(list(parsing.parse_text(text).iter_clauses())))
        planned = plan(drafts=drafts, comments=comments, big=big, sizes=sizes, now=now)
        for template, size, d in zip(found, sizes, planned, strict=False):
            draft, _ = drafts_service.create_draft(
                session=session, actor=drafters[d.body], organization=bodies[d.body],
                act_type=d.act_type, title={"ru": d.title_ru, "ky": d.title_ky}, summary=None,
                text=drafts_service.VersionText(ru=template.path.read_text(encoding="utf-8")))
            session.flush()
            template.clauses = size
            template.version_id = drafts_service.get_version(session=session, draft=draft).id
            d.extra["draft_id"] = draft.id
        session.commit()
        body_ids = [b.id for b in bodies]
        drafter_ids = [u.id for u in drafters]
        citizen_id = citizen.id
    _say(started, f"migrated; {len(found)} templates published through the services: "
         + ", ".join(f"{t.name} ({t.clauses})" for t in found))
    words = vocabulary()
    with psycopg.connect(host=host, user="postgres", dbname=name) as connection:
        connection.execute("SET maintenance_work_mem = '256MB'")
        connection.execute("SELECT setseed(0.9)")
        connection.execute("""
            INSERT INTO user_account (email, password_hash, name, affiliation, language, role,
                                      is_active, email_verified_at, created_at)
            SELECT 'citizen' || g || '@bench.kg', u.password_hash,
                   (%(first)s::text[])[1 + g %% 16] || ' ' || (%(last)s::text[])[1 + g %% 12],
                   CASE WHEN g %% 20 = 0 THEN 'Кыргызский национальный университет' END,
                   CASE WHEN g %% 3 = 0 THEN 'ky' ELSE 'ru' END, 'citizen', true, u.created_at,
                   u.created_at
            FROM generate_series(1, %(n)s::int - 1) g, user_account u WHERE u.id = %(id)s""",
            {"first": FIRST_NAMES, "last": LAST_NAMES, "n": CITIZENS, "id": citizen_id})
        connection.execute("""
            CREATE TABLE bench_plan (
                n int PRIMARY KEY, draft_id int, version_id int, consultation_id int,
                summary_id int, template_version_id int NOT NULL, is_template bool NOT NULL,
                organization_id int NOT NULL, drafter_id int NOT NULL, act_type text NOT NULL,
                title_ru text NOT NULL, title_ky text, clauses int NOT NULL, kind text NOT NULL,
                created_at timestamptz NOT NULL, opens_at timestamptz, closes_at timestamptz,
                summary_at timestamptz, decided_at timestamptz, comments int NOT NULL,
                comment_offset bigint NOT NULL DEFAULT 0, role text)""")
        with connection.cursor().copy("""
                COPY bench_plan (n, draft_id, template_version_id, is_template, organization_id,
                                 drafter_id, act_type, title_ru, title_ky, clauses, kind,
                                 created_at, opens_at, closes_at, summary_at, decided_at,
                                 comments, role) FROM STDIN""") as copy:
            for d in planned:
                copy.write_row((d.n, d.extra.get("draft_id"), found[d.template].version_id,
                                "draft_id" in d.extra, body_ids[d.body], drafter_ids[d.body],
                                d.act_type, d.title_ru, d.title_ky, d.clauses, d.kind,
                                d.created_at, d.opens_at, d.closes_at, d.summary_at,
                                d.decided_at, d.comments, d.role))
        connection.execute("""
            UPDATE bench_plan p SET comment_offset = o.start FROM (
                SELECT n, sum(comments) OVER (ORDER BY n) - comments AS start FROM bench_plan) o
            WHERE o.n = p.n""")
        # The template drafts: dates, outcome and version id as planned.
        connection.execute("""
            UPDATE draft d SET created_at = p.created_at,
                   outcome = CASE p.kind WHEN 'adopted' THEN 'adopted'
                                         WHEN 'withdrawn' THEN 'withdrawn' ELSE 'pending' END
            FROM bench_plan p WHERE p.draft_id = d.id""")
        connection.execute("""
            UPDATE draft_version v SET created_at = p.created_at FROM bench_plan p
            WHERE p.draft_id = v.draft_id""")
        connection.execute("""
            UPDATE bench_plan SET version_id = template_version_id WHERE is_template""")
        connection.execute("""
            UPDATE bench_plan SET draft_id = nextval(pg_get_serial_sequence('draft', 'id')),
                   version_id = nextval(pg_get_serial_sequence('draft_version', 'id'))
            WHERE NOT is_template""")
        connection.execute("""
            INSERT INTO draft (id, organization_id, act_type, title_ru, title_ky, outcome,
                               current_version, created_by_id, created_at)
            SELECT draft_id, organization_id, act_type, title_ru, title_ky,
                   CASE kind WHEN 'adopted' THEN 'adopted' WHEN 'withdrawn' THEN 'withdrawn'
                             ELSE 'pending' END, 1, drafter_id, created_at
            FROM bench_plan WHERE NOT is_template ORDER BY n""")
        connection.execute("""
            INSERT INTO draft_version (id, draft_id, number, source_ru, created_by_id, created_at)
            SELECT p.version_id, p.draft_id, 1,
                   (SELECT string_agg(concat_ws(' ', c.label_ru, c.heading_ru, c.text_ru), E'\n'
                                      ORDER BY c.position)
                    FROM clause c WHERE c.version_id = p.template_version_id
                                    AND c.position < p.clauses),
                   p.drafter_id, p.created_at
            FROM bench_plan p WHERE NOT p.is_template ORDER BY p.n""")
        connection.commit()
        _say(started, f"{drafts:,} drafts and their versions, {CITIZENS:,} citizens")
        clauses = connection.execute("""
            INSERT INTO clause (version_id, key, parent_key, kind, number, position, depth,
                                label_ru, label_ky, heading_ru, heading_ky, text_ru, text_ky,
                                table_ru, table_ky, note)
            SELECT p.version_id, c.key, c.parent_key, c.kind, c.number, c.position, c.depth,
                   c.label_ru, c.label_ky, c.heading_ru, c.heading_ky, c.text_ru, c.text_ky,
                   c.table_ru, c.table_ky, c.note
            FROM bench_plan p JOIN clause c ON c.version_id = p.template_version_id
                                           AND c.position < p.clauses
            WHERE NOT p.is_template ORDER BY p.n, c.position""").rowcount
        connection.commit()
        _say(started, f"{clauses:,} clauses copied from the templates' trees")
        connection.execute("""
            INSERT INTO consultation (draft_id, version_id, round, opens_at, closes_at,
                                      original_closes_at, created_by_id, created_at)
            SELECT draft_id, version_id, 1, opens_at, closes_at, closes_at, drafter_id,
                   opens_at - interval '1 day'
            FROM bench_plan WHERE opens_at IS NOT NULL ORDER BY n""")
        connection.execute("""
            UPDATE bench_plan p SET consultation_id = c.id FROM consultation c
            WHERE c.draft_id = p.draft_id""")
        connection.execute("""
            INSERT INTO draft_outcome_record (draft_id, outcome, act_reference, act_url, reason,
                                              decided_at, decided_by_id)
            SELECT draft_id, kind,
                   CASE WHEN kind = 'adopted' THEN 'Закон Кыргызской Республики № ' || n END,
                   CASE WHEN kind = 'adopted' THEN 'https://cbd.minjust.gov.kg/act/' || n END,
                   CASE WHEN kind = 'withdrawn' THEN 'Проект отозван разработчиком.' END,
                   decided_at, drafter_id
            FROM bench_plan WHERE kind IN ('adopted', 'withdrawn')""")
        connection.commit()
        # Comments, in batches of consecutive drafts of about 100,000 comments.
        rows = connection.execute(
            "SELECT n, comments FROM bench_plan WHERE comments > 0 ORDER BY n").fetchall()
        batches: list[tuple[int, int]] = []
        size = 0
        for n, count in rows:
            if not batches or size + count > 100_000:
                batches.append((n, n))
                size = 0
            batches[-1] = (batches[-1][0], n)
            size += count
        written = 0
        for low, high in batches:
            written += connection.execute(f"""
                WITH x AS MATERIALIZED (
                    SELECT p.draft_id, p.consultation_id, p.version_id, p.opens_at,
                           least(p.closes_at, now()) AS until, p.comment_offset + k AS g,
                           coalesce(p.role = 'big', false) AS big,
                           floor(random() ^ 2 * p.clauses)::int AS pos,
                           floor(random() ^ 2 * %(citizens)s)::int AS author,
                           random() AS r1, random() AS r2, random() AS r3, random() AS r4
                    FROM bench_plan p CROSS JOIN LATERAL generate_series(1, p.comments) AS k
                    WHERE p.n BETWEEN %(low)s AND %(high)s)
                INSERT INTO comment (receipt, draft_id, consultation_id, version_id,
                                     version_number, clause_id, clause_key, author_id, body,
                                     proposed_wording, on_behalf_of, status, hidden_reason,
                                     withdrawn_reason, withdrawn_at, created_at)
                SELECT 'TK-B-' || x.g, x.draft_id, x.consultation_id, x.version_id, 1,
                       CASE WHEN x.r3 >= 0.2 THEN cl.id END,
                       CASE WHEN x.r3 >= 0.2 THEN cl.key END,
                       %(citizen)s::int + x.author, {body_sql("x.g")},
                       CASE WHEN x.r4 < 0.1
                            THEN 'Изложить в следующей редакции: ' || {body_sql("x.g")} END,
                       CASE WHEN x.r4 > 0.95 THEN (%(behalf)s::text[])[1 + x.g %% 5] END,
                       CASE WHEN x.big OR x.r1 >= 0.02 THEN 'published'
                            WHEN x.r1 < 0.015 THEN 'hidden' ELSE 'withdrawn' END,
                       CASE WHEN NOT x.big AND x.r1 < 0.015
                            THEN 'Оскорбительные выражения в адрес других участников' END,
                       CASE WHEN NOT x.big AND x.r1 >= 0.015 AND x.r1 < 0.02
                            THEN 'Передумал(а), напишу заново' END,
                       CASE WHEN NOT x.big AND x.r1 >= 0.015 AND x.r1 < 0.02
                            THEN least(now(), x.opens_at + x.r2 * (x.until - x.opens_at)
                                              + interval '1 hour') END,
                       x.opens_at + x.r2 * (x.until - x.opens_at)
                FROM x LEFT JOIN clause cl ON cl.version_id = x.version_id
                                          AND cl.position = x.pos
                ORDER BY x.g""",
                {"low": low, "high": high, "citizens": CITIZENS, "citizen": citizen_id,
                 "vocab": words, "size": len(words), "behalf": ON_BEHALF}).rowcount
            # Answers: every published comment of a summary, half of a closed round's, a tenth
            # of an open one's.
            connection.execute("""
                INSERT INTO comment_response (comment_id, decision, reasoning, responder_id,
                                              created_at, updated_at)
                SELECT c.id, (%(decisions)s::text[])[1 + floor(random() * 20)::int],
                       (%(reasonings)s::text[])[1 + floor(random() * 8)::int], p.drafter_id,
                       least(c.created_at + interval '3 days',
                             coalesce(p.summary_at, now()) - interval '1 hour'),
                       least(c.created_at + interval '3 days',
                             coalesce(p.summary_at, now()) - interval '1 hour')
                FROM comment c JOIN bench_plan p ON p.draft_id = c.draft_id
                WHERE p.n BETWEEN %(low)s AND %(high)s AND c.status = 'published'
                  AND (p.summary_at IS NOT NULL
                       OR (p.kind IN ('closed', 'withdrawn') AND c.id %% 2 = 0)
                       OR (p.kind = 'open' AND c.id %% 10 = 0))""",
                {"low": low, "high": high, "decisions": DECISIONS, "reasonings": REASONINGS})
            connection.commit()
            _say(started, f"{written:,} comments and their answers")
        connection.execute("""
            INSERT INTO feedback_summary (draft_id, consultation_id, revision, published_at,
                                          published_by_id)
            SELECT draft_id, consultation_id, 1, summary_at, drafter_id
            FROM bench_plan WHERE summary_at IS NOT NULL ORDER BY n""")
        connection.execute("""
            UPDATE bench_plan p SET summary_id = s.id FROM feedback_summary s
            WHERE s.draft_id = p.draft_id""")
        entries = connection.execute("""
            INSERT INTO feedback_summary_entry (summary_id, comment_id, decision, reasoning)
            SELECT p.summary_id, c.id, r.decision, r.reasoning
            FROM bench_plan p JOIN comment c ON c.draft_id = p.draft_id
                 JOIN comment_response r ON r.comment_id = c.id
            WHERE p.summary_id IS NOT NULL AND c.status = 'published'
            ORDER BY c.id""").rowcount
        connection.commit()
        _say(started, f"{entries:,} summary entries")
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        _say(started, "VACUUM ANALYZE")
    return time.perf_counter() - started


# --- the server -------------------------------------------------------------------------------

def code_version() -> str:
    """The commit a server started now runs, and what under app/ differs from it: other people
    commit to the tree while the bench runs, and each server imports what is on disk."""
    commit = subprocess.run(["git", "log", "-1", "--format=%h %cd", "--date=iso"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = [line for line in subprocess.run(
        ["git", "status", "--porcelain", "--", "app", "migrations"], cwd=ROOT,
        capture_output=True, text=True).stdout.split("\n") if line.strip()]
    return f"commit {commit}" + (f", {len(dirty)} uncommitted under app/: {', '.join(dirty)}"
                                 if dirty else ", app/ as committed")


@dataclass
class Server:
    base: str
    process: subprocess.Popen

    def workers(self) -> list[int]:
        """The pids of the worker processes (children of `talkuu serve`)."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    command = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if (int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid
                        and b"spawn_main" in command):  # not multiprocessing's resource tracker
                    children.append(int(entry.name))
        return children


@contextmanager
def serve(url: str, workers: int = 2):  # noqa: ANN201 - yields a Server
    """`talkuu serve --workers N` on the bench database, as bench/load.py's ``process``."""
    print(f"(server started on {code_version()})", flush=True)
    port = free_port()
    env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
           "PYTHONPATH": str(ROOT)}
    log = tempfile.NamedTemporaryFile(prefix="talkuu-scale-", suffix=".log", delete=False)
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                              "--workers", str(workers)],
                             env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/api/v1/organizations", child, seconds=60,
                             what=f"the server (see {log.name})")
        server = Server(base, child)
        deadline = time.monotonic() + 60
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server
    finally:
        stop(child, 30)
        log.close()
        text = Path(log.name).read_text(errors="replace")
        if "Traceback" in text:
            print(f"server log {log.name}:\n{text[-3000:]}")
        else:
            Path(log.name).unlink(missing_ok=True)


# --- measuring --------------------------------------------------------------------------------

def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@dataclass
class Row:
    what: str
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)
    target: str = "–"
    note: str = ""

    def markdown(self) -> str:
        if self.latencies:
            ms = [s * 1000 for s in self.latencies]
            timing = (f"{percentile(ms, 0.5):,.0f} ms | {percentile(ms, 0.95):,.0f} ms | "
                      f"{max(ms):,.0f} ms")
        else:
            timing = "– | – | –"
        size = ""
        if self.sizes:
            low, high = min(self.sizes), max(self.sizes)
            size = _size(low) if low == high else f"{_size(low)}–{_size(high)}"
        failed = f" ({len(self.failures)} failed: {self.failures[0]})" if self.failures else ""
        return (f"| {self.what} | {timing} | {len(self.latencies)}{failed} | {size} | "
                f"{self.load[0]:.2f}–{self.load[1]:.2f} | {self.target} |"
                + (f" {self.note}" if self.note else ""))


_requests = iter(range(1, 10**9))


def measure(client, what: str, paths: list[str], rounds: int, target: str = "–",  # noqa: ANN001
            warm: bool = True, fresh: bool = True) -> Row:
    """Each path ``rounds`` times, interleaved, after one untimed pass if ``warm``.

    ``fresh``: each request carries a query parameter of its own that no page knows
    (``_bench=N``), so that none is answered from the anonymous page cache (app/pagecache.py,
    which keeps only renderings of known parameters): the figures are the cost of rendering,
    which every visitor after any change anywhere pays (the cache's stamp is the newest audit
    entry).  ``fresh=False`` measures what a repeated anonymous visitor gets."""
    import httpx

    row = Row(what=what, target=target)
    etags = 0
    row.load = (os.getloadavg()[0], 0.0)
    for path in paths if warm else []:
        try:
            client.get(path)
        except httpx.HTTPError:
            pass
    for _ in range(rounds):
        for path in paths:
            if fresh:
                path += f"{'&' if '?' in path else '?'}_bench={next(_requests)}"
            started = time.perf_counter()
            try:
                response = client.get(path)
            except httpx.HTTPError as error:
                row.failures.append(f"{path}: {type(error).__name__}")
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                row.failures.append(f"{path}: {response.status_code}")
                continue
            row.latencies.append(elapsed)
            row.sizes.append(len(response.content))
            etags += "etag" in response.headers
    row.load = (row.load[0], os.getloadavg()[0])
    if not fresh:
        row.note = f"repeated, not made fresh: {etags} of {len(row.latencies)} with an ETag"
    print(row.markdown(), flush=True)
    return row


def export_memory(url: str, path: str, what: str) -> Row:
    """Download ``path`` once from a fresh server; the serving worker's peak RSS."""
    import httpx

    row = Row(what=what, target="– (open data: < 200 MB)")
    with serve(url) as server:
        with httpx.Client(base_url=server.base, timeout=1800) as client:
            for _ in range(4):  # a few small requests: lazy imports, connections
                client.get("/api/v1/organizations")
        before = {pid: memory(pid) for pid in server.workers()}
        row.load = (os.getloadavg()[0], 0.0)
        started = time.perf_counter()
        size = 0
        first_byte = None
        try:
            with httpx.stream("GET", server.base + path, timeout=1800) as response:
                for chunk in response.iter_bytes():
                    if first_byte is None:
                        first_byte = time.perf_counter() - started
                    size += len(chunk)
                status = response.status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        elapsed = time.perf_counter() - started
        row.load = (row.load[0], os.getloadavg()[0])
        after = {pid: memory(pid) for pid in before}
        grown = max(after, key=lambda pid: after[pid]["VmHWM"] - before[pid]["VmHWM"])
        if status == 200:
            row.latencies.append(elapsed)
            row.sizes.append(size)
        else:
            row.failures.append(f"{path}: {status}")
        row.note = (f"first byte after {first_byte or 0:.1f} s; serving worker: RSS "
                    f"{before[grown]['VmRSS']:.0f} MiB before, peak {after[grown]['VmHWM']:.0f}"
                    f" MiB (+{after[grown]['VmHWM'] - before[grown]['VmRSS']:.0f} MiB), "
                    f"{after[grown]['VmRSS']:.0f} MiB after")
    print(row.markdown(), flush=True)
    return row


def quick_pages(client, chosen: dict[str, dict], rounds: int) -> list[Row]:  # noqa: ANN001
    """The list, search, and the typical draft's and summary's pages."""
    typical, summary = chosen["typical"]["id"], chosen["typical_summary"]["id"]
    big = chosen["big"]["id"]
    filters = ["", "?page=2", "?page=50", "?status=under_consultation",
               "?status=summary_published&page=3", f"?organization={chosen['typical']['body']}",
               "?act_type=code", "?q=вода", "?q=потребителей&status=closed"]
    search_rounds = max(1, rounds // 2)
    return [
        measure(client, "GET /api/v1/organizations (the floor: 8 rows, client included)",
                ["/api/v1/organizations"], 3 * rounds),
        measure(client, f"GET /drafts (HTML), {len(filters)} pages and filters",
                [f"/drafts{f}" for f in filters], rounds),
        measure(client, f"GET /api/v1/drafts, the same {len(filters)}",
                [f"/api/v1/drafts{f}" for f in filters], rounds),
        measure(client, f"GET /search?q= (HTML), {len(QUERIES)} queries",
                [f"/search?q={q}" for q in QUERIES], search_rounds, target="p95 < 200 ms"),
        measure(client, f"GET /api/v1/search?q=, {len(QUERIES)} queries",
                [f"/api/v1/search?q={q}" for q in QUERIES], search_rounds,
                target="p95 < 200 ms"),
        measure(client, f"GET /drafts/{typical} (typical: {chosen['typical']['clauses']} "
                f"clauses, {chosen['typical']['comments']:,} comments, open)",
                [f"/drafts/{typical}"], 3 * rounds),
        measure(client, f"GET /drafts/{typical} again and again (anonymous)",
                [f"/drafts/{typical}"], 3 * rounds, fresh=False),
        measure(client, f"GET /drafts/{typical}/comments?clause_key= (its busiest clause, "
                f"{chosen['typical']['on_busiest']} comments)",
                [f"/drafts/{typical}/comments?clause_key={chosen['typical']['busiest']}"],
                rounds),
        measure(client, f"GET /api/v1/drafts/{typical}", [f"/api/v1/drafts/{typical}"], rounds),
        measure(client, f"GET /api/v1/drafts/{big} (the big one)", [f"/api/v1/drafts/{big}"],
                rounds),
        measure(client, f"GET /drafts?page={chosen['big']['list_page']} (the page that lists "
                f"the big one)", [f"/drafts?page={chosen['big']['list_page']}"], rounds),
        measure(client, f"GET /drafts/{summary}/summary (typical summary: "
                f"{chosen['typical_summary']['comments']:,} comments)",
                [f"/drafts/{summary}/summary"], 3 * rounds),
        measure(client, f"GET /api/v1/drafts/{summary}/summary (JSON)",
                [f"/api/v1/drafts/{summary}/summary"], 3 * rounds),
        measure(client, f"GET /api/v1/drafts/{summary}/summary.csv",
                [f"/api/v1/drafts/{summary}/summary.csv"], rounds),
        measure(client, f"GET /api/v1/drafts/{typical}/comments (JSON)",
                [f"/api/v1/drafts/{typical}/comments"], rounds),
    ]


def chosen_drafts(host: str, name: str) -> dict[str, dict]:
    import psycopg

    with psycopg.connect(host=host, user="postgres", dbname=name) as connection:
        cursor = connection.execute("""
            SELECT p.role, p.draft_id, p.clauses, p.kind,
                   (SELECT count(*) FROM comment c WHERE c.draft_id = p.draft_id),
                   (SELECT slug FROM organization o WHERE o.id = p.organization_id)
            FROM bench_plan p WHERE p.role IS NOT NULL""")
        chosen = {role: {"id": draft_id, "clauses": clauses, "kind": kind, "comments": count,
                         "body": slug}
                  for role, draft_id, clauses, kind, count, slug in cursor.fetchall()}
        for facts in chosen.values():
            facts["busiest"], facts["on_busiest"] = connection.execute("""
                SELECT clause_key, count(*) FROM comment
                WHERE draft_id = %s AND clause_key IS NOT NULL
                GROUP BY clause_key ORDER BY 2 DESC LIMIT 1""", (facts["id"],)).fetchone()
            facts["list_page"] = 1 + connection.execute("""
                SELECT count(*) FROM draft d, draft b WHERE b.id = %s
                AND (d.created_at, d.id) > (b.created_at, b.id)""", (facts["id"],)
                ).fetchone()[0] // 20
        return chosen


def database_facts(host: str, name: str) -> str:
    import psycopg

    with psycopg.connect(host=host, user="postgres", dbname=name) as connection:
        counts = connection.execute("""
            SELECT (SELECT count(*) FROM draft), (SELECT count(*) FROM clause),
                   (SELECT count(*) FROM comment), (SELECT count(*) FROM comment_response),
                   (SELECT count(*) FROM feedback_summary_entry),
                   (SELECT count(*) FROM organization), (SELECT count(*) FROM user_account),
                   pg_size_pretty(pg_database_size(current_database())),
                   current_setting('server_version')""").fetchone()
        kinds = connection.execute(
            "SELECT kind, count(*) FROM bench_plan GROUP BY kind ORDER BY 2 DESC").fetchall()
    return (f"{counts[0]:,} drafts ({', '.join(f'{k} {c}' for k, c in kinds)}), "
            f"{counts[1]:,} clauses, {counts[2]:,} comments, {counts[3]:,} answers, "
            f"{counts[4]:,} summary entries, {counts[5]} bodies, {counts[6]:,} accounts; "
            f"database {counts[7]}, PostgreSQL {counts[8]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=2_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=100_000,
                        help="comments of the one draft whose summary is exported")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the quick pages")
    parser.add_argument("--slow-rounds", type=int, default=3,
                        help="rounds of the pages of the big draft")
    parser.add_argument("--exports", default="csv,docx",
                        help="formats of the big summary to download (comma-separated)")
    parser.add_argument("--skip", default="", help="leave out: pages, big (its pages), exports")
    parser.add_argument("--pg-host", default="/tmp/devpg")
    parser.add_argument("--database", default="talkuu_bench9s")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the database a --keep run left, without seeding")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    url = f"postgresql+psycopg://postgres@/{args.database}?host={args.pg_host}"
    print(f"# bench/scale_bench.py {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; {code_version()}",
          flush=True)
    try:
        if args.reuse:
            os.environ["TALKUU_DATABASE_URL"] = url
            os.environ["TALKUU_ENV"] = "test"
        else:
            took = seed(host=args.pg_host, name=args.database, drafts=args.drafts,
                        comments=args.comments, big=args.big)
            print(f"seeding took {took:.0f} s (load average now {os.getloadavg()[0]:.2f})")
        print(database_facts(args.pg_host, args.database))
        chosen = chosen_drafts(args.pg_host, args.database)
        for role, facts in chosen.items():
            print(f"  {role}: draft {facts['id']}, {facts['clauses']} clauses, "
                  f"{facts['comments']:,} comments, {facts['kind']}, {facts['body']}")
        big = chosen["big"]["id"]
        import httpx

        print("\n| what | p50 | p95 | max | n | size | load avg (start–end) | target |\n"
              "|---|---|---|---|---|---|---|---|", flush=True)
        rows: list[Row] = []
        with ExitStack() as stack:
            if not {"pages", "big"} <= skip:  # a server for the pages, if any is measured
                server = stack.enter_context(serve(url))
                client = stack.enter_context(httpx.Client(base_url=server.base, timeout=1800))
            if "pages" not in skip:
                rows += quick_pages(client, chosen, args.rounds)
            if "big" not in skip:
                slow = args.slow_rounds
                rows.append(measure(client, f"GET /drafts/{big} (big: "
                                    f"{chosen['big']['clauses']} clauses, "
                                    f"{chosen['big']['comments']:,} comments)",
                                    [f"/drafts/{big}"], slow, warm=False))
                rows.append(measure(client, f"GET /drafts/{big} again (anonymous)",
                                    [f"/drafts/{big}"], slow, warm=False, fresh=False))
                key, on_key = chosen["big"]["busiest"], chosen["big"]["on_busiest"]
                rows.append(measure(
                    client, f"GET /drafts/{big}/comments?clause_key={key} ({on_key:,} "
                    f"comments, 50 a page): pages 1 and {-(-on_key // 50)}; the draft as a "
                    f"whole, page 1",
                    [f"/drafts/{big}/comments?clause_key={key}",
                     f"/drafts/{big}/comments?clause_key={key}&page={-(-on_key // 50)}",
                     f"/drafts/{big}/comments"], slow))
                rows.append(measure(client, f"GET /drafts/{big}/summary (HTML, big summary)",
                                    [f"/drafts/{big}/summary"], slow, warm=False))
                rows.append(measure(client, f"GET /drafts/{big}/summary?page=500 and "
                                    f"?page=1000 (HTML, big summary; 100 a page since e4f8410)",
                                    [f"/drafts/{big}/summary?page=500",
                                     f"/drafts/{big}/summary?page=1000"], slow, warm=False))
                rows.append(measure(client, f"GET /api/v1/drafts/{big}/summary (JSON, big)",
                                    [f"/api/v1/drafts/{big}/summary"], slow, warm=False))
                rows.append(measure(client, f"GET /api/v1/drafts/{big}/comments (JSON, big)",
                                    [f"/api/v1/drafts/{big}/comments"], slow, warm=False))
        for fmt in [f for f in args.exports.split(",") if f and "exports" not in skip]:
            rows.append(export_memory(url, f"/api/v1/drafts/{big}/summary.{fmt}",
                                      f"GET /api/v1/drafts/{big}/summary.{fmt} (big), "
                                      f"fresh server"))
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            drop_database(args.pg_host, args.database)


if __name__ == "__main__":
    main()
