"""The /search page and the search box of /drafts: results link to the clause or comment,
snippets are escaped with only the highlight as markup."""

from tests.pages.conftest import LAW_KY, soup, text_of


def test_search_page_links_to_clauses_and_comments(client, make_draft, add_comment):
    draft = make_draft(ky=LAW_KY)
    comment = add_comment(draft, body="<script>alert(1)</script> Определение потребителя узкое",
                          clause_key="art-1")
    page = soup(client.get("/search", params={"q": "потребителей"}))
    hits = page.select("ol.search-results li")
    links = [hit.find("h2").find("a")["href"] for hit in hits]
    assert f"/drafts/{draft.id}#comment-{comment.id}" in links
    assert any(link.startswith(f"/drafts/{draft.id}#art-") for link in links)
    for hit in hits:
        assert hit.find("script") is None
        assert all(child.name in (None, "mark") for child in hit.find(class_="snippet").children)
    commented = next(h for h in hits if h.find("a")["href"].endswith(f"comment-{comment.id}"))
    assert "alert(1)</script>" in text_of(commented.find(class_="snippet"))
    assert commented.find("mark") is not None
    # A Kyrgyz word with ө and ү, and the filters.
    kyrgyz = soup(client.get("/search", params={"q": "керектөөчүлөрдүн", "kind": "clause"}))
    assert kyrgyz.select("ol.search-results li")
    empty = soup(client.get("/search", params={"q": "потребителей", "organization": "minfin"}))
    assert not empty.select("ol.search-results li")
    assert soup(client.get("/search")).find("form", action="/search") is not None


def test_drafts_list_searches_full_text(client, make_draft):
    draft = make_draft()
    page = soup(client.get("/drafts", params={"q": "изготовитель"}))  # only in the text
    assert [a["href"] for a in page.select(".cards h2 a, .cards h3 a")] == [f"/drafts/{draft.id}"]
    assert page.find("a", href="/search?q=%D0%B8%D0%B7%D0%B3%D0%BE%D1%82%D0%BE%D0%B2%D0%B8%D1%82%D0%B5%D0%BB%D1%8C")
    none = soup(client.get("/drafts", params={"q": "водоснабжение"}))
    assert not none.select(".cards")


def test_a_page_number_int_cannot_read_is_the_first_page(client, make_draft):
    make_draft()
    # "²" passes str.isdigit() but int() refuses it: it was a 500.
    response = client.get("/search", params={"q": "потребителей", "page": "²"})
    assert response.status_code == 200
    assert soup(response).select("ol.search-results li")
