"""Classic injection payloads through the fields the other XSS tests do not reach: every page
that shows them must hold them as text (no element, no handler, no javascript: link), and the
data formats (CSV, JSON Lines) must give them back exactly as typed, not HTML-escaped."""

import csv
import io
import json
import re
import zipfile
import zlib
from typing import Any
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import AlertSubscription, Decision, Role
from app.services import alerts as alerts_service
from app.services import answer_templates as templates_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import moderation as moderation_service
from app.services import monitoring as monitoring_service
from app.services import summaries as summaries_service
from tests.pages.conftest import AFTER, LAW
from tests.security.conftest import CSRF_SEED, csrf_token

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">клик</a>",
    "{{7*7}} {% raw %}",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
]


def assert_inert(html: str, payload: str) -> None:
    page = BeautifulSoup(html, "html.parser")
    for tag in page.find_all(True):
        # The site's own <script src="/static/js/..."> files are fine; nothing from users.
        if tag.name == "script":
            assert tag.get("src", "").startswith("/static/"), tag
        assert not any(name.startswith("on") for name in tag.attrs), tag
        assert not str(tag.get("href", "")).lower().startswith("javascript:"), tag
        assert not str(tag.get("src", "")).lower().startswith("javascript:"), tag
    assert len(page.find_all("body")) <= 1
    assert page.find_all(("iframe", "img")) == []
    assert all(svg.find_parent(class_="chart") for svg in page.find_all("svg"))  # our charts only
    values = [tag.get("value", "") for tag in page.find_all("input")]
    assert payload in page.get_text() or payload in values, payload  # shown, as text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_other_field_stay_text(client, db: Session, world: dict[str, Any],
                                                 make_draft, add_comment, make_user, sign_in,
                                                 browser, payload: str) -> None:
    draft = make_draft()
    author = make_user(Role.CITIZEN, name=f"Автор {payload}")
    author.affiliation = f"Организация {payload}"
    shown = add_comment(draft, author=author, body=f"Тело {payload}")
    withdrawn = add_comment(draft, author=author, body="Второе замечание")
    hidden = add_comment(draft, body="Третье замечание")
    comments_service.withdraw_comment(session=db, actor=author, comment=withdrawn,
                                      reason=f"Отзываю {payload}")
    moderation_service.flag_comment(session=db, user=world["citizen"], comment=shown,
                                    reason=f"Жалоба {payload}")
    comments_service.hide_comment(session=db, actor=world["moderator"], comment=hidden,
                                  reason=f"Скрыто {payload}")
    templates_service.create_template(session=db, actor=world["drafter"],
                                      title=f"Шаблон {payload}", decision=Decision.REJECTED,
                                      reasoning=f"Ответ {payload}")
    drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=LAW + "\nДобавлено.\n"),
                               change_note=f"Изменения {payload}")
    monitoring_service.add_note(session=db, actor=world["monitor"], draft=draft,
                                body=f"Заметка {payload}")
    db.commit()

    anyone = browser()
    page = anyone.get(f"/drafts/{draft.id}?lang=ru").text
    for words in ("Тело", "Отзываю", "Скрыто", "Изменения"):
        assert_inert(page, f"{words} {payload}")
    assert_inert(anyone.get(f"/comments/{shown.id}/receipt").text, f"Тело {payload}")

    moderator = sign_in(browser(), world["moderator"])
    assert_inert(moderator.get("/moderation").text, f"Жалоба {payload}")
    drafter = sign_in(browser(), world["drafter"])
    assert_inert(drafter.get("/workspace/answer-templates").text, f"Шаблон {payload}")
    assert_inert(drafter.get(f"/workspace/drafts/{draft.id}").text, f"Шаблон {payload}")
    monitor = sign_in(browser(), world["monitor"])
    assert_inert(monitor.get(f"/monitor/drafts/{draft.id}").text, f"Заметка {payload}")
    own = sign_in(browser(), author)
    assert_inert(own.get("/account").text, f"Организация {payload}")


# --- alert subscriptions: the keywords are shown back on every page of the alert -------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_alert_keywords_stay_text(db: Session, world: dict[str, Any], browser,
                                              sign_in, smtp_server, deliver,
                                              payload: str) -> None:
    keywords = f"налог {payload}"
    reader = browser()
    reader.cookies.set("talkuu_csrf", CSRF_SEED)
    assert_inert(reader.get("/alerts", params={"q": keywords}).text, keywords)
    form = {"csrf_token": csrf_token(), "email": "editor@example.kg", "keywords": keywords,
            "frequency": "immediate", "events": ["new_draft"]}
    refused = reader.post("/alerts", data={**form, "email": "not an address"})
    assert refused.status_code == 422
    assert_inert(refused.text, keywords)
    assert reader.post("/alerts", data=form, follow_redirects=False).status_code == 303

    subscription = db.scalar(select(AlertSubscription))
    assert subscription.keywords == keywords  # stored as typed
    confirm = alerts_service.token(subscription, "confirm")
    assert_inert(reader.get("/alerts/confirm", params={"token": confirm}).text, keywords)
    confirmed = reader.post("/alerts/confirm", data={"csrf_token": csrf_token(),
                                                     "token": confirm})
    assert confirmed.status_code == 200
    assert_inert(confirmed.text, keywords)
    unsubscribe = alerts_service.token(subscription, "unsubscribe")
    assert_inert(reader.get("/alerts/unsubscribe", params={"token": unsubscribe}).text, keywords)
    # The audit log keeps what was asked for; the monitor reads it as (JSON) text.
    monitor = sign_in(browser(), world["monitor"])
    logged = monitor.get("/monitor/audit", params={"action": "alert.subscribed"}).text
    assert_inert(logged, json.dumps(keywords, ensure_ascii=False)[1:-1])

    # The confirmation email is plain text only: the words come back as typed, nothing to run.
    deliver()
    (message,) = smtp_server.to("editor@example.kg")
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    assert keywords in smtp_server.body(message)


# --- exports: data formats carry the payload as data, byte for byte --------------------------

@pytest.fixture
def exported(app: Any, connection, db: Session, world: dict[str, Any], make_draft, add_comment,
             make_user, answer):
    """A draft whose every user-written field holds ``payload``, answered and summarised."""

    def build(payload: str) -> Any:
        draft = make_draft(title=f"Закон {payload}")
        author = make_user(Role.CITIZEN, name=f"Автор {payload}")
        comment = add_comment(draft, author=author, body=f"Тело {payload}",
                              proposed_wording=f"Редакция {payload}",
                              on_behalf_of=f"Организация {payload}")
        withdrawn = add_comment(draft, author=author, body="Второе замечание")
        hidden = add_comment(draft, body="Третье замечание")
        comments_service.withdraw_comment(session=db, actor=author, comment=withdrawn,
                                          reason=f"Отзываю {payload}")
        comments_service.hide_comment(session=db, actor=world["moderator"], comment=hidden,
                                      reason=f"Скрыто {payload}")
        drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                                   text=drafts_service.VersionText(ru=LAW + "\nДобавлено.\n"),
                                   change_note=f"Изменения {payload}")
        db.commit()
        clock.set_now(AFTER)
        answer(comment, "rejected", f"Ответ {payload}")
        summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
        summaries_service.correct_summary(session=db, actor=world["drafter"], draft=draft,
                                          reason=f"Исправление {payload}", changes=[])
        db.commit()
        return {"draft": draft, "comment": comment, "withdrawn": withdrawn, "hidden": hidden}
    return build


def _fields(payload: str) -> dict[str, str]:
    """What each user-written field holds, as it was typed."""
    return {"title": f"Закон {payload}", "body": f"Тело {payload}",
            "proposed_wording": f"Редакция {payload}", "author": f"Автор {payload}",
            "on_behalf_of": f"Организация {payload}", "reasoning": f"Ответ {payload}",
            "withdrawn_reason": f"Отзываю {payload}", "hidden_reason": f"Скрыто {payload}",
            "change_note": f"Изменения {payload}", "correction_reason": f"Исправление {payload}"}


def _csv_quoted(text: str) -> bytes:
    """``text`` as the csv module writes it inside a quoted field (quotes doubled)."""
    return text.replace('"', '""').encode()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_come_back_from_csv_and_json_lines_as_typed(client, exported,
                                                             payload: str) -> None:
    made = exported(payload)
    draft, comment = made["draft"], made["comment"]
    typed = _fields(payload)

    summary = client.get(f"/api/v1/drafts/{draft.id}/summary.csv")
    assert summary.status_code == 200 and summary.headers["content-type"].startswith("text/csv")
    for value in (typed["body"], typed["reasoning"], typed["author"]):
        assert value.encode() in summary.content or _csv_quoted(value) in summary.content
    (row,) = csv.DictReader(io.StringIO(summary.content.decode("utf-8-sig")))
    assert {k: row[k] for k in ("body", "proposed_wording", "author", "on_behalf_of",
                                "reasoning")} == {k: typed[k] for k in (
        "body", "proposed_wording", "author", "on_behalf_of", "reasoning")}

    expected = [  # dataset, the row's key column and value, the fields it must carry
        ("drafts", "id", draft.id, {"title_ru": typed["title"]}),
        ("versions", "number", 2, {"change_note": typed["change_note"]}),
        ("comments", "id", comment.id, {k: typed[k] for k in (
            "body", "proposed_wording", "author", "on_behalf_of")}),
        ("comments", "id", made["withdrawn"].id, {"withdrawn_reason": typed["withdrawn_reason"]}),
        ("comments", "id", made["hidden"].id, {"hidden_reason": typed["hidden_reason"]}),
        ("answers", "comment_id", comment.id, {"reasoning": typed["reasoning"]}),
        ("summaries", "revision", 2, {"correction_reason": typed["correction_reason"]}),
    ]
    for dataset, key, value, fields in expected:
        as_csv = client.get(f"/api/v1/export/{dataset}.csv")
        as_jsonl = client.get(f"/api/v1/export/{dataset}.jsonl")
        assert as_csv.status_code == as_jsonl.status_code == 200
        csv_row = next(r for r in csv.DictReader(io.StringIO(as_csv.text))
                       if r[key] == str(value))
        jsonl_row = next(r for r in map(json.loads, as_jsonl.text.splitlines())
                         if r[key] == value)
        for name, text in fields.items():
            assert csv_row[name] == text, (dataset, name)
            assert jsonl_row[name] == text, (dataset, name)
            # Data formats are not HTML: no entity stands in for a character.
            assert text.encode() in as_csv.content or _csv_quoted(text) in as_csv.content
            assert text.encode() in as_jsonl.content or \
                json.dumps(text, ensure_ascii=False)[1:-1].encode() in as_jsonl.content

    # The page that shows the same answers escapes them.
    page = client.get(f"/drafts/{draft.id}/summary?lang=ru").text
    for value in (typed["body"], typed["reasoning"], typed["correction_reason"]):
        assert_inert(page, value)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_the_word_and_pdf_tables_are_text(client, exported, payload: str) -> None:
    draft = exported(payload)["draft"]
    typed = _fields(payload)

    word = client.get(f"/api/v1/drafts/{draft.id}/summary.docx?lang=ru")
    assert word.status_code == 200
    document = Document(io.BytesIO(word.content))
    texts = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for name in ("title", "body", "proposed_wording", "author", "on_behalf_of", "reasoning",
                 "correction_reason"):
        assert any(typed[name] in text for text in texts), name
    with zipfile.ZipFile(io.BytesIO(word.content)) as archive:
        body = ElementTree.fromstring(archive.read("word/document.xml"))
    # Every element is WordprocessingML: the payload did not become markup of its own.
    assert all(element.tag.startswith("{http://schemas.openxmlformats.org/")
               for element in body.iter())

    pdf = client.get(f"/api/v1/drafts/{draft.id}/summary.pdf?lang=ru")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    for active in (b"/JavaScript", b"/JS", b"/Launch", b"/SubmitForm", b"/URI", b"/AA"):
        assert active not in pdf.content, active
    shown = "".join(pdf_text(pdf.content).split())
    for name in ("title", "body", "proposed_wording", "author", "on_behalf_of", "reasoning",
                 "correction_reason"):
        assert "".join(typed[name].split()) in shown, name


def pdf_text(data: bytes) -> str:
    """The text of an fpdf2 PDF as a viewer shows it: the glyph codes of every ``Tj`` string
    read through the ToUnicode map of the font in use (no PDF library in the dependencies)."""
    objects = {int(number): body for number, body in
               re.findall(rb"(\d+) 0 obj\n(.*?)\nendobj", data, re.S)}

    def stream(number: int) -> bytes:
        body = objects[number]
        raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S).group(1)
        return zlib.decompress(raw) if b"/FlateDecode" in body else raw

    def to_unicode(font: int) -> dict[int, str]:
        cmap = stream(int(re.search(rb"/ToUnicode (\d+) 0 R", objects[font]).group(1)))
        pairs = re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", b"".join(
            re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S)))
        return {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                for code, text in pairs}

    fonts = {name: to_unicode(int(number)) for name, number in
             re.findall(rb"/(F\d+) (\d+) 0 R", data)}
    pages = [int(n) for n in re.findall(rb"/Contents (\d+) 0 R", data)]
    shown: list[str] = []
    for content in map(stream, pages):
        font: dict[int, str] = {}
        for match in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(", content):
            if match.group(0) != b"(":
                font = fonts[match.group(1)]
                continue
            codes = _literal_string(content, match.start())
            shown.append("".join(font.get(int.from_bytes(codes[i:i + 2], "big"), "\ufffd")
                                 for i in range(0, len(codes) - 1, 2)))
    return "\n".join(shown)


def _literal_string(content: bytes, start: int) -> bytes:
    """The bytes of the PDF literal string opening at ``content[start]`` ("(")."""
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    out, i = bytearray(), start + 1
    while content[i] != ord(")"):
        if content[i] != ord("\\"):
            out.append(content[i])
            i += 1
            continue
        digits = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
        if digits:
            out.append(int(digits.group(0), 8))
            i += 1 + len(digits.group(0))
        else:
            out.append(escapes.get(content[i + 1], content[i + 1]))
            i += 2
    return bytes(out)
