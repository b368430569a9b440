"""Comments sent at once to two real server processes: every acknowledged one is stored.

The in-process harness serialises requests; only real processes and real connections show
races on receipts, rate-limit counters and transactions.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Comment
from tests.servers import (
    bearer_tokens, engine_for, own_database, populate, run, run_async, serving,
    wait_for_a_fresh_window,
)

CITIZENS = 50


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with own_database(tmp_path_factory.mktemp("concurrency"), "concurrency") as url:
        run(url, "migrate")
        clock.set_now(None)
        draft_id, emails = populate(url, CITIZENS + 1)  # the last one for the burst
        engine = engine_for(url)
        with serving(url, "--workers", "2") as base:
            yield {"url": url, "engine": engine, "base": base, "draft_id": draft_id,
                   "emails": emails}
        engine.dispose()


async def _submit_all(base: str, draft_id: int,
                      jobs: list[tuple[str, str, str]]) -> list[httpx.Response]:
    """POST every (token, body, the sender's address) at the same moment (the server trusts
    X-Forwarded-For from 127.0.0.1, as from the proxy)."""
    limits = httpx.Limits(max_connections=len(jobs), max_keepalive_connections=len(jobs))
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        start = asyncio.Event()

        async def submit(token: str, body: str, address: str) -> httpx.Response:
            await start.wait()
            return await client.post(
                f"/api/v1/drafts/{draft_id}/comments",
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": address},
                json={"clause_key": "art-1/part-1", "body": body})
        tasks = [asyncio.create_task(submit(*job)) for job in jobs]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))


def _stored(world: dict[str, object], receipts: list[str]) -> dict[str, str]:
    with Session(world["engine"]) as session:  # type: ignore[arg-type]
        return dict(session.execute(select(Comment.receipt, Comment.body)
                                    .where(Comment.receipt.in_(receipts))).all())


def test_two_hundred_concurrent_comments_from_fifty_accounts(world: dict[str, object]) -> None:
    emails: list[str] = world["emails"]  # type: ignore[assignment]
    tokens = run_async(bearer_tokens(world["base"], emails[:CITIZENS]))  # type: ignore[arg-type]
    # Each citizen from an address of their own (one address's pace is 60 in 10 s).
    jobs = [(tokens[n % CITIZENS], f"Замечание {n}: уточнить понятие потребителя",
             f"10.1.0.{n % CITIZENS + 1}") for n in range(200)]
    answers = run_async(_submit_all(world["base"], world["draft_id"], jobs))  # type: ignore[arg-type]

    assert Counter(a.status_code for a in answers) == {201: 200}
    receipts = [a.json()["receipt"] for a in answers]
    assert len(set(receipts)) == 200
    stored = _stored(world, receipts)
    assert len(stored) == 200
    for (_token, body, _address), receipt in zip(jobs, receipts, strict=True):
        assert stored[receipt] == body
    with Session(world["engine"]) as session:  # type: ignore[arg-type]
        assert session.scalar(select(func.count()).select_from(Comment)
                              .where(Comment.draft_id == world["draft_id"])) >= 200
        # Written in batches (app/api/comment_intake.py): the comments of a batch share the
        # moment of its one transaction, so fewer moments than comments.
        moments = session.scalar(select(func.count(func.distinct(Comment.created_at)))
                                 .where(Comment.receipt.in_(receipts)))
        assert moments < 200


def test_a_burst_over_the_limit_gets_429_and_loses_nothing_accepted(
        world: dict[str, object]) -> None:
    # One account sends 60 at once: twice its allowance (30 in 10 minutes), twelve times its
    # pace (5 in 10 seconds).
    emails: list[str] = world["emails"]  # type: ignore[assignment]
    (token,) = run_async(bearer_tokens(world["base"], emails[-1:]))  # type: ignore[arg-type]
    with Session(world["engine"]) as session:  # type: ignore[arg-type]
        before = session.scalar(select(func.count()).select_from(Comment))
    jobs = [(token, f"Кампания {n}", "10.1.9.9") for n in range(60)]
    wait_for_a_fresh_window(10, room=5.0)
    answers = run_async(_submit_all(world["base"], world["draft_id"], jobs))  # type: ignore[arg-type]

    assert Counter(a.status_code for a in answers) == {201: 5, 429: 55}
    refused = [a for a in answers if a.status_code == 429]
    assert all(a.json()["error"] == "rate_limited" and int(a.headers["retry-after"]) > 0
               for a in refused)
    receipts = [a.json()["receipt"] for a in answers if a.status_code == 201]
    assert len(_stored(world, receipts)) == len(receipts)
    with Session(world["engine"]) as session:  # type: ignore[arg-type]
        after = session.scalar(select(func.count()).select_from(Comment))
    # Nothing refused was half-written, nothing accepted is missing.
    assert after - before == len(receipts)
