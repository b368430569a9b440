"""The drafter's workspace: who may enter, what is due first, and forms that keep their input."""

import io

from sqlalchemy import func, select

from app import clock
from app.models import Draft
from app.services import consultations as consultations_service
from tests.conftest import bishkek
from tests.pages.conftest import AFTER, CLOSES, form_token, soup, text_of


def test_who_may_enter_the_workspace(client, make_draft, world, sign_in, browser, make_user):
    draft = make_draft()
    anonymous = client.get("/workspace", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/workspace"
    deep = client.get(f"/workspace/drafts/{draft.id}?unanswered=1", follow_redirects=False)
    assert deep.headers["location"] == f"/login?next=/workspace/drafts/{draft.id}%3Funanswered%3D1"
    for person in ("citizen", "moderator", "monitor"):
        visitor = sign_in(browser(), world[person])
        for url in ("/workspace", "/workspace/drafts/new", f"/workspace/drafts/{draft.id}"):
            response = visitor.get(url)
            assert response.status_code == 403, (person, url)
            assert soup(response).find("main", id="main")
    other = sign_in(browser(), world["other_drafter"])
    assert other.get("/workspace").status_code == 200
    assert other.get(f"/workspace/drafts/{draft.id}").status_code == 403
    own = sign_in(browser(), world["drafter"])
    for url in ("/workspace", "/workspace/drafts/new", f"/workspace/drafts/{draft.id}"):
        assert own.get(url).status_code == 200, url


def test_workspace_lists_what_is_due_first(client, make_draft, add_comment, world, sign_in, db,
                                           answer):
    waiting = make_draft(title="Без периода", open_period=False)
    open_now = make_draft(title="Открытый")
    closed = make_draft(title="Закрытый")
    add_comment(closed)
    answered = add_comment(closed)
    # Move the closed one's end back: it closes before the others and its summary is due.
    clock.set_now(bishkek(2026, 12, 5, 12))
    consultation = consultations_service.latest(session=db, draft=closed)
    consultation.closes_at = bishkek(2026, 12, 6)
    db.commit()
    clock.set_now(bishkek(2026, 12, 10))
    answer(answered)
    sign_in(client, world["drafter"])
    page = soup(client.get("/workspace?lang=en"))
    rows = page.find("table").find("tbody").find_all("tr")
    assert [text_of(r.th.a) for r in rows] == ["Закрытый", "Открытый", "Без периода"]
    cells = [text_of(td) for td in rows[0].find_all("td")]
    assert cells[2:4] == ["2", "1"]  # comments, unanswered
    assert cells[4] == "January 4, 2027"  # 30 days after Dec 5, the last day of the period
    assert waiting.id and open_now.id


def test_new_draft_errors_keep_the_text(client, world, sign_in, db):
    sign_in(client, world["drafter"])
    page = soup(client.get("/workspace/drafts/new?lang=en"))
    token = form_token(page, "/workspace/drafts")
    no_title = client.post("/workspace/drafts", data={
        "csrf_token": token, "title_ru": "", "title_ky": "", "act_type": "law",
        "text_ru": "Статья 1. Предмет\n\nТекст.", "language": "ru"})
    assert no_title.status_code == 422
    again = soup(no_title)
    assert "The draft needs a title." in text_of(again.find(class_="alert-error"))
    assert again.find("textarea", attrs={"name": "text_ru"}).string.startswith("Статья 1.")
    assert again.find("select", attrs={"name": "act_type"}).find("option", selected=True)[
        "value"] == "law"
    wrong_file = client.post("/workspace/drafts", data={
        "csrf_token": token, "title_ru": "Заголовок", "act_type": "code", "language": "ru"},
        files={"file": ("law.pdf", io.BytesIO(b"%PDF-1.4 ..."), "application/pdf")})
    assert wrong_file.status_code == 415
    assert soup(wrong_file).find("input", attrs={"name": "title_ru"})["value"] == "Заголовок"
    assert db.scalar(select(func.count()).select_from(Draft)) == 0


def test_extending_the_period_with_a_reason(client, make_draft, world, sign_in, db):
    draft = make_draft()
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    action = f"/workspace/drafts/{draft.id}/consultation/extend"
    form = page.find("form", action=action)
    assert form.find("input", attrs={"name": "closes_at"})["value"] == "2027-01-01T00:00"
    earlier = client.post(action, data={"csrf_token": form_token(page, action),
                                        "closes_at": "2026-12-20T00:00", "reason": "Ошибка"})
    assert earlier.status_code == 409
    assert soup(earlier).find("textarea", attrs={"name": "reason"}).string == "Ошибка"
    db.expire_all()
    assert consultations_service.latest(session=db, draft=draft).closes_at == CLOSES
    done = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "closes_at": "2027-01-15T18:00",
        "reason": "Много обращений"})
    assert done.status_code == 303
    db.expire_all()
    assert consultations_service.latest(session=db, draft=draft).closes_at == \
        bishkek(2027, 1, 15, 18)
    public = soup(client.get(f"/drafts/{draft.id}?lang=ru"))
    assert "Много обращений" in text_of(public.find(class_="extensions"))


def test_urgent_period_is_shown_publicly(client, make_draft, world, sign_in, db):
    draft = make_draft(open_period=False)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}"))
    action = f"/workspace/drafts/{draft.id}/consultation"
    assert page.find("form", action=action)
    opened = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "opens_at": "2026-12-05T12:00",
        "closes_at": "2026-12-12T12:00", "urgent_reason": "Исполнение решения суда",
        "clause_keys": ""})
    assert opened.status_code == 303
    public = soup(client.get(f"/drafts/{draft.id}"))
    assert "Исполнение решения суда" in text_of(public.find(class_="notice-urgent"))
    assert soup(client.get(f"/workspace/drafts/{draft.id}")).find("form", action=action) is None


def test_answer_queue_filter_and_frozen_answers(client, make_draft, add_comment, world, sign_in,
                                                db, answer):
    from app.services import summaries as summaries_service

    draft = make_draft()
    first = add_comment(draft, body="Первый")
    second = add_comment(draft, clause_key=None, body="Второй")
    clock.set_now(AFTER)
    answer(first, "accepted", "Принято")
    sign_in(client, world["drafter"])
    everything = soup(client.get(f"/workspace/drafts/{draft.id}"))
    assert everything.find(id=f"comment-{first.id}") and everything.find(id=f"comment-{second.id}")
    assert everything.find(id=f"comment-{first.id}").find(
        "textarea", attrs={"name": "reasoning"}).string == "Принято"
    only = soup(client.get(f"/workspace/drafts/{draft.id}?unanswered=1"))
    assert only.find(id=f"comment-{first.id}") is None and only.find(id=f"comment-{second.id}")
    answer(second, "not_applicable", "Не по теме")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()
    frozen = soup(client.get(f"/workspace/drafts/{draft.id}"))
    assert frozen.find("form", action=f"/workspace/comments/{first.id}/response") is None
    assert frozen.find(id="summary") is None
    assert "Принято" in text_of(frozen.find(id=f"comment-{first.id}"))
