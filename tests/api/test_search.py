"""Full-text search: Russian by stem, Kyrgyz letters kept apart, index kept in step with new
versions and comments, hidden comments never found, snippets escaped, filters."""

import pytest

from app.models import Role
from tests.conftest import bishkek, set_clock

RU = """Статья 1. Права потребителя

Каждый потребитель имеет право на достоверную информацию о товаре.

Статья 2. Обязанности продавца

Продавец обязан выдать чек.
"""

KY = """1-берене. Жалпы жоболор

Мамлекеттик органдын өкүлү түшүндүрмө берет.

2-берене. Мөөнөт

Коомдук талкуу отуз күн өтөт.
"""


@pytest.fixture
def world(client, db, make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика министрлиги")
    other = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    headers = {"drafter": login(make_user(Role.DRAFTER, ministry)),
               "other": login(make_user(Role.DRAFTER, other)),
               "moderator": login(make_user(Role.MODERATOR, ministry)),
               "citizen": login(make_user(Role.CITIZEN))}
    set_clock(client, bishkek(2026, 12, 1, 10))

    def publish(title, text, *, who="drafter", organization="mineconom", act_type="law",
                open_period=True):
        response = client.post("/api/v1/drafts", headers=headers[who], json={
            "organization": organization, "act_type": act_type, "title": title, "text": text})
        assert response.status_code == 201, response.text
        draft_id = response.json()["id"]
        if open_period:
            opened = client.post(f"/api/v1/drafts/{draft_id}/consultation", headers=headers[who],
                                 json={"opens_at": "2026-12-01T00:00:00+06:00",
                                       "closes_at": "2027-01-05T00:00:00+06:00"})
            assert opened.status_code == 201, opened.text
        return draft_id

    def comment(draft_id, body, clause_key=None):
        response = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=headers["citizen"],
                               json={"body": body, "clause_key": clause_key})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return {"headers": headers, "publish": publish, "comment": comment}


def hits(client, q, **params):
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_inflected_russian_word_finds_another_form(client, world):
    draft_id = world["publish"]({"ru": "Об информировании граждан"}, {"ru": RU})
    found = hits(client, "потребителей")
    assert ("clause", f"/drafts/{draft_id}#art-1") in [(i["kind"], i["url"]) for i in found["items"]]
    clause = next(i for i in found["items"] if i["kind"] == "clause")
    assert "<mark>" in clause["snippet_html"] and "потребител" in clause["snippet"]
    # Also through q on the list of drafts.
    listed = client.get("/api/v1/drafts", params={"q": "потребителей"}).json()
    assert [d["id"] for d in listed["items"]] == [draft_id]
    assert client.get("/api/v1/drafts", params={"q": "водоснабжение"}).json()["total"] == 0


def test_kyrgyz_letters_are_kept_apart(client, world):
    draft_id = world["publish"]({"ky": "Мамлекеттик кызмат жөнүндө", "ru": "О госслужбе"},
                                {"ky": KY})
    found = hits(client, "өкүлү")
    assert [(i["kind"], i["draft_id"]) for i in found["items"]] == [("clause", draft_id)]
    assert found["items"][0]["url"].startswith(f"/drafts/{draft_id}#art-1")
    assert "<mark>өкүлү</mark>" in found["items"][0]["snippet_html"]
    # ө and ү are letters of their own, not o and у with marks.
    assert hits(client, "окулу")["total"] == 0
    assert hits(client, "мөөнөт")["total"] == 1
    assert hits(client, "моонот")["total"] == 0
    # A title in Kyrgyz, and a word by its start (Kyrgyz adds endings: жөнүндө).
    assert [i["kind"] for i in hits(client, "кызмат")["items"]] == ["draft"]
    listed = client.get("/api/v1/drafts", params={"q": "түшүндүрмө"}).json()
    assert [d["id"] for d in listed["items"]] == [draft_id]


def test_new_versions_and_comments_are_found_hidden_never(client, world):
    draft_id = world["publish"]({"ru": "О торговле"}, {"ru": RU})
    assert hits(client, "квитанцию")["total"] == 0
    new_version = RU.replace("выдать чек", "выдать квитанцию")
    response = client.post(f"/api/v1/drafts/{draft_id}/versions", headers=world["headers"]["drafter"],
                           json={"text": {"ru": new_version}, "change_note": "Квитанция"})
    assert response.status_code == 201, response.text
    assert [i["url"] for i in hits(client, "квитанция")["items"]] == [
        f"/drafts/{draft_id}#art-2--p-1"]
    # Clauses of earlier versions are not results any more (the current text is).
    assert hits(client, "чек")["total"] == 0

    kept = world["comment"](draft_id, "Предлагаю <b>уточнить</b> срок возврата товара", "art-2")
    rude = world["comment"](draft_id, "Грубое слово возврата и оскорбление", "art-2")
    found = hits(client, "возврат", kind="comment")
    assert {i["id"] for i in found["items"]} == {kept, rude}
    item = next(i for i in found["items"] if i["id"] == kept)
    assert item["url"] == f"/drafts/{draft_id}#comment-{kept}"
    assert "&lt;b&gt;" in item["snippet_html"] and "<b>" not in item["snippet_html"]
    hidden = client.post(f"/api/v1/comments/{rude}/hide", headers=world["headers"]["moderator"],
                         json={"reason": "Оскорбление"})
    assert hidden.status_code == 200, hidden.text
    assert hits(client, "оскорбление")["total"] == 0
    assert {i["id"] for i in hits(client, "возврат")["items"]} == {kept}


def test_filters_and_bad_input(client, world):
    ours = world["publish"]({"ru": "О рынке потребителей"}, {"ru": RU}, act_type="law")
    theirs = world["publish"]({"ru": "О бюджете"}, {"ru": RU}, who="other",
                              organization="minfin", act_type="cabinet_resolution")
    assert {i["draft_id"] for i in hits(client, "потребитель")["items"]} == {ours, theirs}
    assert {i["draft_id"] for i in hits(client, "потребитель", organization="minfin")["items"]} == {theirs}
    assert {i["draft_id"] for i in hits(client, "потребитель", act_type="law")["items"]} == {ours}
    only_drafts = hits(client, "потребитель", kind="draft")
    assert [(i["kind"], i["draft_id"]) for i in only_drafts["items"]] == [("draft", ours)]
    # In each draft: the heading of article 1 and its paragraph.
    assert hits(client, "потребитель")["counts"]["clause"] == 4
    # Titles weigh more than the text: the draft whose title matches comes first.
    assert hits(client, "потребитель")["items"][0]["kind"] == "draft"
    for odd in ("", "   ", "!!!", "\"* OR NEAR(", "a:* & b | !c"):
        assert client.get("/api/v1/search", params={"q": odd}).status_code == 200
    assert client.get("/api/v1/search", params={"q": "x", "kind": "user"}).status_code == 422
    assert client.get("/api/v1/search", params={"q": "x" * 201}).status_code == 422
    assert client.get("/api/v1/drafts", params={"q": "!!! ***"}).status_code == 200
