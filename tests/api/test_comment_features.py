"""The citizen's side of comments through the API: quotes, withdrawal, support, campaign
groups, flags and the moderators' queue, attachments, the receipt email."""

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import (
    AuditEntry, Comment, CommentAttachment, CommentFlag, CommentGroup, OutboxMessage, Role,
)
from app.services import auth as auth_service
from tests.api.test_consultation_loop import create_draft
from tests.conftest import PASSWORD, bishkek, set_clock

OPEN = {"opens_at": "2026-12-01T00:00:00+06:00", "closes_at": "2027-01-01T00:00:00+06:00"}
DURING = bishkek(2026, 12, 5, 12)
AFTER = bishkek(2027, 1, 2, 12)
POINT = "art-1/part-1/pt-1"  # "1) потребитель - гражданин, имеющий намерение заказать ..."

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def attachment_dir(tmp_path, monkeypatch):
    path = tmp_path / "attachments"
    monkeypatch.setenv("TALKUU_ATTACHMENTS_DIR", str(path))
    return path


@pytest.fixture
def setup(client, make_org, make_user, login):
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    minfin = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    users = {
        "drafter": make_user(Role.DRAFTER, ministry),
        "moderator": make_user(Role.MODERATOR, ministry),
        "other_moderator": make_user(Role.MODERATOR, minfin),
        "citizen": make_user(Role.CITIZEN),
        "citizen2": make_user(Role.CITIZEN),
        "citizen3": make_user(Role.CITIZEN),
    }
    set_clock(client, DURING)
    headers = {k: login(v) for k, v in users.items()}
    draft = create_draft(client, headers["drafter"]).json()
    assert client.post(f"/api/v1/drafts/{draft['id']}/consultation", json=OPEN,
                       headers=headers["drafter"]).status_code == 201
    return {"draft": draft, "h": headers, "users": users,
            "url": f"/api/v1/drafts/{draft['id']}/comments"}


def _count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _comment(client, setup, who="citizen", **fields):
    response = client.post(setup["url"], json={"body": "Замечание", **fields},
                           headers=setup["h"][who])
    assert response.status_code == 201, response.text
    return response.json()


# --- email verification and the receipt email ------------------------------------------------

def test_commenting_needs_a_confirmed_email(client, setup, db):
    unverified = auth_service.create_user(session=db, email="new@example.kg", password=PASSWORD,
                                          name="Новый", role=Role.CITIZEN)
    db.commit()
    token = client.post("/api/v1/auth/token", data={"username": unverified.email,
                                                    "password": PASSWORD}).json()
    refused = client.post(setup["url"], json={"body": "Замечание"},
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "email_not_verified"
    assert _count(db, Comment) == 0


def test_the_receipt_is_emailed_to_the_author(client, setup, db):
    created = _comment(client, setup, body="Прошу уточнить")
    author = setup["users"]["citizen"]
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == author.email))
    assert message is not None
    assert created["receipt"] in message.subject + message.body_text


# --- quotes --------------------------------------------------------------------------------

def test_a_quote_must_be_words_of_the_clause(client, setup, db):
    created = _comment(client, setup, clause_key=POINT, body="Слишком узко",
                       quote="  гражданин,\n имеющий   намерение ")
    stored = client.get(f"/api/v1/comments/{created['id']}").json()
    assert stored["quote"] == "гражданин, имеющий намерение"

    def refused(**fields):
        response = client.post(setup["url"], json={"body": "x", **fields},
                               headers=setup["h"]["citizen"])
        assert response.status_code == 422, response.text
        return response.json()["error"]

    # Words of another clause, words not in the draft at all, a quote without a clause.
    assert refused(clause_key=POINT, quote="организация, производящая товары") == \
        "quote_not_in_clause"
    assert refused(clause_key=POINT, quote="юридическое лицо") == "quote_not_in_clause"
    assert refused(quote="гражданин") == "invalid_input"
    assert _count(db, Comment) == 1


def test_a_quote_of_a_parent_clause_covers_its_children(client, setup):
    # An article quoted as a whole: the words of its parts are words of the article.
    created = _comment(client, setup, clause_key="art-1", quote="организация, производящая")
    assert client.get(f"/api/v1/comments/{created['id']}").json()["quote"] == \
        "организация, производящая"


# --- withdrawal ------------------------------------------------------------------------------

def test_only_the_author_withdraws_with_a_reason_and_the_record_stays(client, setup, db):
    h = setup["h"]
    created = _comment(client, setup, body="Передумал")
    url = f"/api/v1/comments/{created['id']}/withdraw"
    assert client.post(url, json={"reason": "x"}).status_code == 401
    assert client.post(url, json={"reason": "x"}, headers=h["citizen2"]).status_code == 403
    assert client.post(url, json={"reason": "x"}, headers=h["moderator"]).status_code == 403
    assert client.post(url, json={"reason": "  "}, headers=h["citizen"]).status_code == 422
    done = client.post(url, json={"reason": "Вопрос решён"}, headers=h["citizen"])
    assert done.status_code == 200
    public = client.get(f"/api/v1/comments/{created['id']}").json()
    assert public["status"] == "withdrawn"
    assert public["withdrawn_reason"] == "Вопрос решён"
    assert public["withdrawn_at"].endswith("+06:00")
    assert public["body"] == "Передумал"  # the record stays
    again = client.post(url, json={"reason": "Ещё раз"}, headers=h["citizen"])
    assert again.status_code == 409
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "comment.withdrawn"))
    assert entry.after["withdrawn_reason"] == "Вопрос решён"
    assert entry.before["status"] == "published"
    # A withdrawn comment needs no answer and cannot get one.
    answer = client.put(f"/api/v1/comments/{created['id']}/response", headers=h["drafter"],
                        json={"decision": "rejected", "reasoning": "x"})
    assert answer.status_code == 409


def test_no_withdrawal_of_a_hidden_comment_or_after_the_summary(client, setup, login):
    h = setup["h"]
    hidden = _comment(client, setup, body="Грубость")
    assert client.post(f"/api/v1/comments/{hidden['id']}/hide", json={"reason": "Оскорбление"},
                       headers=h["moderator"]).status_code == 200
    assert client.post(f"/api/v1/comments/{hidden['id']}/withdraw", json={"reason": "x"},
                       headers=h["citizen"]).status_code == 409
    answered = _comment(client, setup, body="Нормальное замечание")
    set_clock(client, AFTER)
    drafter, citizen = login(setup["users"]["drafter"]), login(setup["users"]["citizen"])
    assert client.put(f"/api/v1/comments/{answered['id']}/response", headers=drafter,
                      json={"decision": "accepted", "reasoning": "Учтено"}).status_code == 200
    assert client.post(f"/api/v1/drafts/{setup['draft']['id']}/summary",
                       headers=drafter).status_code == 201
    late = client.post(f"/api/v1/comments/{answered['id']}/withdraw", json={"reason": "x"},
                       headers=citizen)
    assert late.status_code == 409
    assert late.json()["error"] == "summary_published"


# --- support ---------------------------------------------------------------------------------

def test_support_is_idempotent_counted_and_only_while_open(client, setup, db, login):
    h = setup["h"]
    created = _comment(client, setup, body="Хорошее предложение")
    url = f"/api/v1/comments/{created['id']}/support"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=h["citizen"]).status_code == 403  # the author
    assert client.post(url, headers=h["drafter"]).status_code == 403
    first = client.post(url, headers=h["citizen2"])
    assert first.status_code == 201 and first.json()["supporters"] == 1
    second = client.post(url, headers=h["citizen2"])
    assert second.status_code == 200 and second.json() == first.json()
    assert client.post(url, headers=h["citizen3"]).json()["supporters"] == 2
    assert client.get(f"/api/v1/comments/{created['id']}").json()["supporters"] == 2
    listed = client.get(setup["url"]).json()["items"][0]
    assert listed["supporters"] == 2
    taken_back = client.delete(url, headers=h["citizen3"])
    assert taken_back.status_code == 200 and taken_back.json()["supporters"] == 1
    assert client.delete(url, headers=h["citizen3"]).json()["supporters"] == 1
    assert _count(db, AuditEntry, AuditEntry.action == "comment.supported") == 2

    set_clock(client, AFTER)
    late = client.post(url, headers=login(setup["users"]["citizen3"]))
    assert late.status_code == 409 and late.json()["error"] == "consultation_closed"
    assert client.delete(url, headers=login(setup["users"]["citizen2"])).status_code == 409
    assert client.get(f"/api/v1/comments/{created['id']}").json()["supporters"] == 1


def test_support_needs_a_confirmed_email(client, setup, db):
    created = _comment(client, setup)
    auth_service.create_user(session=db, email="late@example.kg", password=PASSWORD,
                             name="Поздний", role=Role.CITIZEN)
    db.commit()
    token = client.post("/api/v1/auth/token", data={"username": "late@example.kg",
                                                    "password": PASSWORD}).json()
    refused = client.post(f"/api/v1/comments/{created['id']}/support",
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert refused.status_code == 403 and refused.json()["error"] == "email_not_verified"


# --- campaign groups --------------------------------------------------------------------------

CAMPAIGN = ("Я категорически против статьи 2 законопроекта. Распространение закона на всех "
            "потребителей без исключений ударит по малому бизнесу и разорит тысячи семей, "
            "которые и так с трудом сводят концы с концами. Прошу исключить эту норму и "
            "провести настоящие консультации с предпринимателями.")


def campaign_variants() -> list[str]:
    """Twenty submissions of one campaign text, with the small differences people make."""
    edits = [
        lambda t: t,
        lambda t: t.upper(),
        lambda t: t.lower(),
        lambda t: t.replace(".", "!"),
        lambda t: t.replace(",", ""),
        lambda t: "  ".join(t.split()),
        lambda t: t.replace("категорически", "решительно"),
        lambda t: t.replace("тысячи", "сотни"),
        lambda t: t.replace("Прошу", "Требую"),
        lambda t: "Уважаемые депутаты! " + t,
        lambda t: t + " С уважением, Айбек.",
        lambda t: t + " Асель из Оша.",
        lambda t: t.replace("малому бизнесу", "малому и среднему бизнесу"),
        lambda t: t.replace("настоящие", "честные"),
        lambda t: t.replace(" и так", ""),
        lambda t: t.replace("Я категорически", "Категорически"),
        lambda t: t.replace("законопроекта", "проекта закона"),
        lambda t: t.replace("семей", "семей!!!").lower(),
        lambda t: t.replace("предпринимателями", "бизнесом"),
        lambda t: "Добрый день. " + t.replace(".", ";"),
    ]
    return [edit(CAMPAIGN) for edit in edits]


@pytest.fixture
def campaigners(make_user, login):
    return [login(make_user(Role.CITIZEN)) for _ in range(20)]


def test_twenty_near_identical_comments_make_one_group_of_twenty(client, setup, campaigners,
                                                                 db):
    url = setup["url"]
    ids = []
    for headers, text in zip(campaigners, campaign_variants(), strict=True):
        response = client.post(url, json={"body": text, "clause_key": "art-2"}, headers=headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    different = _comment(client, setup, clause_key="art-2",
                         body="Статья 2 нужна, но распространять её надо постепенно, в течение "
                              "трёх лет, чтобы бизнес успел подготовиться.")
    # The campaign's words on another clause are another comment.
    elsewhere = _comment(client, setup, who="citizen2", clause_key="art-3", body=CAMPAIGN)

    items = {c["id"]: c for c in client.get(url).json()["items"]}
    groups = {items[i]["group"]["id"] for i in ids}
    assert len(groups) == 1
    group = items[ids[0]]["group"]
    assert group["size"] == 20 and group["representative_id"] == ids[0]
    assert items[different["id"]]["group"] is None
    assert items[elsewhere["id"]]["group"] is None
    assert _count(db, CommentGroup) == 1
    assert client.get(f"/api/v1/comments/{ids[7]}").json()["group"] == group


def test_identical_short_comments_are_grouped_different_ones_are_not(client, setup,
                                                                     campaigners):
    url = setup["url"]
    made = [client.post(url, json={"body": body}, headers=campaigners[i]).json()["id"]
            for i, body in enumerate(["Против!", "против", "ПРОТИВ.", "Против лишь отчасти"])]
    items = {c["id"]: c for c in client.get(url).json()["items"]}
    assert items[made[0]]["group"]["size"] == 3
    assert items[made[1]]["group"] == items[made[2]]["group"] == items[made[0]]["group"]
    assert items[made[3]]["group"] is None


# --- flags and moderation -------------------------------------------------------------------

def test_flag_queue_dismiss_and_hide(client, setup, db):
    h = setup["h"]
    rude = _comment(client, setup, body="Оскорбительный текст")
    fine = _comment(client, setup, who="citizen2", body="Спорное, но допустимое мнение")
    flag_url = "/api/v1/comments/{}/flag"

    assert client.post(flag_url.format(rude["id"]), json={"reason": "x"}).status_code == 401
    assert client.post(flag_url.format(rude["id"]), json={"reason": "x"},
                       headers=h["drafter"]).status_code == 403
    assert client.post(flag_url.format(rude["id"]), json={"reason": " "},
                       headers=h["citizen2"]).status_code == 422
    first = client.post(flag_url.format(fine["id"]), json={"reason": "Не согласен"},
                        headers=h["citizen"])
    assert first.status_code == 201
    flagged = client.post(flag_url.format(rude["id"]), json={"reason": "Оскорбления"},
                          headers=h["citizen2"])
    assert flagged.status_code == 201
    again = client.post(flag_url.format(rude["id"]), json={"reason": "Ещё раз"},
                        headers=h["citizen2"])
    assert again.status_code == 409 and again.json()["error"] == "already_flagged"
    assert client.post(flag_url.format(rude["id"]), json={"reason": "Грубо"},
                       headers=h["citizen3"]).status_code == 201

    queue_url = "/api/v1/moderation/flags"
    assert client.get(queue_url).status_code == 401
    assert client.get(queue_url, headers=h["citizen"]).status_code == 403
    assert client.get(queue_url, headers=h["drafter"]).status_code == 403
    assert client.get(queue_url, headers=h["other_moderator"]).json()["items"] == []
    queue = client.get(queue_url, headers=h["moderator"]).json()
    assert [i["comment"]["id"] for i in queue["items"]] == [fine["id"], rude["id"]]  # oldest
    assert [f["reason"] for f in queue["items"][1]["flags"]] == ["Оскорбления", "Грубо"]

    # Dismissed: the comment stays as it is.
    dismiss_url = f"/api/v1/moderation/flags/{first.json()['id']}/dismiss"
    assert client.post(dismiss_url, headers=h["other_moderator"]).status_code == 403
    assert client.post(dismiss_url, headers=h["citizen"]).status_code == 403
    dismissed = client.post(dismiss_url, headers=h["moderator"])
    assert dismissed.status_code == 200 and dismissed.json()["resolution"] == "dismissed"
    assert client.post(dismiss_url, headers=h["moderator"]).status_code == 409
    assert client.get(f"/api/v1/comments/{fine['id']}").json()["status"] == "published"

    # Hidden with a public reason: every open flag on it is resolved, nothing is deleted.
    hidden = client.post(f"/api/v1/comments/{rude['id']}/hide", headers=h["moderator"],
                         json={"reason": "Оскорбления участников"})
    assert hidden.status_code == 200
    public = client.get(f"/api/v1/comments/{rude['id']}").json()
    assert public["status"] == "hidden" and public["hidden_reason"] == "Оскорбления участников"
    assert public["body"] is None
    assert client.get(queue_url, headers=h["moderator"]).json()["items"] == []
    flags = db.scalars(select(CommentFlag).where(CommentFlag.comment_id == rude["id"])).all()
    assert {f.resolution for f in flags} == {"hidden"} and len(flags) == 2
    assert all(f.resolved_by_id == setup["users"]["moderator"].id for f in flags)
    assert db.get(Comment, rude["id"]).body == "Оскорбительный текст"
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"comment.flagged", "comment.flags_dismissed", "comment.hidden"} <= actions
    # A hidden comment cannot be reported again.
    assert client.post(flag_url.format(rude["id"]), json={"reason": "x"},
                       headers=h["citizen"]).status_code == 409


# --- attachments ----------------------------------------------------------------------------

def _multipart(client, setup, files, who="citizen", **fields):
    data = {"body": "Замечание с приложением", **fields}
    return client.post(setup["url"], data=data, files=[("files", f) for f in files],
                       headers=setup["h"][who])


def test_pdf_and_docx_attachments_are_stored_and_downloadable(client, setup, db,
                                                              attachment_dir):
    docx = docx_bytes()
    created = _multipart(client, setup, [("Анализ.pdf", PDF, "application/pdf"),
                                         ("справка", docx, "application/octet-stream")],
                         clause_key="art-2", quote="применяется ко всем")
    assert created.status_code == 201, created.text
    body = created.json()
    assert [a["filename"] for a in body["attachments"]] == ["Анализ.pdf", "справка.docx"]
    pdf_meta = body["attachments"][0]
    assert pdf_meta["sha256"] == hashlib.sha256(PDF).hexdigest() and pdf_meta["size"] == len(PDF)
    comment = client.get(f"/api/v1/comments/{body['id']}").json()
    assert comment["quote"] == "применяется ко всем" and len(comment["attachments"]) == 2

    download = client.get(f"/api/v1/attachments/{pdf_meta['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    word = client.get(f"/api/v1/attachments/{body['attachments'][1]['id']}")
    assert word.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert word.content == docx
    # Outside the web root, under a random name.
    stored = db.scalars(select(CommentAttachment)).all()
    assert all((attachment_dir / a.storage_key[:2] / a.storage_key).is_file() for a in stored)
    assert not any("Анализ" in a.storage_key for a in stored)
    assert client.get(f"/static/{stored[0].storage_key}").status_code == 404


def test_attachments_are_checked_by_content_size_and_number(client, setup, db,
                                                            attachment_dir):
    exe = b"MZ\x90\x00\x03" + b"\x00" * 200
    renamed = _multipart(client, setup, [("report.pdf", exe, "application/pdf")])
    assert renamed.status_code == 415
    assert renamed.json()["error"] == "unsupported_attachment"
    assert "report.pdf" in renamed.json()["detail"]
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")
    assert _multipart(client, setup, [("a.docx", plain_zip.getvalue(),
                                       "application/zip")]).status_code == 415
    big = _multipart(client, setup, [("big.pdf", PDF + b"0" * (6 * 1024 * 1024),
                                      "application/pdf")])
    assert big.status_code == 413 and big.json()["error"] == "attachment_too_large"
    four = _multipart(client, setup, [(f"{i}.pdf", PDF, "application/pdf") for i in range(4)])
    assert four.status_code in (413, 422) and four.json()["error"] == "too_many_attachments"
    many = _multipart(client, setup, [(f"{i}.pdf", PDF, "application/pdf") for i in range(12)])
    assert many.status_code in (413, 422)
    assert _count(db, Comment) == 0 and _count(db, CommentAttachment) == 0
    assert not attachment_dir.exists() or not any(p.is_file()
                                                  for p in attachment_dir.rglob("*"))
    # Three is the most, and a refusal by the rules writes no file either.  (Ten seconds on:
    # six attempts in one moment already reached the comment policy's pace of 5 in 10 s.)
    set_clock(client, DURING + timedelta(seconds=10))
    three = _multipart(client, setup, [(f"{i}.pdf", PDF, "application/pdf") for i in range(3)])
    assert three.status_code == 201
    refused = _multipart(client, setup, [("x.pdf", PDF, "application/pdf")],
                         clause_key="art-99")
    assert refused.status_code == 404
    assert len([p for p in attachment_dir.rglob("*") if p.is_file()]) == 3


def test_attachments_of_a_hidden_comment_are_not_served(client, setup):
    created = _multipart(client, setup, [("a.pdf", PDF, "application/pdf")]).json()
    url = f"/api/v1/attachments/{created['attachments'][0]['id']}"
    assert client.get(url).status_code == 200
    assert client.post(f"/api/v1/comments/{created['id']}/hide", json={"reason": "Спам"},
                       headers=setup["h"]["moderator"]).status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/comments/{created['id']}").json()["attachments"] == []
    assert client.get("/api/v1/attachments/999999").status_code == 404
