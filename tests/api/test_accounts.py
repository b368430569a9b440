"""Accounts and email, end to end with a real SMTP server: verification, password reset,
receipts, answers, followers, and mail that waits while the server is down."""

import re
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import OutboxMessage, OutboxStatus, Role
from tests.api.test_consultation_loop import LAW
from tests.conftest import PASSWORD, bishkek, set_clock

LINK = re.compile(r"https?://\S+?token=([\w-]+)")


def _token(inbox, address: str) -> str:
    body = inbox.body(inbox.to(address)[-1])
    return LINK.search(body).group(1)


def test_registration_sends_a_verification_link_that_works_once(client, smtp_server, deliver,
                                                                 db):
    created = client.post("/api/v1/auth/register?lang=ky", json={
        "email": "aida@example.kg", "password": "a long password", "name": "Аида"})
    assert created.status_code == 201 and created.json()["email_verified"] is False
    assert deliver() == (1, 0)
    (message,) = smtp_server.to("aida@example.kg")
    assert message["Subject"] == "Электрондук почтаңызды ырастаңыз"
    token = _token(smtp_server, "aida@example.kg")
    verified = client.post("/api/v1/auth/verify", json={"token": token})
    assert verified.status_code == 200 and verified.json()["email_verified"] is True
    again = client.post("/api/v1/auth/verify", json={"token": token})
    assert again.status_code == 400 and again.json()["error"] == "invalid_link"
    assert client.post("/api/v1/auth/verify", json={"token": "forged"}).status_code == 400


def test_password_reset_ends_other_sessions(client, smtp_server, deliver, make_user, login):
    user = make_user(Role.CITIZEN)
    old = login(user)
    assert client.post("/api/v1/auth/password-reset",
                       json={"email": "nobody@example.kg"}).status_code == 202
    assert client.post("/api/v1/auth/password-reset",
                       json={"email": user.email.upper()}).status_code == 202
    assert deliver() == (1, 0)  # nothing for the unknown address, and the answer was the same
    token = _token(smtp_server, user.email)
    weak = client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": token, "password": "short"})
    assert weak.status_code == 422
    done = client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": token, "password": "a brand new password"})
    assert done.status_code == 200
    assert client.get("/api/v1/me", headers=old).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": user.email,
                                                   "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token", data={
        "username": user.email, "password": "a brand new password"}).status_code == 200


def test_reset_link_expires_after_an_hour(client, smtp_server, deliver, make_user):
    user = make_user(Role.CITIZEN)
    set_clock(client, bishkek(2026, 12, 1, 10))
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    deliver()
    set_clock(client, bishkek(2026, 12, 1, 11, 1))
    expired = client.post("/api/v1/auth/password-reset/confirm", json={
        "token": _token(smtp_server, user.email), "password": "a brand new password"})
    assert expired.status_code == 400


def test_mail_waits_while_the_server_is_down(client, smtp_server, deliver, db):
    smtp_server.stop()
    client.post("/api/v1/auth/register", json={
        "email": "bolot@example.kg", "password": "a long password", "name": "Болот"})
    assert deliver() == (0, 1)
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "bolot@example.kg"))
    assert message.status is OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at > clock.now()
    smtp_server.start()
    assert deliver() == (0, 0)  # not due yet: it waits for its retry time
    clock.set_now(message.next_attempt_at + timedelta(seconds=1))
    assert deliver() == (1, 0)
    assert len(smtp_server.to("bolot@example.kg")) == 1
    db.refresh(message)
    assert message.status is OutboxStatus.SENT


def test_profile_and_own_comments(client, make_org, make_user, login, smtp_server, deliver):
    ministry = make_org("mineconom", "Министерство экономики", "Экономика министрлиги")
    drafter = login(make_user(Role.DRAFTER, ministry))
    citizen_user = make_user(Role.CITIZEN, email="nurlan@example.kg")
    set_clock(client, bishkek(2026, 12, 1, 10))
    citizen = login(citizen_user)
    draft = client.post("/api/v1/drafts", headers=drafter, json={
        "organization": "mineconom", "act_type": "law", "title": "О защите прав",
        "text": {"ru": LAW}}).json()
    assert client.post(f"/api/v1/drafts/{draft['id']}/follow", headers=citizen).json() == {
        "following": True}
    client.post(f"/api/v1/drafts/{draft['id']}/consultation", headers=drafter, json={
        "opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-01T00:00:00+06:00"})
    comment = client.post(f"/api/v1/drafts/{draft['id']}/comments", headers=citizen,
                          json={"body": "Уточните статью 2", "clause_key": "art-2"}).json()
    deliver()
    subjects = [m["Subject"] for m in smtp_server.to("nurlan@example.kg")]
    assert any("О защите прав" in s for s in subjects)  # the follower heard of the period
    assert any(comment["receipt"] in s for s in subjects)  # and got the receipt

    updated = client.patch("/api/v1/me", headers=citizen,
                           json={"name": "Нурлан А.", "affiliation": "ОО «Право»"})
    assert updated.json()["affiliation"] == "ОО «Право»"
    mine = client.get("/api/v1/me/comments", headers=citizen).json()
    assert [(c["receipt"], c["status"], c["response"]) for c in mine] == [
        (comment["receipt"], "published", None)]

    set_clock(client, bishkek(2027, 1, 2, 10))
    drafter = login(make_user(Role.DRAFTER, ministry))
    citizen = login(citizen_user)
    client.put(f"/api/v1/comments/{comment['id']}/response", headers=drafter,
               json={"decision": "accepted", "reasoning": "Статья 2 уточнена"})
    assert client.get("/api/v1/me/comments", headers=citizen).json()[0]["response"] is None
    assert client.post(f"/api/v1/drafts/{draft['id']}/summary",
                       headers=drafter).status_code == 201
    answer = client.get("/api/v1/me/comments", headers=citizen).json()[0]["response"]
    assert answer["decision"] == "accepted"
    deliver()
    last = smtp_server.to("nurlan@example.kg")[-1]
    assert "Статья 2 уточнена" in smtp_server.body(last)
    assert client.delete(f"/api/v1/drafts/{draft['id']}/follow",
                         headers=citizen).status_code == 204


def test_unverified_account_cannot_comment_until_it_confirms(client, make_org, make_user, login,
                                                            smtp_server, deliver, db):
    ministry = make_org("mineconom", "Министерство экономики", "Экономика министрлиги")
    drafter = login(make_user(Role.DRAFTER, ministry))
    set_clock(client, bishkek(2026, 12, 1, 10))
    draft = client.post("/api/v1/drafts", headers=drafter, json={
        "organization": "mineconom", "act_type": "law", "title": "О защите прав",
        "text": {"ru": LAW}}).json()
    client.post(f"/api/v1/drafts/{draft['id']}/consultation", headers=drafter, json={
        "opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-01T00:00:00+06:00"})
    client.post("/api/v1/auth/register", json={
        "email": "erkin@example.kg", "password": "a long password", "name": "Эркин"})
    headers = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", data={
        "username": "erkin@example.kg", "password": "a long password"}).json()["access_token"]}
    url = f"/api/v1/drafts/{draft['id']}/comments"
    refused = client.post(url, headers=headers, json={"body": "Хочу сказать"})
    assert refused.status_code == 403 and refused.json()["error"] == "email_not_verified"
    assert client.post("/api/v1/auth/verification", headers=headers).status_code == 202
    deliver()
    client.post("/api/v1/auth/verify", json={"token": _token(smtp_server, "erkin@example.kg")})
    assert client.post(url, headers=headers, json={"body": "Хочу сказать"}).status_code == 201
