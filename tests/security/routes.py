"""Every route of the app and who may call it: the table the authorization tests check."""

from typing import Any

# Who may call a route. Roles: anonymous, citizen (the comment's author), drafter (of the
# draft's body), other_drafter (of another body), moderator (of the draft's body), monitor, admin.
ROLES = ("anonymous", "citizen", "drafter", "other_drafter", "moderator", "monitor", "admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}

PUBLIC = frozenset(ROLES)
TOKEN_LINK = PUBLIC  # an emailed link: the token in the request is the permission
TEST_ONLY = PUBLIC   # only exists in TALKUU_ENV=test (404 elsewhere, see test_headers.py)
USER = SIGNED_IN
CITIZENS = frozenset({"citizen"})
AUTHOR = frozenset({"citizen"})  # the comment's author, who is a citizen
DRAFTERS = frozenset({"drafter", "other_drafter"})
DRAFTER_OF_BODY = frozenset({"drafter"})
MODERATOR_OF_BODY = frozenset({"moderator"})
MODERATORS = frozenset({"moderator"})
MONITORS = frozenset({"monitor", "admin"})

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # --- JSON API: accounts
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/verify"): TOKEN_LINK,
    ("POST", "/api/v1/auth/verification"): USER,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): TOKEN_LINK,
    ("GET", "/api/v1/me"): USER,
    ("PATCH", "/api/v1/me"): USER,
    ("GET", "/api/v1/me/comments"): USER,
    ("POST", "/api/v1/drafts/{draft_id}/follow"): USER,
    ("DELETE", "/api/v1/drafts/{draft_id}/follow"): USER,
    # --- JSON API: drafts and consultations
    ("GET", "/api/v1/organizations"): PUBLIC,
    ("GET", "/api/v1/drafts"): PUBLIC,
    ("POST", "/api/v1/drafts"): DRAFTERS,
    ("GET", "/api/v1/drafts/{draft_id}"): PUBLIC,
    ("POST", "/api/v1/drafts/{draft_id}/versions"): DRAFTER_OF_BODY,
    ("GET", "/api/v1/drafts/{draft_id}/versions/{number}"): PUBLIC,
    ("GET", "/api/v1/drafts/{draft_id}/diff"): PUBLIC,
    ("POST", "/api/v1/drafts/{draft_id}/consultation"): DRAFTER_OF_BODY,
    ("POST", "/api/v1/drafts/{draft_id}/consultation/extend"): DRAFTER_OF_BODY,
    ("POST", "/api/v1/drafts/{draft_id}/outcome"): DRAFTER_OF_BODY,
    ("GET", "/api/v1/drafts/{draft_id}/outcome"): PUBLIC,
    # --- JSON API: comments, answers, moderation
    ("GET", "/api/v1/drafts/{draft_id}/comments"): PUBLIC,
    ("POST", "/api/v1/drafts/{draft_id}/comments"): CITIZENS,
    ("GET", "/api/v1/comments/{comment_id}"): PUBLIC,
    ("PUT", "/api/v1/comments/{comment_id}/response"): DRAFTER_OF_BODY,
    ("POST", "/api/v1/comments/{comment_id}/hide"): MODERATOR_OF_BODY,
    ("POST", "/api/v1/comments/{comment_id}/withdraw"): AUTHOR,
    ("POST", "/api/v1/comments/{comment_id}/support"): CITIZENS,
    ("DELETE", "/api/v1/comments/{comment_id}/support"): CITIZENS,
    ("POST", "/api/v1/comments/{comment_id}/flag"): CITIZENS,
    ("GET", "/api/v1/attachments/{attachment_id}"): PUBLIC,
    ("GET", "/api/v1/moderation/flags"): MODERATORS,
    ("POST", "/api/v1/moderation/flags/{flag_id}/dismiss"): MODERATOR_OF_BODY,
    ("GET", "/api/v1/drafts/{draft_id}/answer-queue"): DRAFTER_OF_BODY,
    ("PUT", "/api/v1/comment-groups/{group_id}/response"): DRAFTER_OF_BODY,
    ("GET", "/api/v1/answer-templates"): DRAFTERS,
    ("POST", "/api/v1/answer-templates"): DRAFTERS,
    ("GET", "/api/v1/answer-templates/{template_id}"): DRAFTERS,
    ("PUT", "/api/v1/answer-templates/{template_id}"): DRAFTERS,
    ("DELETE", "/api/v1/answer-templates/{template_id}"): DRAFTERS,
    # --- JSON API: summaries, compliance, audit, open data
    ("POST", "/api/v1/drafts/{draft_id}/summary"): DRAFTER_OF_BODY,
    ("POST", "/api/v1/drafts/{draft_id}/summary/corrections"): DRAFTER_OF_BODY,
    ("GET", "/api/v1/drafts/{draft_id}/summary"): PUBLIC,
    ("GET", "/api/v1/drafts/{draft_id}/summary.csv"): PUBLIC,
    ("GET", "/api/v1/drafts/{draft_id}/summary.docx"): PUBLIC,
    ("GET", "/api/v1/drafts/{draft_id}/summary.pdf"): PUBLIC,
    ("GET", "/api/v1/audit"): MONITORS,
    ("GET", "/api/v1/compliance"): PUBLIC,
    ("GET", "/api/v1/compliance/violations"): PUBLIC,
    ("GET", "/api/v1/search"): PUBLIC,
    ("POST", "/api/v1/subscriptions"): PUBLIC,
    ("POST", "/api/v1/subscriptions/confirm"): TOKEN_LINK,
    ("POST", "/api/v1/subscriptions/unsubscribe"): TOKEN_LINK,
    ("GET", "/api/v1/export"): PUBLIC,
    ("GET", "/api/v1/export/{dataset}.csv"): PUBLIC,
    ("GET", "/api/v1/export/{dataset}.jsonl"): PUBLIC,
    ("PUT", "/api/v1/testing/clock"): TEST_ONLY,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    # --- feeds
    ("GET", "/feeds/drafts.atom"): PUBLIC,
    ("GET", "/feeds/drafts.rss"): PUBLIC,
    ("GET", "/drafts/{draft_id}/feed.atom"): PUBLIC,
    # --- pages: public
    ("GET", "/"): PUBLIC,
    ("GET", "/drafts"): PUBLIC,
    ("GET", "/drafts/{draft_id}"): PUBLIC,
    ("GET", "/drafts/{draft_id}/diff"): PUBLIC,
    ("GET", "/drafts/{draft_id}/summary"): PUBLIC,
    ("GET", "/drafts/{draft_id}/comment"): PUBLIC,
    ("GET", "/drafts/{draft_id}/comments"): PUBLIC,
    ("GET", "/comments/{comment_id}/receipt"): PUBLIC,
    ("GET", "/compliance"): PUBLIC,
    ("GET", "/compliance/{slug}"): PUBLIC,
    ("GET", "/search"): PUBLIC,
    ("GET", "/open-data"): PUBLIC,
    ("GET", "/alerts"): PUBLIC,
    ("POST", "/alerts"): PUBLIC,
    ("GET", "/alerts/confirm"): TOKEN_LINK,
    ("POST", "/alerts/confirm"): TOKEN_LINK,
    ("GET", "/alerts/unsubscribe"): TOKEN_LINK,
    ("POST", "/alerts/unsubscribe"): TOKEN_LINK,
    # --- pages: accounts
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/verify-email"): TOKEN_LINK,
    ("GET", "/forgot-password"): PUBLIC,
    ("POST", "/forgot-password"): PUBLIC,
    ("GET", "/reset-password"): TOKEN_LINK,
    ("POST", "/reset-password"): TOKEN_LINK,
    ("GET", "/account"): USER,
    ("POST", "/account"): USER,
    ("POST", "/account/verification"): USER,
    ("POST", "/drafts/{draft_id}/follow"): USER,
    # --- pages: comments and moderation
    ("POST", "/drafts/{draft_id}/comments"): CITIZENS,
    ("POST", "/comments/{comment_id}/withdraw"): AUTHOR,
    ("POST", "/comments/{comment_id}/support"): CITIZENS,
    ("POST", "/comments/{comment_id}/unsupport"): CITIZENS,
    ("GET", "/comments/{comment_id}/flag"): USER,
    ("POST", "/comments/{comment_id}/flag"): CITIZENS,
    ("GET", "/comments/{comment_id}/hide"): MODERATOR_OF_BODY,
    ("POST", "/comments/{comment_id}/hide"): MODERATOR_OF_BODY,
    ("GET", "/moderation"): MODERATORS,
    ("POST", "/moderation/comments/{comment_id}/dismiss"): MODERATOR_OF_BODY,
    # --- pages: the drafters' workspace
    ("GET", "/workspace"): DRAFTERS,
    ("GET", "/workspace/drafts/new"): DRAFTERS,
    ("POST", "/workspace/drafts"): DRAFTERS,
    ("GET", "/workspace/imports/{token}"): DRAFTERS,
    ("POST", "/workspace/imports/{token}/publish"): DRAFTERS,
    ("GET", "/workspace/drafts/{draft_id}"): DRAFTER_OF_BODY,
    ("GET", "/workspace/drafts/{draft_id}/versions/new"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/versions"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/consultation"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/consultation/extend"): DRAFTER_OF_BODY,
    ("POST", "/workspace/comments/{comment_id}/response"): DRAFTER_OF_BODY,
    ("POST", "/workspace/comment-groups/{group_id}/response"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/summary"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/summary/corrections"): DRAFTER_OF_BODY,
    ("GET", "/workspace/drafts/{draft_id}/outcome"): DRAFTER_OF_BODY,
    ("POST", "/workspace/drafts/{draft_id}/outcome"): DRAFTER_OF_BODY,
    ("GET", "/workspace/answer-templates"): DRAFTERS,
    ("POST", "/workspace/answer-templates"): DRAFTERS,
    ("POST", "/workspace/answer-templates/{template_id}"): DRAFTERS,
    ("POST", "/workspace/answer-templates/{template_id}/delete"): DRAFTERS,
    # --- pages: the monitor (Ministry of Justice)
    ("GET", "/monitor"): MONITORS,
    ("GET", "/monitor/violations"): MONITORS,
    ("GET", "/monitor/violations.csv"): MONITORS,
    ("GET", "/monitor/drafts/{draft_id}"): MONITORS,
    ("POST", "/monitor/drafts/{draft_id}/notes"): MONITORS,
    ("POST", "/monitor/drafts/{draft_id}/flags"): MONITORS,
    ("POST", "/monitor/flags/{flag_id}/clear"): MONITORS,
    ("GET", "/monitor/audit"): MONITORS,
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every route, including those of included routers.

    This FastAPI wraps each included router in an ``_IncludedRouter`` whose routes are reached
    through ``effective_route_contexts()``; plain routes (``/openapi.json``, docs) sit directly
    on the app. HEAD is left out: Starlette adds it to every GET.
    """
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):
                for context in route.effective_route_contexts():
                    methods = getattr(context.original_route, "methods", None) or ()
                    found.update((m, context.path) for m in methods if m != "HEAD")
            elif getattr(route, "methods", None):
                found.update((m, route.path) for m in route.methods if m != "HEAD")
            elif hasattr(route, "routes") and not route.path.startswith("/static"):
                walk(route.routes)

    walk(app.router.routes)
    return found


def is_page(path: str) -> bool:
    """Pages answer a stranger with a redirect to the sign-in form; the API with 401."""
    return not path.startswith(("/api/", "/openapi.json", "/feeds/")) and \
        not path.endswith((".atom", ".rss"))
