"""Account journeys in the browser, with a real SMTP server: register, confirm by the emailed
link, forget the password and reset it, the profile with one's comments, following a draft."""

import re

from sqlalchemy import func, select

from app.models import AuditEntry, DraftFollow, User
from tests.pages.conftest import form_token, soup, text_of

LINK = re.compile(r"https?://[^/\s]+(/\S+)")


def _emailed_path(inbox, address: str) -> str:
    return LINK.search(inbox.body(inbox.to(address)[-1])).group(1)


def _register(client, email: str, **extra):
    page = soup(client.get("/register?lang=en"))
    return client.post("/register", data={"csrf_token": form_token(page, "/register"),
                                          "name": "Асел", "email": email,
                                          "password": "a long password", "next": "",
                                          "website": "", **extra})


def test_register_then_confirm_by_the_emailed_link(client, smtp_server, deliver, db):
    response = _register(client, "asel@example.kg")
    assert response.status_code == 200 and response.url.path == "/account"
    assert "asel@example.kg" in text_of(soup(response).find(class_="notice"))
    deliver()
    path = _emailed_path(smtp_server, "asel@example.kg")
    assert path.startswith("/verify-email?token=")
    confirmed = client.get(path + "&lang=en")
    assert confirmed.status_code == 200
    assert "your address is confirmed" in text_of(soup(confirmed).find(class_="notice"))
    user = db.scalar(select(User).where(User.email == "asel@example.kg"))
    db.refresh(user)
    assert user.email_verified_at is not None
    again = client.get(path)
    assert again.status_code == 400


def test_honeypot_refuses_and_stores_nothing(client, db):
    response = _register(client, "bot@example.kg", website="http://spam.example")
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(User).where(
        User.email == "bot@example.kg")) == 0


def test_forgotten_password_through_the_pages(client, smtp_server, deliver, world):
    citizen = world["citizen"]
    page = soup(client.get("/forgot-password?lang=en"))
    sent = client.post("/forgot-password", data={
        "csrf_token": form_token(page, "/forgot-password"), "email": citizen.email,
        "website": ""})
    assert sent.status_code == 200
    unknown = client.post("/forgot-password", data={
        "csrf_token": form_token(page, "/forgot-password"), "email": "nobody@example.kg",
        "website": ""})
    # The same answer whether or not the account exists.
    assert text_of(soup(sent).find(class_="notice")) == text_of(soup(unknown).find(class_="notice"))
    deliver()
    path = _emailed_path(smtp_server, citizen.email)
    form_page = soup(client.get(path))
    token = form_page.find("input", attrs={"name": "token"})["value"]
    done = client.post("/reset-password", follow_redirects=False, data={
        "csrf_token": form_token(form_page, "/reset-password"), "token": token,
        "password": "another long password"})
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    login_page = soup(client.get("/login"))
    signed_in = client.post("/login", follow_redirects=False, data={
        "csrf_token": form_token(login_page, "/login"), "email": citizen.email,
        "password": "another long password", "next": ""})
    assert signed_in.status_code == 303


def test_account_page_lists_own_comments_and_edits_the_profile(client, world, make_draft,
                                                              add_comment, sign_in, db):
    draft = make_draft()
    comment = add_comment(draft, author=world["citizen"], body="<b>Моё</b> замечание")
    sign_in(client, world["citizen"])
    page = soup(client.get("/account?lang=en"))
    cards = page.find_all(class_="card")
    assert len(cards) == 1 and comment.receipt in text_of(cards[0])
    assert "<b>Моё</b> замечание" in text_of(cards[0]) and cards[0].find("b") is None
    saved = client.post("/account", follow_redirects=False, data={
        "csrf_token": form_token(page, "/account"), "name": "Айгүл С.",
        "affiliation": "ОО «Укук»"})
    assert saved.status_code == 303
    db.refresh(world["citizen"])
    assert world["citizen"].affiliation == "ОО «Укук»"
    assert client.get("/account?lang=en", follow_redirects=False).status_code == 200


def test_account_page_needs_a_session(client):
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_follow_a_draft_from_its_page(client, world, make_draft, sign_in, db):
    draft = make_draft()
    action = f"/drafts/{draft.id}/follow"
    anonymous = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    assert anonymous.find("form", action=action) is None
    assert anonymous.find("a", href=f"/login?next=/drafts/{draft.id}") is not None

    sign_in(client, world["citizen"])
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    form = page.find("form", action=action)
    assert form.find("input", attrs={"name": "action"})["value"] == "follow"
    response = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "action": "follow"})
    assert response.status_code == 303
    assert db.scalar(select(func.count()).select_from(DraftFollow)) == 1

    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    form = page.find("form", action=action)
    assert form.find("input", attrs={"name": "action"})["value"] == "unfollow"
    assert "You follow this draft" in text_of(page.find(id="follow-hint"))
    client.post(action, data={"csrf_token": form_token(page, action), "action": "unfollow"})
    assert db.scalar(select(func.count()).select_from(DraftFollow)) == 0
    assert list(db.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("follow.%")).order_by(AuditEntry.id))) == [
        "follow.started", "follow.stopped"]
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    assert page.find(id="follow-hint") is None
