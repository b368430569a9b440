"""Two real server processes on one database: what one process knows, the other knows too.

Receipts stay unique across processes (tests/test_concurrent_comments.py); here: rate limits
are one limit, a browser session started on one process works on the other, and two drafters
publishing the same summary at the same moment, each on a process of its own, give exactly
one publication.
"""

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Comment, FeedbackSummary, Role
from app.services import auth as auth_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from tests.servers import (
    LAW, PASSWORD, bearer_tokens, engine_for, own_database, run, run_async, serving,
    wait_for_a_fresh_window,
)

RACES = 6  # drafts whose summary two drafters publish at once
PACE = 5  # the "comment" policy: at most 5 per account in 10 seconds (and 30 in 10 minutes)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with own_database(tmp_path_factory.mktemp("processes"), "processes") as url:
        run(url, "migrate")
        engine = engine_for(url)
        with Session(engine) as session:
            ministry = organizations_service.create_organization(
                session=session, slug="mineconom", name_ru="Министерство экономики",
                name_ky="Экономика министрлиги")
            drafters = [auth_service.create_user(
                session=session, email=f"drafter{n}@mineconom.kg", password=PASSWORD,
                name=f"Разработчик {n}", role=Role.DRAFTER, organization=ministry,
                verified=True) for n in (1, 2)]
            for email in ("limited@example.kg", "browser@example.kg"):
                auth_service.create_user(session=session, email=email, password=PASSWORD,
                                         name="Айбек Садыров", verified=True)

            def draft_with_round(opens: timedelta, closes: timedelta) -> int:
                draft, _ = drafts_service.create_draft(
                    session=session, actor=drafters[0], organization=ministry, act_type="law",
                    title={"ru": "О защите прав потребителей"}, summary=None,
                    text=drafts_service.VersionText(ru=LAW))
                start = clock.now()
                consultations_service.open_consultation(
                    session=session, actor=drafters[0], draft=draft, opens_at=start + opens,
                    closes_at=start + closes)
                return draft.id

            open_draft = draft_with_round(-timedelta(hours=1), timedelta(days=31))
            # Rounds that ended (and had no comments): their summaries may be published.
            clock.set_now(clock.now() - timedelta(days=60))
            closed = [draft_with_round(timedelta(0), timedelta(days=50)) for _ in range(RACES)]
            clock.set_now(None)
            session.commit()
        with serving(url) as first, serving(url) as second:
            yield {"engine": engine, "bases": (first, second), "open_draft": open_draft,
                   "closed_drafts": closed}
        engine.dispose()


def test_rate_limits_are_one_limit_across_processes(world: dict[str, object]) -> None:
    first, second = world["bases"]  # type: ignore[misc]
    (token,) = run_async(bearer_tokens(first, ["limited@example.kg"]))
    wait_for_a_fresh_window(10, room=5.0)
    statuses = []
    for n in range(PACE + 3):
        base = (first, second)[n % 2]  # alternate between the two processes
        answer = httpx.post(f"{base}/api/v1/drafts/{world['open_draft']}/comments",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"body": f"Замечание {n}"}, timeout=30)
        statuses.append(answer.status_code)
    # Each process alone would have let all 8 through (4 < 5): the count is shared.
    assert statuses == [201] * PACE + [429] * 3
    with Session(world["engine"]) as session:  # type: ignore[arg-type]
        assert session.scalar(select(func.count()).select_from(Comment).where(
            Comment.draft_id == world["open_draft"])) == PACE


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_a_session_started_on_one_process_works_on_the_other(world: dict[str, object]) -> None:
    first, second = world["bases"]  # type: ignore[misc]
    with httpx.Client(base_url=first, timeout=30) as browser:
        token = _csrf(browser.get("/login").text)
        signed_in = browser.post("/login", data={
            "email": "browser@example.kg", "password": PASSWORD, "csrf_token": token,
            "next": "/account"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
        cookies = browser.cookies

    with httpx.Client(base_url=second, timeout=30, cookies=cookies) as browser:
        account = browser.get("/account")
        assert account.status_code == 200 and "Айбек Садыров" in account.text
        # A form from this process, posted with the session of the other one.
        form = browser.get(f"/drafts/{world['open_draft']}/comment?clause_key=art-1")
        posted = browser.post(f"/drafts/{world['open_draft']}/comments", data={
            "csrf_token": _csrf(form.text), "clause_key": "art-1",
            "body": "Комментарий из другого процесса"})
        assert posted.status_code == 303
        assert re.fullmatch(r"/comments/\d+/receipt", posted.headers["location"])
        # Signing out on the second process ends the session on the first as well.
        out = browser.post("/logout", data={"csrf_token": _csrf(account.text)})
        assert out.status_code == 303

    with httpx.Client(base_url=first, timeout=30, cookies=cookies) as browser:
        after = browser.get("/account")
        assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_a_page_each_process_keeps_shows_a_change_made_on_the_other_at_once(
        world: dict[str, object]) -> None:
    """Each process keeps the anonymous draft page and answers it at the door from then on
    (app/pagecache.py, KeptPages: only the stamp is read, in a session of its own); a comment
    made through the other process is on it at the very next reading."""
    first, second = world["bases"]  # type: ignore[misc]
    page = f"/drafts/{world['open_draft']}"
    kept = {base: httpx.get(f"{base}{page}", timeout=30) for base in (first, second)}
    for base, answer in kept.items():
        assert answer.status_code == 200
        again = httpx.get(f"{base}{page}", timeout=30)
        assert again.headers["etag"] == answer.headers["etag"] and again.text == answer.text
    (token,) = run_async(bearer_tokens(first, ["browser@example.kg"]))
    body = "Замечание, которое другой процесс должен показать сразу"
    made = httpx.post(f"{first}/api/v1/drafts/{world['open_draft']}/comments", timeout=30,
                      headers={"Authorization": f"Bearer {token}"},
                      json={"body": body})
    assert made.status_code == 201, made.text
    for base in (second, first):
        after = httpx.get(f"{base}{page}", timeout=30)
        assert after.status_code == 200 and body in after.text
        assert after.headers["etag"] != kept[base].headers["etag"]


async def _publish_at_once(bases: tuple[str, str], tokens: list[str],
                           draft_id: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60) as client:
        start = asyncio.Event()

        async def publish(base: str, token: str) -> httpx.Response:
            await start.wait()
            return await client.post(f"{base}/api/v1/drafts/{draft_id}/summary",
                                     headers={"Authorization": f"Bearer {token}"})
        tasks = [asyncio.create_task(publish(base, token))
                 for base, token in zip(bases, tokens, strict=True)]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))


def test_two_drafters_publishing_at_once_give_one_publication(
        world: dict[str, object]) -> None:
    bases: tuple[str, str] = world["bases"]  # type: ignore[assignment]
    tokens = [run_async(bearer_tokens(base, [f"drafter{n}@mineconom.kg"]))[0]
              for base, n in zip(bases, (1, 2), strict=True)]
    for draft_id in world["closed_drafts"]:  # type: ignore[attr-defined]
        answers = run_async(_publish_at_once(bases, tokens, draft_id))
        assert Counter(a.status_code for a in answers) == {201: 1, 409: 1}, [
            a.text for a in answers]
        (refused,) = [a for a in answers if a.status_code == 409]
        assert refused.json()["error"] == "summary_published"
        with Session(world["engine"]) as session:  # type: ignore[arg-type]
            assert session.scalar(select(func.count()).select_from(FeedbackSummary).where(
                FeedbackSummary.draft_id == draft_id)) == 1
