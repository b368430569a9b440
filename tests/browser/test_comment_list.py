"""The draft page with more comments on a clause than it shows, and the clause's list of all
of them: axe-core in Chromium at both widths, and a plain link from one to the other.

Five comments are added to article 2 of draft 3 (the road traffic law, open for comments),
which the other browser tests do not count.
"""

import hashlib

import httpx

from tests.browser.conftest import (
    DEMO_PASSWORD,
    WIDTHS,
    axe_source,
    axe_violations,
    format_violations,
    no_sideways_scroll,
    screenshot,
)


def test_more_comments_than_shown_lead_to_the_clause_list(open_page, site):
    token = httpx.post(f"{site.base}/api/v1/auth/token",
                       data={"username": "citizen@demo.talkuu.kg", "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for n in range(5):
        words = hashlib.sha256(f"list-{n}".encode()).hexdigest()
        sent = httpx.post(f"{site.base}/api/v1/drafts/3/comments", headers=headers,
                          json={"clause_key": "art-2", "body": f"{words[:12]} {words[12:30]}"})
        assert sent.status_code == 201, sent.text
    source = axe_source()
    problems = []
    for width in WIDTHS:
        page = open_page(width, axe=True)
        page.goto("/drafts/3?lang=en")
        more = page.locator("#art-2-comments .more-comments")
        assert "comments in all" in more.inner_text()
        found = axe_violations(page, source)
        if found:
            problems.append(f"/drafts/3 at {width} px: {format_violations(found)}")
        more.get_by_role("link").click()
        assert "/drafts/3/comments?clause_key=art-2" in page.url
        assert page.get_by_role("heading", level=1).inner_text().startswith("Comments on: ")
        assert page.locator(".comment-list article.comment").count() >= 5
        screenshot(page, "clause-comments")
        found = axe_violations(page, source)
        if found:
            problems.append(f"{page.url} at {width} px: {format_violations(found)}")
        if width < 600:
            no_sideways_scroll(page)
        page.goto("/drafts/3/comments?lang=en")
        found = axe_violations(page, source)
        if found:
            problems.append(f"{page.url} at {width} px: {format_violations(found)}")
    assert not problems, "\n".join(problems)
