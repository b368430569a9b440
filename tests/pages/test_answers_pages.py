"""The drafter's answering pages: the queue's filters, a group of twenty answered with one
form, answer templates picked in the form, the corrections form, what is due."""

from sqlalchemy import func, select

from app import clock
from app.models import Response, Role
from app.services import summaries as summaries_service
from tests.conftest import bishkek
from tests.pages.conftest import AFTER, form_token, soup, text_of

CAMPAIGN = "Против повышения штрафов! Статья 1 ударит по малому бизнесу."


def test_twenty_identical_comments_take_one_form(client, make_draft, add_comment, make_user,
                                                 world, sign_in, db, browser):
    draft = make_draft()
    twins = [add_comment(draft, author=make_user(Role.CITIZEN), body=CAMPAIGN)
             for _ in range(20)]
    single = add_comment(draft, clause_key="art-2", body="Уточните сферу")
    clock.set_now(AFTER)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    group_id = twins[0].group_id
    action = f"/workspace/comment-groups/{group_id}/response"
    forms = page.find_all("form", action=action)
    assert len(forms) == 1  # on the first comment of the group only
    assert page.find(id=f"comment-{twins[0].id}").find("form", action=action)
    assert "20" in text_of(page.find(id=f"group-{group_id}").find("h3"))
    assert page.find(id=f"comment-{single.id}").find("form", class_="answer-form",
                                                     action=action) is None

    sent = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "decision": "rejected",
        "reasoning": "Штрафы не повышаются", "unanswered": "1"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/workspace/drafts/{draft.id}?unanswered=1")
    assert db.scalar(select(func.count()).select_from(Response).where(
        Response.comment_id.in_([t.id for t in twins]))) == 20
    left = soup(client.get(sent.headers["location"]))
    assert left.find(id=f"comment-{single.id}") and left.find(id=f"comment-{twins[3].id}") is None
    assert "сохранены" in text_of(left.find(class_="alert-success")).lower()

    # Another body's drafter cannot answer the group.
    other = sign_in(browser(), world["other_drafter"])
    assert other.post(action, data={"csrf_token": "x", "decision": "accepted",
                                    "reasoning": "y"}).status_code == 403


def test_queue_filters_by_clause_decision_and_group(client, make_draft, add_comment, world,
                                                    sign_in, answer):
    draft = make_draft()
    first = add_comment(draft, clause_key="art-1/part-1", body="Первый")
    second = add_comment(draft, clause_key="art-2", body="Второй")
    whole = add_comment(draft, clause_key=None, body="В целом")
    clock.set_now(AFTER)
    answer(first, "accepted", "Принято")
    sign_in(client, world["drafter"])

    def shown(query: str) -> set[int]:
        page = soup(client.get(f"/workspace/drafts/{draft.id}?{query}"))
        return {int(a["id"].split("-")[1]) for a in page.find_all("article", class_="queue-item")}

    assert shown("") == {first.id, second.id, whole.id}
    assert shown("clause=art-1") == {first.id}
    assert shown("clause=") == {whole.id}
    assert shown("clause=-") == {first.id, second.id, whole.id}
    assert shown("decision=accepted") == {first.id}
    assert shown("unanswered=1&clause=art-2") == {second.id}
    assert shown("decision=nonsense&clause=%3Cscript%3E") == {first.id, second.id, whole.id}
    page = soup(client.get(f"/workspace/drafts/{draft.id}?clause=art-1"))
    assert page.find("select", id="filter-clause").find("option", selected=True)["value"] == "art-1"
    # The clause text and the answer form keep the filter for the way back.
    item = page.find(id=f"comment-{first.id}")
    assert item.find(class_="quoted-clause")
    form = item.find("form", action=f"/workspace/comments/{first.id}/response")
    assert form.find("input", attrs={"name": "filter_clause"})["value"] == "art-1"
    saved = client.post(form["action"], follow_redirects=False, data={
        "csrf_token": form_token(page, form["action"]), "decision": "rejected",
        "reasoning": "Передумали", "has_clause": "1", "filter_clause": "art-1"})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/workspace/drafts/{draft.id}?clause=art-1")


def test_answer_templates_page_and_picking_one(client, make_draft, add_comment, world, sign_in,
                                               db, browser):
    draft = make_draft()
    comment = add_comment(draft)
    clock.set_now(AFTER)
    sign_in(client, world["drafter"])
    page = soup(client.get("/workspace/answer-templates?lang=ru"))
    empty = client.post("/workspace/answer-templates", data={
        "csrf_token": form_token(page, "/workspace/answer-templates"), "title": "",
        "decision": "", "reasoning": "Текст"})
    assert empty.status_code == 422
    assert soup(empty).find(id="new-template").find(class_="alert-error")
    created = client.post("/workspace/answer-templates", follow_redirects=False, data={
        "csrf_token": form_token(page, "/workspace/answer-templates"), "title": "Вне предмета",
        "decision": "not_applicable", "reasoning": "Не относится к предмету проекта."})
    assert created.status_code == 303
    listing = soup(client.get(created.headers["location"]))
    item = listing.find("li", id=lambda v: v and v.startswith("template-"))
    assert "Вне предмета" in text_of(item)
    template_id = int(item["id"].split("-")[1])

    queue = soup(client.get(f"/workspace/drafts/{draft.id}"))
    action = f"/workspace/comments/{comment.id}/response"
    picker = queue.find("form", action=action).find("select", attrs={"name": "template_id"})
    assert picker.find("option", value=str(template_id))
    used = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(queue, action), "template_id": str(template_id),
        "reasoning": ""})
    assert used.status_code == 303
    response = db.scalar(select(Response).where(Response.comment_id == comment.id))
    assert response.decision.value == "not_applicable"
    assert response.reasoning == "Не относится к предмету проекта."

    # Another body neither sees nor changes it.
    other = sign_in(browser(), world["other_drafter"])
    assert "Вне предмета" not in other.get("/workspace/answer-templates").text
    other_page = soup(other.get("/workspace/answer-templates"))
    assert other.post(f"/workspace/answer-templates/{template_id}/delete", data={
        "csrf_token": form_token(other_page, "/workspace/answer-templates")}).status_code == 404
    removed = client.post(f"/workspace/answer-templates/{template_id}/delete",
                          follow_redirects=False,
                          data={"csrf_token": form_token(listing, "/workspace/answer-templates")})
    assert removed.status_code == 303
    assert soup(client.get("/workspace/answer-templates")).find(
        "li", id=f"template-{template_id}") is None


def test_correction_form_and_revision_history(client, make_draft, add_comment, world, sign_in,
                                              answer, db):
    draft = make_draft()
    comment = add_comment(draft, body="Уточните понятие")
    clock.set_now(AFTER)
    answer(comment, "rejected", "Не учтено по ошибке")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    panel = page.find(id="correction")
    assert panel.find("a", href=f"/api/v1/drafts/{draft.id}/summary.docx?lang=ky")
    action = f"/workspace/drafts/{draft.id}/summary/corrections"
    refused = client.post(action, data={"csrf_token": form_token(page, action), "reason": ""})
    assert refused.status_code == 422
    assert soup(refused).find(id="correction").find(class_="alert-error")
    done = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "reason": "Ошибка в решении",
        "comment_id": str(comment.id), "decision": "accepted", "reasoning": "Учтено"})
    assert done.status_code == 303
    public = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru"))
    history = public.find(id="revisions")
    assert "Ошибка в решении" in text_of(history)
    assert history.find("a", href=f"/drafts/{draft.id}/summary?revision=1")
    assert "Учтено" in text_of(public.find(id=f"comment-{comment.id}"))
    old = soup(client.get(f"/drafts/{draft.id}/summary?revision=1&lang=ru"))
    assert "Не учтено по ошибке" in text_of(old.find(id=f"comment-{comment.id}"))
    assert old.find("a", href=f"/drafts/{draft.id}/summary")


def test_workspace_shows_what_is_due(client, make_draft, world, sign_in, db):
    from app.services import consultations as consultations_service

    ends = {"Справка просрочена": bishkek(2027, 1, 1), "Ждёт справки": bishkek(2027, 1, 20),
            "Закрывается скоро": bishkek(2027, 2, 13), "Далеко": bishkek(2027, 6, 1)}
    drafts = {}
    for title, closes_at in ends.items():
        drafts[title] = make_draft(title=title, open_period=False)
        clock.set_now(bishkek(2026, 11, 30, 10))
        consultations_service.open_consultation(session=db, actor=world["drafter"],
                                                draft=drafts[title],
                                                opens_at=bishkek(2026, 12, 1),
                                                closes_at=closes_at)
        db.commit()
    # Summaries are due 30 days after the close (the policy table's default).
    clock.set_now(bishkek(2027, 2, 10, 12))
    sign_in(client, world["drafter"])
    due = soup(client.get("/workspace?lang=ru&days=10")).find(id="due")

    def titles(list_id: str) -> list[str]:
        heading = due.find(id=list_id)
        return [] if heading is None else [
            text_of(a) for a in heading.find_next_sibling("ul").find_all("a")]

    assert titles("due-overdue") == ["Справка просрочена"]
    assert titles("due-summaries") == ["Ждёт справки"]
    assert titles("due-closing") == ["Закрывается скоро"]
    assert "Далеко" not in text_of(due)
    # With a shorter horizon the summary due in 9 days is not yet listed.
    short = soup(client.get("/workspace?days=3")).find(id="due")
    assert short.find(id="due-summaries") is None and short.find(id="due-overdue")


def test_impossible_numbers_in_the_answer_forms_are_refused_not_a_crash(
        client, make_draft, add_comment, world, sign_in, answer, db):
    # "²" passes str.isdigit() but int() refuses it; 2**63 overflows SQLite's driver.
    draft = make_draft()
    comment = add_comment(draft)
    clock.set_now(AFTER)
    sign_in(client, world["drafter"])
    queue = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    action = f"/workspace/comments/{comment.id}/response"
    for number in ("²", str(2**63)):
        refused = client.post(action, data={"csrf_token": form_token(queue, action),
                                            "template_id": number, "reasoning": ""})
        assert refused.status_code == 422, refused.text
        assert soup(refused).find(class_="alert-error")
    for number in ("²", str(2**31)):  # a filter that names no group narrows nothing
        filtered = soup(client.get(f"/workspace/drafts/{draft.id}?group={number}"))
        assert filtered.find("article", id=f"comment-{comment.id}")
    templates = soup(client.get("/workspace/answer-templates"))
    huge = client.post(f"/workspace/answer-templates/{2**63}/delete", data={
        "csrf_token": form_token(templates, "/workspace/answer-templates")})
    assert huge.status_code == 422

    answer(comment, "rejected", "Не учтено")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=ru"))
    action = f"/workspace/drafts/{draft.id}/summary/corrections"
    for number in ("²", str(2**63)):
        refused = client.post(action, data={
            "csrf_token": form_token(page, action), "reason": "Ошибка",
            "comment_id": number, "decision": "accepted", "reasoning": "Учтено"})
        assert refused.status_code == 422, refused.text
        assert soup(refused).find(id="correction").find(class_="alert-error")
