"""The published summary: immutable, corrected only by a new revision with its reason, authors
told of both; its exports (.csv round-trips, .docx and .pdf comparison tables)."""

import csv
import io

import pytest
from docx import Document
from sqlalchemy import select

from app.models import FeedbackSummary, SummaryEntry
from tests.api.test_answers import campaign  # noqa: F401 - the fixture
from tests.conftest import bishkek, set_clock

TRICKY = 'Кавычки " и запятые, и\nперевод строки; =СУММ(A1) ңөү ‹b›'


@pytest.fixture
def published(client, campaign):  # noqa: F811
    h = campaign["drafter"]
    group = campaign["twins"][0].group_id
    client.put(f"/api/v1/comment-groups/{group}/response", headers=h,
               json={"decision": "rejected", "reasoning": "Штрафы не повышаются."})
    client.put(f"/api/v1/comments/{campaign['other'].id}/response", headers=h,
               json={"decision": "accepted", "reasoning": TRICKY})
    client.put(f"/api/v1/comments/{campaign['whole'].id}/response", headers=h,
               json={"decision": "partially_accepted", "reasoning": "Частично"})
    created = client.post(f"/api/v1/drafts/{campaign['draft'].id}/summary", headers=h)
    assert created.status_code == 201, created.text
    return campaign


def test_publishing_is_refused_while_open_or_unanswered(client, campaign):  # noqa: F811
    url = f"/api/v1/drafts/{campaign['draft'].id}/summary"
    set_clock(client, bishkek(2026, 12, 20))
    still_open = client.post(url, headers=campaign["drafter"])
    assert still_open.status_code == 409 and still_open.json()["error"] == "consultation_open"
    set_clock(client, bishkek(2027, 1, 2, 10))
    refused = client.post(url, headers=campaign["drafter"])
    assert refused.status_code == 409 and refused.json()["error"] == "unanswered_comments"
    assert len(refused.json()["comment_ids"]) == 22
    assert client.post(url, headers=campaign["other_drafter"]).status_code == 403


def test_a_published_summary_is_immutable_and_corrected_by_a_revision(
        client, published, db, smtp_server, deliver):
    draft_id = published["draft"].id
    h = published["drafter"]
    other = published["other"]
    deliver()
    smtp_server.messages.clear()
    again = client.post(f"/api/v1/drafts/{draft_id}/summary", headers=h)
    assert again.status_code == 409 and again.json()["error"] == "summary_published"
    frozen = client.put(f"/api/v1/comments/{other.id}/response", headers=h,
                        json={"decision": "rejected", "reasoning": "Иначе"})
    assert frozen.status_code == 409 and frozen.json()["error"] == "summary_published"

    url = f"/api/v1/drafts/{draft_id}/summary/corrections"
    change = {"comment_id": other.id, "decision": "partially_accepted",
              "reasoning": "Учтено частично: ошибка в первой редакции справки."}
    assert client.post(url, json={"reason": "Опечатка", "changes": [change]},
                       headers=published["other_drafter"]).status_code == 403
    assert client.post(url, json={"reason": "  ", "changes": [change]},
                       headers=h).status_code == 422
    assert client.post(url, headers=h, json={"reason": "x", "changes": [
        {**change, "comment_id": 999999}]}).status_code == 422
    corrected = client.post(url, json={"reason": "Опечатка в решении", "changes": [change]},
                            headers=h)
    assert corrected.status_code == 201, corrected.text
    body = corrected.json()
    assert body["revision"] == 2 and body["correction_reason"] == "Опечатка в решении"
    assert [r["revision"] for r in body["revisions"]] == [1, 2]
    row = next(c for c in body["comments"] if c["id"] == other.id)
    assert row["decision"] == "partially_accepted"

    # Revision 1 reads exactly as it was published.
    first = client.get(f"/api/v1/drafts/{draft_id}/summary", params={"revision": 1}).json()
    assert next(c for c in first["comments"] if c["id"] == other.id)["reasoning"] == TRICKY
    assert client.get(f"/api/v1/drafts/{draft_id}/summary",
                      params={"revision": 3}).status_code == 404
    latest = client.get(f"/api/v1/drafts/{draft_id}/summary").json()
    assert latest["revision"] == 2 and latest["stats"]["by_decision"]["accepted"] == 0
    # The comment shows the answer in force.
    assert client.get(f"/api/v1/comments/{other.id}").json()["response"]["decision"] == \
        "partially_accepted"
    revisions = db.scalars(select(FeedbackSummary).where(
        FeedbackSummary.draft_id == draft_id).order_by(FeedbackSummary.revision)).all()
    assert revisions[1].corrects_id == revisions[0].id
    assert len(db.scalars(select(SummaryEntry).where(
        SummaryEntry.summary_id == revisions[0].id)).all()) == 22

    # Every author is told; the author of the changed comment reads the new answer.
    deliver()
    author = db.get(type(published["drafter_user"]), other.author_id)
    mail = smtp_server.to(author.email)
    assert len(mail) == 1
    text = smtp_server.body(mail[0])
    assert "Опечатка в решении" in text and change["reasoning"] in text
    assert len(smtp_server.messages) == 21  # 21 authors in the round


def test_correction_needs_a_published_summary(client, campaign):  # noqa: F811
    response = client.post(f"/api/v1/drafts/{campaign['draft'].id}/summary/corrections",
                           json={"reason": "x"}, headers=campaign["drafter"])
    assert response.status_code == 404 and response.json()["error"] == "summary_not_published"


def test_csv_round_trips_every_field(client, published):
    response = client.get(f"/api/v1/drafts/{published['draft'].id}/summary.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 22
    api = client.get(f"/api/v1/drafts/{published['draft'].id}/summary").json()["comments"]
    for row, comment in zip(rows, api, strict=True):
        assert row["receipt"] == comment["receipt"]
        assert row["body"] == comment["body"]
        assert row["proposed_wording"] == (comment["proposed_wording"] or "")
        assert row["decision"] == comment["decision"]
        assert row["reasoning"] == comment["reasoning"]
        assert row["clause_key"] == (comment["clause_key"] or "")
        assert row["author"] == comment["author"]
    tricky = next(r for r in rows if r["receipt"] == published["other"].receipt)
    assert tricky["reasoning"] == TRICKY
    assert tricky["clause"] == "Статья 2"
    assert tricky["current_wording"].startswith("Статья 2. Сфера действия")


@pytest.mark.parametrize("lang, heading, decision", [
    ("ru", "Предлагаемая редакция", "Учтено"), ("ky", None, None)])
def test_docx_comparison_table(client, published, lang, heading, decision):
    response = client.get(f"/api/v1/drafts/{published['draft'].id}/summary.docx",
                          params={"lang": lang})
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    title = "О защите прав потребителей" if lang == "ru" else "Керектөөчүлөрдүн укуктары жөнүндө"
    assert title in text
    assert "01.12.2026" in text and "01.01.2027" in text  # the period's dates
    table = document.tables[0]
    assert len(table.columns) == 7
    assert len(table.rows) == 1 + 22  # the headings and one row per comment
    if heading:
        assert table.rows[0].cells[3].text == heading
    api = client.get(f"/api/v1/drafts/{published['draft'].id}/summary").json()["comments"]
    for number, (row, comment) in enumerate(zip(table.rows[1:], api, strict=True), start=1):
        cells = [c.text for c in row.cells]
        assert cells[0] == str(number)
        assert cells[6] == comment["reasoning"]
        assert comment["body"] in cells[3]
    other = next(i for i, c in enumerate(api) if c["id"] == published["other"].id)
    cells = [c.text for c in table.rows[1 + other].cells]
    if decision:
        assert cells[5] == decision and cells[1] == "Статья 2"
    else:
        assert cells[1] == "2-берене" and cells[5] not in ("Accepted", "Учтено")
    assert "Настоящий Закон применяется ко всем потребителям." in cells[2] or lang == "ky"


def test_pdf_comparison_table(client, published):
    for lang in ("ru", "ky"):
        response = client.get(f"/api/v1/drafts/{published['draft'].id}/summary.pdf",
                              params={"lang": lang})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/drafts/{published['draft'].id}/summary.pdf",
                      params={"lang": "de"}).status_code == 422


def test_a_pdf_too_large_is_refused_with_the_files_that_hold_it(client, published, monkeypatch):
    """fpdf2 builds a PDF whole in memory (100,000 rows: over 20 minutes): past PDF_MAX_ROWS
    the answer is a 422 naming the streamed files instead; those still answer."""
    from app.services import summary_export

    draft_id = published["draft"].id
    rows = len(client.get(f"/api/v1/drafts/{draft_id}/summary").json()["comments"])
    assert rows >= 2
    monkeypatch.setattr(summary_export, "PDF_MAX_ROWS", rows - 1)
    refused = client.get(f"/api/v1/drafts/{draft_id}/summary.pdf",
                         headers={"Accept-Language": "ky"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "summary_too_large_for_pdf"
    assert f"{rows} сын-пикирге" in refused.json()["detail"]
    assert client.get(f"/api/v1/drafts/{draft_id}/summary.docx").status_code == 200
    monkeypatch.setattr(summary_export, "PDF_MAX_ROWS", rows)
    assert client.get(f"/api/v1/drafts/{draft_id}/summary.pdf").status_code == 200


def test_exports_404_before_publication(client, campaign):  # noqa: F811
    for ext in ("csv", "docx", "pdf"):
        assert client.get(f"/api/v1/drafts/{campaign['draft'].id}/summary.{ext}"
                          ).status_code == 404
