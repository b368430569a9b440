"""Pure ASGI middleware: language of the request, the CSRF cookie, security headers."""

import json
import secrets
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.config import get_settings

CSRF_COOKIE = "talkuu_csrf"

SECURITY_HEADERS = {
    # No inline script and nothing from elsewhere: the pages work without any script at all.
    "content-security-policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


# A draft upload (10 MB) or a comment with three 5 MB attachments, with room for the form.
MAX_BODY_BYTES = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header must not break the page
            cookies = SimpleCookie()
        query = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        language = i18n.negotiate(query.get("lang"),
                                  cookies[i18n.LANGUAGE_COOKIE].value
                                  if i18n.LANGUAGE_COOKIE in cookies else None,
                                  headers.get("accept-language"))
        token = i18n.current_language.set(language)
        state = scope.setdefault("state", {})
        state["language"] = language
        csrf_seed = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else None
        new_seed = None
        if not csrf_seed:
            new_seed = csrf_seed = secrets.token_urlsafe(24)
        state["csrf_seed"] = csrf_seed
        settings = get_settings()
        secure = "; Secure" if settings.secure_cookies else ""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    out.setdefault(name, value)
                if settings.secure_cookies:
                    out.setdefault("strict-transport-security",
                                   "max-age=63072000; includeSubDomains")
                out.setdefault("content-language", language)
                if new_seed and not scope["path"].startswith(("/api/", "/static/")):
                    out.append("set-cookie", f"{CSRF_COOKIE}={new_seed}; Path=/; HttpOnly; "
                                             f"SameSite=Lax{secure}")
                if query.get("lang") in i18n.LANGUAGES:
                    out.append("set-cookie", f"{i18n.LANGUAGE_COOKIE}={language}; Path=/; "
                                             f"Max-Age=31536000; SameSite=Lax{secure}")
            await send(message)

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(send_with_headers)
            i18n.current_language.reset(token)
            return
        received = 0

        async def counting_receive() -> Message:
            # A body sent without (or lying about) its length is cut off at the same limit.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except BodyTooLarge:
            await _too_large(send_with_headers)
        finally:
            i18n.current_language.reset(token)


async def _too_large(send: Send) -> None:
    body = json.dumps({"error": "payload_too_large",
                       "detail": i18n.gettext_("The upload is too large.")}).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
