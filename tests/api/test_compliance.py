"""GET /api/v1/compliance and its violations; a data set of 50 bodies and 2,000 drafts is
read in a fixed number of queries (counted on the engine)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app import clock
from app.db import get_engine
from app.models import (
    Comment, Consultation, Decision, Draft, FeedbackSummary, Organization, Response, Role,
    Version,
)
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from tests.conftest import bishkek, set_clock

TEXT = "Статья 1. Общие положения\n\nНастоящий Закон регулирует отношения.\n"


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def seed(db: Session, *, tag: str, bodies: int, drafts_per_body: int, author_id: int) -> None:
    """Bodies and drafts in bulk, each draft with one round in some state: open, closed and
    overdue, answered and summarised, urgent; some with comments and answers."""
    created = bishkek(2026, 6, 1)
    db.execute(insert(Organization), [
        {"slug": f"{tag}-{i}", "name_ru": f"Орган {i}", "name_ky": f"Орган {i}",
         "created_at": created} for i in range(bodies)])
    org_ids = list(db.scalars(select(Organization.id).where(Organization.slug.like(f"{tag}-%"))))
    db.execute(insert(Draft), [
        {"organization_id": org, "act_type": "law", "title_ru": f"Проект {org}-{n}",
         "outcome": "pending", "current_version": 1, "created_by_id": author_id,
         "created_at": created} for org in org_ids for n in range(drafts_per_body)])
    draft_ids = list(db.scalars(select(Draft.id).where(Draft.organization_id.in_(org_ids))))
    db.execute(insert(Version), [{"draft_id": d, "number": 1, "source_ru": TEXT,
                                  "created_by_id": author_id, "created_at": created}
                                 for d in draft_ids])
    versions = dict(db.execute(select(Version.draft_id, Version.id)
                               .where(Version.draft_id.in_(draft_ids))).tuples().all())
    rounds = []
    for index, draft_id in enumerate(draft_ids):
        opens = bishkek(2026, 7, 1) + timedelta(days=index % 150)
        days = 10 if index % 7 == 0 else 30
        rounds.append({"draft_id": draft_id, "version_id": versions[draft_id], "round": 1,
                       "opens_at": opens, "closes_at": opens + timedelta(days=days),
                       "original_closes_at": opens + timedelta(days=days),
                       "urgent_reason": "Срочно" if days == 10 else None,
                       "created_by_id": author_id, "created_at": opens})
    db.execute(insert(Consultation), rounds)
    consultations = list(db.execute(select(Consultation.id, Consultation.draft_id,
                                           Consultation.version_id, Consultation.closes_at)
                                    .where(Consultation.draft_id.in_(draft_ids))))
    db.execute(insert(FeedbackSummary), [
        {"draft_id": c.draft_id, "consultation_id": c.id, "revision": 1,
         "published_at": c.closes_at + timedelta(days=20 + c.id % 20),
         "published_by_id": author_id} for c in consultations if c.id % 3 == 0])
    db.execute(insert(Comment), [
        {"receipt": f"TK-{tag}-{c.id}-{n}", "draft_id": c.draft_id, "consultation_id": c.id,
         "version_id": c.version_id, "version_number": 1, "author_id": author_id,
         "body": "Замечание", "status": "published", "created_at": c.closes_at - timedelta(days=1)}
        for c in consultations if c.id % 2 == 0 for n in range(2)])
    comment_ids = list(db.scalars(select(Comment.id).where(Comment.receipt.like(f"TK-{tag}-%"))))
    db.execute(insert(Response), [
        {"comment_id": cid, "decision": Decision.ACCEPTED.value if cid % 2 else "rejected",
         "reasoning": "Ответ", "responder_id": author_id, "created_at": created,
         "updated_at": created} for cid in comment_ids if cid % 3 != 1])
    db.commit()


@pytest.fixture
def monitor_headers(make_user, login) -> dict[str, str]:
    return login(make_user(Role.MONITOR))


def _query_count(client: TestClient, path: str, headers: dict[str, str] | None = None) -> int:
    with count_queries() as statements:
        response = client.get(path, headers=headers or {}, follow_redirects=False)
    assert response.status_code == 200, response.text[:500]
    return len(statements)


def test_dashboard_and_api_read_2000_drafts_in_a_fixed_number_of_queries(
        db: Session, client: TestClient, make_user, make_org, sign_in_cookie) -> None:
    author = make_user(Role.DRAFTER, make_org("seed-body", "Орган", "Орган"))
    monitor = make_user(Role.MONITOR)
    seed(db, tag="small", bodies=2, drafts_per_body=3, author_id=author.id)
    clock.set_now(bishkek(2027, 3, 1))
    sign_in_cookie(client, monitor)
    small = {path: _query_count(client, path)
             for path in ("/api/v1/compliance", "/monitor", "/compliance",
                          "/monitor/violations", "/api/v1/compliance/violations")}

    seed(db, tag="large", bodies=47, drafts_per_body=42, author_id=author.id)  # 1,974 drafts
    seed(db, tag="last", bodies=1, drafts_per_body=20, author_id=author.id)
    total = len(list(db.scalars(select(Draft.id))))
    assert total >= 2000
    for path, queries in small.items():
        large = _query_count(client, path)
        assert large == queries, (path, queries, large)
        assert large <= 15, (path, large)
    body = client.get("/api/v1/compliance").json()
    assert len(body["items"]) >= 50 and body["totals"]["drafts"] == total
    assert body["totals"]["urgent"] > 0 and body["totals"]["summaries_overdue"] > 0


@pytest.fixture
def sign_in_cookie(db: Session):
    from app.models import TokenKind
    from app.services import auth as auth_service

    def attach(browser: TestClient, user: Any) -> None:
        raw = auth_service.issue_token(session=db, user=user, kind=TokenKind.SESSION)
        db.commit()
        browser.cookies.set("talkuu_session", raw)
    return attach


@pytest.fixture
def lifecycle(db: Session, make_org, make_user) -> dict[str, Any]:
    body = make_org("minzdrav", "Министерство здравоохранения", "Саламаттык сактоо министрлиги")
    drafter = make_user(Role.DRAFTER, body)
    clock.set_now(bishkek(2026, 11, 30, 9))
    draft, _ = drafts_service.create_draft(
        session=db, actor=drafter, organization=body, act_type="law",
        title={"ru": "О здравоохранении"}, summary=None,
        text=drafts_service.VersionText(ru=TEXT))
    consultations_service.open_consultation(
        session=db, actor=drafter, draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2026, 12, 11), urgent_reason="Эпидемия")
    db.commit()
    clock.set_now(None)
    return {"body": body, "drafter": drafter, "draft": draft}


def _row(client: TestClient, slug: str = "minzdrav", **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/compliance", params=params)
    assert response.status_code == 200, response.text
    (row,) = [i for i in response.json()["items"] if i["organization"]["slug"] == slug]
    return row


def test_compliance_api_follows_the_clock(client: TestClient, lifecycle) -> None:
    # Last day 10 December; the summary is due on 9 January (day 30), overdue from day 31.
    set_clock(client, bishkek(2027, 1, 9, 23, 59))
    row = _row(client)
    assert row["organization"]["name"]["ky"] == "Саламаттык сактоо министрлиги"
    assert (row["drafts"], row["consultations"], row["short_periods"], row["urgent"]) == \
        (1, 1, 1, 1)
    assert row["summaries_overdue"] == 0 and row["share_answered"] is None
    set_clock(client, bishkek(2027, 1, 10))
    row = _row(client)
    assert row["summaries_overdue"] == 1 and row["max_days_overdue"] == 1
    violations = client.get("/api/v1/compliance/violations",
                            params={"organization": "minzdrav", "status": "open"}).json()
    assert [(v["kind"], v["days"]) for v in violations["items"]] == [("summary_overdue", 1)]
    every = client.get("/api/v1/compliance/violations", params={"kind": "urgent_period"}).json()
    assert every["items"][0]["detail"] == "Эпидемия"
    assert every["items"][0]["draft_id"] == lifecycle["draft"].id
    # Filtered to months without the round, nothing is owed.
    assert _row(client, **{"from": "2027-01", "to": "2027-02"})["consultations"] == 0


def test_compliance_api_refuses_bad_filters(client: TestClient, lifecycle) -> None:
    assert client.get("/api/v1/compliance", params={"from": "2027-13"}).status_code == 422
    assert client.get("/api/v1/compliance", params={"from": "soon"}).status_code == 422
    missing = client.get("/api/v1/compliance", params={"organization": "nobody"})
    assert missing.status_code == 404 and missing.json()["error"] == "organization_not_found"
    assert client.get("/api/v1/compliance/violations",
                      params={"kind": "nonsense"}).status_code == 422
