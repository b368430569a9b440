"""Jinja2 environment for the pages: autoescaping everywhere, translations, formatting."""

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.datastructures import QueryParams

from app import clock, i18n
from app.config import ROOT
from app.services import auth as auth_service

BABEL_LOCALES = {"ky": "ky", "ru": "ru", "en": "en"}
# Each language is offered in its own name, so that a reader who cannot read the current
# interface still finds theirs.
LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(clock.local(value), format=fmt,
                           locale=BABEL_LOCALES[i18n.current_language.get()])


_date = i18n.format_day
_when = i18n.format_moment


def _iso(value: datetime | date | None) -> str:
    """The machine-readable form for <time datetime=...>."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.local(value).isoformat(timespec="minutes")
    return value.isoformat()


def _datetime_local(value: datetime | None) -> str:
    """The value of an <input type=datetime-local>, in the configured time zone."""
    if value is None:
        return ""
    return clock.local(value).strftime("%Y-%m-%dT%H:%M")


def anchor(key: str) -> str:
    """The HTML id of a clause: its key, with "/" (not allowed in a fragment we hand out) as "--"."""
    return key.replace("/", "--")


def _page_path(context: Context) -> str:
    # A form re-rendered after a POST names the page it belongs to, so that links built from
    # "this page" lead to something a GET can open.
    path = context.get("page_path")
    if path:
        return str(path)
    request: Request = context["request"]
    # "//host/x" would be a link to another site: a path is always made to start with one "/".
    path = "/" + request.url.path.lstrip("/")
    return path + (f"?{request.url.query}" if request.url.query else "")


@pass_context
def url_with(context: Context, **changes: Any) -> str:
    """This page's address with some query parameters changed (None removes one)."""
    path, _sep, query = _page_path(context).partition("?")
    items = [(k, v) for k, v in QueryParams(query).multi_items() if k not in changes]
    items += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return f"{path}?{urlencode(items)}" if items else path


@pass_context
def lang_url(context: Context, code: str) -> str:
    """This page in another interface language."""
    return url_with(context, lang=code)


@pass_context
def current_path(context: Context) -> str:
    """This page (path and query, without the language), for ?next= after signing in."""
    path, _sep, query = _page_path(context).partition("?")
    items = [(k, v) for k, v in QueryParams(query).multi_items() if k != "lang"]
    return f"{path}?{urlencode(items)}" if items else path


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
    env.filters["when"] = _when
    env.filters["number"] = i18n.format_number
    env.filters["iso"] = _iso
    env.filters["datetime_local"] = _datetime_local
    env.filters["anchor"] = anchor
    env.globals["pick"] = i18n.pick
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    env.globals["url_with"] = url_with
    env.globals["lang_url"] = lang_url
    env.globals["current_path"] = current_path
    return env


def compile_all() -> int:
    """Compile every template now (how many); a process otherwise compiles each on its first
    use, while the visitors of that page wait."""
    env = environment()
    names = env.list_templates(filter_func=lambda name: not name.startswith("."))
    for name in names:
        env.get_template(name)
    return len(names)


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
