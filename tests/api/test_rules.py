"""Rules of the API beyond the happy path: who may call what, bad input, lists, the clock."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry, Comment, Draft, Role
from tests.api.test_consultation_loop import LAW, create_draft
from tests.conftest import bishkek, set_clock

OPEN = {"opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-01T00:00:00+06:00"}


@pytest.fixture
def setup(client, make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    users = {
        "drafter": make_user(Role.DRAFTER, ministry),
        "moderator": make_user(Role.MODERATOR, ministry),
        "citizen": make_user(Role.CITIZEN),
        "citizen2": make_user(Role.CITIZEN),
        "monitor": make_user(Role.MONITOR),
    }
    set_clock(client, bishkek(2026, 12, 5, 12))
    headers = {k: login(v) for k, v in users.items()}
    draft = create_draft(client, headers["drafter"]).json()
    assert client.post(f"/api/v1/drafts/{draft['id']}/consultation", json=OPEN,
                       headers=headers["drafter"]).status_code == 201
    return {"draft": draft, "h": headers, "users": users}


def test_only_drafters_of_the_body_create_drafts(client, setup, make_user, login):
    h = setup["h"]
    assert create_draft(client, {}).status_code == 401
    assert create_draft(client, h["citizen"]).status_code == 403
    assert create_draft(client, h["monitor"]).status_code == 403
    assert create_draft(client, h["drafter"], organization="minfin").status_code == 403
    assert create_draft(client, h["drafter"], organization="nope").status_code == 404


@pytest.mark.parametrize("payload, status", [
    ({"organization": "mineconom", "act_type": "law", "title": "T", "text": {}}, 422),
    ({"organization": "mineconom", "act_type": "law", "title": "T", "text": "plain"}, 422),
    ({"organization": "mineconom", "act_type": "novel", "title": "T", "text": {"ru": LAW}}, 422),
    ({"organization": "mineconom", "act_type": "law", "title": "", "text": {"ru": LAW}}, 422),
    ({"organization": "mineconom", "act_type": "law", "text": {"ru": LAW}}, 422),
    ([1, 2, 3], 422),
])
def test_bad_draft_payloads_get_clear_errors_and_write_nothing(client, setup, db, payload,
                                                                status):
    before = db.scalar(select(func.count()).select_from(Draft))
    response = client.post("/api/v1/drafts", json=payload, headers=setup["h"]["drafter"])
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] and body["detail"]
    assert db.scalar(select(func.count()).select_from(Draft)) == before


def test_malformed_json_is_a_4xx(client, setup):
    response = client.post("/api/v1/drafts", content=b"{not json", headers={
        **setup["h"]["drafter"], "content-type": "application/json"})
    assert response.status_code == 422


def test_error_detail_speaks_the_users_language(client, setup):
    draft_id = setup["draft"]["id"]
    ru = client.post(f"/api/v1/drafts/{draft_id}/comments", json={"body": "x"},
                     headers={"Accept-Language": "ru"})
    ky = client.post(f"/api/v1/drafts/{draft_id}/comments?lang=ky", json={"body": "x"})
    en = client.post(f"/api/v1/drafts/{draft_id}/comments?lang=en", json={"body": "x"})
    assert en.json()["detail"] == "Please sign in first."
    assert ru.json()["detail"] != en.json()["detail"] != ky.json()["detail"]
    assert ru.json()["error"] == ky.json()["error"] == "not_authenticated"


def test_comment_validation(client, setup, db):
    draft_id, h = setup["draft"]["id"], setup["h"]
    url = f"/api/v1/drafts/{draft_id}/comments"
    assert client.post(url, json={"body": "   "}, headers=h["citizen"]).status_code == 422
    assert client.post(url, json={"body": "x" * 20_001}, headers=h["citizen"]).status_code == 422
    assert client.post(url, json={}, headers=h["citizen"]).status_code == 422
    assert client.post(url, json={"body": "Я чиновник"}, headers=h["drafter"]).status_code == 403
    assert client.post("/api/v1/drafts/999999/comments", json={"body": "x"},
                       headers=h["citizen"]).status_code == 404
    assert db.scalar(select(func.count()).select_from(Comment)) == 0


def test_receipts_are_unique_and_comments_readable(client, setup):
    draft_id, h = setup["draft"]["id"], setup["h"]
    receipts = set()
    for i in range(10):
        response = client.post(f"/api/v1/drafts/{draft_id}/comments",
                               json={"body": f"Замечание {i}", "clause_key": "art-2"},
                               headers=h["citizen" if i % 2 else "citizen2"])
        assert response.status_code == 201
        receipts.add(response.json()["receipt"])
    assert len(receipts) == 10
    listing = client.get(f"/api/v1/drafts/{draft_id}/comments").json()
    assert listing["total"] == 10
    assert {c["receipt"] for c in listing["items"]} == receipts
    only = client.get(f"/api/v1/drafts/{draft_id}/comments", params={"clause_key": "art-1"})
    assert only.json()["total"] == 0


def test_moderator_hides_with_a_reason_and_the_record_stays(client, setup, db):
    draft_id, h = setup["draft"]["id"], setup["h"]
    created = client.post(f"/api/v1/drafts/{draft_id}/comments",
                          json={"body": "Оскорбление"}, headers=h["citizen"]).json()
    url = f"/api/v1/comments/{created['id']}/hide"
    assert client.post(url, json={"reason": "x"}, headers=h["drafter"]).status_code == 403
    assert client.post(url, json={"reason": "x"}).status_code == 401
    assert client.post(url, json={"reason": " "}, headers=h["moderator"]).status_code == 422
    hidden = client.post(url, json={"reason": "Нарушение правил"}, headers=h["moderator"])
    assert hidden.status_code == 200
    public = client.get(f"/api/v1/comments/{created['id']}").json()
    assert public["status"] == "hidden" and public["body"] is None
    assert public["hidden_reason"] == "Нарушение правил"
    stored = db.get(Comment, created["id"])
    db.refresh(stored)
    assert stored.body == "Оскорбление"
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "comment.hidden")) is not None
    # A hidden comment needs no answer, and cannot get one.
    answer = client.put(f"/api/v1/comments/{created['id']}/response", headers=h["drafter"],
                        json={"decision": "rejected", "reasoning": "x"})
    assert answer.status_code == 409


def test_answers_need_reasoning_and_a_valid_decision(client, setup):
    draft_id, h = setup["draft"]["id"], setup["h"]
    created = client.post(f"/api/v1/drafts/{draft_id}/comments", json={"body": "Вопрос"},
                          headers=h["citizen"]).json()
    url = f"/api/v1/comments/{created['id']}/response"
    assert client.put(url, json={"decision": "maybe", "reasoning": "x"},
                      headers=h["drafter"]).status_code == 422
    assert client.put(url, json={"decision": "rejected", "reasoning": ""},
                      headers=h["drafter"]).status_code == 422
    assert client.put(url, json={"decision": "rejected", "reasoning": "x"},
                      headers=h["citizen"]).status_code == 403
    assert client.put(url, json={"decision": "rejected", "reasoning": "x"},
                      headers=h["moderator"]).status_code == 403
    assert client.put("/api/v1/comments/99999/response", json={"decision": "rejected",
                      "reasoning": "x"}, headers=h["drafter"]).status_code == 404
    # The body's own drafter sees the working answer; the public does not, yet.
    assert client.put(url, json={"decision": "accepted", "reasoning": "Учтено"},
                      headers=h["drafter"]).status_code == 200
    assert client.get(f"/api/v1/comments/{created['id']}",
                      headers=h["drafter"]).json()["response"]["decision"] == "accepted"
    assert client.get(f"/api/v1/comments/{created['id']}").json()["response"] is None


def test_urgent_period_needs_a_reason_and_shows_it(client, setup):
    h = setup["h"]
    draft = create_draft(client, h["drafter"]).json()
    url = f"/api/v1/drafts/{draft['id']}/consultation"
    short = {"opens_at": "2026-12-05T12:00:00+06:00", "closes_at": "2026-12-15T12:00:00+06:00"}
    assert client.post(url, json=short, headers=h["drafter"]).status_code == 422
    urgent = client.post(url, json={**short, "urgent_reason": "Исполнение решения суда"},
                         headers=h["drafter"])
    assert urgent.status_code == 201
    assert urgent.json()["consultation"]["urgent_reason"] == "Исполнение решения суда"
    # One round per version.
    assert client.post(url, json=short | {"urgent_reason": "x"},
                       headers=h["drafter"]).status_code == 409


@pytest.mark.parametrize("payload", [
    {"opens_at": "2026-12-01T00:00:00", "closes_at": "2027-01-01T00:00:00"},
    {"opens_at": "soon", "closes_at": "2027-01-01T00:00:00+06:00"},
    {"opens_at": "2027-01-01T00:00:00+06:00", "closes_at": "2026-12-01T00:00:00+06:00"},
])
def test_bad_periods(client, setup, payload):
    draft = create_draft(client, setup["h"]["drafter"]).json()
    response = client.post(f"/api/v1/drafts/{draft['id']}/consultation", json=payload,
                           headers=setup["h"]["drafter"])
    assert response.status_code == 422


def test_limited_round_refuses_other_clauses(client, setup):
    h = setup["h"]
    draft = create_draft(client, h["drafter"]).json()
    opened = client.post(f"/api/v1/drafts/{draft['id']}/consultation", headers=h["drafter"],
                         json={**OPEN, "opens_at": "2026-12-05T00:00:00+06:00",
                               "closes_at": "2027-01-05T00:00:00+06:00",
                               "clause_keys": ["art-1"]})
    assert opened.status_code == 201
    url = f"/api/v1/drafts/{draft['id']}/comments"
    inside = client.post(url, json={"body": "ok", "clause_key": "art-1/part-1/pt-2"},
                         headers=h["citizen"])
    assert inside.status_code == 201
    outside = client.post(url, json={"body": "no", "clause_key": "art-2"}, headers=h["citizen"])
    assert outside.status_code == 409 and outside.json()["error"] == "clause_not_open"


def test_versions_and_list_filters(client, setup):
    h = setup["h"]
    draft_id = setup["draft"]["id"]
    new = client.post(f"/api/v1/drafts/{draft_id}/versions", headers=h["drafter"],
                      json={"text": {"ru": LAW.replace("Статья 3", "Статья 4")},
                            "change_note": "Перенумерация"})
    assert new.status_code == 201 and new.json()["number"] == 2
    assert client.post(f"/api/v1/drafts/{draft_id}/versions", headers=h["citizen"],
                       json={"text": {"ru": LAW}}).status_code == 403
    v2 = client.get(f"/api/v1/drafts/{draft_id}/versions/2").json()
    assert v2["change_note"] == "Перенумерация"
    assert "art-4" in [c["key"] for c in v2["clauses"]]
    v1 = client.get(f"/api/v1/drafts/{draft_id}/versions/1").json()
    assert "art-3" in [c["key"] for c in v1["clauses"]]
    assert client.get(f"/api/v1/drafts/{draft_id}/versions/3").status_code == 404
    assert client.get(f"/api/v1/drafts/{draft_id}/versions/1?lang=xx").status_code == 422

    create_draft(client, h["drafter"], title={"ru": "О налогах", "ky": "Салыктар жөнүндө"},
                 act_type="code")
    everything = client.get("/api/v1/drafts").json()
    assert everything["total"] == 2
    assert client.get("/api/v1/drafts?status=under_consultation").json()["total"] == 1
    assert client.get("/api/v1/drafts?status=published").json()["total"] == 1
    assert client.get("/api/v1/drafts?act_type=code").json()["total"] == 1
    assert client.get("/api/v1/drafts?organization=minfin").json()["total"] == 0
    assert client.get("/api/v1/drafts?q=салыктар").json()["total"] == 1
    assert client.get("/api/v1/drafts?q=НАЛОГАХ").json()["total"] == 1
    assert client.get("/api/v1/drafts?per_page=1&page=2").json()["items"][0]["id"]
    assert client.get("/api/v1/drafts?status=bogus").status_code == 422
    assert client.get("/api/v1/drafts?page=0").status_code == 422
    orgs = client.get("/api/v1/organizations").json()
    assert {"slug": "minfin", "name": {"ky": "Финансы министрлиги",
            "ru": "Министерство финансов", "en": None}} in orgs


def test_summary_csv_round_trips(client, setup):
    import csv
    import io

    h = setup["h"]
    draft_id = setup["draft"]["id"]
    body = 'Кавычки " и запятые, и\nперевод строки; <b>разметка</b>'
    created = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=h["citizen"],
                          json={"body": body, "clause_key": "art-1"}).json()
    assert client.get(f"/api/v1/drafts/{draft_id}/summary").status_code == 404
    set_clock(client, bishkek(2027, 1, 2))
    client.put(f"/api/v1/comments/{created['id']}/response", headers=h["drafter"],
               json={"decision": "rejected", "reasoning": "Не соответствует, см. ст. 2"})
    assert client.post(f"/api/v1/drafts/{draft_id}/summary",
                       headers=h["drafter"]).status_code == 201
    response = client.get(f"/api/v1/drafts/{draft_id}/summary.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["body"] == body and rows[0]["receipt"] == created["receipt"]
    assert rows[0]["decision"] == "rejected" and rows[0]["clause_key"] == "art-1"


def test_audit_is_for_monitors_and_chain_verifies(client, setup, db):
    from app.services import audit as audit_service

    h = setup["h"]
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=h["citizen"]).status_code == 403
    assert client.get("/api/v1/audit", headers=h["drafter"]).status_code == 403
    page = client.get("/api/v1/audit", headers=h["monitor"]).json()
    ids = [e["id"] for e in page["items"]]
    assert ids == sorted(ids, reverse=True)
    assert audit_service.verify(session=db).ok


def test_cookie_authenticated_api_writes_need_the_csrf_header(client, setup, db):
    from app.models import TokenKind
    from app.services import auth as auth_service

    raw = auth_service.issue_token(session=db, user=setup["users"]["citizen"],
                                   kind=TokenKind.SESSION)
    db.commit()
    client.cookies.set("talkuu_session", raw)
    client.cookies.set("talkuu_csrf", "seed-value")
    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    refused = client.post(url, json={"body": "Из браузера"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    accepted = client.post(url, json={"body": "Из браузера"},
                           headers={"X-CSRF-Token": auth_service.csrf_token("seed-value")})
    assert accepted.status_code == 201


def test_invalid_bearer_token_is_401(client, setup):
    response = client.get("/api/v1/audit", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    bad = client.post("/api/v1/auth/token", data={"username": "nobody@example.kg",
                                                  "password": "whatever123"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_credentials"


def test_registration(client, db):
    from app.models import User

    created = client.post("/api/v1/auth/register", json={
        "email": "Aigul@Example.kg", "password": "long enough pw", "name": "Айгүл"})
    assert created.status_code == 201
    assert created.json()["role"] == "citizen" and created.json()["email"] == "aigul@example.kg"
    again = client.post("/api/v1/auth/register", json={
        "email": "aigul@example.kg", "password": "long enough pw", "name": "Айгүл"})
    assert again.status_code == 409
    assert client.post("/api/v1/auth/register", json={
        "email": "not-an-email", "password": "long enough pw", "name": "x"}).status_code == 422
    assert client.post("/api/v1/auth/register", json={
        "email": "b@example.kg", "password": "short", "name": "x"}).status_code == 422
    stored = db.scalar(select(User).where(User.email == "aigul@example.kg"))
    assert stored.password_hash.startswith("$argon2")


def test_clock_endpoint_exists_only_in_test_environment(monkeypatch):
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("TALKUU_ENV", "development")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as dev_client:
            response = dev_client.put("/api/v1/testing/clock", json={"now": None})
            assert response.status_code == 404
    finally:
        monkeypatch.setenv("TALKUU_ENV", "test")
        get_settings.cache_clear()


def test_production_refuses_the_default_secret(monkeypatch):
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.delenv("TALKUU_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError):
        Settings(env="production", _env_file=None)
    assert Settings(env="production", secret_key="x" * 40, _env_file=None)


def test_sign_in_is_rate_limited_and_failures_count(client, make_user, db):
    from app.models import RateLimitCounter

    user = make_user(Role.CITIZEN)
    for _ in range(10):
        wrong = client.post("/api/v1/auth/token", data={"username": user.email,
                                                        "password": "wrong password"})
        assert wrong.status_code == 401
    blocked = client.post("/api/v1/auth/token", data={"username": user.email,
                                                      "password": "correct horse battery"})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 11


def test_commenting_is_paced_per_account(client, setup, db):
    """The shipped comment policy: at most 5 per account in 10 seconds; the refusal says how
    many seconds are left of them."""
    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    answers = [client.post(url, json={"body": f"Комментарий {i}"},
                           headers=setup["h"]["citizen"]) for i in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429, 429]
    assert answers[5].json()["error"] == "rate_limited"
    assert answers[5].headers["Retry-After"] == "10"  # the clock stands at 12:00:00
    # Every acknowledged comment is stored; nothing of the refused ones is.
    assert db.scalar(select(func.count()).select_from(Comment)) == 5
    # Another account is not affected, and ten seconds on the first may go on.
    other = client.post(url, json={"body": "Другой"}, headers=setup["h"]["citizen2"])
    assert other.status_code == 201
    set_clock(client, bishkek(2026, 12, 5, 12) + timedelta(seconds=10))
    later = client.post(url, json={"body": "Позже"}, headers=setup["h"]["citizen"])
    assert later.status_code == 201


def test_commenting_has_an_allowance_per_account(client, setup, db):
    """At the pace, 30 per account in 10 minutes; the 31st waits for the next 10 minutes."""
    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    start = bishkek(2026, 12, 5, 12)
    statuses = []
    for ten in range(7):
        set_clock(client, start + timedelta(seconds=10 * ten))
        statuses += [client.post(url, json={"body": f"Комментарий {ten}-{i}"},
                                 headers=setup["h"]["citizen"]).status_code
                     for i in range(5 if ten < 6 else 1)]
    assert statuses == [201] * 30 + [429]
    refused = client.post(url, json={"body": "Ещё"}, headers=setup["h"]["citizen"])
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(600 - 60)
    assert db.scalar(select(func.count()).select_from(Comment)) == 30
    other = client.post(url, json={"body": "Другой"}, headers=setup["h"]["citizen2"])
    assert other.status_code == 201


def test_refused_comments_count_toward_the_limit_too(client, setup, db):
    """The count is part of the comment's transaction; a comment refused for what it says,
    where it goes or a body that cannot be read is rolled back, and its attempt is counted
    again on its own."""
    from app.models import RateLimitCounter

    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    headers = {**setup["h"]["citizen"], "Content-Type": "application/json"}
    bodies = [b'{"body": "   "}', '{"body": "x", "clause_key": "art-999"}'.encode(),
              b"{not json"]
    start = bishkek(2026, 12, 5, 12)
    refused = []
    for ten in range(10):  # at the pace (5 in 10 s), so that only the allowance is reached
        set_clock(client, start + timedelta(seconds=10 * ten))
        refused += [client.post(url, content=body, headers=headers).status_code
                    for body in bodies]
    assert refused == [422, 404, 422] * 10
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
    blocked = client.post(url, json={"body": "Теперь по существу"}, headers=setup["h"]["citizen"])
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 10  # the 10 minutes' allowance, not the pace
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 31
    assert db.scalar(select(func.count()).select_from(Comment)) == 0


def test_who_may_comment_is_checked_before_the_body(client, setup):
    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    json_type = {"Content-Type": "application/json"}
    assert client.post(url, content=b"{not json", headers=json_type).status_code == 401
    missing = f"/api/v1/drafts/{setup['draft']['id'] + 1000}/comments"
    assert client.post(missing, content=b"{not json", headers={
        **setup["h"]["citizen"], **json_type}).status_code == 404
    assert client.post(url, content=b"{not json", headers={
        **setup["h"]["drafter"], **json_type}).status_code == 422


def test_a_refused_subject_is_refused_at_the_door_in_its_language(client, setup, db):
    """Within a second of a refusal, the same account's and address's submissions are answered
    before the route (app.gate.RefusedAtTheDoor): not counted again, nothing stored, and the
    answer is the same JSON refusal, translated, with the security headers."""
    from app.models import RateLimitCounter

    url = f"/api/v1/drafts/{setup['draft']['id']}/comments"
    for i in range(6):  # the sixth passes the pace of 5 in 10 seconds
        client.post(url, json={"body": f"Комментарий {i}"}, headers=setup["h"]["citizen"])
    counted = db.scalar(select(func.max(RateLimitCounter.hits)))
    assert counted == 6
    for _ in range(5):
        door = client.post(url, json={"body": "Ещё"},
                           headers={**setup["h"]["citizen"], "Accept-Language": "ky"})
        assert door.status_code == 429
        assert door.json()["error"] == "rate_limited"
        assert int(door.headers["Retry-After"]) >= 1
        assert door.headers["content-language"] == "ky"
        assert door.headers["x-content-type-options"] == "nosniff"
    assert "Too many" not in door.json()["detail"]
    # Refused before the route: its body is not even read (the route would call it malformed).
    unread = client.post(url, content=b"{not json", headers={
        **setup["h"]["citizen"], "Content-Type": "application/json"})
    assert unread.status_code == 429
    assert db.scalar(select(func.max(RateLimitCounter.hits))) == 6
    assert db.scalar(select(func.count()).select_from(Comment)) == 5


def test_draft_from_an_uploaded_text_file(client, setup):
    h = setup["h"]
    fields = {"organization": "mineconom", "act_type": "law", "title": "Из файла",
              "language": "ru"}
    uploaded = client.post("/api/v1/drafts", headers=h["drafter"], data=fields,
                           files={"file": ("law.txt", LAW.encode("cp1251"), "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["parse_report"]["counts"]["article"] == 3
    version = client.get(f"/api/v1/drafts/{uploaded.json()['id']}/versions/1").json()
    assert version["clauses"][1]["heading"] == "Основные понятия"
    docx = client.post("/api/v1/drafts", headers=h["drafter"], data=fields,
                       files={"file": ("law.pdf", b"%PDF-1.4", "application/pdf")})
    assert docx.status_code == 415


def test_too_large_bodies_are_413(client, setup):
    h = setup["h"]
    huge = "Статья 1. Большая\n\n" + "слово " * 900_000
    response = client.post("/api/v1/drafts", headers=h["drafter"], json={
        "organization": "mineconom", "act_type": "law", "title": "Огромный",
        "text": {"ru": huge, "ky": huge}})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


# SQLite's driver cannot send an integer past 2**63 (OverflowError); PostgreSQL's ids stop at
# 2**31 - 1. Schemathesis found the first as a 500 on every route that takes an id.
ROUTES_WITH_IDS = [
    ("GET", "/api/v1/drafts/{huge}"),
    ("GET", "/api/v1/drafts/{draft}/versions/{huge}"),
    ("GET", "/api/v1/drafts/{draft}/diff?from=1&to={huge}"),
    ("GET", "/api/v1/comments/{huge}"),
    ("GET", "/api/v1/attachments/{huge}"),
    ("PUT", "/api/v1/comment-groups/{huge}/response"),
    ("GET", "/api/v1/answer-templates/{huge}"),
    ("GET", "/api/v1/drafts/{draft}/answer-queue?group={huge}"),
    ("POST", "/api/v1/moderation/flags/{huge}/dismiss"),
    ("POST", "/api/v1/drafts/{huge}/summary/corrections"),
    ("GET", "/api/v1/audit?page={huge}"),
]


def test_numbers_no_row_can_have_are_bad_input_not_a_crash(client, setup):
    for method, path in ROUTES_WITH_IDS:
        who = "monitor" if "audit" in path else "drafter"
        for huge in (2**31, 2**63, 10**30):
            url = path.format(huge=huge, draft=setup["draft"]["id"])
            response = client.request(method, url, headers=setup["h"][who],
                                      json={"reason": "Опечатка"})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["error"] == "invalid_input"


def test_a_correction_naming_an_impossible_comment_is_bad_input(client, setup):
    draft_id = setup["draft"]["id"]
    response = client.post(f"/api/v1/drafts/{draft_id}/summary/corrections",
                           headers=setup["h"]["drafter"], json={
                               "reason": "Опечатка", "changes": [{
                                   "comment_id": 2**63, "decision": "accepted",
                                   "reasoning": "Учтено"}]})
    assert response.status_code == 422 and "changes" in response.json()["detail"]


def test_text_with_a_nul_character_is_bad_input_on_every_database(client, setup, db):
    # PostgreSQL cannot store U+0000 (psycopg raised DataError: a 500, found by schemathesis in
    # a new version's text and an outcome's reason); SQLite stored it. Now 422 on both.
    draft_id, h = setup["draft"]["id"], setup["h"]
    sent = [
        client.post(f"/api/v1/drafts/{draft_id}/comments", headers=h["citizen"],
                    json={"body": "Уточните\x00понятие"}),
        client.post(f"/api/v1/drafts/{draft_id}/versions", headers=h["drafter"],
                    json={"text": {"ru": LAW.replace("Статья 2", "Статья\x002")}}),
        client.post(f"/api/v1/drafts/{draft_id}/outcome", headers=h["drafter"],
                    json={"outcome": "withdrawn", "reason": "Отозван\x00"}),
    ]
    for response in sent:
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "nul_character"
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
    assert client.get(f"/api/v1/drafts/{draft_id}").json()["current_version"] == 1
    # A search keeps only the words of its query: nothing to refuse.
    assert client.get("/api/v1/drafts", params={"q": "закон\x00"}).status_code == 200


def test_text_with_half_a_surrogate_pair_is_bad_input_on_every_database(client, setup, db):
    # JSON may carry "\ud800" alone: a str Python holds but cannot encode (psycopg and sqlite3
    # raised UnicodeEncodeError: a 500 on both). Now 422, in the caller's language.
    draft_id, h = setup["draft"]["id"], setup["h"]
    citizen = {**h["citizen"], "Content-Type": "application/json"}
    sent = [client.post(f"/api/v1/drafts/{draft_id}/comments",
                        headers={**citizen, "Accept-Language": "ky"}, content=body.encode())
            for body in ('{"body": "Уточните \\ud800"}',
                         '{"body": "ok", "on_behalf_of": "\\udfff Ж"}')]
    for response in sent:
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_character", response.text
        assert "Юникоддо" in response.json()["detail"]
    # A route with a body model: pydantic's JSON parser refuses it first, naming the field.
    outcome = client.post(f"/api/v1/drafts/{draft_id}/outcome",
                          headers={**h["drafter"], "Content-Type": "application/json"},
                          content='{"outcome": "withdrawn", "reason": "Отозван \\ud83d"}'.encode())
    assert outcome.status_code == 422 and outcome.json()["fields"] == ["reason"], outcome.text
    # Counted per email before the route reads it (hashing it raised UnicodeEncodeError).
    reset = client.post("/api/v1/auth/password-reset", headers={"Content-Type": "application/json"},
                        content='{"email": "a\\ud800@example.kg"}'.encode())
    assert reset.status_code == 422 and reset.json()["fields"] == ["email"], reset.text
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
    # A whole pair is one character (an emoji) and is stored.
    emoji = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=citizen,
                        content='{"body": "Ок \\ud83d\\ude42"}'.encode())
    assert emoji.status_code == 201, emoji.text
    assert db.scalar(select(Comment.body)) == "Ок \U0001f642"
