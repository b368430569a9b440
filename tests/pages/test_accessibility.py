"""Landmarks, a skip link, one h1, unique ids and a label on every field, on every page."""

from collections import Counter

from app import clock
from tests.pages.conftest import AFTER, soup


def _check(page, url):
    assert page.find("header") and page.find("main", id="main") and page.find("footer"), url
    assert page.find("nav", attrs={"aria-label": True}), url
    skip = page.find("a", class_="skip-link")
    assert skip is not None and skip["href"] == "#main", url
    assert len(page.find_all("h1")) == 1, url
    ids = Counter(tag["id"] for tag in page.find_all(id=True))
    assert [i for i, n in ids.items() if n > 1] == [], url
    labelled = {label["for"] for label in page.find_all("label", attrs={"for": True})}
    for control in page.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type") in ("hidden", "submit"):
            continue
        assert control.get("id") in labelled or control.find_parent("label"), (url, control)
    assert page.html.get("lang") in ("ky", "ru", "en"), url


def test_pages_are_accessible_for_each_role(client, make_draft, add_comment, world, sign_in,
                                            browser, answer):
    draft = make_draft()
    comment = add_comment(draft, clause_key="art-1/part-1")
    anonymous_urls = ["/", "/drafts", f"/drafts/{draft.id}", f"/drafts/{draft.id}/comment",
                      f"/drafts/{draft.id}/comment?clause_key=art-1", "/login", "/register",
                      f"/comments/{comment.id}/receipt", "/not-a-page"]
    for url in anonymous_urls:
        _check(soup(browser().get(url)), url)
    citizen = sign_in(browser(), world["citizen"])
    for url in (f"/drafts/{draft.id}", f"/drafts/{draft.id}/comment?clause_key=art-1"):
        _check(soup(citizen.get(url)), url)
    moderator = sign_in(browser(), world["moderator"])
    _check(soup(moderator.get(f"/drafts/{draft.id}")), "moderator draft page")
    _check(soup(moderator.get(f"/comments/{comment.id}/hide")), "hide page")
    clock.set_now(AFTER)
    answer(comment)
    drafter = sign_in(browser(), world["drafter"])
    for url in ("/workspace", "/workspace/drafts/new", f"/workspace/drafts/{draft.id}",
                f"/drafts/{draft.id}"):
        _check(soup(drafter.get(url)), url)
