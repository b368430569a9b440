"""Drafts uploaded as Word documents and Word-exported HTML, through POST /drafts."""

import io

import pytest
from docx import Document

from app.models import Role
from tests.conftest import CORPUS


@pytest.fixture
def drafter(make_org, make_user, login):
    ministry = make_org("mintrud", "Министерство труда", "Эмгек министрлиги")
    return login(make_user(Role.DRAFTER, ministry))


def _docx() -> bytes:
    document = Document()
    document.add_paragraph("Статья 1. Ставки")
    document.add_paragraph("1. Ставки устанавливаются в следующих размерах:")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["Разряд", "Коэффициент"], ["1", "1,00"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("(В редакции Закона КР от 1 января 2024 года № 1)")
    heading = document.add_paragraph("Статья 1")
    heading.add_run("1").font.superscript = True
    heading.add_run(". Вставленная статья")
    document.add_paragraph("Текст вставленной статьи.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _upload(client, headers, name, data, language="ru"):
    return client.post("/api/v1/drafts", headers=headers, files={"file": (name, data)}, data={
        "organization": "mintrud", "act_type": "law", "title": "Из Word", "language": language})


def test_docx_upload_keeps_tables_notes_and_inserted_articles(client, drafter):
    created = _upload(client, drafter, "law.docx", _docx())
    assert created.status_code == 201, created.text
    assert created.json()["parse_report"]["counts"]["article"] == 2
    version = client.get(f"/api/v1/drafts/{created.json()['id']}/versions/1").json()
    article1, inserted = version["clauses"]
    assert [a["key"] for a in version["clauses"]] == ["art-1", "art-1-1"]
    assert inserted["heading"] == "Вставленная статья"
    part = article1["children"][0]
    table = next(c for c in part["children"] + article1["children"] if c["table"])
    assert table["table"] == [["Разряд", "Коэффициент"], ["1", "1,00"]]
    notes = [c for c in part["children"] + article1["children"] if c["note"]]
    assert notes and notes[0]["text"].startswith("(В редакции")


def test_kyrgyz_word_html_upload(client, drafter):
    html = (CORPUS / "html" / "kg" / "section_chapter_article.html").read_bytes()
    created = _upload(client, drafter, "labour.htm", html, language="ky")
    assert created.status_code == 201, created.text
    version = client.get(f"/api/v1/drafts/{created.json()['id']}/versions/1?lang=ky").json()
    assert version["languages"] == ["ky"]
    keys = []

    def walk(nodes):
        for node in nodes:
            keys.append(node["key"])
            walk(node["children"])
    walk(version["clauses"])
    assert "art-1" in keys


@pytest.mark.parametrize("name, data, status", [
    ("act.pdf", b"%PDF-1.7\n1 0 obj", 415),
    ("act.docx", b"PK\x03\x04broken", 422),
    ("act.txt", b"   ", 422),
])
def test_unreadable_uploads_are_refused_clearly(client, drafter, name, data, status):
    response = _upload(client, drafter, name, data)
    assert response.status_code == status
    assert response.json()["detail"]


def test_draft_page_shows_the_table_as_a_table_and_the_note_apart(client, drafter):
    from bs4 import BeautifulSoup

    created = _upload(client, drafter, "law.docx", _docx())
    page = BeautifulSoup(client.get(f"/drafts/{created.json()['id']}").text, "html.parser")
    table = page.find("table", class_="clause-table")
    rows = [[cell.get_text() for cell in row.find_all("td")] for row in table.find_all("tr")]
    assert rows == [["Разряд", "Коэффициент"], ["1", "1,00"]]
    note = page.find(class_="clause-note")
    assert note is not None and "В редакции" in note.get_text()
