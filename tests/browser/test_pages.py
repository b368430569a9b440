"""axe-core in Chromium on the key pages (no serious or critical WCAG 2.1 AA violation), each
page at 1280 and 360 px wide with nothing sticking out sideways, keyboard focus visible.

The demo data is loaded by ``talkuu seed-demo``: draft 1 has a published summary, draft 2's
period is closed, draft 3 (the road traffic law) is open for comments.
"""

import pytest

from tests.browser.conftest import (
    WIDTHS,
    axe_source,
    axe_violations,
    format_violations,
    no_sideways_scroll,
    screenshot,
    sign_in,
)

PUBLIC = [
    ("home", "/"),
    ("draft-list", "/drafts"),
    ("draft-page", "/drafts/3"),
    ("draft-closed", "/drafts/2"),
    ("comment-page", "/drafts/3/comment?clause_key=art-2"),
    ("receipt-page", "/comments/1/receipt"),
    ("summary-page", "/drafts/1/summary"),
    ("compliance", "/compliance"),
    ("compliance-body", "/compliance/mpretn"),
    ("search", "/search?q=%D0%B2%D0%BE%D0%B4"),
    ("alerts-page", "/alerts"),
    ("sign-in", "/login"),
    ("registration", "/register"),
    ("not-found", "/no-such-page"),
]
SIGNED_IN = {
    "citizen@demo.talkuu.kg": [("comment-form", "/drafts/3/comment?clause_key=art-2"),
                               ("account", "/account")],
    "drafter@demo.talkuu.kg": [("workspace-home", "/workspace"),
                               ("workspace-queue", "/workspace/drafts/3")],
    "drafter.ecology@demo.talkuu.kg": [("workspace-summary", "/workspace/drafts/1")],
    "monitor@demo.talkuu.kg": [("monitor-dashboard", "/monitor"),
                               ("monitor-violations", "/monitor/violations"),
                               ("monitor-draft", "/monitor/drafts/2")],
}
CASES = [(None, PUBLIC), *SIGNED_IN.items()]


@pytest.mark.parametrize("who,pages", CASES, ids=[c[0] or "anonymous" for c in CASES])
def test_key_pages_pass_axe_and_fit_both_widths(open_page, who, pages):
    source = axe_source()
    problems = []
    for width in WIDTHS:
        page = open_page(width, axe=True)
        if who:
            sign_in(page, who)
        for name, path in pages:
            joiner = "&" if "?" in path else "?"
            response = page.goto(f"{path}{joiner}lang=en")
            assert response is not None and response.status in (200, 404), (path, response)
            screenshot(page, name)
            found = axe_violations(page, source)
            if found:
                problems.append(f"{path} at {width} px: {format_violations(found)}")
            if width < 600:
                no_sideways_scroll(page)
    assert not problems, "\n".join(problems)


def test_keyboard_reaches_the_content_and_shows_focus(open_page):
    page = open_page(1280)
    page.goto("/drafts/3?lang=en")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("class") == "skip-link"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Every focused link has a visible outline.
    link = page.locator("#art-1 a.comment-link").first
    link.focus()
    outline = link.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert not outline.startswith("none"), outline
    # The clause's comment link works from the keyboard: it opens in place (sign in first,
    # for this visitor), Escape closes it and gives the focus back to the link.
    page.keyboard.press("Enter")
    page.locator("#art-1 .comment-in-place").wait_for()
    assert page.evaluate("document.activeElement.closest('.comment-in-place') !== null")
    assert "/login?next=" in page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Escape")
    assert page.locator(".comment-in-place").count() == 0
    assert page.evaluate("document.activeElement.classList.contains('comment-link')")


@pytest.mark.parametrize("language,expected", [("ky", "Долбоорлор"), ("ru", "Проекты"),
                                               ("en", "Drafts")])
def test_the_language_switch_keeps_the_page(open_page, language, expected):
    page = open_page(360, js=False)
    page.goto("/drafts?status=under_consultation&lang=en")
    page.get_by_role("navigation", name="Interface language").locator(
        f"a[hreflang={language}]").click()
    assert "/drafts" in page.url and "status=under_consultation" in page.url
    assert page.locator("html").get_attribute("lang") == language
    assert expected in page.locator("header").inner_text()
    # The choice is remembered on the next page without ?lang=.
    page.goto("/search")
    assert page.locator("html").get_attribute("lang") == language
