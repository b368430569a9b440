"""The whole consultation loop through the JSON API, with the status codes of API.md."""

import pytest

from app.models import Role
from tests.conftest import bishkek, set_clock

LAW = """Настоящий Закон регулирует отношения в области защиты прав потребителей.

Статья 1. Основные понятия

1. В настоящем Законе используются следующие понятия:

1) потребитель - гражданин, имеющий намерение заказать или приобрести товары;

2) изготовитель - организация, производящая товары для реализации потребителям.

2. Иные понятия применяются в значениях, определенных законодательством.

Статья 2. Сфера действия

Настоящий Закон применяется ко всем потребителям.

Статья 3. Вступление в силу

Настоящий Закон вступает в силу со дня официального опубликования.
"""


@pytest.fixture
def world(make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    other = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    people = {
        "drafter": make_user(Role.DRAFTER, ministry),
        "other_drafter": make_user(Role.DRAFTER, other),
        "moderator": make_user(Role.MODERATOR, ministry),
        "citizen": make_user(Role.CITIZEN),
        "monitor": make_user(Role.MONITOR),
    }
    world = {"ministry": ministry, **{k: login(v) for k, v in people.items()}}

    def sign_in_again() -> None:
        # Tokens expire by the application's clock, so after a jump of weeks, sign in again.
        world.update({k: login(v) for k, v in people.items()})

    world["sign_in_again"] = sign_in_again
    return world


def create_draft(client, headers, **overrides):
    payload = {"organization": "mineconom", "act_type": "law",
               "title": {"ru": "О защите прав потребителей", "ky": "Керектөөчүлөрдүн укуктарын коргоо жөнүндө"},
               "text": {"ru": LAW}}
    payload.update(overrides)
    return client.post("/api/v1/drafts", json=payload, headers=headers)


def test_whole_loop(client, world):
    set_clock(client, bishkek(2026, 12, 1, 9))
    created = create_draft(client, world["drafter"])
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "published"
    assert draft["current_version"] == 1
    assert draft["parse_report"]["counts"]["article"] == 3
    draft_id = draft["id"]

    version = client.get(f"/api/v1/drafts/{draft_id}/versions/1").json()
    keys = [c["key"] for c in version["clauses"]]
    assert "art-1" in keys
    article1 = next(c for c in version["clauses"] if c["key"] == "art-1")
    assert article1["kind"] == "article" and article1["heading"] == "Основные понятия"
    assert [c["key"] for c in article1["children"]] == ["art-1/part-1", "art-1/part-2"]

    # A period shorter than 30 days needs the urgent procedure.
    too_short = client.post(f"/api/v1/drafts/{draft_id}/consultation", headers=world["drafter"],
                            json={"opens_at": bishkek(2026, 12, 1).isoformat(),
                                  "closes_at": bishkek(2026, 12, 20).isoformat()})
    assert too_short.status_code == 422
    assert too_short.json()["error"] == "period_too_short"

    foreign = client.post(f"/api/v1/drafts/{draft_id}/consultation",
                          headers=world["other_drafter"],
                          json={"opens_at": bishkek(2026, 12, 1).isoformat(),
                                "closes_at": bishkek(2027, 1, 1).isoformat()})
    assert foreign.status_code == 403

    opened = client.post(f"/api/v1/drafts/{draft_id}/consultation", headers=world["drafter"],
                         json={"opens_at": bishkek(2026, 12, 1).isoformat(),
                               "closes_at": bishkek(2027, 1, 1).isoformat()})
    assert opened.status_code == 201, opened.text
    assert opened.json()["status"] == "under_consultation"
    assert opened.json()["consultation"]["closes_at"] == "2027-01-01T00:00:00+06:00"

    anonymous = client.post(f"/api/v1/drafts/{draft_id}/comments",
                            json={"clause_key": "art-1", "body": "Без входа"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "not_authenticated"

    unknown = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=world["citizen"],
                          json={"clause_key": "art-99", "body": "Нет такой статьи"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "clause_not_found"

    comment = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=world["citizen"],
                          json={"clause_key": "art-1/part-1", "body": "Уточните понятие",
                                "proposed_wording": "потребитель - физическое лицо",
                                "on_behalf_of": "ОО «Защита потребителей»"})
    assert comment.status_code == 201, comment.text
    receipt = comment.json()["receipt"]
    assert receipt.startswith("TK-26-") and comment.json()["status"] == "published"
    comment_id = comment.json()["id"]

    # Publishing while the period is open is refused.
    early = client.post(f"/api/v1/drafts/{draft_id}/summary", headers=world["drafter"])
    assert early.status_code == 409 and early.json()["error"] == "consultation_open"

    extended = client.post(f"/api/v1/drafts/{draft_id}/consultation/extend",
                           headers=world["drafter"],
                           json={"closes_at": bishkek(2027, 1, 10).isoformat(),
                                 "reason": "Много обращений"})
    assert extended.status_code == 200, extended.text
    assert extended.json()["consultation"]["extensions"][0]["reason"] == "Много обращений"
    shortened = client.post(f"/api/v1/drafts/{draft_id}/consultation/extend",
                            headers=world["drafter"],
                            json={"closes_at": bishkek(2027, 1, 5).isoformat(), "reason": "x"})
    assert shortened.status_code == 409

    set_clock(client, bishkek(2027, 1, 10, 0, 1))
    world["sign_in_again"]()
    late = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=world["citizen"],
                       json={"body": "Поздно"})
    assert late.status_code == 409 and late.json()["error"] == "consultation_closed"
    assert client.get(f"/api/v1/drafts/{draft_id}").json()["status"] == "closed"

    unanswered = client.post(f"/api/v1/drafts/{draft_id}/summary", headers=world["drafter"])
    assert unanswered.status_code == 409
    assert unanswered.json()["error"] == "unanswered_comments"
    assert unanswered.json()["comment_ids"] == [comment_id]

    wrong_body = client.put(f"/api/v1/comments/{comment_id}/response",
                            headers=world["other_drafter"],
                            json={"decision": "accepted", "reasoning": "Да"})
    assert wrong_body.status_code == 403
    answered = client.put(f"/api/v1/comments/{comment_id}/response", headers=world["drafter"],
                          json={"decision": "partially_accepted",
                                "reasoning": "Понятие уточнено в статье 1"})
    assert answered.status_code == 200, answered.text

    # Answers stay the body's working drafts until the summary publishes them together.
    assert client.get(f"/api/v1/comments/{comment_id}").json()["response"] is None

    published = client.post(f"/api/v1/drafts/{draft_id}/summary", headers=world["drafter"])
    assert published.status_code == 201, published.text
    again = client.post(f"/api/v1/drafts/{draft_id}/summary", headers=world["drafter"])
    assert again.status_code == 409 and again.json()["error"] == "summary_published"
    frozen = client.put(f"/api/v1/comments/{comment_id}/response", headers=world["drafter"],
                        json={"decision": "rejected", "reasoning": "Передумали"})
    assert frozen.status_code == 409

    summary = client.get(f"/api/v1/drafts/{draft_id}/summary").json()
    assert summary["comments"] == [{
        "id": comment_id, "receipt": receipt, "clause_key": "art-1/part-1", "version": 1,
        "author": summary["comments"][0]["author"], "on_behalf_of": "ОО «Защита потребителей»",
        "body": "Уточните понятие", "proposed_wording": "потребитель - физическое лицо",
        "decision": "partially_accepted", "reasoning": "Понятие уточнено в статье 1"}]
    assert summary["stats"]["by_decision"]["partially_accepted"] == 1
    public = client.get(f"/api/v1/comments/{comment_id}").json()
    assert public["response"]["decision"] == "partially_accepted"
    detail = client.get(f"/api/v1/drafts/{draft_id}").json()
    assert detail["status"] == "summary_published"
    assert detail["stats"] == {"comments": 1, "answered": 1}

    audit = client.get("/api/v1/audit", headers=world["monitor"], params={"per_page": 200})
    assert audit.status_code == 200
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"draft.published", "consultation.opened", "consultation.extended",
            "comment.submitted", "comment.answered", "summary.published"} <= actions
