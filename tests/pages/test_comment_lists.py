"""The draft page shows the latest few comments of each place and links to the list of all
of them, page by page: every comment stays reachable, without script."""

import hashlib

from app.models import Role
from tests.pages.conftest import LAW, soup
from tests.pages.test_versions import publish


def test_the_bounded_page_links_to_every_comment(client, make_draft, add_comment, make_user,
                                                 db, world):
    draft = make_draft()
    citizens = [make_user(Role.CITIZEN) for _ in range(4)]
    places = ["art-1", "art-2", None, "art-1/part-1", "art-3"]
    # 20 in each place, and 40 more on art-2: two pages of its list; art-3 goes in version 2.
    # The texts differ wholly (near-identical ones would be a campaign, shown once).
    made = []
    for n in range(140):
        key = places[n % len(places)] if n < 100 else "art-2"
        words = hashlib.sha256(str(n).encode()).hexdigest()
        made.append(add_comment(draft, author=citizens[n % 4], clause_key=key,
                                body=f"{words[:10]} {words[10:25]} {words[25:40]}"))
    second = LAW.replace("Статья 3. Вступление в силу\n\nНастоящий Закон вступает в силу со дня "
                         "официального опубликования.\n", "")
    publish(db, world, draft, second)
    response = client.get(f"/drafts/{draft.id}")
    assert response.status_code == 200
    page = soup(response)
    shown = {a["id"] for a in page.select("article.comment")}
    assert len(shown) < len(made)
    for key in ("art-1", "art-2", "art-1--part-1"):
        assert len(page.find(id=f"{key}-comments").find_all("article", recursive=False)) == 3
    assert len(page.find(id="general-comments").select("article.comment")) == 10
    listed: set[str] = set()
    links = [a["href"] for a in page.select(".more-comments a")]
    assert len(links) == 5  # three clauses, the draft as a whole, the removed article 3
    for link in links:
        url = link
        while url:
            response = client.get(url)
            assert response.status_code == 200, url
            part = soup(response)
            listed |= {a["id"] for a in part.find(class_="comment-list").select("article.comment")}
            following = part.find("a", rel="next")
            url = following["href"] if following else None
    assert listed == {f"comment-{c.id}" for c in made}
    assert shown <= listed


def test_the_comment_list_of_an_unknown_clause_is_not_found(client, make_draft):
    draft = make_draft()
    assert client.get(f"/drafts/{draft.id}/comments?clause_key=art-99").status_code == 404
    assert client.get(f"/drafts/{draft.id}/comments?version=7").status_code == 404
    assert client.get(f"/drafts/{draft.id + 1000}/comments").status_code == 404
