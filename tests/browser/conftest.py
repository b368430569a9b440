"""Real-browser tests: Chromium driven by Playwright against a real ``talkuu serve`` process.

One server serves the whole module set: a database of its own, migrated and loaded with the
demo (``talkuu seed-demo``), ``TALKUU_ENV=test`` so that the clock can be set through
``PUT /api/v1/testing/clock`` (the clock lives in the server process), and a real aiosmtpd
server that ``talkuu worker --once`` delivers the outbox to. axe-core comes from the npm
registry through ``package.json`` / ``package-lock.json`` here (``npm ci``).

Without Chromium or Playwright the tests skip with the reason; under ``CI=true`` they fail.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import _Inbox
from tests.servers import ROOT, TALKUU, own_database, run, serving

CHROMIUM = os.environ.get("TALKUU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "bench" / "screenshots"
DEMO_PASSWORD = "talkuu-demo"
WIDTHS = (1280, 360)


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _missing()
    if reason is None:
        return
    for item in items:
        # Under CI a missing browser is a failure: the tests run and say what is missing.
        if HERE in Path(str(item.fspath)).parents and os.environ.get("CI") != "true":
            item.add_marker(pytest.mark.skip(reason=reason))


def _install_axe_without_npm() -> None:
    """The locked axe-core tarball from the npm registry, checked against the lock's hash."""
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"]["node_modules/axe-core"]
    version, integrity = entry["version"], entry["integrity"]
    url = entry.get("resolved") or (
        f"https://registry.npmjs.org/axe-core/-/axe-core-{version}.tgz")
    tarball = httpx.get(url, timeout=120, follow_redirects=True).raise_for_status().content
    algorithm, _sep, expected = integrity.partition("-")
    assert base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() == expected, url
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        AXE.parent.mkdir(parents=True, exist_ok=True)
        AXE.write_bytes(member.read())


def axe_source() -> str:
    """axe.min.js as locked in package-lock.json (``npm ci``; without npm, the same tarball)."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            _install_axe_without_npm()
        else:
            subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                           cwd=HERE, check=True, capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


@dataclass
class Site:
    """The running server, its database and the mail it sent."""

    base: str
    url: str
    inbox: _Inbox
    smtp_port: int

    def deliver(self) -> None:
        """One pass of ``talkuu worker --once`` (the outbox to the SMTP server)."""
        env = {**os.environ, "TALKUU_DATABASE_URL": self.url, "TALKUU_ENV": "development",
               "TALKUU_SMTP_HOST": "127.0.0.1", "TALKUU_SMTP_PORT": str(self.smtp_port)}
        result = subprocess.run([*TALKUU, "worker", "--once"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def link_in_mail(self, address: str, path_prefix: str) -> str:
        """The link starting with ``path_prefix`` in the last email to ``address``, on this server."""
        messages = self.inbox.to(address)
        assert messages, f"no email to {address}"
        for word in self.inbox.body(messages[-1]).split():
            parts = urlsplit(word.strip("<>.,;"))
            if parts.path.startswith(path_prefix):
                return f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        raise AssertionError(f"no {path_prefix} link in: {self.inbox.body(messages[-1])}")

    def set_clock(self, moment: str | None) -> None:
        response = httpx.put(f"{self.base}/api/v1/testing/clock", json={"now": moment})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="session")
def site(database: None) -> Iterator[Site]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    tmp = Path(tempfile.mkdtemp(prefix="talkuu-browser-"))
    try:
        with own_database(tmp, "browser") as url:
            run(url, "migrate")
            run(url, "seed-demo")
            with serving(url, env_extra={"TALKUU_ENV": "test"}) as base:
                yield Site(base=base, url=url, inbox=inbox, smtp_port=smtp_port)
    finally:
        smtp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, which later tests that call asyncio.run() cannot share.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Any, site: Site) -> Iterator[Any]:
    """``open_page(width=1280, js=True, axe=False)``: a page in a fresh browser context."""
    contexts: list[Any] = []

    def make(width: int = 1280, *, js: bool = True, axe: bool = False) -> Any:
        # bypass_csp only where axe is injected; every other page runs under the site's CSP.
        context = chromium.new_context(viewport={"width": width, "height": 900},
                                       java_script_enabled=js, bypass_csp=axe,
                                       base_url=site.base, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".who").count() == 1, page.content()[:2000]


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """The page (or what the screen shows) into bench/screenshots/<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_sideways_scroll(page: Any) -> None:
    """Nothing sticks out of a narrow screen (which would make every line scroll sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    page.evaluate(source)
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))", AXE_TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def format_violations(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)
