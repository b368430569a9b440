"""The public scorecard: every body, and one body's violations with the drafts behind them."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bishkek, set_clock
from tests.pages.conftest import soup, text_of


def _cell(page: Any, slug: str, css: str) -> str:
    return text_of(page.find("tr", attrs={"data-slug": slug}).find(class_=css))


def test_scorecard_shows_overdue_from_day_31(client: TestClient, make_draft, add_comment,
                                             world) -> None:
    draft = make_draft()  # closes 1 January; the last day is 31 December
    add_comment(draft)
    set_clock(client, bishkek(2027, 1, 30, 12))
    page = soup(client.get("/compliance"))
    assert page.find("h1").get_text(strip=True)
    assert _cell(page, "mineconom", "num-overdue") == "0"
    assert _cell(page, "mineconom", "num-unanswered") == "1"
    assert _cell(page, "minfin", "num-overdue") == "0"
    set_clock(client, bishkek(2027, 1, 31))
    page = soup(client.get("/compliance"))
    assert _cell(page, "mineconom", "num-overdue") == "1"
    svg = page.find("figure", id="chart-months").find("svg")
    assert svg["role"] == "img" and svg.find("title") and svg.find("desc")
    assert page.find("script") is None

    body = soup(client.get("/compliance/mineconom"))
    rows = body.select("tr.violation")
    assert {r["data-kind"] for r in rows} == {"summary_overdue", "comments_unanswered"}
    assert rows[0].find("a")["href"] == f"/drafts/{draft.id}"
    assert text_of(body.find("dd", class_="num-overdue")) == "1"


def test_scorecard_in_kyrgyz_and_unknown_body(client: TestClient, world) -> None:
    page = soup(client.get("/compliance?lang=ky"))
    assert page.find("html")["lang"] == "ky"
    assert "Экономика жана коммерция министрлиги" in text_of(page.find("table"))
    assert client.get("/compliance/nobody").status_code == 404
    assert client.get("/compliance?from=2027-99").status_code == 422
