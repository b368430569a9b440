"""Open data: every dataset as CSV and JSON Lines, what stays private, the data dictionary,
the API docs and read-only CORS."""

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup

from app.models import Role
from app.services import opendata as opendata_service
from tests.api.test_consultation_loop import LAW
from tests.conftest import bishkek, set_clock


@pytest.fixture
def record(app, connection, client, make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики", "Экономика министрлиги")
    people = {"drafter": make_user(Role.DRAFTER, ministry),
              "moderator": make_user(Role.MODERATOR, ministry),
              "citizen": make_user(Role.CITIZEN, name="Айгуль Осмонова")}
    h = {k: login(v) for k, v in people.items()}
    set_clock(client, bishkek(2026, 12, 1, 10))
    draft = client.post("/api/v1/drafts", headers=h["drafter"], json={
        "organization": "mineconom", "act_type": "law",
        "title": {"ru": "О защите прав потребителей", "ky": "Керектөөчүлөрдүн укуктары"},
        "text": {"ru": LAW}}).json()["id"]
    client.post(f"/api/v1/drafts/{draft}/consultation", headers=h["drafter"], json={
        "opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-05T00:00:00+06:00"})
    kept = client.post(f"/api/v1/drafts/{draft}/comments", headers=h["citizen"], json={
        "body": "Уточните, \"потребитель\";\nпожалуйста", "clause_key": "art-1"}).json()["id"]
    rude = client.post(f"/api/v1/drafts/{draft}/comments", headers=h["citizen"], json={
        "body": "Секретное оскорбление"}).json()["id"]
    assert client.post(f"/api/v1/comments/{rude}/hide", headers=h["moderator"],
                       json={"reason": "Оскорбление"}).status_code == 200
    answered = client.put(f"/api/v1/comments/{kept}/response", headers=h["drafter"],
                          json={"decision": "accepted", "reasoning": "Уточнено в статье 1"})
    assert answered.status_code == 200, answered.text
    return {"draft": draft, "kept": kept, "rude": rude, "people": people}


def rows_csv(client, name):
    response = client.get(f"/api/v1/export/{name}.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def rows_jsonl(client, name):
    response = client.get(f"/api/v1/export/{name}.jsonl")
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_every_dataset_in_both_formats(client, record):
    for name, dataset in opendata_service.DATASETS.items():
        as_csv, as_jsonl = rows_csv(client, name), rows_jsonl(client, name)
        assert len(as_csv) == len(as_jsonl)
        header = client.get(f"/api/v1/export/{name}.csv").text.splitlines()[0]
        assert header.split(",") == [c.name for c in dataset.columns]
    (draft,) = rows_jsonl(client, "drafts")
    assert draft["title_ky"] == "Керектөөчүлөрдүн укуктары" and draft["organization"] == "mineconom"
    assert draft["created_at"].endswith("+06:00")
    clauses = rows_csv(client, "clauses")
    assert {c["key"] for c in clauses} >= {"art-1", "art-2", "art-3"}
    # Quotes, commas and new lines survive the CSV.
    by_id = {int(c["id"]): c for c in rows_csv(client, "comments")}
    assert by_id[record["kept"]]["body"] == "Уточните, \"потребитель\";\nпожалуйста"
    assert by_id[record["kept"]]["author"] == "Айгуль Осмонова"
    assert client.get("/api/v1/export/users.csv").status_code == 404
    assert client.get("/api/v1/export/comments.xml").status_code == 404


def test_hidden_words_and_unpublished_answers_stay_private(client, record):
    comments = {c["id"]: c for c in rows_jsonl(client, "comments")}
    rude = comments[record["rude"]]
    assert rude["status"] == "hidden" and rude["hidden_reason"] == "Оскорбление"
    assert rude["body"] is None and rude["author"] is None
    everything = "".join(client.get(f"/api/v1/export/{n}.jsonl").text
                         for n in opendata_service.DATASETS)
    assert "Секретное" not in everything
    assert "@example.kg" not in everything  # no addresses, ever
    assert rows_jsonl(client, "answers") == []  # private until the summary is published
    set_clock(client, bishkek(2027, 1, 6, 10))
    drafter = client.post("/api/v1/auth/token", data={
        "username": record["people"]["drafter"].email,
        "password": "correct horse battery"}).json()["access_token"]
    published = client.post(f"/api/v1/drafts/{record['draft']}/summary",
                            headers={"Authorization": f"Bearer {drafter}"})
    assert published.status_code in (200, 201), published.text
    (answer,) = rows_jsonl(client, "answers")
    assert answer["comment_id"] == record["kept"] and answer["decision"] == "accepted"
    (summary,) = rows_jsonl(client, "summaries")
    assert summary["draft_id"] == record["draft"] and summary["round"] == 1


def test_data_dictionary_in_three_languages(client):
    listed = client.get("/api/v1/export").json()
    assert [d["name"] for d in listed] == list(opendata_service.DATASETS)
    for lang, word in (("en", "Open data"), ("ru", "Открытые данные"),
                       ("ky", "Ачык маалыматтар")):
        page = BeautifulSoup(client.get(f"/open-data?lang={lang}").text, "html.parser")
        assert page.find("h1").get_text() == word
        for name, dataset in opendata_service.DATASETS.items():
            section = page.find("section", id=f"dataset-{name}")
            assert section.find("a", href=f"/api/v1/export/{name}.csv") is not None
            assert [r.find("code").get_text() for r in section.find("tbody").find_all("tr")] == [
                c.name for c in dataset.columns]


def test_api_docs_and_read_only_cors(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # Served from this site (no CDN), under the site-wide policy (no inline script).
    assert "'unsafe-inline'" not in docs.headers["content-security-policy"]
    page = BeautifulSoup(docs.text, "html.parser")
    sources = [t.get("src") for t in page.find_all("script")] + [
        t.get("href") for t in page.find_all("link")]
    assert sources and all(s.startswith("/static/") for s in sources)
    assert all(t.get_text() == "" for t in page.find_all("script"))
    for source in sources:
        assert client.get(source).status_code == 200, source
    schema = client.get("/openapi.json").json()
    for path in ("/api/v1/search", "/api/v1/export/{dataset}.csv", "/api/v1/subscriptions",
                 "/api/v1/drafts"):
        assert path in schema["paths"]
    assert not any(p.startswith("/alerts") for p in schema["paths"])  # pages are not API

    origin = {"Origin": "https://data.example.org"}
    read = client.get("/api/v1/organizations", headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    feed = client.get("/feeds/drafts.atom", headers=origin)
    assert feed.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/api/v1/drafts", headers={
        **origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert "POST" not in preflight.headers["access-control-allow-methods"]
    refused = client.options("/api/v1/drafts", headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    assert "access-control-allow-origin" not in refused.headers or refused.status_code == 400
    writing = client.post("/api/v1/subscriptions", headers=origin, json={"email": "x"})
    assert "access-control-allow-origin" not in writing.headers
    page = client.get("/drafts", headers=origin)
    assert "access-control-allow-origin" not in page.headers
