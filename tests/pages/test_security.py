"""CSRF on every form, escaping of everything people write, sessions, redirects, the CSP."""

import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuthToken, Comment, Draft, Role
from app.services import comments as comments_service
from app.services import summaries as summaries_service
from tests.conftest import PASSWORD
from tests.pages.conftest import AFTER, foreign_scripts, form_login, form_token, soup, text_of

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def _count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_comment_without_a_valid_csrf_token_is_refused(client, make_draft, world, sign_in, db,
                                                       token):
    draft = make_draft()
    sign_in(client, world["citizen"])
    client.get(f"/drafts/{draft.id}")  # the browser has its CSRF cookie
    data = {"clause_key": "art-1", "body": "Мой важный комментарий"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/drafts/{draft.id}/comments", data=data)
    assert response.status_code == 403
    page = soup(response)
    assert page.find(class_="alert-error")
    # Refused, but what the citizen wrote is on the page again, with a fresh token.
    assert page.find("textarea", attrs={"name": "body"}).string == "Мой важный комментарий"
    assert form_token(page, f"/drafts/{draft.id}/comments")
    assert _count(db, Comment) == 0


def test_a_token_from_another_browser_is_refused(client, make_draft, world, sign_in, browser,
                                                 db):
    draft = make_draft()
    other = browser()
    foreign_token = form_token(soup(other.get("/login")), "/login")
    sign_in(client, world["citizen"])
    client.get("/")
    response = client.post(f"/drafts/{draft.id}/comments",
                           data={"csrf_token": foreign_token, "body": "x"})
    assert response.status_code == 403
    assert _count(db, Comment) == 0


def test_every_page_form_requires_the_token(client, make_draft, add_comment, world, sign_in,
                                            db):
    draft = make_draft()
    comment = add_comment(draft)
    client.get("/")
    posts = {
        "/login": {"email": world["citizen"].email, "password": PASSWORD},
        "/register": {"name": "X", "email": "new@example.kg", "password": "long enough pw"},
        "/logout": {},
    }
    for url, data in posts.items():
        assert client.post(url, data=data, follow_redirects=False).status_code == 403, url
    assert "talkuu_session" not in client.cookies
    sign_in(client, world["drafter"])
    drafter_posts = {
        "/workspace/drafts": {"title_ru": "Новый", "act_type": "law", "text_ru": "Статья 1. А"},
        f"/workspace/drafts/{draft.id}/consultation/extend": {
            "closes_at": "2027-02-01T00:00", "reason": "Причина"},
        f"/workspace/comments/{comment.id}/response": {"decision": "accepted",
                                                       "reasoning": "Да"},
        f"/workspace/drafts/{draft.id}/summary": {},
    }
    for url, data in drafter_posts.items():
        response = client.post(url, data={**data, "csrf_token": "wrong"})
        assert response.status_code == 403, url
    sign_in(client, world["moderator"])
    assert client.post(f"/comments/{comment.id}/hide",
                       data={"reason": "Грубо", "csrf_token": "wrong"}).status_code == 403
    db.expire_all()
    assert _count(db, Draft) == 1
    stored = comments_service.get_comment(session=db, comment_id=comment.id)
    assert stored.status == "published" and stored.response is None
    assert db.get(Draft, draft.id).current_version == 1


def test_user_written_text_is_shown_as_text_everywhere(client, make_draft, make_user, world,
                                                       sign_in, db, answer):
    draft = make_draft(title=f"Закон {XSS}")
    author = make_user(Role.CITIZEN, name=f"Хакер {XSS}")
    sign_in(client, author)
    page = soup(client.get(f"/drafts/{draft.id}/comment?clause_key=art-2"))
    sent = client.post(f"/drafts/{draft.id}/comments", follow_redirects=False, data={
        "csrf_token": form_token(page, f"/drafts/{draft.id}/comments"), "clause_key": "art-2",
        "body": f"Тело {XSS}", "proposed_wording": f"Редакция {XSS}",
        "on_behalf_of": f"Организация {XSS}"})
    assert sent.status_code == 303
    comment = db.scalar(select(Comment))
    clock.set_now(AFTER)
    answer(comment, "rejected", f"Обоснование {XSS}")

    def check(html_page, *expected):
        assert foreign_scripts(html_page) == []
        assert html_page.find_all("img") == []
        assert not any(tag.has_attr("onerror") for tag in html_page.find_all(True))
        text = html_page.get_text()
        for words in expected:
            assert f"{words} {XSS}" in text, words

    check(soup(client.get(f"/drafts/{draft.id}")), "Закон", "Тело", "Редакция", "Организация",
          "Хакер")
    check(soup(client.get(sent.headers["location"])), "Закон", "Тело", "Редакция",
          "Организация", "Хакер")
    sign_in(client, world["drafter"])
    check(soup(client.get(f"/workspace/drafts/{draft.id}")), "Закон", "Тело", "Редакция",
          "Организация", "Хакер", "Обоснование")
    check(soup(client.get("/workspace")), "Закон")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()
    check(soup(client.get(f"/drafts/{draft.id}/summary")), "Закон", "Тело", "Редакция",
          "Организация", "Хакер", "Обоснование")
    check(soup(client.get("/")), "Закон")
    check(soup(client.get("/drafts")), "Закон")


def test_pages_carry_no_inline_script_or_style(client, make_draft, add_comment, world, sign_in):
    draft = make_draft()
    add_comment(draft)
    sign_in(client, world["moderator"])
    for url in ("/", "/drafts", f"/drafts/{draft.id}", "/login", "/no-such-page"):
        response = client.get(url)
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        page = soup(response)
        assert foreign_scripts(page) == [] and page.find_all("style") == []
        assert [t.name for t in page.find_all(style=True)] == []
        assert [t.name for t in page.find_all(True) if any(a.startswith("on") for a in t.attrs)] \
            == []
        stylesheet = page.find("link", rel="stylesheet")["href"]
        assert client.get(stylesheet).status_code == 200


def test_session_cookie_flags_renewal_and_sign_out(client, world, db):
    first = form_login(client, world["citizen"].email)
    cookie = first.headers["set-cookie"]
    assert re.search(r"talkuu_session=[^;]+;", cookie)
    for flag in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=1209600"):
        assert flag.lower() in cookie.lower(), flag
    assert "secure" not in cookie.lower()  # the test environment runs on plain http
    first_token = client.cookies["talkuu_session"]
    form_login(client, world["citizen"].email)
    second_token = client.cookies["talkuu_session"]
    assert second_token != first_token  # a new session at each sign-in
    revoked = db.scalar(select(func.count()).select_from(AuthToken).where(
        AuthToken.revoked_at.is_not(None)))
    assert revoked == 1  # ... and the browser's previous one ended
    page = soup(client.get("/"))
    out = client.post("/logout", data={"csrf_token": form_token(page, "/logout")},
                      follow_redirects=False)
    assert out.status_code == 303
    assert 'talkuu_session=""' in out.headers["set-cookie"] or \
        "max-age=0" in out.headers["set-cookie"].lower()
    # The old cookie no longer signs anyone in, even if a copy of it survived.
    client.cookies.set("talkuu_session", second_token)
    assert soup(client.get("/")).find(class_="who") is None


def test_wrong_password_keeps_the_email_and_says_why(client, world):
    page = soup(client.get("/login?lang=en"))
    response = client.post("/login", data={"csrf_token": form_token(page, "/login"),
                                           "email": world["citizen"].email,
                                           "password": "wrong password", "next": ""})
    assert response.status_code == 401
    again = soup(response)
    assert "The email or password is not correct." in text_of(again.find(class_="alert-error"))
    assert again.find("input", attrs={"name": "email"})["value"] == world["citizen"].email
    assert not again.find("input", attrs={"name": "password"}).has_attr("value")


@pytest.mark.parametrize("target, expected", [
    ("/drafts?status=closed", "/drafts?status=closed"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("", "/"),
])
def test_sign_in_redirects_only_to_this_site(client, world, target, expected):
    page = soup(client.get("/login"))
    response = client.post("/login", follow_redirects=False, data={
        "csrf_token": form_token(page, "/login"), "email": world["citizen"].email,
        "password": PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_registration_errors_keep_what_was_typed(client, world):
    page = soup(client.get("/register?lang=ru"))
    response = client.post("/register", data={
        "csrf_token": form_token(page, "/register"), "name": "Нурлан",
        "email": world["citizen"].email, "password": "long enough pw", "next": ""})
    assert response.status_code == 409
    again = soup(response)
    assert "уже существует" in text_of(again.find(class_="alert-error"))
    assert again.find("input", attrs={"name": "name"})["value"] == "Нурлан"


def test_sign_in_form_is_rate_limited_and_keeps_the_email(client, world):
    page = soup(client.get("/login?lang=en"))
    token = form_token(page, "/login")
    for _ in range(10):
        assert client.post("/login", data={"csrf_token": token, "email": world["citizen"].email,
                                           "password": "wrong password", "next": ""}
                           ).status_code == 401
    blocked = client.post("/login", data={"csrf_token": token, "email": world["citizen"].email,
                                          "password": PASSWORD, "next": ""})
    assert blocked.status_code == 429
    again = soup(blocked)
    assert "Too many attempts" in text_of(again.find(class_="alert-error"))
    assert again.find("input", attrs={"name": "email"})["value"] == world["citizen"].email
