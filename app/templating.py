"""Jinja2 environment for the pages: autoescaping everywhere, translations, formatting."""

from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from babel.dates import format_date, format_datetime

from app import clock, i18n
from app.config import ROOT
from app.services import auth as auth_service

BABEL_LOCALES = {"ky": "ky", "ru": "ru", "en": "en"}


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(clock.local(value), format=fmt,
                           locale=BABEL_LOCALES[i18n.current_language.get()])


def _date(value: Any, fmt: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local(value).date()
    return format_date(value, format=fmt, locale=BABEL_LOCALES[i18n.current_language.get()])


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(ROOT / "web" / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.current_language.get()).gettext(message),
        lambda s, p, n: i18n.translations(i18n.current_language.get()).ngettext(s, p, n),
        newstyle=True,
    )
    env.filters["datetime"] = _datetime
    env.filters["date"] = _date
    env.globals["pick"] = i18n.pick
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    return env


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` with what every page needs (viewer, language, CSRF token)."""
    seed = request.scope.get("state", {}).get("csrf_seed", "")
    base = {
        "request": request,
        "lang": i18n.current_language.get(),
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": auth_service.csrf_token(seed) if seed else "",
        "now": clock.now(),
    }
    html = environment().get_template(template).render({**base, **(context or {})})
    return HTMLResponse(html, status_code=status_code, headers=headers)
