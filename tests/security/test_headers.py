"""Security headers on every page, and cookie flags in test and in production."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from tests.conftest import PASSWORD
from tests.pages.conftest import form_token, soup
from tests.security.routes import MATRIX, is_page
from tests.security.test_authorization import _url


def _pages(seeded: dict[str, Any]) -> list[str]:
    return [_url(path, seeded) for method, path in sorted(MATRIX)
            if method == "GET" and is_page(path)]


def test_every_page_sends_the_security_headers(seeded, as_browser):
    browser = as_browser(seeded["world"]["drafter"])
    for url in _pages(seeded) + ["/api/v1/drafts", "/feeds/drafts.atom", "/no-such-page"]:
        response = browser.get(url, follow_redirects=False)
        policy = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert "script-src 'self'" in policy, url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert "strict-transport-security" not in response.headers, url  # plain http in test


@pytest.fixture
def production(app, monkeypatch) -> Iterator[TestClient]:
    """The app as TALKUU_ENV=production builds it (settings are cached: cleared both ways)."""
    monkeypatch.setenv("TALKUU_ENV", "production")
    get_settings.cache_clear()
    try:
        application = create_app()
        # The same database sessions as the test's own app: inside the test's transaction.
        application.dependency_overrides.update(app.dependency_overrides)
        with TestClient(application, base_url="https://testserver",
                        raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_production_sends_hsts_and_secure_cookies(production, world):
    assert get_settings().env.value == "production"
    response = production.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    csrf_cookie = response.headers["set-cookie"].lower()
    for flag in ("httponly", "samesite=lax", "secure"):
        assert flag in csrf_cookie, flag
    signed_in = production.post("/login", follow_redirects=False, data={
        "csrf_token": form_token(soup(response), "/login"), "email": world["citizen"].email,
        "password": PASSWORD, "next": "/"})
    session_cookie = next(c for c in signed_in.headers.get_list("set-cookie")
                          if c.startswith("talkuu_session="))
    for flag in ("httponly", "samesite=lax", "secure"):
        assert flag in session_cookie.lower(), flag
    assert production.put("/api/v1/testing/clock", json={"now": None}).status_code == 404


def test_the_test_clock_route_exists_only_in_test(client):
    assert client.put("/api/v1/testing/clock", json={"now": None}).status_code == 200
