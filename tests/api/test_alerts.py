"""Email alerts without an account, end to end through a real SMTP server: subscribe, confirm
(double opt-in), receive the alert of a matching draft once, unsubscribe in one click."""

import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.models import Role
from app.services import alerts as alerts_service
from tests.api.test_consultation_loop import LAW
from tests.conftest import bishkek, set_clock

JOURNALIST = "journalist@example.kg"


@pytest.fixture
def newsroom(client, db, make_org, make_user, login, smtp_server, deliver):
    make_org("mineconom", "Министерство экономики и коммерции", "Экономика министрлиги")
    make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    drafters = {"mineconom": login(make_user(Role.DRAFTER, _org(db, "mineconom"))),
                "minfin": login(make_user(Role.DRAFTER, _org(db, "minfin")))}
    set_clock(client, bishkek(2026, 12, 1, 10))

    def publish(title, organization="mineconom", act_type="law"):
        response = client.post("/api/v1/drafts", headers=drafters[organization], json={
            "organization": organization, "act_type": act_type, "title": {"ru": title},
            "text": {"ru": LAW}})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def worker():
        """One pass of `talkuu worker`: alerts that fell due are queued, then sent."""
        alerts_service.run_due(session=db)
        db.commit()
        deliver()

    return {"publish": publish, "worker": worker, "inbox": smtp_server,
            "drafters": drafters}


def _org(db, slug):
    from app.services import organizations as organizations_service

    return organizations_service.get_by_slug(session=db, slug=slug)


def _link(inbox, message, path):
    match = re.search(r"http://testserver(" + re.escape(path) + r"\?token=[\w.\-]+)",
                      inbox.body(message))
    assert match, inbox.body(message)
    return match.group(1)


def _subscribe_and_confirm(client, newsroom, **filters):
    response = client.post("/api/v1/subscriptions", json={"email": JOURNALIST, **filters})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending_confirmation"
    newsroom["worker"]()
    (confirmation,) = newsroom["inbox"].to(JOURNALIST)
    link = _link(newsroom["inbox"], confirmation, "/alerts/confirm")
    newsroom["inbox"].messages.clear()
    # Opening the link (a mail scanner may) confirms nothing; the button does.
    page = client.get(link)
    assert page.status_code == 200
    form = BeautifulSoup(page.text, "html.parser").find("form", action="/alerts/confirm")
    fields = {i["name"]: i["value"] for i in form.find_all("input")}
    confirmed = client.post("/alerts/confirm", data=fields)
    assert confirmed.status_code == 200, confirmed.text
    assert BeautifulSoup(confirmed.text, "html.parser").find(class_="notice") is not None


def test_subscribe_confirm_receive_and_unsubscribe(client, newsroom):
    newsroom["publish"]("О защите прав потребителей")  # before the subscription: not news
    set_clock(client, bishkek(2026, 12, 1, 10, 5))
    response = client.post("/api/v1/subscriptions", json={
        "email": JOURNALIST, "organization": "mineconom", "keywords": "потребителей"})
    assert response.status_code == 202
    set_clock(client, bishkek(2026, 12, 1, 10, 10))
    newsroom["publish"]("О рекламе для потребителей")  # before the confirmation: not sent
    newsroom["worker"]()
    (confirmation,) = newsroom["inbox"].to(JOURNALIST)
    assert "потребителей" in newsroom["inbox"].body(confirmation)
    newsroom["inbox"].messages.clear()
    link = _link(newsroom["inbox"], confirmation, "/alerts/confirm")
    newsroom["worker"]()
    assert newsroom["inbox"].messages == []  # not confirmed yet: nothing is sent
    set_clock(client, bishkek(2026, 12, 1, 10, 15))
    form = BeautifulSoup(client.get(link).text, "html.parser").find("form",
                                                                  action="/alerts/confirm")
    client.post("/alerts/confirm", data={i["name"]: i["value"] for i in form.find_all("input")})

    set_clock(client, bishkek(2026, 12, 2, 9))
    matching = newsroom["publish"]("О защите прав потребителей финансовых услуг")
    newsroom["publish"]("О бюджете")  # no keyword
    newsroom["publish"]("О потребителях электроэнергии", organization="minfin")  # other body
    newsroom["worker"]()
    (alert,) = newsroom["inbox"].to(JOURNALIST)
    assert "О защите прав потребителей финансовых услуг" in alert["Subject"]
    body = newsroom["inbox"].body(alert)
    assert f"http://testserver/drafts/{matching}" in body
    unsubscribe = _link(newsroom["inbox"], alert, "/alerts/unsubscribe")
    assert alert["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Never the same alert twice.
    newsroom["inbox"].messages.clear()
    newsroom["worker"]()
    assert newsroom["inbox"].messages == []

    # The unsubscribe page asks first; the mail program's one-click POST (RFC 8058, no
    # cookie, no CSRF token) unsubscribes.
    assert "Unsubscribe" in client.get(unsubscribe + "&lang=en").text
    mail_program = TestClient(client.app)  # no cookies of the reader's browser
    one_click = mail_program.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    newsroom["publish"]("Об изменениях в закон о защите прав потребителей")
    newsroom["worker"]()
    assert newsroom["inbox"].messages == []


def test_daily_digest_closing_soon_and_summary(client, newsroom):
    _subscribe_and_confirm(client, newsroom, frequency="daily")
    first = newsroom["publish"]("О туризме")
    drafter = newsroom["drafters"]["mineconom"]
    opened = client.post(f"/api/v1/drafts/{first}/consultation", headers=drafter, json={
        "opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-05T00:00:00+06:00"})
    assert opened.status_code == 201
    newsroom["worker"]()  # after 08:00 and no digest yet today: one now
    (digest,) = newsroom["inbox"].to(JOURNALIST)
    assert "О туризме" in newsroom["inbox"].body(digest)
    newsroom["inbox"].messages.clear()

    second = newsroom["publish"]("О гостиницах")
    newsroom["worker"]()
    assert newsroom["inbox"].messages == []  # one digest a day
    set_clock(client, bishkek(2026, 12, 2, 7))
    newsroom["worker"]()
    assert newsroom["inbox"].messages == []  # not before 08:00
    set_clock(client, bishkek(2026, 12, 2, 8, 30))
    newsroom["worker"]()
    (digest,) = newsroom["inbox"].to(JOURNALIST)
    assert "О гостиницах" in newsroom["inbox"].body(digest)
    assert f"/drafts/{second}" in newsroom["inbox"].body(digest)
    newsroom["inbox"].messages.clear()

    # A week before the end of the period, then the summary.
    set_clock(client, bishkek(2026, 12, 30, 9))
    newsroom["worker"]()
    (digest,) = newsroom["inbox"].to(JOURNALIST)
    assert "5 января 2027" in newsroom["inbox"].body(digest)
    newsroom["inbox"].messages.clear()
    set_clock(client, bishkek(2027, 1, 6, 9))
    drafter = newsroom["drafters"]["mineconom"] = client.post(
        "/api/v1/auth/token", data={"username": "drafter1@example.kg",
                                    "password": "correct horse battery"}).json()
    headers = {"Authorization": f"Bearer {drafter['access_token']}"}
    published = client.post(f"/api/v1/drafts/{first}/summary", headers=headers)
    assert published.status_code in (200, 201), published.text
    newsroom["worker"]()
    (digest,) = newsroom["inbox"].to(JOURNALIST)
    assert f"http://testserver/drafts/{first}/summary" in newsroom["inbox"].body(digest)


def test_refusals(client, newsroom):
    assert client.post("/api/v1/subscriptions", json={"email": "nope"}).status_code == 422
    assert client.post("/api/v1/subscriptions", json={
        "email": JOURNALIST, "act_type": "no_such_type"}).status_code == 422
    assert client.post("/api/v1/subscriptions", json={
        "email": JOURNALIST, "frequency": "hourly"}).status_code == 422
    # "²" passes str.isdigit() but not int(); 2**63 overflows SQLite's driver: both were 500s.
    for token in ("", "1.deadbeef", "abc", "999999.x", "².x", f"{2**63}.x", f"{10**40}.x"):
        assert client.post("/api/v1/subscriptions/confirm",
                           json={"token": token}).status_code == 400
        assert client.get("/alerts/unsubscribe", params={"token": token}).status_code == 400
    # Five a hour per address subscribed (two were counted above).
    statuses = [client.post("/api/v1/subscriptions", json={"email": JOURNALIST}).status_code
                for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_the_form_page(client, newsroom):
    page = BeautifulSoup(client.get("/alerts?organization=minfin&q=налог").text, "html.parser")
    form = page.find("form", action="/alerts")
    assert form.find("option", value="minfin").has_attr("selected")
    assert form.find("input", attrs={"name": "keywords"})["value"] == "налог"
    assert form.find("input", attrs={"name": "website"}) is not None  # the honeypot
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    data = {"csrf_token": token, "email": "editor@example.kg", "organization": "minfin",
            "keywords": "налог", "frequency": "daily", "events": ["new_draft", "summary"]}
    assert client.post("/alerts", data={**data, "csrf_token": "forged"}).status_code == 403
    trapped = client.post("/alerts", data={**data, "website": "http://spam"})
    assert trapped.status_code == 422
    sent = client.post("/alerts", data=data, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/alerts?sent=1"
    assert BeautifulSoup(client.get("/alerts?sent=1").text, "html.parser").find(
        class_="notice") is not None
    bad = client.post("/alerts", data={**data, "email": "not an address"})
    assert bad.status_code == 422
    assert BeautifulSoup(bad.text, "html.parser").find(class_="alert-error") is not None
    newsroom["worker"]()
    (confirmation,) = newsroom["inbox"].to("editor@example.kg")
    assert "налог" in newsroom["inbox"].body(confirmation)
