"""PostgreSQL restarts under load: while it is down the app answers 503 (JSON
``database_unavailable`` for the API, an error page for the pages), never a 500, and it
recovers by itself when the database is back (pool_pre_ping).  On a cluster of its own."""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.db import get_engine
from tests.faults.cluster import require_pg_bin, throwaway_cluster
from tests.faults.world import check_nothing_lost_or_half_written
from tests.servers import bearer_tokens, populate, run, run_async, serving

pytestmark = pytest.mark.skipif(get_engine().dialect.name != "postgresql",
                                reason="restarting the database is a PostgreSQL matter")


@dataclass
class Seen:
    phase: str = "up"
    answers: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)
    stop: bool = False


async def _load(base: str, draft_id: int, citizen_tokens: list[str], seen: Seen) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async def client_loop(n: int) -> None:
            sent = 0
            while not seen.stop:
                phase, kind = seen.phase, ("api", "page", "comment")[(n + sent) % 3]
                sent += 1
                if kind == "api":
                    answer = await client.get(f"/api/v1/drafts/{draft_id}")
                elif kind == "page":
                    answer = await client.get(f"/drafts/{draft_id}")
                else:
                    body = f"Замечание {n}-{sent}"
                    answer = await client.post(
                        f"/api/v1/drafts/{draft_id}/comments", json={"body": body},
                        headers={"Authorization": f"Bearer {citizen_tokens[n]}"})
                    if answer.status_code == 201:
                        seen.acknowledged[answer.json()["receipt"]] = body
                error = (answer.json().get("error", "") if answer.headers.get(
                    "content-type", "").startswith("application/json") else "")
                seen.answers.append((phase, kind, answer.status_code,
                                     answer.headers.get("content-type", ""), error))
                await asyncio.sleep(0.02)
        await asyncio.gather(*(client_loop(n) for n in range(len(citizen_tokens))))


def _recovered(seen: Seen) -> bool:
    last = [a for a in seen.answers if a[0] == "back"][-6:]
    return len(last) == 6 and all(a[2] in (200, 201) for a in last)


async def _scenario(cluster, base: str, draft_id: int, citizen_tokens: list[str],  # noqa: ANN001
                    seen: Seen) -> float:
    load = asyncio.create_task(_load(base, draft_id, citizen_tokens, seen))
    await asyncio.sleep(1.5)
    seen.phase = "stopping"
    await asyncio.to_thread(cluster.stop, "fast")
    seen.phase = "down"
    await asyncio.sleep(2.0)
    seen.phase = "starting"
    await asyncio.to_thread(cluster.start)
    seen.phase = "back"
    started = time.monotonic()
    while not _recovered(seen) and time.monotonic() - started < 30:
        await asyncio.sleep(0.1)
    recovery = time.monotonic() - started
    await asyncio.sleep(1.0)
    seen.stop = True
    await load
    return recovery


def test_the_app_answers_503_while_postgres_restarts_and_recovers_by_itself() -> None:
    with throwaway_cluster(require_pg_bin()) as cluster:
        cluster.createdb("talkuu")
        url = cluster.url("talkuu")
        run(url, "migrate")
        draft_id, emails = populate(url, 6)
        # Each citizen here comments every ~60 ms, all from one address, so that writes are in
        # flight when the database goes away: far past the comment policy's pace (5 per
        # account, 60 per address in 10 s), whose refusals (remembered for a moment and given
        # without the database) are not what this test is about.
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE rate_limit_policy SET burst_seconds = NULL "
                                    "WHERE action = 'comment'"))
        engine.dispose()
        with serving(url, "--workers", "2") as base:
            seen = Seen()
            tokens = run_async(bearer_tokens(base, emails))
            recovery = run_async(_scenario(cluster, base, draft_id, tokens, seen))

        statuses = Counter(a[2] for a in seen.answers)
        assert not [a for a in seen.answers if a[2] >= 500 and a[2] != 503], statuses
        down = [a for a in seen.answers if a[0] == "down"]
        assert len(down) > 10 and all(a[2] == 503 for a in down), Counter(a[2] for a in down)
        for _phase, kind, _status, content_type, error in down:
            if kind == "page":
                assert content_type.startswith("text/html")
            else:
                assert error == "database_unavailable"
        assert [a for a in seen.answers if a[0] == "up" and a[2] in (200, 201)]
        assert _recovered(seen), "the app did not recover by itself"
        assert recovery < 30
        check_nothing_lost_or_half_written(url, draft_id, seen.acknowledged)
        assert "audit log intact" in run(url, "audit", "verify").stdout
