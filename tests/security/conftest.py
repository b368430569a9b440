"""A seeded world for the security suite: one of each role and one of each object."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Decision, Role, User
from app.services import answer_templates as templates_service
from app.services import auth as auth_service
from app.services import moderation as moderation_service
from app.services import monitoring as monitoring_service
from app.services import staging as staging_service
from tests.pages.conftest import (  # noqa: F401 - the page suite's fixtures, reused
    _real_clock_afterwards, add_comment, answer, browser, make_draft, sign_in, world)

CSRF_SEED = "security-suite-csrf-seed"


def csrf_token() -> str:
    """The form token that goes with the CSRF cookie set by ``as_browser``."""
    return auth_service.csrf_token(CSRF_SEED)


@pytest.fixture
def seeded(db: Session, world: dict[str, Any], make_user, make_draft,  # noqa: F811
           add_comment) -> dict:  # noqa: F811
    """Real objects for every id a route takes."""
    world["admin"] = make_user(Role.ADMIN)
    draft = make_draft()
    comment = add_comment(draft, body="Уточните понятие потребителя в статье первой")
    neighbour = make_user(Role.CITIZEN)
    twin = add_comment(draft, author=neighbour,
                       body="Уточните понятие потребителя в статье первой")
    db.refresh(comment)
    flag = moderation_service.flag_comment(session=db, user=neighbour, comment=twin,
                                           reason="Оскорбление")
    template = templates_service.create_template(session=db, actor=world["drafter"],
                                                 title="Шаблон", decision=Decision.REJECTED,
                                                 reasoning="Не соответствует закону")
    monitor_flag = monitoring_service.raise_flag(session=db, actor=world["monitor"], draft=draft,
                                                 kind="other", note="Проверить")
    staged = staging_service.stage_draft(
        session=db, actor=world["drafter"], organization=world["ministry"], act_type="law",
        title={"ru": "Черновик"}, summary={}, texts={"ru": "Статья 1. Общие положения\n\nТекст."},
        files={})
    db.commit()
    return {"draft": draft, "comment": comment, "twin": twin, "group_id": comment.group_id or twin.group_id,
            "flag": flag, "template": template, "monitor_flag": monitor_flag,
            "staged": staged, "world": world}


@pytest.fixture
def as_browser(browser, sign_in):  # noqa: F811 - fixtures imported above
    """A browser signed in as ``user`` (or anonymous), holding a known CSRF cookie."""
    def open_(user: User | None) -> TestClient:
        opened = browser()
        opened.cookies.set("talkuu_csrf", CSRF_SEED)
        if user is not None:
            sign_in(opened, user)
        return opened
    return open_
