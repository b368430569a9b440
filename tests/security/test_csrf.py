"""Every page form POST is refused without this browser's CSRF token, and changes nothing."""

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry, Comment, CommentFlag, Draft
from app.services import auth as auth_service
from tests.security.routes import MATRIX, ROLES, is_page
from tests.security.test_authorization import FORM_BODY, _url

# One-click unsubscribe (RFC 8058) is posted by mail clients, which hold no CSRF token: the
# emailed token is its only key, and a forged post can only stop someone's alerts.
NO_CSRF = {"/alerts/unsubscribe"}
PAGE_POSTS = sorted(path for method, path in MATRIX
                    if method == "POST" and is_page(path) and path not in NO_CSRF)


def _state(db) -> tuple[int, ...]:
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (AuditEntry, Comment, CommentFlag, Draft))


@pytest.mark.parametrize("path", PAGE_POSTS)
@pytest.mark.parametrize("token", [None, "forged", "other-browser"])
def test_page_post_without_this_browsers_token_is_refused(seeded, as_browser, browser, db,
                                                          path, token):
    allowed = MATRIX[("POST", path)]
    role = next(r for r in ROLES if r in allowed)
    user = None if role == "anonymous" else seeded["world"][role]
    signed_in = as_browser(user)
    data = dict(FORM_BODY)
    if token == "forged":
        data["csrf_token"] = "forged"
    elif token == "other-browser":
        other = browser()
        other.get("/login")
        data["csrf_token"] = auth_service.csrf_token(other.cookies["talkuu_csrf"])
    before = _state(db)
    response = signed_in.post(_url(path, seeded), data=data, follow_redirects=False)
    assert response.status_code == 403, (path, response.status_code)
    assert _state(db) == before
