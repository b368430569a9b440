"""Versions on the public pages: comments that follow their clause, the redline, old versions.

The acceptance scenario runs on the real road-traffic law: version 1 gets a comment on
article 10, version 2 removes article 9 and renumbers the rest, and the comment is shown beside
the new article 9, marked as made on version 1, article 10.
"""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import clock
from app.models import Draft, Role
from app.services import comparison as comparison_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from tests.conftest import CORPUS
from tests.pages.conftest import AFTER, LAW, forget_kept_pages, soup, text_of
from tests.pages.test_accessibility import _check
from tests.pages.test_large_draft import counting_queries
from tests.services.test_diffing import read_corpus, renumber, replace_once


@pytest.fixture(autouse=True)
def _fresh_comparisons() -> Iterator[None]:
    # Comparisons are cached by version id and creation time; a rolled-back test database
    # hands the same ids to the next test's versions, written at the same fixed clock.
    comparison_service.clear_cache()
    yield
    comparison_service.clear_cache()


def publish(db: Session, world: dict[str, Any], draft: Draft, text: str,
            note: str | None = None, ky: str | None = None) -> int:
    version, _outcome = drafts_service.add_version(
        session=db, actor=world["drafter"], draft=draft,
        text=drafts_service.VersionText(ru=text, ky=ky), change_note=note)
    db.commit()
    return version.number


@pytest.fixture
def road_law() -> str:
    return read_corpus("road-traffic-law.txt")


@pytest.fixture
def road_draft(make_draft, add_comment, db, world, road_law):
    """Version 1 with comments on articles 10 and 9; version 2 without article 9."""
    draft = make_draft(ru=road_law, title="О дорожном движении")
    on_ten = add_comment(draft, clause_key="art-10", body="Акт приемки дорог нужен всегда")
    on_nine = add_comment(draft, clause_key="art-9", body="Учет показателей оставить")
    general = add_comment(draft, clause_key=None, body="Закон в целом полезен")
    second = replace_once(renumber(road_law, remove=9), "1. Ремонт и содержание дорог",
                          "должны обеспечивать", "обязаны обеспечивать")
    publish(db, world, draft, second, note="Статья 9 исключена, уточнена статья 10")
    return {"draft": draft, "on_ten": on_ten, "on_nine": on_nine, "general": general,
            "second": second}


def test_a_comment_follows_its_clause_to_the_renumbered_article(client, road_draft):
    draft, on_ten = road_draft["draft"], road_draft["on_ten"]
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    article = page.find(id="art-9")
    title = text_of(article.find(class_="clause-title"))
    assert title.startswith("Статья 9.") and "при проектировании" in title
    comment = article.find(id=f"comment-{on_ten.id}")
    assert comment is not None, "the comment on old article 10 is not beside new article 9"
    assert "Акт приемки дорог нужен всегда" in text_of(comment.find(class_="comment-body"))
    assert text_of(comment.find(class_="comment-origin")) == "On version 1, Article 10"
    # The count of the new article 9 includes the carried comment; new article 10 (old 11)
    # has none.
    assert "1 comment" in text_of(article.find(class_="clause-tools", recursive=False))
    assert page.find(id="art-10").find(class_="comment") is None
    # A comment on the whole draft stays there, marked with its version.
    general = page.find(id="general-comments").find(id=f"comment-{road_draft['general'].id}")
    assert text_of(general.find(class_="comment-origin")) == "On version 1"

    # The comment on the removed article 9 is set apart, with the old text quoted.
    removed = page.find(id="removed-comments")
    assert text_of(removed.h2) == "Comments on clauses that were removed"
    group = removed.find(class_="removed-clause")
    assert "Организация государственного учета" in text_of(group.find(class_="quoted-clause"))
    assert "Version 1, Article 9" in text_of(group.find(class_="small-label"))
    carried = group.find(id=f"comment-{road_draft['on_nine'].id}")
    assert text_of(carried.find(class_="comment-origin")) == "On version 1, Article 9"
    assert len(page.select("article.comment")) == 3

    # In Russian too.
    russian = soup(client.get(f"/drafts/{draft.id}?lang=ru"))
    origin = russian.find(id=f"comment-{on_ten.id}").find(class_="comment-origin")
    assert text_of(origin) == "К версии 1, Статья 10"


def test_comments_are_carried_through_a_chain_of_versions(client, road_draft, db, world):
    draft, on_ten = road_draft["draft"], road_draft["on_ten"]
    # Version 3 inserts an article before article 5: old article 10 (9 in version 2) is 10.
    third = renumber(road_draft["second"], insert_before=5,
                     inserted="Цифровой учет\n\nУчет ведется в электронной форме.")
    assert publish(db, world, draft, third, note="Новая статья 5") == 3
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    assert page.find(id="art-10").find(id=f"comment-{on_ten.id}") is not None
    assert page.find(id="art-9").find(class_="comment") is None
    assert comparison_service.carry_keys(session=db, draft=draft, from_version=1)["art-10"] \
        == "art-10"
    assert comparison_service.carry_keys(session=db, draft=draft, from_version=2)["art-9"] \
        == "art-10"
    # Version 2 shows it where version 2 had it.
    second = soup(client.get(f"/drafts/{draft.id}?version=2&lang=en"))
    assert second.find(id="art-9").find(id=f"comment-{on_ten.id}") is not None


def test_an_earlier_version_is_read_only_with_a_banner(client, make_draft, add_comment, db,
                                                      world, sign_in):
    draft = make_draft()
    comment = add_comment(draft, clause_key="art-2", body="Сфера слишком узкая")
    # The first round ends, version 2 comes with a new round.
    clock.set_now(AFTER)
    second = LAW.replace("Настоящий Закон применяется ко всем потребителям.",
                         "Настоящий Закон применяется ко всем потребителям и продавцам.")
    publish(db, world, draft, second, note="Расширена сфера действия")
    consultations_service.open_consultation(
        session=db, actor=world["drafter"], draft=draft, opens_at=AFTER,
        closes_at=AFTER + timedelta(days=31))
    db.commit()
    clock.set_now(AFTER + timedelta(days=2))
    sign_in(client, world["citizen"])

    current = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    assert current.find("a", class_="comment-link") is not None
    assert current.find("form", action=f"/drafts/{draft.id}/comments") is not None
    assert current.find(class_="notice-version") is None

    old = soup(client.get(f"/drafts/{draft.id}?version=1&lang=en"))
    banner = old.find(class_="notice-version")
    assert text_of(banner.find(class_="notice-title")) == "You are reading version 1 of 2."
    links = {text_of(a): a["href"] for a in banner.find_all("a")}
    assert links["Read the current version"] == f"/drafts/{draft.id}"
    assert links["See what changed since"] == f"/drafts/{draft.id}/diff?from=1&to=2"
    assert text_of(old.find(id="text-heading")) == "Text of version 1"
    assert "ко всем потребителям." in text_of(old.find(id="art-2"))
    # The comment made on version 1 sits on its own clause, without a version mark.
    kept = old.find(id="art-2").find(id=f"comment-{comment.id}")
    assert kept is not None and kept.find(class_="comment-origin") is None
    # Nothing to fill in: no comment forms, no comment links.
    assert old.find("main").find_all("form") == []
    assert old.find("a", class_="comment-link") is None
    assert old.find("a", href="#general-comments") is None
    assert "only on the clauses" not in text_of(old.find(id="general-comments"))
    _check(old, "earlier version")

    assert client.get(f"/drafts/{draft.id}?version=3").status_code == 404
    assert client.get(f"/drafts/{draft.id}?version=0").status_code == 422
    assert client.get(f"/drafts/{draft.id}?version=abc").status_code == 422
    # ?version= of the current version is the current page.
    same = soup(client.get(f"/drafts/{draft.id}?version=2&lang=en"))
    assert same.find(class_="notice-version") is None
    assert same.find("a", class_="comment-link") is not None


def test_comment_forms_stay_with_the_version_of_the_open_round(client, make_draft, db, world,
                                                               sign_in):
    draft = make_draft()  # the round is open on version 1
    publish(db, world, draft, LAW.replace("ко всем потребителям", "ко всем покупателям"))
    sign_in(client, world["citizen"])
    current = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    # Keys of version 2 would be checked against the clauses of version 1: no clause forms.
    assert current.find("a", class_="comment-link") is None
    notice = current.find("a", href=f"/drafts/{draft.id}?lang=en&version=1")
    assert text_of(notice) == "Comment on version 1"
    consulted = soup(client.get(f"/drafts/{draft.id}?version=1&lang=en"))
    assert consulted.find("a", class_="comment-link") is not None
    assert text_of(consulted.find(class_="notice-title")) == "You are reading version 1 of 2."


def _rows(page) -> dict[str, Any]:
    return {row["id"]: row for row in page.select(".redline .rl-row")}


def test_redline_inline(client, road_draft):
    draft = road_draft["draft"]
    response = client.get(f"/drafts/{draft.id}/diff?from=1&to=2&lang=en")
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page.h1) == "What changed between version 1 and version 2"
    rows = _rows(page)
    # The removed article, in its place (before new article 9), wholly deleted.
    removed = rows["removed-art-9"]
    assert "rl-removed" in removed["class"]
    assert text_of(removed.find(class_="rl-tag")) == "Removed"
    assert "Организация государственного учета" in text_of(removed.find("del"))
    assert removed.find("ins") is None
    order = list(rows)
    assert order.index("art-8") < order.index("removed-art-9") < order.index("art-9")
    # Renumbered articles keep their old number in view.
    for new, old in ((9, 10), (10, 11), (32, 33)):
        was = rows[f"art-{new}"].find(class_="rl-was")
        assert text_of(was) == f"(was Article {old})", new
    # The one word changed in old article 11, part 1 (now article 10).
    modified = rows["art-10--part-1"]
    assert "rl-modified" in modified["class"]
    assert [text_of(tag) for tag in modified.find_all("del")] == ["должны"]
    assert [text_of(tag) for tag in modified.find_all("ins")] == ["обязаны"]
    hidden = [text_of(s) for s in modified.find_all(class_="visually-hidden")]
    assert hidden == ["deleted:", "inserted:"]
    # The summary counts what the comparison found.
    counts = [text_of(li) for li in page.select(".rl-counts li")]
    assert counts[0] == "0 clauses added" and counts[2] == "1 clause modified"
    assert counts[1].endswith("removed") and not counts[1].startswith("0")
    assert "clauses renumbered" in counts[3]
    # Long unchanged stretches are folded, not dropped.
    assert page.select("details.rl-folded")
    # The drafter's change note and the version picker (a plain GET form).
    notes = page.find(class_="change-notes")
    assert "Статья 9 исключена" in text_of(notes)
    assert notes.find("a")["href"] == f"/drafts/{draft.id}#version-2"
    picker = page.find("form", class_="version-picker")
    assert picker["method"] == "get" and picker["action"] == f"/drafts/{draft.id}/diff"
    chosen = {s["name"]: s.find("option", selected=True)["value"] for s in picker("select")}
    assert chosen == {"from": "1", "to": "2"}
    _check(page, "redline")
    assert not page.find_all(["script", "style"]) and not page.find_all(style=True)


def test_redline_side_by_side_and_defaults(client, road_draft):
    draft = road_draft["draft"]
    page = soup(client.get(f"/drafts/{draft.id}/diff?view=side-by-side&lang=en"))
    assert text_of(page.h1) == "What changed between version 1 and version 2"  # the defaults
    assert page.find(class_="redline-columns") is not None
    rows = _rows(page)
    modified = rows["art-10--part-1"]
    old, new = modified.find(class_="rl-old"), modified.find(class_="rl-new")
    assert [text_of(t) for t in old.find_all("del")] == ["должны"] and not old.find("ins")
    assert [text_of(t) for t in new.find_all("ins")] == ["обязаны"] and not new.find("del")
    assert text_of(old.find(class_="cell-label")) == "Version 1"
    removed = rows["removed-art-9"]
    assert text_of(removed.find(class_="rl-new").find(class_="no-text")) == "Not in version 2"
    assert text_of(rows["art-9"].find(class_="rl-was")) == "(was Article 10)"
    # The picker keeps the layout.
    picker = page.find("form", class_="version-picker")
    assert picker.find("input", attrs={"name": "view"})["value"] == "side-by-side"
    _check(page, "side-by-side redline")


def test_versions_on_the_draft_page_link_to_the_redline(client, road_draft):
    draft = road_draft["draft"]
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    versions = page.find("section", class_="versions")
    second = versions.find(id="version-2")
    assert "Статья 9 исключена, уточнена статья 10" in text_of(second)
    assert second.find("a", href=f"/drafts/{draft.id}/diff?from=1&to=2") is not None
    first = versions.find(id="version-1")
    assert first.find("a", href=f"/drafts/{draft.id}?version=1") is not None


@pytest.mark.parametrize("query, status", [
    ("from=99", 404), ("from=1&to=7", 404), ("to=0", 422), ("from=0", 422),
    ("from=abc", 422), ("text=xx", 422), ("text=ky", 422), ("view=xx", 422),
])
def test_redline_bad_parameters_are_error_pages(client, make_draft, db, world, query, status):
    draft = make_draft()
    publish(db, world, draft, LAW.replace("ко всем", "к"))
    response = client.get(f"/drafts/{draft.id}/diff?{query}")
    assert response.status_code == status, response.text
    page = soup(response)
    assert page.find(class_="error-page") is not None or page.h1 is not None
    assert response.headers["content-type"].startswith("text/html")


def test_a_draft_with_one_version_and_escaped_clause_texts(client, make_draft, db, world):
    hostile = LAW.replace("Настоящий Закон применяется ко всем потребителям.",
                          "Закон <script>alert(1)</script> применяется <b>всем</b>.")
    draft = make_draft(ru=hostile)
    alone = soup(client.get(f"/drafts/{draft.id}/diff?lang=en"))
    assert "Choose two different versions to compare." in text_of(alone)
    publish(db, world, draft, hostile.replace("<b>всем</b>", "<b>каждому</b>"))
    response = client.get(f"/drafts/{draft.id}/diff?lang=en")
    page = soup(response)
    assert page.find("main").find_all(["script", "b"]) == []
    assert "<script>" not in response.text
    (row,) = page.select(".redline .rl-modified")
    assert "<script>alert(1)</script>" in text_of(row)
    assert [text_of(t) for t in row.find_all("del")] == ["всем"]
    assert [text_of(t) for t in row.find_all("ins")] == ["каждому"]


def test_queries_do_not_grow_with_carried_comments(client, connection, make_draft, add_comment,
                                                   make_user, db, world):
    draft = make_draft()
    add_comment(draft, clause_key="art-3")
    add_comment(draft, clause_key="art-2")
    # Version 2 drops article 2: article 3 becomes 2.
    second = LAW.replace("Статья 2. Сфера действия\n\nНастоящий Закон применяется ко всем "
                         "потребителям.\n\n", "").replace("Статья 3.", "Статья 2.")
    publish(db, world, draft, second)

    def queries() -> int:
        forget_kept_pages(client)  # count the queries of a rendering, not of a kept page
        with counting_queries(connection) as statements:
            assert client.get(f"/drafts/{draft.id}").status_code == 200
        return len(statements)

    queries()  # the comparison is computed once, then cached
    few = queries()
    citizens = [make_user(Role.CITIZEN) for _ in range(4)]
    keys = ["art-3", "art-2", "art-1/part-1", None, "art-1/part-1/pt-2"]
    for n in range(25):
        add_comment(draft, author=citizens[n % 4], clause_key=keys[n % len(keys)],
                    body=f"Комментарий {n}")
    page = soup(client.get(f"/drafts/{draft.id}?lang=en"))
    # Of 27 comments: the latest 3 beside each clause and on the removed one, all 5 on the
    # draft as a whole; the others are on the clauses' lists.
    assert len(page.select("article.comment")) == 3 * 4 + 5
    assert len(page.find(id="art-2").find_all("article", class_="comment",
                                               recursive=True)) == 3
    assert "6 comments in all" in text_of(page.find(id="art-2-comments"))
    removed = page.find(id="removed-comments")
    assert len(removed.select("article.comment")) == 3
    assert removed.find("a", href=f"/drafts/{draft.id}/comments?clause_key=art-2&version=1")
    assert queries() == few
    assert few <= 24, few  # with the cache's stamp and the comments placed without their text


def test_the_tax_code_redline_and_carried_comments(client, db, world, add_comment, capsys):
    text = (CORPUS / "ru" / "tax-code.txt").read_text(encoding="utf-8")
    clock.set_now(AFTER - timedelta(days=40))
    draft, _outcome = drafts_service.create_draft(
        session=db, actor=world["drafter"], organization=world["ministry"], act_type="code",
        title={"ru": "Налоговый кодекс Кыргызской Республики"}, summary=None,
        text=drafts_service.VersionText(ru=text))
    consultations_service.open_consultation(
        session=db, actor=world["drafter"], draft=draft, opens_at=AFTER - timedelta(days=35),
        closes_at=AFTER)
    db.commit()
    clock.set_now(AFTER - timedelta(days=10))
    for n in range(40):
        add_comment(draft, clause_key=f"art-{200 + n}", body=f"Замечание {n}")
    publish(db, world, draft, renumber(text, remove=200), note="Статья 200 исключена")

    started = time.perf_counter()
    response = client.get(f"/drafts/{draft.id}/diff?lang=en")
    redline_cold = time.perf_counter() - started
    assert response.status_code == 200
    rows = _rows(soup(response))
    assert "rl-removed" in rows["removed-art-200"]["class"]
    started = time.perf_counter()
    page = client.get(f"/drafts/{draft.id}?lang=en")
    draft_page = time.perf_counter() - started
    assert page.status_code == 200
    started = time.perf_counter()
    client.get(f"/drafts/{draft.id}/diff?view=side-by-side&lang=en")
    redline_warm = time.perf_counter() - started
    carried = soup(page)
    assert carried.find(id="art-200").find(class_="comment-origin") is not None
    assert text_of(carried.find(id="art-200").find(class_="comment-origin")) \
        == "On version 1, Article 201"
    with capsys.disabled():
        print(f"\n[tax code] redline cold {redline_cold:.2f} s, side-by-side warm "
              f"{redline_warm:.2f} s, draft page with 40 carried comments {draft_page:.2f} s")
