"""A new draft or version is checked before it is published: the parse report, the contents,
the changes and the bilingual mismatch, then "Publish" (once). Rounds limited to what changed."""

import io
import re

import docx
import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Clause, Consultation, Draft, StagedImport, Version
from app.services import consultations as consultations_service
from app.services import comparison as comparison_service
from app.services import drafts as drafts_service
from tests.conftest import bishkek
from tests.pages.conftest import AFTER, LAW, LAW_KY, form_token, soup, text_of
from tests.pages.test_accessibility import _check

NEW_ARTICLE_2 = "Настоящий Закон применяется ко всем потребителям и продавцам."
LAW_V2 = LAW.replace("Настоящий Закон применяется ко всем потребителям.", NEW_ARTICLE_2)
IMPORT_URL = re.compile(r"^/workspace/imports/([A-Za-z0-9_-]+)$")


@pytest.fixture(autouse=True)
def _fresh_comparisons():
    # Comparisons are cached by version ids, which the rolled-back tests hand out again.
    comparison_service.clear_cache()
    yield
    comparison_service.clear_cache()


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _stage_new_draft(client, *, files=None, **data):
    page = soup(client.get("/workspace/drafts/new"))
    fields = {"csrf_token": form_token(page, "/workspace/drafts"),
              "title_ru": "О защите прав потребителей", "title_ky": "", "act_type": "law",
              "summary_ru": "", "summary_ky": "", "text_ru": "", "text_ky": "", **data}
    response = client.post("/workspace/drafts", data=fields, files=files,
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert IMPORT_URL.match(response.headers["location"]), response.headers["location"]
    return response.headers["location"]


def _publish(client, preview_url: str):
    page = soup(client.get(preview_url))
    action = f"{preview_url}/publish"
    return client.post(action, data={"csrf_token": form_token(page, action)},
                       follow_redirects=False)


def _count_cell(page, kind: str, language: str = "ru") -> str:
    return text_of(page.find("td", attrs={"data-kind": kind, "data-lang": language}))


def _law_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Статья 1. Ставки")
    document.add_paragraph("1. Ставки сбора установлены следующие:")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Разряд", "Ставка"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "10"
    table.cell(2, 0).text, table.cell(2, 1).text = "2", "20"
    document.add_paragraph("2. Ставки пересматриваются ежегодно.")
    document.add_paragraph("Статья 2. Вступление в силу")
    document.add_paragraph("Настоящий Закон вступает в силу со дня опубликования.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- a new draft: preview, then publish --------------------------------------------------

def test_a_text_file_is_previewed_then_published_once(client, world, sign_in, db, browser):
    clock.set_now(bishkek(2026, 12, 1, 9))
    sign_in(client, world["drafter"])
    preview_url = _stage_new_draft(client, files={
        "file_ru": ("law.txt", io.BytesIO(LAW.encode("cp1251")), "text/plain")})

    # Nothing is public yet, neither on the site nor in the API.
    assert _count(db, Draft) == 0
    assert "О защите прав потребителей" not in browser().get("/drafts").text
    assert browser().get("/api/v1/drafts").json()["total"] == 0

    page = soup(client.get(preview_url + "?lang=en"))
    assert _count_cell(page, "article") == "3"
    assert _count_cell(page, "part") == "2"
    assert _count_cell(page, "point") == "2"
    assert _count_cell(page, "table") == "0"
    assert "law.txt" in text_of(page.find("dl", class_="facts"))
    contents = [text_of(li) for li in page.find(id="contents").find_all("li")]
    assert contents == ["Статья 1. Основные понятия", "Статья 2. Сфера действия",
                        "Статья 3. Вступление в силу"]
    assert page.find(id="language-mismatch") is None
    assert page.find("form", action=f"{preview_url}/publish")

    published = _publish(client, preview_url)
    assert published.status_code == 303
    draft = db.scalar(select(Draft))
    assert published.headers["location"] == f"/workspace/drafts/{draft.id}?created=1"
    assert draft.title_ru == "О защите прав потребителей"
    version = drafts_service.get_version(session=db, draft=draft)
    assert version.source_ru == LAW
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "draft",
                                                     AuditEntry.entity_id == str(draft.id))
                     ) == "draft.published"
    landing = soup(client.get(published.headers["location"] + "&lang=en"))
    assert "Article: 3" in text_of(landing.find(id="structure-heading").parent)

    # Publishing consumes the staged import: a second click is refused, nothing is added.
    page = soup(client.get(preview_url + "?lang=en"))
    assert page.find("form", action=f"{preview_url}/publish") is None
    again = client.post(f"{preview_url}/publish", data={"csrf_token": form_token(landing)})
    assert again.status_code == 409
    assert soup(again).find(class_="error-page")
    assert _count(db, Draft) == 1
    assert _count(db, Version) == 1


def test_a_docx_keeps_its_table_through_preview_and_publishing(client, world, sign_in, db):
    sign_in(client, world["drafter"])
    preview_url = _stage_new_draft(client, files={
        "file_ru": ("law.docx", io.BytesIO(_law_docx()),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    page = soup(client.get(preview_url))
    assert _count_cell(page, "table") == "1"
    assert _count_cell(page, "article") == "2"
    stored = db.scalar(select(StagedImport))
    assert stored.file_ru.startswith(b"PK") and stored.filename_ru == "law.docx"

    assert _publish(client, preview_url).status_code == 303
    (table_clause,) = [c for c in db.scalars(select(Clause)) if c.table_ru is not None]
    assert table_clause.key.startswith("art-1/part-1")
    assert table_clause.table_ru == [["Разряд", "Ставка"], ["1", "10"], ["2", "20"]]
    draft = db.scalar(select(Draft))
    public = soup(client.get(f"/drafts/{draft.id}"))
    assert public.find("table") is not None


def test_a_bilingual_paste_with_a_structural_mismatch_is_reported(client, world, sign_in, db):
    sign_in(client, world["drafter"])
    # The Kyrgyz text lacks article 3.
    kyrgyz = LAW_KY[:LAW_KY.index("3-берене")]
    preview_url = _stage_new_draft(client, text_ru=LAW, text_ky=kyrgyz,
                                   title_ky="Керектөөчүлөрдүн укуктарын коргоо жөнүндө")
    page = soup(client.get(preview_url + "?lang=en"))
    assert _count_cell(page, "article", "ru") == "3"
    assert _count_cell(page, "article", "ky") == "2"
    notice = page.find(id="language-mismatch")
    assert notice is not None
    only_russian = [text_of(li) for li in notice.find("ul", attrs={"data-lang": "ru"})
                    .find_all("li")]
    assert "art-3" in only_russian
    assert notice.find("ul", attrs={"data-lang": "ky"}) is None

    published = _publish(client, preview_url)
    assert published.status_code == 303
    landing = soup(client.get(published.headers["location"]))
    after = landing.find(id="language-mismatch")
    assert after is not None
    assert [text_of(li) for li in after.find("ul", attrs={"data-lang": "ru"}).find_all("li")] \
        == only_russian
    # Without the flag in the address, the page does not repeat the notice.
    draft = db.scalar(select(Draft))
    assert soup(client.get(f"/workspace/drafts/{draft.id}")).find(id="language-mismatch") is None


def test_errors_keep_what_was_typed_and_stage_nothing(client, world, sign_in, db):
    sign_in(client, world["drafter"])
    page = soup(client.get("/workspace/drafts/new?lang=en"))
    refused = client.post("/workspace/drafts", data={
        "csrf_token": form_token(page, "/workspace/drafts"), "title_ru": "Заголовок",
        "act_type": "law", "text_ru": "   ", "text_ky": ""})
    assert refused.status_code == 422
    again = soup(refused)
    assert "The text of the draft is empty." in text_of(again.find(class_="alert-error"))
    assert again.find("input", attrs={"name": "title_ru"})["value"] == "Заголовок"
    unreadable = client.post("/workspace/drafts", data={
        "csrf_token": form_token(page, "/workspace/drafts"), "title_ru": "Заголовок",
        "act_type": "law", "text_ky": "1-берене. Жалпы"},
        files={"file_ru": ("law.pdf", io.BytesIO(b"%PDF-1.4 ..."), "application/pdf")})
    assert unreadable.status_code == 415
    assert soup(unreadable).find("textarea", attrs={"name": "text_ky"}).string == \
        "1-берене. Жалпы"
    assert _count(db, StagedImport) == 0


def test_change_the_text_goes_back_to_a_filled_in_form(client, world, sign_in):
    sign_in(client, world["drafter"])
    preview_url = _stage_new_draft(client, text_ru=LAW, summary_ru="Кратко")
    page = soup(client.get(preview_url))
    token = IMPORT_URL.match(preview_url).group(1)
    edit = page.find("a", href=f"/workspace/drafts/new?staged={token}")
    assert edit is not None
    form = soup(client.get(edit["href"]))
    assert form.find("textarea", attrs={"name": "text_ru"}).string == LAW
    assert form.find("textarea", attrs={"name": "summary_ru"}).string == "Кратко"
    assert form.find("input", attrs={"name": "title_ru"})["value"] == "О защите прав потребителей"


def test_a_staged_import_is_seen_only_by_its_author(client, world, sign_in, browser, db):
    sign_in(client, world["drafter"])
    preview_url = _stage_new_draft(client, text_ru=LAW)
    other = sign_in(browser(), world["other_drafter"])
    assert other.get(preview_url).status_code == 404
    other_page = soup(other.get("/workspace/drafts/new"))
    stolen = other.post(f"{preview_url}/publish",
                        data={"csrf_token": form_token(other_page, "/workspace/drafts")})
    assert stolen.status_code == 404
    token = IMPORT_URL.match(preview_url).group(1)
    assert other.get(f"/workspace/drafts/new?staged={token}").status_code == 404
    for person in ("citizen", "moderator", "monitor"):
        visitor = sign_in(browser(), world[person])
        assert visitor.get(preview_url).status_code == 403, person
    anonymous = browser().get(preview_url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    assert browser().get("/workspace/imports/not-a-token",
                         follow_redirects=False).status_code == 303
    assert client.get("/workspace/imports/not-a-token").status_code == 404
    assert _count(db, Draft) == 0


# --- a new version -----------------------------------------------------------------------

def test_a_new_version_with_its_change_note_and_its_changes(client, make_draft, world, sign_in,
                                                             db):
    draft = make_draft()
    sign_in(client, world["drafter"])
    workspace_page = soup(client.get(f"/workspace/drafts/{draft.id}"))
    form_url = f"/workspace/drafts/{draft.id}/versions/new"
    assert workspace_page.find("a", href=form_url)
    page = soup(client.get(form_url + "?lang=en"))
    action = f"/workspace/drafts/{draft.id}/versions"
    no_note = client.post(action, data={"csrf_token": form_token(page, action),
                                        "text_ru": LAW_V2, "text_ky": "", "change_note": " "})
    assert no_note.status_code == 422
    again = soup(no_note)
    assert "Please describe what changed in this version." in text_of(
        again.find(class_="alert-error"))
    assert again.find("textarea", attrs={"name": "text_ru"}).string == LAW_V2

    staged = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "text_ru": LAW_V2, "text_ky": "",
        "change_note": "Расширена сфера действия"})
    assert staged.status_code == 303
    preview_url = staged.headers["location"]
    db.expire_all()
    assert db.get(Draft, draft.id).current_version == 1

    preview = soup(client.get(preview_url + "?lang=en"))
    counts = {li["data-change"]: text_of(li.strong)
              for li in preview.find(id="changes").find_all("li", attrs={"data-change": True})}
    assert counts == {"added": "0", "modified": "1", "removed": "0",
                      "unchanged": counts["unchanged"]}
    rows = preview.find("table", class_="changed-clauses").find("tbody").find_all("tr")
    # A clause's change is its own text: the paragraph of article 2, not the article.
    assert [(r["data-change"], r["data-key"]) for r in rows] == [("modified", "art-2/p-1")]
    assert text_of(rows[0].find("ins")) == "и продавцам"
    assert "Article 2 › Paragraph 1" in text_of(rows[0])
    assert "Расширена сфера действия" in text_of(preview.find("dl", class_="facts"))

    published = _publish(client, preview_url)
    assert published.status_code == 303
    assert published.headers["location"] == f"/workspace/drafts/{draft.id}?published=2"
    db.expire_all()
    assert db.get(Draft, draft.id).current_version == 2
    version = drafts_service.get_version(session=db, draft=db.get(Draft, draft.id))
    assert version.number == 2 and version.change_note == "Расширена сфера действия"
    assert version.source_ru == LAW_V2
    landing = soup(client.get(published.headers["location"] + "&lang=en"))
    assert "Version 2 is published" in text_of(landing.find(class_="alert-success"))
    api = client.get(f"/api/v1/drafts/{draft.id}").json()
    assert api["current_version"] == 2


def test_a_preview_made_before_another_version_is_refused(client, make_draft, world, sign_in,
                                                           db):
    draft = make_draft()
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}/versions/new"))
    action = f"/workspace/drafts/{draft.id}/versions"
    staged = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "text_ru": LAW_V2, "change_note": "Первая"})
    drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=LAW), change_note="Другая")
    db.commit()
    preview = soup(client.get(staged.headers["location"]))
    assert preview.find("form", action=staged.headers["location"] + "/publish") is None
    # Posted anyway (from a page opened before): refused with the reason.
    refused = client.post(staged.headers["location"] + "/publish",
                          data={"csrf_token": form_token(page, action)})
    assert refused.status_code == 409, refused.text
    again = soup(refused)
    assert again.find(class_="alert-error")
    assert again.find(id="publish").find("form") is None  # it must be uploaded again
    assert again.find(id="publish").find("a", href=re.compile(r"/versions/new\?staged="))
    db.expire_all()
    assert db.get(Draft, draft.id).current_version == 2
    assert db.scalar(select(StagedImport.published_at)) is None


# --- a round limited to what changed -----------------------------------------------------

def _version_two(db, world, draft, text: str = LAW_V2) -> None:
    drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=text),
                               change_note="Учтены замечания")
    db.commit()


def test_a_round_limited_to_the_changed_clauses(client, make_draft, world, sign_in, db, login):
    draft = make_draft()
    clock.set_now(AFTER)
    _version_two(db, world, draft)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=en"))
    scope = page.find(id="changed-clauses")
    assert scope is not None
    listed = [li["data-key"] for li in scope.find_all("li")]
    assert listed == ["art-2/p-1"]  # the one clause of article 2 whose wording changed
    assert "Article 2 › Paragraph 1" in text_of(scope)

    action = f"/workspace/drafts/{draft.id}/consultation"
    opened = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "opens_at": "2027-01-03T00:00",
        "closes_at": "2027-02-05T00:00", "urgent_reason": "", "clause_keys": "",
        "limit_to_changes": "1"})
    assert opened.status_code == 303
    db.expire_all()
    consultation = consultations_service.latest(session=db, draft=db.get(Draft, draft.id))
    assert consultation.round == 2
    assert consultation.clause_keys == ["art-2/p-1"]

    clock.set_now(bishkek(2027, 1, 10, 12))
    headers = login(world["citizen"])
    url = f"/api/v1/drafts/{draft.id}/comments"
    outside = client.post(url, json={"clause_key": "art-1", "body": "Не открыта"},
                          headers=headers)
    assert outside.status_code == 409 and outside.json()["error"] == "clause_not_open"
    inside = client.post(url, json={"clause_key": "art-2/p-1", "body": "Хорошо"},
                         headers=headers)
    assert inside.status_code == 201, inside.text


def test_articles_chosen_by_hand_and_no_changes_offered_without_a_previous_round(
        client, make_draft, world, sign_in, db):
    draft = make_draft(open_period=False)
    _version_two(db, world, draft)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}"))
    assert page.find(id="changed-clauses") is None  # no earlier round to compare with
    options = [o["value"] for o in page.find("select", attrs={"name": "clause_keys"})
               .find_all("option")]
    assert options == ["art-1", "art-2", "art-3"]
    action = f"/workspace/drafts/{draft.id}/consultation"
    too_short = client.post(action, data={
        "csrf_token": form_token(page, action), "opens_at": "2026-12-05T12:00",
        "closes_at": "2026-12-06T12:00", "urgent_reason": "",
        "clause_keys": ["art-1", "art-3", "art-2/p-1"]})
    assert too_short.status_code == 422
    again = soup(too_short)
    selected = [o["value"] for o in again.find("select", attrs={"name": "clause_keys"})
                .find_all("option", selected=True)]
    assert selected == ["art-1", "art-3"]
    assert again.find("input", attrs={"name": "clause_keys"})["value"] == "art-2/p-1"
    opened = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "opens_at": "2026-12-05T12:00",
        "closes_at": "2027-01-10T12:00", "urgent_reason": "", "clause_keys": ["art-1", "art-3"]})
    assert opened.status_code == 303
    db.expire_all()
    assert consultations_service.latest(session=db, draft=db.get(Draft, draft.id)
                                        ).clause_keys == ["art-1", "art-3"]


def test_limiting_to_changes_when_nothing_changed_is_refused(client, make_draft, world,
                                                              sign_in, db):
    draft = make_draft()
    clock.set_now(AFTER)
    _version_two(db, world, draft, text=LAW)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}?lang=en"))
    assert "No clause has changed" in text_of(page.find(id="changed-clauses"))
    action = f"/workspace/drafts/{draft.id}/consultation"
    refused = client.post(action, data={
        "csrf_token": form_token(page, action), "opens_at": "2027-01-03T00:00",
        "closes_at": "2027-02-05T00:00", "urgent_reason": "", "limit_to_changes": "1"})
    assert refused.status_code == 422
    assert soup(refused).find(id="open-limit_to_changes").has_attr("checked")
    assert _count(db, Consultation) == 1


# --- the forms refuse a missing token; the new pages are accessible ----------------------

def test_the_new_forms_require_the_csrf_token(client, make_draft, world, sign_in, db):
    draft = make_draft()
    clock.set_now(AFTER)
    _version_two(db, world, draft)
    sign_in(client, world["drafter"])
    preview_url = _stage_new_draft(client, text_ru=LAW)
    posts = {
        "/workspace/drafts": {"title_ru": "Новый", "act_type": "law", "text_ru": LAW},
        f"/workspace/drafts/{draft.id}/versions": {"text_ru": LAW, "change_note": "Н"},
        f"{preview_url}/publish": {},
        f"/workspace/drafts/{draft.id}/consultation": {
            "opens_at": "2027-01-03T00:00", "closes_at": "2027-02-05T00:00",
            "limit_to_changes": "1"},
    }
    for url, data in posts.items():
        for token in ("wrong", None):
            sent = {**data, **({"csrf_token": token} if token else {})}
            assert client.post(url, data=sent).status_code == 403, (url, token)
    db.expire_all()
    assert _count(db, StagedImport) == 1
    assert _count(db, Draft) == 1
    assert _count(db, Consultation) == 1
    assert db.get(Draft, draft.id).current_version == 2


def test_the_new_pages_are_accessible(client, make_draft, world, sign_in, db):
    draft = make_draft()
    clock.set_now(AFTER)
    sign_in(client, world["drafter"])
    page = soup(client.get(f"/workspace/drafts/{draft.id}/versions/new"))
    _check(page, "new version form")
    action = f"/workspace/drafts/{draft.id}/versions"
    staged = client.post(action, follow_redirects=False, data={
        "csrf_token": form_token(page, action), "text_ru": LAW_V2,
        "text_ky": LAW_KY[:LAW_KY.index("3-берене")], "change_note": "Н"})
    _check(soup(client.get(staged.headers["location"])), "version preview")
    assert _publish(client, staged.headers["location"]).status_code == 303
    _check(soup(client.get(f"/workspace/drafts/{draft.id}?published=2")), "draft after")
    new_draft = _stage_new_draft(client, text_ru=LAW)
    _check(soup(client.get(new_draft)), "draft preview")
