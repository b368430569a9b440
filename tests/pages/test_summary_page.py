"""The public summary page: counts by decision and clause, every answer, accepted comments
linked to the change they led to in the next version, the files and the revision history."""

from app import clock
from app.services import drafts as drafts_service
from app.services import summaries as summaries_service
from tests.pages.conftest import AFTER, LAW, soup, text_of


def test_summary_page_links_accepted_comments_to_the_next_version(
        client, make_draft, add_comment, world, answer, db):
    draft = make_draft()
    accepted = add_comment(draft, clause_key="art-2", body="Сузьте сферу действия",
                           proposed_wording="Настоящий Закон применяется к потребителям.")
    rejected = add_comment(draft, clause_key="art-1", body="Уберите статью")
    whole = add_comment(draft, clause_key=None, body="Поддерживаю")
    clock.set_now(AFTER)
    answer(accepted, "accepted", "Учтено: статья 2 изменена")
    answer(rejected, "rejected", "Понятия нужны")
    answer(whole, "partially_accepted", "Частично")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()

    page = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru"))
    # No next version yet: nothing to link to.
    assert page.find("a", class_="change-link") is None
    counts = page.find_all("table", class_="counts")
    assert "Учтено 1" in text_of(counts[0]) and "Не учтено 1" in text_of(counts[0])
    assert "Статья 2 1" in text_of(counts[1])
    for href in (f"/api/v1/drafts/{draft.id}/summary.csv",
                 f"/api/v1/drafts/{draft.id}/summary.docx?lang=ru",
                 f"/api/v1/drafts/{draft.id}/summary.docx?lang=ky",
                 f"/api/v1/drafts/{draft.id}/summary.pdf?lang=ky"):
        assert page.find("a", href=href), href
    assert page.find(id="revisions") is None  # one revision: no history to show

    # Version 2 rewords article 2 (and inserts an article before it, so its key moves on).
    new_text = LAW.replace("Статья 2. Сфера действия\n\nНастоящий Закон применяется ко всем "
                           "потребителям.",
                           "Статья 2. Цели\n\nЦели Закона.\n\nСтатья 3. Сфера действия\n\n"
                           "Настоящий Закон применяется к потребителям.").replace(
        "Статья 3. Вступление", "Статья 4. Вступление")
    drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=new_text),
                               change_note="Учтены замечания")
    db.commit()
    page = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru"))
    links = page.find_all("a", class_="change-link")
    assert len(links) == 2  # the accepted and the partially accepted comments
    link = page.find(id=f"comment-{accepted.id}").find("a", class_="change-link")
    assert link["href"].startswith(f"/drafts/{draft.id}/diff?from=1&to=2#")
    anchor = link["href"].split("#", 1)[1]
    assert anchor == "art-3"  # the clause followed to its new place
    diff = soup(client.get(link["href"].split("#")[0]))
    assert diff.find(id=anchor) is not None
    assert page.find(id=f"comment-{rejected.id}").find("a", class_="change-link") is None


def test_a_long_summary_is_read_100_a_page_with_counts_of_the_whole(
        client, make_draft, add_comment, world, answer, db):
    """A summary answering thousands of comments (issue 9: 100,000) is shown a page at a time;
    its counts are of the whole summary and every comment is on exactly one page."""
    draft = make_draft()
    comments = [add_comment(draft, clause_key="art-1" if n % 3 else None,
                            body=f"Замечание номер {n}") for n in range(230)]
    clock.set_now(AFTER)
    for n, comment in enumerate(comments):
        answer(comment, "accepted" if n % 2 else "rejected", f"Ответ {n}")
    summaries_service.publish_summary(session=db, actor=world["drafter"], draft=draft)
    db.commit()

    seen: list[str] = []
    for number in (1, 2, 3):
        page = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru&page={number}"))
        assert "230" in text_of(page.find(id="counts-heading").parent)
        counts = page.find_all("table", class_="counts")
        assert "Учтено 115" in text_of(counts[0]) and "Не учтено 115" in text_of(counts[0])
        assert "Статья 1 153" in text_of(counts[1])
        items = page.find("ol", class_="summary-list").find_all("li", recursive=False)
        assert len(items) == (100 if number < 3 else 30)
        assert page.find("ol", class_="summary-list")["start"] == str((number - 1) * 100 + 1)
        seen += [item["id"] for item in items]
        nav = page.find("nav", class_="pagination")
        assert nav is not None and (nav.find("a", rel="next") is None) == (number == 3)
    assert seen == [f"comment-{c.id}" for c in comments]  # each once, in order
    # Past the end: the last page.
    last = soup(client.get(f"/drafts/{draft.id}/summary?lang=ru&page=9"))
    assert len(last.find("ol", class_="summary-list").find_all("li", recursive=False)) == 30
