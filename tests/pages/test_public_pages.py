"""The public pages render for everyone, in three languages, with what the API promises."""

from app import clock
from app.models import Role
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import moderation as moderation_service
from app.services import summaries as summaries_service
from tests.conftest import bishkek
from tests.pages.conftest import AFTER, LAW, LAW_KY, form_token, soup, text_of


def test_home_lists_open_consultations_closing_soonest_first(client, make_draft, db, world):
    later = make_draft(title="Поздний проект")
    sooner = make_draft(title="Ранний проект", open_period=False)
    clock.set_now(bishkek(2026, 11, 30, 9))
    consultations_service.open_consultation(session=db, actor=world["drafter"], draft=sooner,
                                            opens_at=bishkek(2026, 12, 1),
                                            closes_at=bishkek(2026, 12, 31), urgent_reason=None)
    db.commit()
    clock.set_now(bishkek(2026, 12, 20, 12))
    page = soup(client.get("/?lang=ru"))
    section = page.find(id="open-heading").parent
    titles = [text_of(a) for a in section.select(".card-title a")]
    assert titles == ["Ранний проект", "Поздний проект"]
    # Russian has three plural forms: 1 день, 2 дня, 11 дней.
    assert [text_of(s) for s in section.select(".days-left")] == ["осталось 11 дней",
                                                                  "осталось 12 дней"]
    clock.set_now(bishkek(2026, 12, 30, 12))
    page = soup(client.get("/?lang=ru"))
    assert [text_of(s) for s in page.select(".days-left")] == ["остался 1 день", "осталось 2 дня"]
    assert later.id != sooner.id


def test_draft_list_filters_and_keeps_them_in_the_form(client, make_draft, world):
    make_draft(title="О защите прав потребителей")
    make_draft(title="О пчеловодстве", open_period=False)
    response = client.get("/drafts", params={"status": "under_consultation", "q": "",
                                             "organization": "", "act_type": "", "lang": "en"})
    assert response.status_code == 200
    page = soup(response)
    assert [text_of(a) for a in page.select(".card-title a")] == ["О защите прав потребителей"]
    assert page.find("select", attrs={"name": "status"}).find("option", selected=True)["value"] \
        == "under_consultation"
    searched = soup(client.get("/drafts", params={"q": "пчелов"}))
    assert [text_of(a) for a in searched.select(".card-title a")] == ["О пчеловодстве"]
    # Nonsense in the query string is ignored rather than answered with an error.
    assert client.get("/drafts", params={"status": "nonsense", "page": "x"}).status_code == 200


def test_draft_page_shows_clauses_toc_counts_and_comments(client, make_draft, add_comment):
    draft = make_draft()
    add_comment(draft, clause_key="art-1/part-1", body="Уточните понятие потребителя",
                proposed_wording="потребитель - физическое лицо",
                on_behalf_of="ОО «Защита потребителей»")
    add_comment(draft, clause_key=None, body="Проект в целом нужен")
    page = soup(client.get(f"/drafts/{draft.id}?lang=ru"))
    assert text_of(page.h1) == "О защите прав потребителей"
    for key in ("art-1", "art-1--part-1", "art-1--part-1--pt-2", "art-2", "art-3", "p-1"):
        assert page.find(id=key) is not None, key
    toc = page.find("details", class_="toc")
    assert [a["href"] for a in toc.find_all("a")] == ["#art-1", "#art-2", "#art-3"]
    part = page.find(id="art-1--part-1")
    assert "1 комментарий" in text_of(part.find(class_="clause-tools"))
    comment = part.find(class_="comment")
    assert "Уточните понятие потребителя" in text_of(comment)
    assert "ОО «Защита потребителей»" in text_of(comment)
    link = part.find("a", class_="comment-link")["href"]
    assert link == f"/drafts/{draft.id}/comment?clause_key=art-1/part-1"
    general = page.find(id="general-comments")
    assert "Проект в целом нужен" in text_of(general)
    # Anonymous visitors are invited to sign in instead of getting a form.
    assert general.find("form") is None
    assert general.find("a", href=lambda h: h and h.startswith("/login?next="))


def test_comment_link_page_works_without_javascript(client, make_draft):
    draft = make_draft()
    page = soup(client.get(f"/drafts/{draft.id}/comment?clause_key=art-1/part-1&lang=ru"))
    assert "Статья 1 › Часть 1" in text_of(page.h1)
    assert "В настоящем Законе используются" in text_of(page.find(class_="quoted-clause"))
    assert client.get(f"/drafts/{draft.id}/comment?clause_key=art-99").status_code == 404


def test_language_switch_and_html_lang(client, make_draft):
    draft = make_draft()
    expected = {"ky": "Талкуулоо мөөнөтү", "ru": "Период обсуждения",
                "en": "Comment period"}
    for code, heading in expected.items():
        page = soup(client.get(f"/drafts/{draft.id}?lang={code}&text=ru"))
        assert page.html["lang"] == code
        assert text_of(page.find(id="period-heading")) == heading
        switch = page.find("nav", class_="lang-switch")
        hrefs = {a["hreflang"]: a["href"] for a in switch.find_all("a")}
        # The switch keeps the page and its other parameters.
        assert hrefs["en"] == f"/drafts/{draft.id}?text=ru&lang=en"
        assert switch.find("a", attrs={"aria-current": "true"})["hreflang"] == code
    # The choice is remembered in a cookie for the next page.
    assert soup(client.get("/drafts")).html["lang"] == "en"
    client.cookies.delete("talkuu_lang")
    fresh = client.get("/drafts", headers={"Accept-Language": "ky-KG,ky;q=0.9,ru;q=0.8"})
    assert soup(fresh).html["lang"] == "ky"
    client.cookies.delete("talkuu_lang")
    assert soup(client.get("/drafts")).html["lang"] == "ru"  # the default


def test_text_language_follows_interface_and_can_be_switched(client, make_draft):
    draft = make_draft(ru=LAW, ky=LAW_KY)
    kyrgyz = soup(client.get(f"/drafts/{draft.id}?lang=ky"))
    assert kyrgyz.find("div", class_="legal-text")["lang"] == "ky"
    assert "1-берене." in text_of(kyrgyz.find(id="art-1").find(class_="clause-title"))
    switch = kyrgyz.find("nav", class_="text-switch")
    assert {a["hreflang"] for a in switch.find_all("a")} == {"ky", "ru"}
    russian_text = soup(client.get(f"/drafts/{draft.id}?lang=ky&text=ru"))
    assert "Статья 1." in text_of(russian_text.find(id="art-1").find(class_="clause-title"))
    english = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    assert english.find("div", class_="legal-text")["lang"] == "ru"


def test_urgent_reason_and_extensions_are_public(client, make_draft, db, world):
    draft = make_draft(open_period=False)
    clock.set_now(bishkek(2026, 11, 30, 9))
    consultations_service.open_consultation(
        session=db, actor=world["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2026, 12, 11), urgent_reason="Срочно: решение суда")
    clock.set_now(bishkek(2026, 12, 5))
    consultations_service.extend_consultation(session=db, actor=world["drafter"], draft=draft,
                                              closes_at=bishkek(2026, 12, 20),
                                              reason="Много обращений")
    db.commit()
    period = soup(client.get(f"/drafts/{draft.id}?lang=ru")).find(class_="period")
    assert "Срочно: решение суда" in text_of(period.find(class_="notice-urgent"))
    assert "Много обращений" in text_of(period.find(class_="extensions"))


def test_summary_page_404_until_published_then_decisions(client, make_draft, add_comment, db,
                                                         world, answer):
    draft = make_draft()
    comment = add_comment(draft, clause_key="art-2", body="Расширьте сферу")
    hidden = add_comment(draft, body="Оскорбление")
    comments_service.hide_comment(session=db, actor=world["moderator"], comment=hidden,
                                  reason="Оскорбления")
    db.commit()
    missing = client.get(f"/drafts/{draft.id}/summary?lang=en")
    assert missing.status_code == 404
    assert soup(missing).find("main") is not None  # the error page is in the site layout
    clock.set_now(AFTER)
    answer(comment, "rejected", "Сфера определена")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()
    page = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru"))
    item = page.find(id=f"comment-{comment.id}")
    assert "Не учтено" in text_of(item)
    assert "Сфера определена" in text_of(item)
    assert "Статья 2" in text_of(item)
    assert page.find("a", href=f"/api/v1/drafts/{draft.id}/summary.csv")
    assert "Оскорбление" not in page.get_text()
    # Once published, the answer is public on the draft page too.
    detail = soup(client.get(f"/drafts/{draft.id}?lang=ru"))
    assert "Сфера определена" in text_of(detail.find(id=f"comment-{comment.id}"))
    assert "Оскорбления" in text_of(detail.find(id=f"comment-{hidden.id}"))
    assert "Оскорбление" not in text_of(detail.find(id=f"comment-{hidden.id}"))


def test_answers_stay_private_until_the_summary(client, make_draft, add_comment, world,
                                                sign_in, answer):
    draft = make_draft()
    comment = add_comment(draft, body="Вопрос")
    clock.set_now(AFTER)
    answer(comment, "accepted", "Учтём обязательно")
    public = soup(client.get(f"/drafts/{draft.id}"))
    assert "Учтём обязательно" not in public.get_text()
    staff = soup(sign_in(client, world["drafter"]).get(f"/drafts/{draft.id}"))
    assert "Учтём обязательно" in text_of(staff.find(id=f"comment-{comment.id}"))


def test_role_specific_controls_on_the_draft_page(client, make_draft, add_comment, world,
                                                  sign_in, browser):
    draft = make_draft()
    comment = add_comment(draft)
    as_moderator = soup(sign_in(browser(), world["moderator"]).get(f"/drafts/{draft.id}"))
    assert as_moderator.find("form", action=f"/comments/{comment.id}/hide")
    assert not as_moderator.find("a", href=f"/workspace/drafts/{draft.id}")
    as_drafter = soup(sign_in(browser(), world["drafter"]).get(f"/drafts/{draft.id}"))
    assert as_drafter.find("a", href=f"/workspace/drafts/{draft.id}")
    assert not as_drafter.find("form", action=f"/comments/{comment.id}/hide")
    as_other = soup(sign_in(browser(), world["other_drafter"]).get(f"/drafts/{draft.id}"))
    assert not as_other.find("a", href=f"/workspace/drafts/{draft.id}")
    as_citizen = soup(sign_in(browser(), world["citizen"]).get(f"/drafts/{draft.id}"))
    assert as_citizen.find("form", action=f"/drafts/{draft.id}/comments")
    assert not as_citizen.find("form", action=f"/comments/{comment.id}/hide")


def test_moderator_hides_a_comment_through_the_form(client, make_draft, add_comment, world,
                                                    sign_in, db):
    draft = make_draft()
    comment = add_comment(draft, body="Грубость")
    sign_in(client, world["moderator"])
    page = soup(client.get(f"/drafts/{draft.id}"))
    token = form_token(page, f"/comments/{comment.id}/hide")
    empty = client.post(f"/comments/{comment.id}/hide", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422
    assert soup(empty).find(class_="alert-error")
    done = client.post(f"/comments/{comment.id}/hide",
                       data={"csrf_token": token, "reason": "Нецензурная лексика"},
                       follow_redirects=False)
    assert done.status_code == 303
    db.refresh(comment)
    assert comment.status == "hidden" and comment.hidden_reason == "Нецензурная лексика"
    citizen = sign_in(client, world["citizen"])
    forbidden = citizen.post(f"/comments/{comment.id}/hide",
                             data={"csrf_token": token, "reason": "x"})
    assert forbidden.status_code == 403


def test_every_public_page_renders_for_every_role(client, make_draft, add_comment, world,
                                                  sign_in, browser):
    draft = make_draft()
    comment = add_comment(draft)
    urls = ["/", "/drafts", f"/drafts/{draft.id}", f"/drafts/{draft.id}/comment",
            f"/drafts/{draft.id}/comment?clause_key=art-2", f"/comments/{comment.id}/receipt",
            "/login", "/register"]
    people = [None, "citizen", "drafter", "moderator", "other_drafter", "monitor"]
    for person in people:
        visitor = browser() if person is None else sign_in(browser(), world[person])
        for url in urls:
            response = visitor.get(url)
            assert response.status_code == 200, (person, url, response.text[:500])
            assert soup(response).find("main", id="main")
    unknown = client.get("/drafts/999999")
    assert unknown.status_code == 404 and soup(unknown).find("header", class_="site-header")
    assert client.get("/no-such-page").status_code == 404


def test_dismissing_reports_with_impossible_ids_is_refused_not_a_crash(
        client, make_draft, add_comment, world, make_user, sign_in, db):
    draft = make_draft()
    comment = add_comment(draft, body="Резкое мнение")
    moderation_service.flag_comment(session=db, user=make_user(Role.CITIZEN), comment=comment,
                                    reason="Грубо")
    db.commit()
    sign_in(client, world["moderator"])
    queue = soup(client.get("/moderation"))
    action = f"/moderation/comments/{comment.id}/dismiss"
    # "²" passes str.isdigit() but int() refuses it; 2**63 overflows SQLite's driver.
    for number in ("²", str(2**63)):
        refused = client.post(action, data={"csrf_token": form_token(queue, action),
                                            "flag_id": number})
        assert refused.status_code == 422, refused.text
        assert soup(refused).find(class_="alert-error")


def test_a_comment_with_a_nul_character_is_refused_with_the_form(client, make_draft, world,
                                                                 sign_in):
    draft = make_draft()
    sign_in(client, world["citizen"])
    action = f"/drafts/{draft.id}/comments"
    page = soup(client.get(f"/drafts/{draft.id}/comment?lang=ru"))
    refused = client.post(action, data={"csrf_token": form_token(page, action),
                                        "body": "Уточните\x00понятие", "clause_key": ""})
    assert refused.status_code == 422  # PostgreSQL cannot store U+0000: it was a 500 there
    assert soup(refused).find(class_="alert-error")
