"""The citizen's side of comments through the pages: quotes, redlines, files, the honeypot,
withdrawing, supporting, campaign groups, reporting and the moderators' page, escaping."""


import pytest
from sqlalchemy import func, select

from app import clock
from app.models import Comment, CommentAttachment, CommentFlag, Role
from tests.pages.conftest import AFTER, LAW, LAW_KY, foreign_scripts, form_token, soup, text_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
FILE_XSS = "<img src=x onerror=alert(1)><b>"
POINT = "art-1/part-1/pt-1"


@pytest.fixture(autouse=True)
def attachment_dir(tmp_path, monkeypatch):
    path = tmp_path / "attachments"
    monkeypatch.setenv("TALKUU_ATTACHMENTS_DIR", str(path))
    return path


def _count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _comment_form(client, draft, clause_key=POINT):
    page = soup(client.get(f"/drafts/{draft.id}/comment?clause_key={clause_key}"))
    form = page.find("form", action=f"/drafts/{draft.id}/comments")
    assert form is not None
    return page, form


def _send(client, draft, page, files=None, **fields):
    data = {"csrf_token": form_token(page, f"/drafts/{draft.id}/comments"),
            "clause_key": POINT, "body": "Уточните понятие", **fields}
    return client.post(f"/drafts/{draft.id}/comments", data=data, files=files,
                       follow_redirects=False)


def test_the_form_offers_quote_files_and_a_trap_for_robots(client, make_draft, world, sign_in):
    draft = make_draft()
    sign_in(client, world["citizen"])
    _page, form = _comment_form(client, draft)
    assert form["enctype"] == "multipart/form-data"
    assert form.find("textarea", attrs={"name": "quote"})
    files = form.find("input", attrs={"name": "files"})
    assert files["type"] == "file" and files.has_attr("multiple")
    trap = form.find("input", attrs={"name": "website"})
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert "trap" in trap.find_parent("div")["class"]
    assert form.find("label", attrs={"for": trap["id"]})


def test_honeypot_filled_in_stores_nothing(client, make_draft, world, sign_in, db):
    draft = make_draft()
    sign_in(client, world["citizen"])
    page, _form = _comment_form(client, draft)
    refused = _send(client, draft, page, website="http://spam.example")
    assert refused.status_code == 422
    again = soup(refused)
    assert again.find(class_="alert-error")
    assert again.find("textarea", attrs={"name": "body"}).string == "Уточните понятие"
    assert _count(db, Comment) == 0


def test_quote_and_proposed_wording_as_a_redline(client, make_draft, world, sign_in, db):
    draft = make_draft()
    sign_in(client, world["citizen"])
    page, _form = _comment_form(client, draft)
    wrong = _send(client, draft, page, quote="организация, производящая товары")
    assert wrong.status_code == 422
    kept = soup(wrong)
    assert kept.find("textarea", attrs={"name": "quote"}).string == \
        "организация, производящая товары"
    assert _count(db, Comment) == 0

    sent = _send(client, draft, page, quote="гражданин, имеющий намерение",
                 proposed_wording="потребитель - физическое лицо, имеющее намерение заказать "
                                  "или приобрести товары;")
    assert sent.status_code == 303
    comment = db.scalar(select(Comment))
    for url in (sent.headers["location"], f"/drafts/{draft.id}"):
        item = soup(client.get(url)).find(id=f"comment-{comment.id}")
        assert text_of(item.find(class_="comment-quote").find("blockquote")) == \
            "гражданин, имеющий намерение"
        redline = item.find(class_="redline")
        deleted = " ".join(text_of(d) for d in redline.find_all("del"))
        inserted = " ".join(text_of(i) for i in redline.find_all("ins"))
        assert "гражданин, имеющий" in deleted and "физическое лицо, имеющее" in inserted
        assert "заказать или приобрести" in text_of(redline)


def test_a_quote_in_kyrgyz(client, make_draft, world, sign_in, db):
    draft = make_draft(ky=LAW_KY)
    sign_in(client, world["citizen"])
    page, _form = _comment_form(client, draft)
    sent = _send(client, draft, page, quote="сатып алууга ниети бар жаран",
                 proposed_wording="керектөөчү - товарларды сатып алууга ниети бар жеке адам")
    assert sent.status_code == 303, sent.text
    item = soup(client.get(f"/drafts/{draft.id}")).find(id=f"comment-{db.scalar(select(Comment.id))}")
    # The redline is against the text in the language the wording is written in.
    assert "жаран" in " ".join(text_of(d) for d in item.find(class_="redline").find_all("del"))


def test_files_through_the_form(client, make_draft, world, sign_in, db):
    draft = make_draft()
    sign_in(client, world["citizen"])
    page, _form = _comment_form(client, draft)
    exe = _send(client, draft, page, files=[("files", ("отчёт.pdf", b"MZ" + b"\0" * 99,
                                                       "application/pdf"))])
    assert exe.status_code == 415
    assert soup(exe).find("textarea", attrs={"name": "body"}).string == "Уточните понятие"
    sent = _send(client, draft, page, files=[("files", ("Анализ.pdf", PDF, "application/pdf"))])
    assert sent.status_code == 303
    attachment = db.scalar(select(CommentAttachment))
    for url in (sent.headers["location"], f"/drafts/{draft.id}"):
        link = soup(client.get(url)).find("a", href=f"/api/v1/attachments/{attachment.id}")
        assert text_of(link) == "Анализ.pdf"
    assert client.get(f"/api/v1/attachments/{attachment.id}").content == PDF


def test_the_author_withdraws_on_the_receipt_page(client, make_draft, add_comment, world,
                                                  sign_in, browser, db):
    draft = make_draft()
    comment = add_comment(draft, body="Передумаю")
    other = sign_in(browser(), world["other_drafter"])
    assert soup(other.get(f"/comments/{comment.id}/receipt")).find(id="withdraw") is None
    sign_in(client, world["citizen"])
    receipt = soup(client.get(f"/comments/{comment.id}/receipt"))
    action = f"/comments/{comment.id}/withdraw"
    empty = client.post(action, data={"csrf_token": form_token(receipt, action), "reason": " "})
    assert empty.status_code == 422 and soup(empty).find(id="withdraw").find(class_="alert-error")
    done = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(receipt, action), "reason": "Вопрос снят"})
    assert done.status_code == 303
    after = soup(client.get(done.headers["location"]))
    assert after.find(id="withdraw") is None
    assert "Вопрос снят" in text_of(after.find(class_="comment-note"))
    item = soup(client.get(f"/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert "Вопрос снят" in text_of(item.find(class_="comment-note"))
    db.expire_all()
    assert db.get(Comment, comment.id).status == "withdrawn"


def test_support_button_and_count(client, make_draft, add_comment, world, make_user, sign_in,
                                  browser, db):
    draft = make_draft()
    comment = add_comment(draft, body="Хорошая мысль")
    supporter = sign_in(browser(), make_user(Role.CITIZEN))
    page = soup(supporter.get(f"/drafts/{draft.id}"))
    action = f"/comments/{comment.id}/support"
    button = page.find("form", action=action).find("button")
    assert text_of(button) == "Я поддерживаю этот комментарий"
    done = supporter.post(action, follow_redirects=False,
                          headers={"referer": f"http://testserver/drafts/{draft.id}"},
                          data={"csrf_token": form_token(page, action)})
    assert done.status_code == 303
    assert done.headers["location"] == f"/drafts/{draft.id}#comment-{comment.id}"
    again = soup(supporter.get(f"/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert "1 человек поддерживает" in text_of(again.find(class_="supporters"))
    assert again.find("form", action=f"/comments/{comment.id}/unsupport")
    assert again.find("form", action=action) is None
    # The author and visitors see the count, without the button.
    sign_in(client, world["citizen"])
    own = soup(client.get(f"/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert own.find("form", action=action) is None and own.find(class_="supporters")
    visitor = soup(browser().get(f"/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert visitor.find("form", action=action) is None and visitor.find(class_="supporters")
    # Taken back while open; after the close, no more buttons.
    unsupport = f"/comments/{comment.id}/unsupport"
    supporter.post(unsupport, data={"csrf_token": form_token(soup(supporter.get(
        f"/drafts/{draft.id}")), unsupport)})
    clock.set_now(AFTER)
    closed = soup(supporter.get(f"/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert closed.find("form", action=action) is None and closed.find(class_="supporters") is None


CAMPAIGN = ("Я против статьи 2: распространение закона на всех потребителей без исключений "
            "ударит по малому бизнесу и разорит тысячи семей. Прошу исключить эту норму.")


def test_a_campaign_shows_once_with_its_count(client, make_draft, add_comment, make_user, db):
    draft = make_draft()
    edits = [str, str.upper, str.lower, lambda t: t.replace(".", "!"),
             lambda t: t.replace(":", ","), lambda t: "Добрый день. " + t,
             lambda t: t + " Спасибо.", lambda t: t.replace("тысячи", "сотни")]
    made = [add_comment(draft, author=make_user(Role.CITIZEN), clause_key="art-2",
                        body=edits[i % len(edits)](CAMPAIGN) + " " * (i // len(edits)))
            for i in range(20)]
    alone = add_comment(draft, author=make_user(Role.CITIZEN), clause_key="art-2",
                        body="Согласен со статьёй 2, но нужен переходный период в год.")
    assert len({c.group_id for c in made}) == 1
    page = soup(client.get(f"/drafts/{draft.id}"))
    comments = page.find(id="art-2-comments")
    # The draft page shows the campaign once, by its first comment, with the number of the
    # others, and links to the clause's list, where they are folded under it.
    assert [a["id"] for a in comments.find_all("article", class_="comment")] == [
        f"comment-{made[0].id}", f"comment-{alone.id}"]
    others = comments.find(class_="campaign-more").find("a")
    assert text_of(others) == "и ещё 19 с тем же текстом"
    listed = soup(client.get(others["href"])).find(class_="comment-list")
    shown = [a for a in listed.find_all("article", class_="comment")
             if a.find_parent("details", class_="comment-group") is None]
    assert [a["id"] for a in shown] == [f"comment-{made[0].id}", f"comment-{alone.id}"]
    group = listed.find("details", class_="comment-group")
    assert text_of(group.find("summary")) == "и ещё 19 с тем же текстом"
    assert len(group.find_all("article", class_="comment")) == 19


def test_report_then_moderate_on_the_moderation_page(client, make_draft, add_comment, world,
                                                     make_user, sign_in, browser, db):
    draft = make_draft()
    rude = add_comment(draft, body="Грубый текст")
    fine = add_comment(draft, clause_key="art-2", body="Резкое, но допустимое мнение")
    reporter = sign_in(browser(), make_user(Role.CITIZEN))
    for comment, reason in ((fine, "Не согласен"), (rude, "Оскорбления")):
        page = soup(reporter.get(f"/drafts/{draft.id}"))
        action = f"/comments/{comment.id}/flag"
        sent = reporter.post(action, follow_redirects=False, data={
            "csrf_token": form_token(page, action), "reason": reason})
        assert sent.status_code == 303
    page = soup(reporter.get(f"/drafts/{draft.id}"))
    assert page.find(id=f"comment-{rude.id}").find("form", action=f"/comments/{rude.id}/flag") \
        is None
    twice = reporter.post(f"/comments/{rude.id}/flag", data={
        "csrf_token": form_token(page, f"/comments/{fine.id}/support"), "reason": "Ещё"})
    assert twice.status_code == 409

    assert client.get("/moderation", follow_redirects=False).status_code == 303  # sign in
    assert reporter.get("/moderation").status_code == 403
    moderator = sign_in(client, world["moderator"])
    queue = soup(moderator.get("/moderation"))
    assert queue.find("a", href="/moderation")  # in the header for moderators
    items = queue.find_all("article", class_="flagged")
    assert [i["id"] for i in items] == [f"comment-{fine.id}", f"comment-{rude.id}"]
    assert "Оскорбления" in text_of(items[1].find(class_="flags"))

    dismiss = f"/moderation/comments/{fine.id}/dismiss"
    done = moderator.post(dismiss, follow_redirects=False, data={
        "csrf_token": form_token(queue, dismiss),
        "flag_id": [i["value"] for i in queue.find("form", action=dismiss).find_all(
            "input", attrs={"name": "flag_id"})]})
    assert done.status_code == 303 and done.headers["location"] == "/moderation"
    hide = f"/comments/{rude.id}/hide"
    hidden = moderator.post(hide, follow_redirects=False, data={
        "csrf_token": form_token(queue, hide), "next": "/moderation",
        "reason": "Оскорбления участников"})
    assert hidden.status_code == 303 and hidden.headers["location"] == "/moderation"
    assert soup(moderator.get("/moderation")).find("article", class_="flagged") is None
    public = soup(browser().get(f"/drafts/{draft.id}")).find(id=f"comment-{rude.id}")
    assert "Оскорбления участников" in text_of(public.find(class_="comment-note"))
    assert "Грубый текст" not in text_of(public)
    resolutions = dict(db.execute(select(CommentFlag.comment_id, CommentFlag.resolution)).all())
    assert resolutions == {fine.id: "dismissed", rude.id: "hidden"}


def test_what_people_write_in_the_new_fields_is_shown_as_text(client, make_draft, make_user,
                                                              world, sign_in, browser, db):
    draft = make_draft(ru=LAW.replace("применяется ко всем потребителям",
                                      f"применяется {XSS} ко всем потребителям"))
    author = make_user(Role.CITIZEN, name=f"Хакер {XSS}")
    sign_in(client, author)
    page, _form = _comment_form(client, draft, "art-2")
    sent = _send(client, draft, page, clause_key="art-2", quote=f"применяется {XSS}",
                 body=f"Тело {XSS}", proposed_wording=f"Редакция {XSS}",
                 on_behalf_of=f"Организация {XSS}",
                 files=[("files", (f"Файл {FILE_XSS}.pdf", PDF, "application/pdf"))])
    assert sent.status_code == 303, sent.text
    comment = db.scalar(select(Comment))
    second = make_user(Role.CITIZEN)
    reporter = sign_in(browser(), second)
    action = f"/comments/{comment.id}/flag"
    reporter.post(action, data={"csrf_token": form_token(soup(reporter.get(
        f"/drafts/{draft.id}")), action), "reason": f"Жалоба {XSS}"})

    def check(html_page, *expected):
        assert foreign_scripts(html_page) == []
        assert html_page.find_all("img") == []
        assert not any(tag.has_attr("onerror") for tag in html_page.find_all(True))
        text = html_page.get_text()
        for words in expected:
            assert f"{words} {XSS}" in text, words

    fields = ("применяется", "Тело", "Редакция", "Организация", "Хакер")
    for url in (f"/drafts/{draft.id}", sent.headers["location"]):
        html_page = soup(client.get(url))
        check(html_page, *fields)
        # A file name keeps no path ("/" cuts it), but its markup is shown as text.
        assert f"Файл {FILE_XSS}.pdf" in html_page.find(class_="attachments").get_text()
    moderator = sign_in(browser(), world["moderator"])
    check(soup(moderator.get("/moderation")), *fields, "Жалоба")
    check(soup(moderator.get(f"/comments/{comment.id}/flag")), "Тело")
    receipt = soup(client.get(sent.headers["location"]))
    withdraw = f"/comments/{comment.id}/withdraw"
    client.post(withdraw, data={"csrf_token": form_token(receipt, withdraw),
                                "reason": f"Причина {XSS}"})
    check(soup(client.get(f"/drafts/{draft.id}")), "Причина", "Тело")
    check(soup(client.get(sent.headers["location"])), "Причина")
    hide = f"/comments/{comment.id}/hide"
    moderator.post(hide, data={"csrf_token": form_token(soup(moderator.get(hide)), hide),
                               "reason": f"Скрыто {XSS}"})
    check(soup(browser().get(f"/drafts/{draft.id}")), "Скрыто")


def test_the_answer_queue_shows_the_quote_and_the_redline(client, make_draft, add_comment,
                                                          world, sign_in):
    draft = make_draft()
    comment = add_comment(draft, clause_key=POINT, quote="гражданин, имеющий намерение",
                          proposed_wording="потребитель - физическое лицо, имеющее намерение "
                                           "заказать или приобрести товары;")
    sign_in(client, world["drafter"])
    item = soup(client.get(f"/workspace/drafts/{draft.id}")).find(id=f"comment-{comment.id}")
    assert text_of(item.find(class_="comment-quote").find("blockquote")) == \
        "гражданин, имеющий намерение"
    redline = item.find(class_="redline")
    assert "гражданин" in " ".join(text_of(d) for d in redline.find_all("del"))
    assert "физическое лицо" in " ".join(text_of(i) for i in redline.find_all("ins"))
