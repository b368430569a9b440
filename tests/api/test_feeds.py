"""Atom and RSS feeds: validity (parsed with feedparser), filters, events, conditional GET."""

from xml.etree import ElementTree

import feedparser
import pytest

from app.models import Role
from tests.api.test_consultation_loop import LAW
from tests.conftest import bishkek, set_clock


@pytest.fixture
def drafts(client, make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    drafter = login(make_user(Role.DRAFTER, ministry))
    set_clock(client, bishkek(2026, 12, 1, 10))
    ids = []
    for title, act_type in (("О защите прав <script>alert(1)</script> потребителей", "law"),
                            ("Об утверждении Порядка", "cabinet_resolution")):
        response = client.post("/api/v1/drafts", headers=drafter, json={
            "organization": "mineconom", "act_type": act_type,
            "title": {"ru": title, "ky": title + " (ky)"}, "text": {"ru": LAW},
            "summary": {"ru": "Уточняет <img src=x onerror=alert(1)> понятия"}})
        assert response.status_code == 201
        ids.append(response.json()["id"])
    opened = client.post(f"/api/v1/drafts/{ids[0]}/consultation", headers=drafter, json={
        "opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-05T00:00:00+06:00"})
    assert opened.status_code == 201
    return {"ids": ids, "drafter": drafter}


def test_atom_and_rss_are_valid_with_required_elements(client, drafts):
    atom = client.get("/feeds/drafts.atom")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title and parsed.feed.id and parsed.feed.updated
    assert any(link.rel == "self" for link in parsed.feed.links)
    assert len(parsed.entries) == 2
    for entry in parsed.entries:
        assert entry.id and entry.title and entry.updated and entry.link
    # Newest first; user text is escaped, not markup.
    assert parsed.entries[0].link.endswith(f"/drafts/{drafts['ids'][1]}")
    assert b"<script>" not in atom.content and "<script>" in parsed.entries[1].title

    rss = client.get("/feeds/drafts.rss")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    parsed_rss = feedparser.parse(rss.content)
    assert not parsed_rss.bozo, parsed_rss.bozo_exception
    assert parsed_rss.version == "rss20"
    assert parsed_rss.feed.title and parsed_rss.feed.link and parsed_rss.feed.description
    assert all(e.title and e.link and e.id for e in parsed_rss.entries)
    # A reader renders an RSS description as HTML: what users wrote is escaped twice.
    descriptions = [item.findtext("description") for item in
                    ElementTree.fromstring(rss.content).iter("item")]
    assert any("Уточняет &lt;img src=x onerror=alert(1)&gt; понятия" in d for d in descriptions)
    assert not any("<img" in d for d in descriptions)
    assert b"content:encoded" not in rss.content


def test_filters_and_closing_soon(client, drafts):
    def titles(url):
        return [e.title for e in feedparser.parse(client.get(url).content).entries]

    assert len(titles("/feeds/drafts.atom?act_type=cabinet_resolution")) == 1
    assert titles("/feeds/drafts.atom?organization=minfin") == []
    assert len(titles("/feeds/drafts.rss?status=under_consultation")) == 1
    assert titles("/feeds/drafts.atom?closing_within=7") == []
    set_clock(client, bishkek(2026, 12, 30, 12))
    assert len(titles("/feeds/drafts.atom?closing_within=7")) == 1
    assert client.get("/feeds/drafts.atom?closing_within=0").status_code == 422
    assert client.get("/feeds/drafts.atom?status=nonsense").status_code == 422
    kyrgyz = feedparser.parse(client.get("/feeds/drafts.atom?lang=ky").content)
    assert kyrgyz.entries[0].title.endswith("(ky)")


def test_draft_event_feed_follows_the_lifecycle(client, drafts):
    draft_id, drafter = drafts["ids"][0], drafts["drafter"]
    extended = client.post(f"/api/v1/drafts/{draft_id}/consultation/extend", headers=drafter,
                           json={"closes_at": "2027-01-10T00:00:00+06:00",
                                 "reason": "Много обращений"})
    assert extended.status_code == 200

    def events():
        parsed = feedparser.parse(client.get(f"/drafts/{draft_id}/feed.atom?lang=en").content)
        assert not parsed.bozo, parsed.bozo_exception
        return [e.title for e in parsed.entries]

    assert events() == ["Comment period extended until January 10, 2027, 00:00",
                        "Comment period opened", "Draft published"]
    set_clock(client, bishkek(2027, 1, 11))
    assert events()[0] == "Comment period closed"
    assert client.get("/drafts/99999/feed.atom").status_code == 404


def test_conditional_get(client, drafts):
    first = client.get("/feeds/drafts.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/feeds/drafts.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feeds/drafts.atom",
                      headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feeds/drafts.atom",
                      headers={"If-None-Match": '"other"'}).status_code == 200
    client.post("/api/v1/drafts", headers=drafts["drafter"], json={
        "organization": "mineconom", "act_type": "law", "title": "Новый",
        "text": {"ru": LAW}})
    changed = client.get("/feeds/drafts.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_pages_announce_their_feeds(client, drafts):
    from bs4 import BeautifulSoup

    for path in ("/", "/drafts", f"/drafts/{drafts['ids'][0]}"):
        page = BeautifulSoup(client.get(path).text, "html.parser")
        links = page.find_all("link", rel="alternate")
        assert {link["type"] for link in links} >= {"application/atom+xml", "application/rss+xml"}
        for link in links:
            assert client.get(link["href"]).status_code == 200, link["href"]
