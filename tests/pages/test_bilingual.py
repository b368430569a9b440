"""The Kyrgyz and Russian texts of a draft side by side, aligned clause by clause."""

from tests.pages.conftest import LAW, LAW_KY, foreign_scripts, soup, text_of
from tests.pages.test_accessibility import _check

# The Kyrgyz text without point 2 of part 1 of article 1: that clause is in Russian only.
LAW_KY_SHORT = LAW_KY.replace(
    "2) даярдоочу - керектөөчүлөргө сатуу үчүн товарларды өндүргөн уюм.\n\n", "")


def test_both_texts_in_two_aligned_columns(client, make_draft, add_comment):
    draft = make_draft(ru=LAW, ky=LAW_KY_SHORT)
    add_comment(draft, clause_key="art-2", body="Сфераны кеңейтүү керек")
    response = client.get(f"/drafts/{draft.id}?view=side-by-side&lang=en")
    assert response.status_code == 200
    page = soup(response)
    parallel = page.find(class_="parallel")
    head = parallel.find(class_="parallel-head")
    assert [p["lang"] for p in head.find_all("p")] == ["ky", "ru"]  # state language first
    rows = {row["id"]: row for row in parallel.find_all(class_="parallel-row")}
    assert list(rows)[:3] == ["p-1", "art-1", "art-1--part-1"]
    for row in rows.values():
        cells = row.find_all(class_="parallel-cell", recursive=False)
        assert [c["lang"] for c in cells] == ["ky", "ru"], row["id"]
    ky, ru = rows["art-1"].find_all(class_="parallel-cell")
    assert text_of(ky.find(class_="parallel-title")) == "1-берене. Негизги түшүнүктөр"
    assert text_of(ru.find(class_="parallel-title")) == "Статья 1. Основные понятия"
    ky, ru = rows["art-2--p-1"].find_all(class_="parallel-cell")
    assert "Бул Мыйзам бардык керектөөчүлөргө колдонулат." in text_of(ky)
    assert "Настоящий Закон применяется ко всем потребителям." in text_of(ru)
    # The clause the Kyrgyz text lacks: an empty cell that says so, not the Russian text.
    ky, ru = rows["art-1--part-1--pt-2"].find_all(class_="parallel-cell")
    assert text_of(ky.find(class_="no-text")) == "No text in this language"
    assert "изготовитель" not in text_of(ky)
    assert "изготовитель - организация" in text_of(ru)
    # Comments are counted here and read in the one-language view.
    count = rows["art-2"].find(class_="clause-tools").find(
        "a", href=lambda h: h and h.endswith("#art-2-comments"))
    assert text_of(count) == "1 comment"
    assert count["href"] == f"/drafts/{draft.id}?lang=en#art-2-comments"
    assert page.find("div", class_="legal-text") is None
    assert page.find(class_="view-switch").find(attrs={"aria-current": "true"})
    _check(page, "bilingual view")
    assert not foreign_scripts(page) and not page.find_all("style")
    assert not page.find_all(style=True)


def test_the_text_switch_links_to_the_side_by_side_view(client, make_draft):
    draft = make_draft(ru=LAW, ky=LAW_KY)
    page = soup(client.get(f"/drafts/{draft.id}?lang=ky"))
    # The normal view shows one language.
    assert page.find("div", class_="legal-text")["lang"] == "ky"
    assert page.find(class_="parallel") is None
    link = page.find(class_="view-switch").find("a")
    assert link["href"] == f"/drafts/{draft.id}?lang=ky&view=side-by-side"
    # From the side-by-side view, each language leads back to the one-language view.
    both = soup(client.get(link["href"]))
    switch = both.find("nav", class_="text-switch")
    hrefs = {a["hreflang"]: a["href"] for a in switch.find_all("a")}
    assert hrefs["ru"] == f"/drafts/{draft.id}?lang=ky&text=ru"


def test_a_draft_in_one_language_has_no_side_by_side_view(client, make_draft):
    draft = make_draft(ru=LAW)
    page = soup(client.get(f"/drafts/{draft.id}?view=side-by-side"))
    assert page.find(class_="parallel") is None
    assert page.find("div", class_="legal-text")["lang"] == "ru"
    assert page.find(class_="view-switch") is None
