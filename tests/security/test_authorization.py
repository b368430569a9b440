"""The authorization matrix: every route, every role, allowed or denied as routes.MATRIX says."""

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.security.conftest import csrf_token
from tests.security.routes import MATRIX, ROLES, app_routes, is_page


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    assert routes, "found no routes: has the way FastAPI nests routers changed?"
    unclassified = sorted(routes - MATRIX.keys())
    assert unclassified == [], "classify these routes in tests/security/routes.py"
    gone = sorted(MATRIX.keys() - routes)
    assert gone == [], "these routes no longer exist: remove them from the matrix"


# A payload that passes validation where it can, so a refusal is the permission's, not 422's.
JSON_BODY = {"body": "Комментарий", "reason": "Причина", "decision": "rejected",
             "reasoning": "Обоснование", "title": "Шаблон", "name": "Имя", "now": None,
             "email": "someone@example.kg", "closes_at": "2027-02-01T00:00:00+06:00"}
FORM_BODY = {key: value for key, value in JSON_BODY.items() if value is not None} | {
    "closes_at": "2027-02-01T00:00", "kind": "other", "note": "Заметка"}


def _url(template: str, seeded: dict[str, Any]) -> str:
    return template.format(
        draft_id=seeded["draft"].id, number=1,
        # One's own comment cannot be supported or reported: those take the neighbour's.
        comment_id=(seeded["twin"].id if template.endswith(("support", "flag"))
                    else seeded["comment"].id),
        attachment_id=999_999, group_id=seeded["group_id"], template_id=seeded["template"].id,
        flag_id=(seeded["monitor_flag"].id if template.startswith("/monitor")
                 else seeded["flag"].id),
        token=seeded["staged"].token, dataset="drafts", slug="mineconom")


def _call(seeded, client, as_browser, login, method: str, path: str, role: str):
    user = None if role == "anonymous" else seeded["world"][role]
    url = _url(path, seeded)
    if is_page(path):
        browser = as_browser(user)
        data = {**FORM_BODY, "csrf_token": csrf_token()} if method == "POST" else None
        if (method, path) == ("POST", "/login"):  # a refused password is not a refused permission
            data |= {"email": (user or seeded["world"]["citizen"]).email, "password": PASSWORD}
        return browser.request(method, url, data=data, follow_redirects=False)
    headers = login(user) if user is not None else {}
    body = JSON_BODY if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, url, json=body, headers=headers, follow_redirects=False)


@pytest.mark.parametrize("method, path", sorted(MATRIX))
def test_route_allows_and_denies_by_role(seeded, client, as_browser, login, method, path):
    allowed = MATRIX[(method, path)]
    # Refusals first: an allowed call may change what a later one finds (a deleted template).
    order = sorted(ROLES, key=lambda role: role in allowed)
    wrong = []
    for role in order:
        response = _call(seeded, client, as_browser, login, method, path, role)
        status = response.status_code
        if role in allowed:
            ok = status not in (401, 403) and status < 500
        elif role == "anonymous":
            ok = (status == 303 and response.headers["location"].startswith("/login")
                  if is_page(path) else status == 401)
        else:
            ok = status == 403
        if not ok:
            wrong.append((role, status))
    assert wrong == [], f"{method} {path}: allowed {sorted(allowed)}"

