"""The whole consultation loop through the forms, with cookies and CSRF tokens, as a browser."""

import io

from sqlalchemy import select, update

from app import clock
from app.models import Comment, Draft, FeedbackSummary, User
from tests.conftest import PASSWORD, bishkek
from tests.pages.conftest import LAW, form_login, form_token, soup, text_of


def test_citizen_registers_signs_in_and_comments_on_a_clause(client, make_draft, db):
    draft = make_draft()
    register_page = soup(client.get(f"/register?next=/drafts/{draft.id}"))
    registered = client.post("/register", follow_redirects=False, data={
        "csrf_token": form_token(register_page, "/register"), "name": "Бакыт Асанов",
        "email": "bakyt@example.kg", "password": "long enough pw",
        "next": register_page.find("input", attrs={"name": "next"})["value"]})
    assert registered.status_code == 303
    assert registered.headers["location"] == f"/drafts/{draft.id}"
    # verified by the emailed link in tests/pages/test_accounts.py
    db.execute(update(User).where(User.email == "bakyt@example.kg")
               .values(email_verified_at=clock.now()))
    db.commit()

    # Registering signed the browser in; sign out, then in again through the form.
    page = soup(client.get(f"/drafts/{draft.id}"))
    assert "Бакыт Асанов" in text_of(page.find(class_="who"))
    signed_out = client.post("/logout", data={"csrf_token": form_token(page, "/logout")},
                             follow_redirects=False)
    assert signed_out.status_code == 303
    assert soup(client.get("/")).find(class_="who") is None
    signed_in = form_login(client, "bakyt@example.kg", "long enough pw",
                           next_path=f"/drafts/{draft.id}")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"/drafts/{draft.id}"

    # From the clause in the text to its comment page, then the form.
    page = soup(client.get(f"/drafts/{draft.id}?lang=ru"))
    link = page.find(id="art-1--part-1").find("a", class_="comment-link")["href"]
    form_page = soup(client.get(link))
    form = form_page.find("form", action=f"/drafts/{draft.id}/comments")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    data.update(body="Уточните понятие «потребитель»",
                proposed_wording="потребитель - физическое лицо",
                on_behalf_of="ОО «Защита потребителей»")
    sent = client.post(f"/drafts/{draft.id}/comments", data=data, follow_redirects=False)
    assert sent.status_code == 303, sent.text

    comment = db.scalar(select(Comment).where(Comment.draft_id == draft.id))
    assert sent.headers["location"] == f"/comments/{comment.id}/receipt"
    assert comment.clause_key == "art-1/part-1"
    assert comment.on_behalf_of == "ОО «Защита потребителей»"
    receipt = soup(client.get(sent.headers["location"] + "?lang=ru"))
    assert text_of(receipt.find(id="receipt-number")) == comment.receipt
    assert "Статья 1 › Часть 1" in text_of(receipt.find("dl"))
    assert "В настоящем Законе используются" in text_of(receipt.find(class_="quoted-clause"))
    assert "Уточните понятие «потребитель»" in text_of(receipt.find(class_="comment-body"))


def test_anonymous_comment_goes_to_sign_in(client, make_draft, db):
    draft = make_draft()
    page = soup(client.get(f"/drafts/{draft.id}/comment?clause_key=art-2"))
    assert page.find("form", action=f"/drafts/{draft.id}/comments") is None
    response = client.post(f"/drafts/{draft.id}/comments", follow_redirects=False, data={
        "csrf_token": form_token(page, "/logout") if page.find("form", action="/logout")
        else _token(client), "clause_key": "art-2", "body": "Без входа"})
    assert response.status_code == 303
    assert response.headers["location"] == \
        f"/login?next=/drafts/{draft.id}/comment%3Fclause_key%3Dart-2"
    assert db.scalar(select(Comment.id).where(Comment.draft_id == draft.id)) is None


def _token(client):
    return form_token(soup(client.get("/login")), "/login")


def test_comment_refused_by_the_rules_keeps_the_text(client, make_draft, world, sign_in, db):
    draft = make_draft()
    sign_in(client, world["citizen"])
    page = soup(client.get(f"/drafts/{draft.id}/comment?clause_key=art-2"))
    token = form_token(page, f"/drafts/{draft.id}/comments")
    clock.set_now(bishkek(2027, 1, 3))  # the period is over while the citizen was writing
    sign_in(client, world["citizen"])  # (and the two-week session with it)
    refused = client.post(f"/drafts/{draft.id}/comments", data={
        "csrf_token": token, "clause_key": "art-2", "body": "Длинный продуманный текст",
        "proposed_wording": "Новая редакция", "on_behalf_of": "Ассоциация"})
    assert refused.status_code == 409
    again = soup(refused)
    assert again.find(class_="alert-error")
    assert again.find("textarea", attrs={"name": "body"}).string == "Длинный продуманный текст"
    assert again.find("textarea", attrs={"name": "proposed_wording"}).string == "Новая редакция"
    assert again.find("input", attrs={"name": "on_behalf_of"})["value"] == "Ассоциация"
    assert again.find("input", attrs={"name": "clause_key"})["value"] == "art-2"
    assert db.scalar(select(Comment.id).where(Comment.draft_id == draft.id)) is None


def test_drafter_runs_the_consultation_through_the_workspace(client, world, db, browser, sign_in):
    clock.set_now(bishkek(2026, 12, 1, 9))
    signed_in = form_login(client, world["drafter"].email, PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/workspace"
    workspace = soup(client.get("/workspace"))
    assert workspace.find("a", href="/workspace/drafts/new")

    # A new draft, its Russian text uploaded as a file in Windows-1251.
    new_page = soup(client.get("/workspace/drafts/new"))
    created = client.post("/workspace/drafts", follow_redirects=False, data={
        "csrf_token": form_token(new_page, "/workspace/drafts"),
        "title_ru": "О защите прав потребителей", "title_ky": "", "act_type": "law",
        "summary_ru": "Уточняет понятия", "summary_ky": "", "text_ru": "", "text_ky": "",
        "language": "ru"}, files={"file": ("law.txt", io.BytesIO(LAW.encode("cp1251")),
                                           "text/plain")})
    assert created.status_code == 303, created.text
    # First the preview of what was recognised, then "Publish".
    preview_url = created.headers["location"]
    preview = soup(client.get(preview_url))
    published = client.post(f"{preview_url}/publish", follow_redirects=False, data={
        "csrf_token": form_token(preview, f"{preview_url}/publish")})
    assert published.status_code == 303
    draft = db.scalar(select(Draft).order_by(Draft.id.desc()))
    assert published.headers["location"] == f"/workspace/drafts/{draft.id}?created=1"
    page = soup(client.get(published.headers["location"] + "&lang=en"))
    assert "Article: 3" in text_of(page.find(id="structure-heading").parent)

    # Too short without the urgent procedure: the form comes back with the error and values.
    action = f"/workspace/drafts/{draft.id}/consultation"
    short = client.post(action, data={
        "csrf_token": form_token(page, action), "opens_at": "2026-12-01T09:00",
        "closes_at": "2026-12-10T18:00", "urgent_reason": "", "clause_keys": ""})
    assert short.status_code == 422
    again = soup(short)
    assert again.find(id="open-period").find(class_="alert-error")
    assert again.find(id="open-closes_at")["value"] == "2026-12-10T18:00"
    opened = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "opens_at": "2026-12-01T09:00",
        "closes_at": "2027-01-01T00:00", "urgent_reason": "", "clause_keys": ""})
    assert opened.status_code == 303
    public = soup(client.get(f"/drafts/{draft.id}"))
    assert public.find(class_="period").find("time", datetime="2027-01-01T00:00+06:00")

    # A citizen comments (in their own browser).
    citizen = sign_in(browser(), world["citizen"])
    comment_page = soup(citizen.get(f"/drafts/{draft.id}/comment?clause_key=art-3"))
    sent = citizen.post(f"/drafts/{draft.id}/comments", follow_redirects=False, data={
        "csrf_token": form_token(comment_page, f"/drafts/{draft.id}/comments"),
        "clause_key": "art-3", "body": "Дайте переходный период"})
    assert sent.status_code == 303
    comment = db.scalar(select(Comment).where(Comment.draft_id == draft.id))

    # After the close, the drafter signs in again (the session of two weeks ago has expired).
    clock.set_now(bishkek(2027, 1, 2, 10))
    assert client.get(f"/workspace/drafts/{draft.id}", follow_redirects=False).status_code == 303
    form_login(client, world["drafter"].email, PASSWORD)
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    summary_action = f"/workspace/drafts/{draft.id}/summary"
    early = client.post(summary_action, data={"csrf_token": form_token(page, summary_action)})
    assert early.status_code == 409
    refusal = soup(early).find(id="summary").find(class_="alert-error")
    assert "без ответа: 1" in text_of(refusal)
    assert refusal.find("a", href=f"#comment-{comment.id}")
    assert comment.receipt in text_of(refusal)

    queue = soup(client.get(f"/workspace/drafts/{draft.id}?unanswered=1&lang=ru"))
    item = queue.find(id=f"comment-{comment.id}")
    assert "Дайте переходный период" in text_of(item)
    assert "Настоящий Закон вступает в силу" in text_of(item.find(class_="quoted-clause"))
    answer_action = f"/workspace/comments/{comment.id}/response"
    token = form_token(queue, answer_action)
    empty = client.post(answer_action, data={"csrf_token": token, "decision": "accepted",
                                             "reasoning": "  ", "unanswered": "1"})
    assert empty.status_code == 422
    kept = soup(empty).find(id=f"comment-{comment.id}")
    assert kept.find("input", attrs={"value": "accepted"}).has_attr("checked")
    saved = client.post(answer_action, follow_redirects=False, data={
        "csrf_token": token, "decision": "partially_accepted",
        "reasoning": "Переходный период — 6 месяцев", "unanswered": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/workspace/drafts/{draft.id}?unanswered=1")
    assert soup(client.get(saved.headers["location"])).find(id=f"comment-{comment.id}") is None

    published = client.post(summary_action, follow_redirects=False,
                            data={"csrf_token": form_token(page, summary_action)})
    assert published.status_code == 303
    assert published.headers["location"] == f"/drafts/{draft.id}/summary"
    assert db.scalar(select(FeedbackSummary.id).where(FeedbackSummary.draft_id == draft.id))
    summary = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru"))
    item = summary.find(id=f"comment-{comment.id}")
    assert "Учтено частично" in text_of(item)
    assert "Переходный период — 6 месяцев" in text_of(item)
    by_decision = summary.find("table", class_="counts")
    assert "Учтено частично 1" in text_of(by_decision)
