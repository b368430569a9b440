"""Helpers for the page tests: a small world of people and drafts, a browser that signs in."""

from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import clock
from app.models import Comment, Draft, Role, TokenKind, User
from app.services import auth as auth_service
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from tests.conftest import PASSWORD, bishkek

LAW = """Настоящий Закон регулирует отношения в области защиты прав потребителей.

Статья 1. Основные понятия

1. В настоящем Законе используются следующие понятия:

1) потребитель - гражданин, имеющий намерение заказать или приобрести товары;

2) изготовитель - организация, производящая товары для реализации потребителям.

2. Иные понятия применяются в значениях, определенных законодательством.

Статья 2. Сфера действия

Настоящий Закон применяется ко всем потребителям.

Статья 3. Вступление в силу

Настоящий Закон вступает в силу со дня официального опубликования.
"""

LAW_KY = """Бул Мыйзам керектөөчүлөрдүн укуктарын коргоо чөйрөсүндөгү мамилелерди жөнгө салат.

1-берене. Негизги түшүнүктөр

1. Бул Мыйзамда төмөнкү түшүнүктөр колдонулат:

1) керектөөчү - товарларды буйрутма кылууга же сатып алууга ниети бар жаран;

2) даярдоочу - керектөөчүлөргө сатуу үчүн товарларды өндүргөн уюм.

2. Башка түшүнүктөр мыйзамдарда аныкталган маанилерде колдонулат.

2-берене. Колдонуу чөйрөсү

Бул Мыйзам бардык керектөөчүлөргө колдонулат.

3-берене. Күчүнө кирүүсү

Бул Мыйзам расмий жарыяланган күндөн тартып күчүнө кирет.
"""

OPENS = bishkek(2026, 12, 1)
CLOSES = bishkek(2027, 1, 1)
DURING = bishkek(2026, 12, 5, 10)
AFTER = bishkek(2027, 1, 2, 10)


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def foreign_scripts(page: Any) -> list[Any]:
    """Scripts other than the site's own files under /static/js/ (inline, injected, remote)."""
    return [s for s in page.find_all("script")
            if not s.get("src", "").startswith("/static/js/") or s.string]


def form_token(page: BeautifulSoup, action: str | None = None) -> str:
    """The CSRF token of a form on the page (the one posting to ``action`` if given)."""
    form = page.find("form", action=action) if action else page.find("form", method="post")
    assert form is not None, f"no form posting to {action}"
    return form.find("input", attrs={"name": "csrf_token"})["value"]


def text_of(element: Any) -> str:
    return " ".join(element.get_text(" ").split())


def forget_kept_pages(client: TestClient) -> None:
    """Drop what the app keeps for anonymous visitors (app/pagecache.py), so that the next
    request renders its page again: for tests that count the queries of a rendering."""
    cache = getattr(client.app.state, "page_cache", None)
    if cache is not None:
        cache.clear()


@pytest.fixture
def world(db: Session, make_org, make_user) -> dict[str, Any]:
    ministry = make_org("mineconom", "Министерство экономики и коммерции",
                        "Экономика жана коммерция министрлиги")
    other = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    return {
        "ministry": ministry, "other": other,
        "drafter": make_user(Role.DRAFTER, ministry),
        "moderator": make_user(Role.MODERATOR, ministry),
        "other_drafter": make_user(Role.DRAFTER, other),
        "citizen": make_user(Role.CITIZEN, name="Айгуль Осмонова"),
        "monitor": make_user(Role.MONITOR),
    }


@pytest.fixture
def make_draft(db: Session, world: dict[str, Any]) -> Callable[..., Draft]:
    def build(*, ru: str | None = LAW, ky: str | None = None, title: str = "О защите прав потребителей",
              open_period: bool = True, act_type: str = "law") -> Draft:
        clock.set_now(bishkek(2026, 11, 30, 9))
        draft, _outcome = drafts_service.create_draft(
            session=db, actor=world["drafter"], organization=world["ministry"],
            act_type=act_type, title={"ru": title, "ky": "Керектөөчүлөрдүн укуктарын коргоо жөнүндө"},
            summary={"ru": "Проект уточняет понятия."},
            text=drafts_service.VersionText(ru=ru, ky=ky))
        if open_period:
            consultations_service.open_consultation(session=db, actor=world["drafter"],
                                                    draft=draft, opens_at=OPENS, closes_at=CLOSES)
        db.commit()
        clock.set_now(DURING)
        return draft
    return build


@pytest.fixture
def add_comment(db: Session, world: dict[str, Any]) -> Callable[..., Comment]:
    def build(draft: Draft, *, author: User | None = None, clause_key: str | None = "art-1",
              body: str = "Уточните понятие", **extra: Any) -> Comment:
        comment = comments_service.submit_comment(
            session=db, author=author or world["citizen"], draft=draft, body=body,
            clause_key=clause_key, **extra)
        db.commit()
        return comment
    return build


@pytest.fixture
def sign_in(db: Session, client: TestClient) -> Callable[[TestClient, User], TestClient]:
    """Give a browser the session cookie of ``user`` (the form itself is tested on its own)."""
    def attach(browser: TestClient, user: User) -> TestClient:
        raw = auth_service.issue_token(session=db, user=user, kind=TokenKind.SESSION)
        db.commit()
        browser.cookies.set("talkuu_session", raw)
        return browser
    return attach


@pytest.fixture
def browser(app: Any) -> Callable[[], TestClient]:
    """Another browser with its own cookies, for a second person in the same test."""
    opened: list[TestClient] = []

    def new() -> TestClient:
        test_client = TestClient(app, raise_server_exceptions=False)
        opened.append(test_client)
        return test_client

    yield new
    for test_client in opened:
        test_client.close()


def form_login(browser: TestClient, email: str, password: str = PASSWORD,
               next_path: str | None = None) -> Any:
    """Sign in through the sign-in form, as a person would."""
    url = "/login" + (f"?next={next_path}" if next_path else "")
    page = soup(browser.get(url))
    return browser.post("/login", data={
        "csrf_token": form_token(page, "/login"), "email": email, "password": password,
        "next": page.find("input", attrs={"name": "next"})["value"]}, follow_redirects=False)


@pytest.fixture(autouse=True)
def _real_clock_afterwards() -> Any:
    yield
    clock.set_now(None)


@pytest.fixture
def answer(db: Session, world: dict[str, Any]) -> Callable[..., None]:
    def record(comment: Comment, decision: str = "accepted", reasoning: str = "Учтено") -> None:
        from app.models import Decision
        from app.services import responses as responses_service

        loaded = comments_service.get_comment(session=db, comment_id=comment.id)
        responses_service.answer_comment(session=db, actor=world["drafter"], comment=loaded,
                                         decision=Decision(decision), reasoning=reasoning)
        db.commit()
    return record
