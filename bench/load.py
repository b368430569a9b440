"""Surges on real server processes: issue 9's scenarios 1-3 on PostgreSQL, one command.

    TALKUU_BENCH_DATABASE_URL='postgresql+psycopg://postgres@/postgres?host=/tmp/devpg' \\
        .venv/bin/python bench/load.py [--duration 6] [--levels 8,32,64] [--skip 2,3]

The script creates a database of its own on the cluster that URL points at (or, without the
variable, starts a throwaway cluster with initdb, as tests/faults do), migrates and seeds it,
serves it with `talkuu serve --workers 2` and the bare baseline (bench/bare_app.py) with
`uvicorn --workers 2`, runs the scenarios, prints a Markdown table, and drops it all.

1. comment surge: authenticated comments at rising concurrency, accepted/s, p50/p99, and the
   same for the bare endpoint (one INSERT); their ratio; every acknowledged receipt is checked
   in the database.  The per-account comment limit is lifted for this scenario only (every
   submission is still counted), each client has an address of its own (X-Forwarded-For, which
   `talkuu serve` trusts from 127.0.0.1 as it would from the proxy).
2. read flash crowd: the page of a draft with 500 clauses and 5,000 comments, and its Atom
   feed, at 64 concurrent clients.
3. bot burst: 10,000 submissions from one account and address while 120 normal users comment
   every 2.5 s each (``--every``), 48 a second in all (at once every 3 s the burst held ~50 of
   their requests, too few for a p99; one each second per user would pass the comment policy's
   pace of 5 in 10 s); the bot's 429s and the normal users' p99, calm vs during the burst.
   On the comment policy as the migrations ship it.
   With ``--through-nginx`` also a control: the same paced bot sent to a location nginx
   answers 429 by itself, so the app never sees it.

The load generator runs in this one Python process, on uvloop, with the bare keep-alive
HTTP/1.1 client of bench/http1.py (httpx cost ~6 ms of CPU per request and capped the earlier
figures at ~170 requests/s); on a small machine it still competes with the servers for the same
cores, so the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.http1 import Connection  # noqa: E402 - after the path is set
from tests.processes import free_port, stop, wait_until_answering  # noqa: E402

PYTHON = sys.executable
# Scenario 3's control (--through-nginx): the same bot, sent to a location that nginx answers
# 429 by itself (bench/nginx.conf), so that the app never sees it: what the users' p99 does
# then is the machine's doing (the bot's process and nginx on the app's two cores).
REFUSED_BY_NGINX = "/bench/refused-by-nginx"
CLAUSES = 500
PAGE_COMMENTS = 5_000


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    receipts: list[str] = field(default_factory=list)
    nbytes: int = 0
    cpu: float = 0.0  # seconds of CPU of the process that sent the requests (the bot's)

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(seconds)

    def rate(self, status: int) -> float:
        return self.statuses.get(status, 0) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- database and processes ------------------------------------------------------------------

@contextmanager
def bench_database():  # noqa: ANN201 - yields a URL
    """A new database on the configured cluster, or on a throwaway one; dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = os.environ.get("TALKUU_BENCH_DATABASE_URL")
    with ExitStack() as stack:
        if server is None:
            from tests.faults.cluster import require_pg_bin, throwaway_cluster

            cluster = stack.enter_context(throwaway_cluster(require_pg_bin()))
            server = cluster.url("postgres")
        name = f"talkuu_load_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


@contextmanager
def process(command: list[str], url: str, port: int):  # noqa: ANN201 - yields a base URL
    env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
           "PYTHONPATH": str(ROOT)}
    log = tempfile.NamedTemporaryFile(prefix="talkuu-load-", suffix=".log", delete=False)
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/openapi.json", child, seconds=60,
                             what=f"{command} (see {log.name})")
        yield base
    finally:
        stop(child)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def seed(url: str, users: int) -> tuple[int, list[str]]:
    """A draft with CLAUSES articles open for comments, and ``users`` citizens' tokens."""
    os.environ["TALKUU_DATABASE_URL"] = url
    from datetime import timedelta

    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from app import clock
    from app.cli import migrate
    from app.models import Role, TokenKind
    from app.services import auth, consultations, drafts, organizations

    migrate()
    engine = create_engine(url)
    law = "".join(f"Статья {n}. Положение {n}\nТекст статьи {n} о защите прав потребителей.\n"
                  for n in range(1, CLAUSES + 1))
    with Session(engine) as session:
        session.execute(text("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body text, "
                             "created_at timestamptz DEFAULT now())"))
        body = organizations.create_organization(session=session, slug="mineconom",
                                                 name_ru="Министерство экономики",
                                                 name_ky="Экономика министрлиги")
        drafter = auth.create_user(session=session, email="drafter@mineconom.kg",
                                   password="a long enough password", name="Разработчик",
                                   role=Role.DRAFTER, organization=body, verified=True)
        draft, _ = drafts.create_draft(
            session=session, actor=drafter, organization=body, act_type="law",
            title={"ru": "О защите прав потребителей"}, summary=None,
            text=drafts.VersionText(ru=law))
        now = clock.now()
        consultations.open_consultation(session=session, actor=drafter, draft=draft,
                                        opens_at=now - timedelta(hours=1),
                                        closes_at=now + timedelta(days=31))
        tokens = []
        for n in range(users):
            user = auth.create_user(session=session, email=f"citizen{n}@example.kg",
                                    password="a long enough password", name=f"Гражданин {n}",
                                    verified=True)
            tokens.append(auth.issue_token(session=session, user=user, kind=TokenKind.BEARER))
        session.commit()
        draft_id = draft.id
    engine.dispose()
    return draft_id, tokens


_SHIPPED: dict[str, dict[str, int | None]] = {}  # database URL -> the migrations' limits


def comment_policy(url: str, *, lifted: bool) -> None:
    """The "comment" policy lifted (no limit per account, a million per address, in both
    windows: every submission is still counted, none refused; scenario 1 sends more than 600
    from each client's address in a run) or as the migrations ship it (scenario 3); the
    counters are reset."""
    from sqlalchemy import create_engine, text

    columns = ("per_account", "per_address", "burst_per_account", "burst_per_address")
    engine = create_engine(url)
    with engine.begin() as connection:
        if url not in _SHIPPED:
            _SHIPPED[url] = dict(connection.execute(text(
                f"SELECT {', '.join(columns)} FROM rate_limit_policy "
                "WHERE action = 'comment'")).mappings().one())
        values = ({"per_account": None, "per_address": 1_000_000,
                   "burst_per_account": None, "burst_per_address": 1_000_000}
                  if lifted else _SHIPPED[url])
        connection.execute(text(
            f"UPDATE rate_limit_policy SET {', '.join(f'{c} = :{c}' for c in columns)} "
            "WHERE action = 'comment'"), values)
        connection.execute(text("DELETE FROM rate_limit_counter"))
    engine.dispose()


def stored_receipts(url: str, receipts: list[str]) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    found = 0
    with engine.connect() as connection:
        for start in range(0, len(receipts), 1000):
            found += connection.execute(text("SELECT count(*) FROM comment WHERE receipt = "
                                             "ANY(:r)"), {"r": receipts[start:start + 1000]}
                                        ).scalar_one()
    engine.dispose()
    return found


# --- load ------------------------------------------------------------------------------------

def _headers(token: str | None, address: str) -> dict[str, str]:
    headers = {"X-Forwarded-For": address}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _address(base: str) -> tuple[str, int]:
    host, _, port = base.removeprefix("http://").partition(":")
    return host, int(port)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


async def closed_loop(base: str, path: str, clients: int, seconds: float,
                      tokens: list[str] | None = None, post: bool = True) -> Run:
    """``clients`` clients, each sending its next request as soon as the last is answered."""
    result = Run()
    end = time.perf_counter() + seconds

    async def client(n: int) -> None:
        connection = Connection(*_address(base))
        sent = 0
        headers = _headers(tokens[n] if tokens else None, f"10.1.{n // 250}.{n % 250 + 1}")
        if post:
            headers["Content-Type"] = "application/json"
        else:
            headers["Accept-Encoding"] = "gzip"  # as every browser (and httpx) asks
        while time.perf_counter() < end:
            sent += 1
            started = time.perf_counter()
            try:
                if post:
                    status, body = await connection.request("POST", path, headers, _json({
                        "clause_key": f"art-{(n * 31 + sent) % CLAUSES + 1}",
                        "body": f"Замечание {n}-{sent}: уточнить понятие потребителя"}))
                else:
                    status, body = await connection.request("GET", path, headers)
                    result.nbytes = len(body)
            except (OSError, asyncio.IncompleteReadError):
                result.add(0, time.perf_counter() - started)  # 0: connection failed
                continue
            result.add(status, time.perf_counter() - started)
            if status == 201 and b"receipt" in body:
                result.receipts.append(json.loads(body)["receipt"])
        await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    result.elapsed = time.perf_counter() - started
    return result


def _uvloop() -> None:
    """uvloop for the event loops of this process (uvicorn[standard] brings it; without it
    the default loop does)."""
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass


def _bot(base: str, path: str, token: str, submissions: int, seconds: float) -> Run:
    """The bot: ``submissions`` comments over 32 connections, spread evenly over ``seconds``
    (0: each connection sends its next as soon as the last is answered).  Run in a process of
    its own (``bot_burst``)."""
    _uvloop()
    run = Run()
    headers = {**_headers(token, "10.9.9.9"), "Content-Type": "application/json"}

    async def burst() -> None:
        left = iter(range(submissions))
        begun = time.perf_counter()

        async def connection() -> None:
            own = Connection(*_address(base))
            for n in left:
                if seconds:
                    await asyncio.sleep(begun + n * seconds / submissions - time.perf_counter())
                started = time.perf_counter()
                status, _body = await own.request("POST", path, headers, _json({
                    "body": f"Кампания {n}"}))
                run.add(status, time.perf_counter() - started)
            await own.close()
        await asyncio.gather(*(connection() for _ in range(32)))

    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(burst())
    run.elapsed = time.perf_counter() - started
    run.cpu = time.process_time() - cpu
    # Sent back as 1,001 quantiles (what ``row`` reads): the 10,000 latencies themselves,
    # received while the users' requests were still running, stalled the load generator's
    # event loop for ~0.1 s at the burst's end, and the users' latencies measured that.
    ordered = sorted(run.latencies)
    run.latencies = [ordered[round(i * (len(ordered) - 1) / 1000)] for i in range(1001)
                     ] if ordered else []
    return run


async def crowd_reading(base: str, page: str, seconds: float,
                        changes: tuple[str, list[str], float] | None) -> Run:
    """64 clients reading ``page``; with ``changes`` (comment path, tokens, per second),
    comments are posted at that rate meanwhile, each a change of the page."""
    if changes is None:
        return await closed_loop(base, page, 64, seconds, post=False)
    path, tokens, rate = changes

    async def commenter() -> None:
        connection = Connection(*_address(base))
        headers = {**_headers(tokens[0], "10.3.0.1"), "Content-Type": "application/json"}
        begun, n = time.perf_counter(), 0
        while time.perf_counter() - begun < seconds:
            n += 1
            status, body = await connection.request("POST", path, headers, _json({
                "clause_key": f"art-{n % CLAUSES + 1}", "body": f"Замечание во время чтения {n}"}))
            if status != 201:
                raise RuntimeError(f"a comment during the crowd: {status} {body[:200]!r}")
            await asyncio.sleep(max(0.0, begun + n / rate - time.perf_counter()))
        await connection.close()

    crowd, _ = await asyncio.gather(closed_loop(base, page, 64, seconds, post=False),
                                    commenter())
    return crowd


async def bot_burst(base: str, draft_id: int, bot: str, normal: list[str], calm: float,
                    submissions: int, every: float, seconds: float,
                    bot_path: str | None = None) -> tuple[Run, Run, Run]:
    """Normal users comment every ``every`` seconds; after ``calm`` seconds one account and
    address sends ``submissions`` comments over 32 connections (in ``seconds``, or 0: as fast
    as they are answered), to the comment path or to ``bot_path``.  Returns (calm, during, bot).
    The first 2 s of calm are not counted (each process's first requests of a kind).

    The bot runs in a process of its own, as a bot is not the users' browser: on one event
    loop with the users, its thousands of answers a second delayed the reading of theirs, and
    the users' latencies measured the load generator as much as the servers."""
    path = f"/api/v1/drafts/{draft_id}/comments"
    calm_run, burst_run = Run(), Run()
    phase = {"burst": False, "done": False}

    async def user(n: int) -> None:
        connection = Connection(*_address(base))
        headers = {**_headers(normal[n], f"10.2.0.{n + 1}"), "Content-Type": "application/json"}
        await asyncio.sleep(every * n / len(normal))
        sent = 0
        begun = time.perf_counter()
        while not phase["done"]:
            sent += 1
            target = (burst_run if phase["burst"] else
                      calm_run if time.perf_counter() - begun > 2 else Run())
            started = time.perf_counter()
            status, _body = await connection.request("POST", path, headers, _json({
                "body": f"Обычный комментарий {n}-{sent}"}))
            took = time.perf_counter() - started
            target.add(status, took)
            await asyncio.sleep(max(0.0, every - took))
        await connection.close()

    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        await loop.run_in_executor(pool, time.sleep, 0)  # the process started before the calm

        async def bot_loop() -> Run:
            await asyncio.sleep(calm)
            phase["burst"] = True
            try:
                run = await loop.run_in_executor(pool, _bot, base, bot_path or path, bot,
                                                 submissions, seconds)
            finally:
                phase["done"] = True
            return run

        bot_run, *_users = await asyncio.gather(bot_loop(),
                                                *(user(n) for n in range(len(normal))))
    return calm_run, burst_run, bot_run


def row(name: str, run: Run, status: int = 201) -> str:
    other = {k: v for k, v in sorted(run.statuses.items()) if k != status}
    return (f"| {name} | {run.rate(status):,.0f}/s | {run.pct(0.5):.0f} ms | "
            f"{run.pct(0.99):.0f} ms | {run.pct(1.0):.0f} ms | {sum(run.statuses.values()):,} | "
            f"{other or '-'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--levels", default="8,32,64")
    parser.add_argument("--skip", default="", help="scenarios to leave out, e.g. 2,3")
    parser.add_argument("--bot", type=int, default=10_000)
    parser.add_argument("--through-nginx", action="store_true",
                        help="run scenario 3 again through nginx with docs/deploy.md's limit "
                             "(bench/nginx.conf)")
    parser.add_argument("--bot-seconds", type=float, default=4.0,
                        help="scenario 3 is run twice: the bot as fast as it is answered, and "
                             "its submissions spread evenly over this many seconds")
    parser.add_argument("--changes", type=float, default=2.0,
                        help="comments a second while the crowd of scenario 2 reads, last run")
    parser.add_argument("--every", type=float, default=2.5,
                        help="seconds between a normal user's comments in scenario 3 (a "
                             "person may send 5 in 10 s: the comment policy's pace)")
    args = parser.parse_args()
    _uvloop()
    levels = [int(n) for n in args.levels.split(",")]
    skip = set(args.skip.split(","))
    normal_users = 120  # 48 comments a second in all, at --every's default
    print(f"# bench/load.py {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    with bench_database() as url:
        draft_id, tokens = seed(url, max(levels) + normal_users + 1)
        app_port, bare_port = free_port(), free_port()
        serve = [PYTHON, "-m", "app.cli", "serve", "--port", str(app_port), "--workers", "2"]
        bare = [PYTHON, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port),
                "--workers", "2"]
        path = f"/api/v1/drafts/{draft_id}/comments"
        with ExitStack() as stack:
            base = stack.enter_context(process(serve, url, app_port))
            bare_base = stack.enter_context(process(bare, url, bare_port))
            print("\n| run | accepted | p50 | p99 | max | requests | other statuses |\n"
                  "|---|---|---|---|---|---|---|")
            receipts: list[str] = []
            if "1" not in skip:
                comment_policy(url, lifted=True)
                peaks = [0.0, 0.0]
                for clients in levels:
                    comments = asyncio.run(closed_loop(base, path, clients, args.duration,
                                                       tokens))
                    plain = asyncio.run(closed_loop(bare_base, "/bare", clients,
                                                    args.duration))
                    receipts += comments.receipts
                    peaks = [max(peaks[0], comments.rate(201)), max(peaks[1], plain.rate(201))]
                    print(row(f"1. comments, {clients} clients", comments))
                    print(row(f"1. bare insert, {clients} clients", plain))
                    print(f"| 1. ratio at {clients} clients | "
                          f"{comments.rate(201) / max(plain.rate(201), 1e-9):.2f} | | | | | |")
                # The bare endpoint slows down as clients rise (no admission gate: 40 threads
                # per process contend), so the best rate of each is compared too.
                print(f"| 1. ratio of the best rates ({peaks[0]:,.0f}/s vs {peaks[1]:,.0f}/s) | "
                      f"{peaks[0] / max(peaks[1], 1e-9):.2f} | | | | | |")
                found = stored_receipts(url, receipts)
                print(f"| 1. acknowledged receipts stored | {found:,} of {len(receipts):,} "
                      f"({len(set(receipts)):,} distinct) | | | | | |")
            if "2" not in skip:
                comment_policy(url, lifted=True)
                while len(receipts) < PAGE_COMMENTS:
                    receipts += asyncio.run(closed_loop(base, path, 32, 3, tokens)).receipts
                for name, page in (("draft page", f"/drafts/{draft_id}"),
                                   ("Atom feed", f"/drafts/{draft_id}/feed.atom")):
                    # First as the crowd meets it just after the comments (each process renders
                    # it for the first time while its clients wait), then again at once (nothing
                    # changed), then while comments keep coming in (each changes the page).
                    for when in ("cold", "warm", "changing"):
                        crowd = asyncio.run(crowd_reading(
                            base, page, args.duration,
                            (path, tokens, args.changes) if when == "changing" else None))
                        label = (f"while {args.changes:g} comments/s come in"
                                 if when == "changing" else when)
                        print(row(f"2. {name} ({crowd.nbytes / 1e6:.2f} MB), 64 clients, "
                                  f"{label}", crowd, 200))
            if "3" not in skip:
                # (label, where the users and the bot send, the bot's seconds, the bot's path)
                ways = [("", base, 0.0, None), ("", base, args.bot_seconds, None)]
                if args.through_nginx:
                    from tests.servers import nginx_binary, nginx_in_front

                    binary = nginx_binary()
                    if binary is None:
                        raise SystemExit("--through-nginx needs nginx "
                                         "(Debian: apt-get install -y nginx-light)")
                    front = stack.enter_context(nginx_in_front(base, binary))
                    ways += [(" through nginx", front, 0.0, None),
                             (" through nginx", front, args.bot_seconds, None),
                             (" through nginx, control: the bot refused by nginx alone", front,
                              args.bot_seconds, REFUSED_BY_NGINX)]
                for way, front, seconds, bot_path in ways:
                    if seconds:
                        way += f", bot paced over {seconds:g} s"
                    comment_policy(url, lifted=False)
                    calm, during, bot = asyncio.run(bot_burst(
                        front, draft_id, tokens[-1],
                        tokens[max(levels):max(levels) + normal_users],
                        calm=8.0, submissions=args.bot, every=args.every, seconds=seconds,
                        bot_path=bot_path))
                    print(row(f"3{way}. normal users, calm", calm))
                    print(row(f"3{way}. normal users, during the burst", during))
                    print(row(f"3{way}. bot, {args.bot:,} in {bot.elapsed:.1f} s (its own "
                              f"process: {bot.cpu / bot.elapsed:.0%} of a core)", bot, 429))
                    print(f"| 3{way}. normal users' p99, burst / calm | "
                          f"{during.pct(0.99) / max(calm.pct(0.99), 1e-9):.2f} | | | | | |")

if __name__ == "__main__":
    main()
