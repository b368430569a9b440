"""The four journeys of the portal in a real browser, as people would walk them.

A citizen on a phone without JavaScript registers, confirms the address from the email,
chooses a clause and comments on it, and gets a receipt; a drafter answers every comment and
publishes the feedback summary; a monitor finds an overdue summary; a journalist subscribes to
a feed and to an email alert. Screenshots of every step go to bench/screenshots/.
"""

from datetime import datetime, timedelta

import feedparser

from app.config import get_settings
from tests.browser.conftest import no_sideways_scroll, screenshot, sign_in


def test_citizen_registers_verifies_and_comments_on_a_clause_from_a_phone(open_page, site):
    page = open_page(360, js=False)
    page.goto("/?lang=en")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Register").click()
    screenshot(page, "register")
    page.get_by_label("Your name").fill("Бакыт Асанов")
    page.get_by_label("Email").fill("bakyt.asanov@example.kg")
    page.get_by_label("Password").fill("long enough password")
    page.get_by_role("button", name="Create an account").click()
    assert "Бакыт Асанов" in page.locator(".who").inner_text()

    site.deliver()
    page.goto(site.link_in_mail("bakyt.asanov@example.kg", "/verify-email"))
    assert "your address is confirmed" in page.locator("main").inner_text()
    screenshot(page, "verified")

    # The open drafts, the road traffic law, its article 1, then the form.
    page.get_by_role("link", name="Drafts open for comments").click()
    page.get_by_role("link", name="On road traffic", exact=False).first.click()
    no_sideways_scroll(page)
    screenshot(page, "draft")
    page.locator("#art-1").get_by_role("link", name="Write a comment").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Comment on: Article 1")
    no_sideways_scroll(page)
    page.get_by_label("Your comment").fill("Добавьте в задачи закона защиту пешеходов.")
    screenshot(page, "comment-form")
    page.get_by_role("button", name="Send the comment").click()

    receipt = page.locator("#receipt-number").inner_text()
    assert receipt
    assert "Добавьте в задачи закона защиту пешеходов." in page.locator(".comment-body").inner_text()
    no_sideways_scroll(page)
    screenshot(page, "receipt")


def test_drafter_answers_every_comment_and_publishes_the_summary(open_page, site):
    page = open_page(1280, js=False)
    sign_in(page, "drafter.labour@demo.talkuu.kg")
    page.goto("/workspace?lang=en")
    screenshot(page, "workspace")
    page.get_by_role("link", name="Draft Labour Code", exact=False).first.click()
    draft_id = page.url.split("/workspace/drafts/")[1].split("?")[0].split("#")[0]
    screenshot(page, "answer-queue")
    for _round in range(20):
        pending = page.locator("article.queue-item.unanswered")
        if pending.count() == 0:
            break
        form = pending.first.locator("form.answer-form").last
        form.locator("input[name=decision]").first.check()
        form.locator("textarea[name=reasoning]").fill("Учтено в статье 3 новой редакции.")
        with page.expect_navigation():
            form.get_by_role("button", name="Save the answer").click()
        assert page.locator(".alert-error").count() == 0, page.locator(".alert-error").inner_text()
    assert page.locator("article.queue-item.unanswered").count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Publish the summary").click()
    assert page.locator(".alert-error").count() == 0, page.locator(".alert-error").inner_text()
    page.goto(f"/drafts/{draft_id}/summary?lang=en")
    assert page.get_by_role("heading", level=1).count() == 1
    assert "Учтено в статье 3 новой редакции." in page.locator("main").inner_text()
    screenshot(page, "summary")


def test_monitor_finds_an_overdue_summary(open_page, site):
    # Forty-five days on, the period of the air quality decision (closing in a week) is over
    # and its summary, due thirty days after the close, has not come.
    later = datetime.now(get_settings().tz) + timedelta(days=45)
    site.set_clock(later.isoformat())
    try:
        page = open_page(1280)
        sign_in(page, "monitor@demo.talkuu.kg")
        page.goto("/monitor?lang=en")
        screenshot(page, "monitor")
        page.get_by_role("link", name="Open violations").click()
        rows = page.locator("main table tbody tr")
        overdue = rows.filter(has_text="air pollution")
        assert overdue.count() >= 1, page.locator("main").inner_text()
        assert "summary" in overdue.first.inner_text().lower()
        screenshot(page, "violations")
    finally:
        site.set_clock(None)


def test_journalist_subscribes_to_a_feed_and_an_email_alert(open_page, site):
    page = open_page(360)
    page.goto("/drafts?lang=en")
    feed_link = page.get_by_role("link", name="Atom feed").first
    feed = feedparser.parse(page.request.get(feed_link.get_attribute("href")).body())
    assert not feed.bozo and len(feed.entries) >= 4

    page.get_by_role("link", name="Email alerts").click()
    page.get_by_label("Email").fill("journalist@example.kg")
    page.get_by_label("Keywords").fill("воздух")
    page.get_by_label("New drafts").check()
    page.get_by_label("At once").check()
    no_sideways_scroll(page)
    screenshot(page, "alerts")
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("status").count() >= 1

    site.deliver()
    page.goto(site.link_in_mail("journalist@example.kg", "/alerts/confirm"))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm the alert").click()
    assert page.get_by_role("status").count() >= 1
    screenshot(page, "alert-confirmed")


def test_with_javascript_the_comment_form_opens_in_place_on_a_phone(open_page, site):
    page = open_page(360)
    sign_in(page, "elena.kim@demo.talkuu.kg")
    page.goto("/drafts/3?lang=en")
    link = page.locator("#art-3 a.comment-link").first
    link.click()
    form = page.locator("#art-3 .comment-in-place form.comment-form")
    form.wait_for()
    assert link.get_attribute("aria-expanded") == "true"
    assert page.url.endswith("/drafts/3?lang=en")  # still the draft: the form opened in place
    assert page.evaluate("document.activeElement.name") == "body"
    no_sideways_scroll(page)
    page.keyboard.type("Статья 3 должна упоминать велосипедистов.")
    screenshot(page, "comment-in-place", full_page=False)
    form.get_by_role("button", name="Send the comment").click()
    page.wait_for_url("**/receipt*")
    assert page.locator("#receipt-number").inner_text()
    assert "велосипедистов" in page.locator(".comment-body").inner_text()
