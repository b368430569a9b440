"""The proxy's limit on comment submissions (docs/deploy.md), run for real: nginx with
bench/nginx.conf in front of a server process.  Needs nginx (.ci/run installs it); under
CI=true a missing nginx is a failure, elsewhere a skip."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import NGINX_CONFIG, ROOT, nginx_binary, nginx_in_front, own_database, run, \
    serving

DEPLOY = ROOT / "docs" / "deploy.md"
BURST = 50  # burst=50 in the limit_req line


def _shared_lines() -> list[str]:
    """The lines of bench/nginx.conf marked "as in docs/deploy.md" (comments left out)."""
    lines, inside = [], False
    for line in NGINX_CONFIG.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("# --- as in docs/deploy.md"):
            inside = True
        elif stripped.startswith("# ---"):
            inside = False
        elif inside and stripped and not stripped.startswith("#"):
            lines.append(re.sub(r"\s+#.*$", "", stripped))
    return lines


def test_the_bench_proxy_limits_are_the_documented_ones() -> None:
    documented = {re.sub(r"\s+#.*$", "", line.strip())
                  for line in Path(DEPLOY).read_text(encoding="utf-8").splitlines()}
    shared = _shared_lines()
    assert len(shared) > 20  # the maps, the zone, the location and the refusal
    assert [line for line in shared if line not in documented] == []


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = nginx_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed")
    with own_database(tmp_path_factory.mktemp("proxy"), "proxy") as url:
        run(url, "migrate")
        with serving(url) as app_base, nginx_in_front(app_base, binary) as base:
            yield base


def _post(client: httpx.Client, address: str, language: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address}
    if language:
        headers["Accept-Language"] = language
    return client.post("/api/v1/drafts/1/comments", json={"body": "Кампания"}, headers=headers)


def _refused(client: httpx.Client, address: str, language: str | None) -> httpx.Response:
    """The first 429 of a few quick submissions (the bucket refills 5 a second: on a slow
    machine one of them may pass)."""
    for _ in range(20):
        answer = _post(client, address, language)
        if answer.status_code == 429:
            return answer
    raise AssertionError("20 quick submissions from one address and none refused")


def test_a_flood_from_one_address_is_refused_by_the_proxy(proxy: str) -> None:
    with httpx.Client(base_url=proxy, timeout=30) as client:
        answers = [_post(client, "10.7.0.1") for _ in range(BURST + 20)]
        # The first ones reach the app (an empty database: it answers 404 itself).
        assert [a.status_code for a in answers[:BURST]] == [404] * BURST
        assert answers[0].json()["error"] == "draft_not_found"
        refused = [a for a in answers if a.status_code == 429]
        # Past the burst the bucket lets 5 a second through: most of the 20 are refused (how
        # many depends on the machine's speed).
        assert refused
        last = refused[-1]
        assert last.headers["retry-after"] == "1"
        assert last.headers["content-type"].startswith("application/json")
        assert last.json() == {"error": "rate_limited", "retry_after": 1,
                               "detail": "Слишком много попыток. Подождите и попробуйте снова."}
        # In the caller's language, as the app would answer.
        assert _refused(client, "10.7.0.1", "ky").json()["detail"].startswith("Өтө көп аракет")
        english = _refused(client, "10.7.0.1", "en-GB,en;q=0.9")
        assert english.json()["detail"] == "Too many attempts. Please wait and try again."
        assert english.headers["content-language"] == "en"
        # Another address is not held back, nor are reads from the flooding one.
        assert _post(client, "10.7.0.2").status_code == 404
        listed = client.get("/api/v1/drafts/1/comments", headers={"X-Forwarded-For": "10.7.0.1"})
        assert listed.status_code != 429
