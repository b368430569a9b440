"""Classic injection payloads through the fields the other XSS tests do not reach: every page
that shows them must hold them as text (no element, no handler, no javascript: link)."""

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from app.models import Decision, Role
from app.services import answer_templates as templates_service
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import moderation as moderation_service
from app.services import monitoring as monitoring_service
from tests.pages.conftest import LAW

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">клик</a>",
    "{{7*7}} {% raw %}",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
]


def assert_inert(html: str, payload: str) -> None:
    page = BeautifulSoup(html, "html.parser")
    for tag in page.find_all(True):
        # The site's own <script src="/static/js/..."> files are fine; nothing from users.
        if tag.name == "script":
            assert tag.get("src", "").startswith("/static/"), tag
        assert not any(name.startswith("on") for name in tag.attrs), tag
        assert not str(tag.get("href", "")).lower().startswith("javascript:"), tag
        assert not str(tag.get("src", "")).lower().startswith("javascript:"), tag
    assert len(page.find_all("body")) <= 1
    assert page.find_all(("iframe", "img")) == []
    assert all(svg.find_parent(class_="chart") for svg in page.find_all("svg"))  # our charts only
    values = [tag.get("value", "") for tag in page.find_all("input")]
    assert payload in page.get_text() or payload in values, payload  # shown, as text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_other_field_stay_text(client, db: Session, world: dict[str, Any],
                                                 make_draft, add_comment, make_user, sign_in,
                                                 browser, payload: str) -> None:
    draft = make_draft()
    author = make_user(Role.CITIZEN, name=f"Автор {payload}")
    author.affiliation = f"Организация {payload}"
    shown = add_comment(draft, author=author, body=f"Тело {payload}")
    withdrawn = add_comment(draft, author=author, body="Второе замечание")
    hidden = add_comment(draft, body="Третье замечание")
    comments_service.withdraw_comment(session=db, actor=author, comment=withdrawn,
                                      reason=f"Отзываю {payload}")
    moderation_service.flag_comment(session=db, user=world["citizen"], comment=shown,
                                    reason=f"Жалоба {payload}")
    comments_service.hide_comment(session=db, actor=world["moderator"], comment=hidden,
                                  reason=f"Скрыто {payload}")
    templates_service.create_template(session=db, actor=world["drafter"],
                                      title=f"Шаблон {payload}", decision=Decision.REJECTED,
                                      reasoning=f"Ответ {payload}")
    drafts_service.add_version(session=db, actor=world["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=LAW + "\nДобавлено.\n"),
                               change_note=f"Изменения {payload}")
    monitoring_service.add_note(session=db, actor=world["monitor"], draft=draft,
                                body=f"Заметка {payload}")
    db.commit()

    anyone = browser()
    page = anyone.get(f"/drafts/{draft.id}?lang=ru").text
    for words in ("Тело", "Отзываю", "Скрыто", "Изменения"):
        assert_inert(page, f"{words} {payload}")
    assert_inert(anyone.get(f"/comments/{shown.id}/receipt").text, f"Тело {payload}")

    moderator = sign_in(browser(), world["moderator"])
    assert_inert(moderator.get("/moderation").text, f"Жалоба {payload}")
    drafter = sign_in(browser(), world["drafter"])
    assert_inert(drafter.get("/workspace/answer-templates").text, f"Шаблон {payload}")
    assert_inert(drafter.get(f"/workspace/drafts/{draft.id}").text, f"Шаблон {payload}")
    monitor = sign_in(browser(), world["monitor"])
    assert_inert(monitor.get(f"/monitor/drafts/{draft.id}").text, f"Заметка {payload}")
    own = sign_in(browser(), author)
    assert_inert(own.get("/account").text, f"Организация {payload}")
