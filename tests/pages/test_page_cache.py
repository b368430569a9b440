"""The draft page and its feed as anonymous visitors get them from the app's cache
(app/pagecache.py): never older than the last change, the clock, or meant for someone else.

Every change goes through real HTTP (the JSON API, the testing clock), as it would from
another process; the cache is the app's own, never replaced.
"""

from datetime import timedelta

import pytest
from starlette.requests import Request

from app.api.deps import Viewer
from app.models import Role, User
from app.pagecache import PageCache
from tests.conftest import bishkek, set_clock
from tests.pages.conftest import CLOSES, DURING, LAW, OPENS, soup, text_of
from tests.pages.test_large_draft import counting_queries


def page_of(client, draft_id: int, query: str = ""):
    response = client.get(f"/drafts/{draft_id}{query}")
    assert response.status_code == 200, response.text
    return response


def comment(client, headers, draft_id: int, body: str, clause_key: str | None = "art-2"):
    response = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=headers,
                           json={"clause_key": clause_key, "body": body})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_kept_page_costs_one_query_and_is_sent_compressed(client, make_draft, connection):
    draft = make_draft()
    first = page_of(client, draft.id)
    with counting_queries(connection) as statements:
        again = page_of(client, draft.id)
    # The stamp only (the test's savepoint around it aside): nothing is rendered again.
    (stamp,) = [s for s in statements if "SAVEPOINT" not in s]
    assert "audit_entry" in stamp
    assert again.text == first.text
    raw = client.get(f"/drafts/{draft.id}", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["cache-control"] == "no-cache"
    assert {v.strip() for v in raw.headers["vary"].split(",")} >= {
        "Accept-Encoding", "Accept-Language", "Cookie"}
    plain = client.get(f"/drafts/{draft.id}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == first.text
    unchanged = client.get(f"/drafts/{draft.id}", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""


def test_a_new_comment_is_on_the_page_at_once(client, make_draft, world, login):
    draft = make_draft()
    citizen = login(world["citizen"])
    etag = page_of(client, draft.id).headers["etag"]
    comment(client, citizen, draft.id, "Первое замечание к статье 2")
    page = page_of(client, draft.id)
    assert page.headers["etag"] != etag
    assert "Первое замечание к статье 2" in text_of(soup(page).find(id="art-2-comments"))
    # An If-None-Match of the page before the comment gets the new page, not a 304.
    assert client.get(f"/drafts/{draft.id}", headers={"If-None-Match": etag}).status_code == 200


def test_a_hidden_comment_is_hidden_at_once(client, make_draft, world, login):
    draft = make_draft()
    comment_id = comment(client, login(world["citizen"]), draft.id, "Грубое замечание")
    assert "Грубое замечание" in page_of(client, draft.id).text
    hidden = client.post(f"/api/v1/comments/{comment_id}/hide", headers=login(world["moderator"]),
                         json={"reason": "Оскорбления"})
    assert hidden.status_code == 200, hidden.text
    page = soup(page_of(client, draft.id))
    assert "Грубое замечание" not in page.text
    assert "Оскорбления" in text_of(page.find(id=f"comment-{comment_id}"))


def test_a_new_version_is_on_the_page_at_once(client, make_draft, world, login):
    draft = make_draft()
    assert "Статья 4" not in page_of(client, draft.id).text
    new = client.post(f"/api/v1/drafts/{draft.id}/versions", headers=login(world["drafter"]),
                      json={"text": {"ru": LAW + "\nСтатья 4. Переходные положения\n\n"
                                                 "Правительству привести свои акты в "
                                                 "соответствие.\n"},
                            "change_note": "Добавлена статья 4"})
    assert new.status_code == 201, new.text
    page = soup(page_of(client, draft.id))
    assert page.find(id="art-4") is not None
    assert "Добавлена статья 4" in text_of(page.find("section", class_="versions"))


def test_changes_elsewhere_keep_the_page_and_the_author_s_new_name_does_not(
        client, make_draft, make_user, world, login, connection):
    draft, other = make_draft(), make_draft(title="О пчеловодстве")
    citizen = login(world["citizen"])
    comment(client, citizen, draft.id, "Замечание к этому проекту")
    page_of(client, draft.id)
    # A comment on another draft, its support, a follow: the page stays as it was rendered.
    elsewhere = comment(client, citizen, other.id, "Замечание к другому проекту")
    supported = client.post(f"/api/v1/comments/{elsewhere}/support",
                            headers=login(make_user(Role.CITIZEN)))
    assert supported.status_code in (200, 201), supported.text
    assert client.post(f"/api/v1/drafts/{other.id}/follow", headers=citizen).status_code in (
        200, 201, 204)
    with counting_queries(connection) as statements:
        kept = page_of(client, draft.id)
    assert not [s for s in statements if "FROM clause" in s or "FROM draft_version" in s]
    assert "Замечание к другому проекту" not in kept.text
    # The author's name is on the page: a new one is shown at once.
    renamed = client.patch("/api/v1/me", headers=citizen,
                           json={"name": "Айгуль Осмонова-Кадырова", "affiliation": None})
    assert renamed.status_code == 200, renamed.text
    assert "Айгуль Осмонова-Кадырова" in page_of(client, draft.id).text
    # And a comment on this draft is, of course.
    comment(client, citizen, draft.id, "Второе замечание к этому проекту")
    assert "Второе замечание к этому проекту" in page_of(client, draft.id).text


def test_the_form_goes_when_the_period_closes_and_days_left_count_down(client, make_draft):
    draft = make_draft()
    set_clock(client, CLOSES - timedelta(days=2, hours=1))
    page = soup(page_of(client, draft.id, "?lang=ru"))
    assert text_of(page.find(class_="days-left")) == "осталось 3 дня"
    assert page.find("a", class_="comment-link") is not None
    # A day less: nothing was written, only the clock moved.
    set_clock(client, CLOSES - timedelta(days=1, hours=23))
    page = soup(page_of(client, draft.id, "?lang=ru"))
    assert text_of(page.find(class_="days-left")) == "осталось 2 дня"
    set_clock(client, CLOSES - timedelta(minutes=1))
    page = soup(page_of(client, draft.id, "?lang=ru"))
    assert page.find("a", class_="comment-link") is not None
    set_clock(client, CLOSES)
    closed = soup(page_of(client, draft.id, "?lang=ru"))
    assert closed.find("a", class_="comment-link") is None
    assert closed.find(class_="days-left") is None
    assert "Обсуждение завершено" in text_of(closed.find("dl", class_="facts"))
    # Back before the period opened (the testing clock may go back): not the later page.
    set_clock(client, OPENS - timedelta(hours=1))
    before = soup(page_of(client, draft.id, "?lang=ru"))
    assert before.find("a", class_="comment-link") is None
    assert "Опубликован" in text_of(before.find("dl", class_="facts"))
    set_clock(client, OPENS)
    assert soup(page_of(client, draft.id, "?lang=ru")).find("a", class_="comment-link")


def test_signed_in_people_never_get_the_kept_page_nor_leave_theirs(client, make_draft, world,
                                                                   sign_in, browser, login):
    draft = make_draft()
    anonymous = page_of(client, draft.id)
    assert soup(anonymous).find("input", attrs={"name": "csrf_token"}) is None
    citizen = sign_in(browser(), world["citizen"])
    own = page_of(citizen, draft.id)
    assert own.headers["cache-control"] == "private, no-cache"
    mine = soup(own)
    assert "Айгуль Осмонова" in text_of(mine.find("li", class_="who"))
    token = mine.find("input", attrs={"name": "csrf_token"})["value"]
    assert mine.find("form", action=f"/drafts/{draft.id}/follow") is not None
    # A bearer token is a person too.
    by_token = client.get(f"/drafts/{draft.id}", headers=login(world["moderator"]))
    assert by_token.headers["cache-control"] == "private, no-cache"
    assert text_of(soup(by_token).find("li", class_="who")).startswith("Moderator")
    # And the next visitor still gets the anonymous page, without anyone's name or token.
    again = page_of(browser(), draft.id)
    assert again.text == anonymous.text
    assert token not in again.text and "Айгуль Осмонова" not in again.text


def test_language_and_address_are_part_of_the_key(client, make_draft):
    draft = make_draft()
    russian = soup(page_of(client, draft.id, "?lang=ru"))
    kyrgyz = soup(page_of(client, draft.id, "?lang=ky"))
    assert russian.html["lang"] == "ru" and kyrgyz.html["lang"] == "ky"
    # The language remembered in a cookie, without ?lang=.
    assert soup(page_of(client, draft.id)).html["lang"] == "ky"
    client.cookies.delete("talkuu_lang")
    assert soup(client.get(f"/drafts/{draft.id}",
                           headers={"Accept-Language": "en"})).html["lang"] == "en"
    # Made-up parameters are answered but not kept (they could fill the cache).
    cache = client.app.state.page_cache
    kept = len(cache)
    for made_up in ("?utm_source=tv", "?lang=xx", "?text=de", "?view=x", "?lang=ru&lang=ky"):
        assert client.get(f"/drafts/{draft.id}{made_up}").status_code == 200
        assert client.get(f"/drafts/{draft.id}/feed.atom{made_up}").status_code == 200
    assert len(cache) == kept


def test_the_feed_follows_new_versions_and_the_end_of_the_period(client, make_draft, world,
                                                                 login):
    draft = make_draft()
    first = client.get(f"/drafts/{draft.id}/feed.atom")
    assert first.status_code == 200 and "Version 2" not in first.text
    assert client.get(f"/drafts/{draft.id}/feed.atom",
                      headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    new = client.post(f"/api/v1/drafts/{draft.id}/versions", headers=login(world["drafter"]),
                      json={"text": {"ru": LAW + "\nСтатья 4. Новое\n\nТекст.\n"}})
    assert new.status_code == 201, new.text
    second = client.get(f"/drafts/{draft.id}/feed.atom?lang=en")
    assert "Version 2 published" in second.text
    assert "Comment period closed" not in second.text
    set_clock(client, CLOSES + timedelta(minutes=1))
    closed = client.get(f"/drafts/{draft.id}/feed.atom?lang=en")
    assert "Comment period closed" in closed.text
    assert client.get(f"/drafts/{draft.id}/feed.atom",
                      headers={"If-None-Match": second.headers["etag"]}).status_code == 200


def test_the_cache_keeps_within_its_bytes(client, make_draft):
    draft = make_draft()
    page_of(client, draft.id)
    entry = next(iter(client.app.state.page_cache._entries.values()))
    cache = PageCache(max_bytes=entry.size * 2 + 1)
    for n in range(5):
        cache.put((str(n),), entry)
        assert len(cache) <= 2
    assert cache.get(("4",)) is entry and cache.get(("0",)) is None


@pytest.mark.parametrize("moment", [DURING, bishkek(2027, 3, 1)])
def test_a_draft_that_does_not_exist_is_not_found_and_not_kept(client, make_draft, moment):
    draft = make_draft()
    set_clock(client, moment)
    assert client.get(f"/drafts/{draft.id + 1000}").status_code == 404
    assert client.get(f"/drafts/{draft.id + 1000}/feed.atom").status_code == 404
    assert client.get("/drafts/0").status_code == 422


def _a_change(db) -> None:
    """Any state change: an audit entry makes the stamp newer (as every write does)."""
    from app.services import audit as audit_service

    audit_service.record(session=db, actor=None, action="draft.updated", entity_type="draft",
                         entity_id=1, after={"test": True})
    db.commit()


def test_a_crowd_gets_the_last_rendering_while_that_page_is_rendered_again(app, db):
    """Issue 9, scenario 2 while comments come in: after a change, one request renders the
    page again and the others asking for that page meanwhile get the rendering it replaces,
    instead of waiting; nobody gets it once the new one is made, nor while only another page
    is being rendered, nor past the clock span it shows."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from starlette.requests import Request

    from app import clock, pagecache

    request = Request({"type": "http", "app": app, "method": "GET", "path": "/drafts/1",
                       "query_string": b"", "headers": []})
    cache = pagecache.of_app(request)
    key = ("test", "/drafts/1")
    # A page whose renderings do not share a lock with ``key``'s.
    other = next(k for k in (("test", f"/drafts/{n}") for n in range(2, 500))
                 if cache.render_lock(k) is not cache.render_lock(key))

    def page(body: str, valid_until=None):
        return lambda: pagecache.Rendered(body=body.encode(), media_type="text/html",
                                          valid_until=valid_until)

    def never() -> pagecache.Rendered:
        raise AssertionError("rendered while a rendering of the same page was going on")

    def slowly(body: str) -> tuple[threading.Event, threading.Event, object]:
        started, finish = threading.Event(), threading.Event()

        def render() -> pagecache.Rendered:
            started.set()
            assert finish.wait(10)
            return page(body)()
        return started, finish, render

    assert pagecache.lookup(request, session=db, key=key, render=page("v1")).body == b"v1"
    assert pagecache.lookup(request, session=db, key=other, render=page("w1")).body == b"w1"
    _a_change(db)
    started, finish, render = slowly("v2")
    with ThreadPoolExecutor(1) as pool:
        renderer = pool.submit(pagecache.lookup, request, session=db, key=key, render=render)
        assert started.wait(10)
        # Meanwhile: the rendering it replaces, at once, without rendering it again.
        assert pagecache.lookup(request, session=db, key=key, render=never).body == b"v1"
        # The other page, changed too, is not being rendered: it is, now.
        assert pagecache.lookup(request, session=db, key=other, render=page("w2")).body == b"w2"
        finish.set()
        assert renderer.result(10).body == b"v2"
    assert pagecache.lookup(request, session=db, key=key, render=never).body == b"v2"

    # Past the clock span it shows, a rendering is never served, even while one is made.
    span_end = clock.now() + timedelta(minutes=5)
    cache.clear()
    pagecache.lookup(request, session=db, key=key, render=page("open", span_end))
    _a_change(db)
    clock.set_now(span_end + timedelta(seconds=1))
    started, finish, render = slowly("closed")
    try:
        with ThreadPoolExecutor(2) as pool:
            renderer = pool.submit(pagecache.lookup, request, session=db, key=key,
                                   render=render)
            assert started.wait(10)
            late = pool.submit(pagecache.lookup, request, session=db, key=key,
                               render=page("closed, again"))
            finish.set()
            assert renderer.result(10).body == b"closed"
            assert late.result(10).body in (b"closed", b"closed, again")  # never "open"
    finally:
        clock.set_now(None)


def test_a_kept_page_is_answered_at_the_door_and_only_a_kept_page(client, make_draft, world,
                                                                  login):
    """Issue 9, scenario 2: an anonymous reader of a kept page is answered before routing
    (``pagecache.KeptPages``), so the pages' own dependency, which every page route runs first,
    sees only what had to be rendered: the first reading, the reading after a change, signed-in
    readers, and addresses the cache does not keep."""
    from app.pages.deps import page_viewer

    routed: list[str] = []

    def counted(request: Request, viewer: Viewer) -> User | None:
        routed.append(request.url.path + ("?" + request.url.query if request.url.query else ""))
        return page_viewer(request, viewer)

    client.app.dependency_overrides[page_viewer] = counted
    try:
        draft = make_draft()
        first = page_of(client, draft.id)
        assert len(routed) == 1
        for _ in range(3):
            assert page_of(client, draft.id).text == first.text
        feed = client.get(f"/drafts/{draft.id}/feed.atom")
        assert client.get(f"/drafts/{draft.id}/feed.atom").content == feed.content
        assert client.get(f"/drafts/{draft.id}/feed.atom").headers["cache-control"] == (
            "public, max-age=60")
        unchanged = client.get(f"/drafts/{draft.id}", headers={"If-None-Match":
                                                               first.headers["etag"]})
        assert unchanged.status_code == 304
        assert len(routed) == 1  # the feed is not a page: it has no page dependency

        comment(client, login(world["citizen"]), draft.id, "Замечание после первого чтения")
        after = page_of(client, draft.id)
        assert "Замечание после первого чтения" in after.text
        assert len(routed) == 2
        assert page_of(client, draft.id).text == after.text
        assert len(routed) == 2

        client.get(f"/drafts/{draft.id}", headers=login(world["moderator"]))
        page_of(client, draft.id, "?utm_source=tv")
        page_of(client, draft.id, "?utm_source=tv")
        assert routed[2:] == [f"/drafts/{draft.id}", f"/drafts/{draft.id}?utm_source=tv",
                              f"/drafts/{draft.id}?utm_source=tv"]
    finally:
        del client.app.dependency_overrides[page_viewer]
