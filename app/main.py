"""The application: the JSON API, the pages, static files, and one place for error handling."""

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import configure_mappers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from app import api, collector, i18n, pages, templating
from app.api import feeds
from app.config import ROOT, Environment, get_settings
from app.db import database_unavailable, get_engine
from app.errors import (
    DatabaseUnavailable, FieldsToCheck, NotFound, RateLimited, TalkuuError,
)
from app.gate import ConcurrencyGate, RefusedAtTheDoor
from app.i18n import gettext_
from app.middleware import RequestContextMiddleware
from app.pagecache import KeptPages
from app.schemas.common import ERROR_RESPONSES

log = logging.getLogger("talkuu")

HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
              429: "rate_limited"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/feeds/")


def _render(request: Request, status: int, payload: dict[str, object],
            headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse(payload, status_code=status, headers=headers)
    return pages.render_error(request, status=status, payload=payload, headers=headers)


def _unexpected(request: Request, error: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _render(request, 500, {"error": "internal_error", "detail": gettext_(
        "Something went wrong on our side. Nothing you sent was half-saved; please try again.")})


class PublicReadCors:
    """Read-only CORS on the public API and feeds: any site's script may GET them, without
    cookies or credentials; nothing else (writing, the pages) is opened to other origins."""

    PREFIXES = ("/api/", "/feeds/", "/openapi.json")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_credentials=False,
                                   allow_methods=["GET", "HEAD", "OPTIONS"],
                                   allow_headers=["Accept", "Accept-Language", "If-None-Match",
                                                  "If-Modified-Since"],
                                   expose_headers=["ETag", "Last-Modified", "Retry-After"],
                                   max_age=3600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public_read = (scope["type"] == "http" and scope["method"] in ("GET", "HEAD", "OPTIONS")
                       and (scope["path"].startswith(self.PREFIXES)
                            or scope["path"].endswith("/feed.atom")))
        await (self.cors if public_read else self.app)(scope, receive, send)


# The API docs page: Swagger UI served from web/static/vendor (no CDN), started
# by a script file of ours, so the site-wide policy (no inline script) holds on this page too.
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Talkuu API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><main id="swagger-ui" aria-label="Talkuu API"></main>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script></body></html>
"""


_frozen = False


def prepare_routes(app: FastAPI) -> None:
    """Have FastAPI prepare every route now.  FastAPI 0.165 works out a route's dependencies
    and their models the first time a request is matched against it (and against every route
    listed before it): ~0.23 s of one core for the first page of a process, on its event loop,
    so that every request of that process waited (bench/render_bench.py, "first").  A name no
    route has makes ``url_path_for`` walk them all, preparing each."""
    try:
        app.url_path_for("talkuu: no route has this name")
    except NoMatchFound:
        pass


@asynccontextmanager
async def _warmed_up(app: FastAPI) -> AsyncIterator[None]:
    """Before a process serves anyone, what its first page would otherwise do while every
    visitor of that process waits: prepare the routes, configure the mappers, read the three
    catalogs, compile the ~80 templates, create the engine (importing the driver).  Then, once
    per process, every object alive is moved out of the garbage collector's sight
    (``gc.freeze``): without it each full collection walks the whole application again (~0.1
    s, at random moments).  Measured on a 500-clause draft page: the first rendering 0.42-0.48
    s before, 0.12-0.14 s after; the cold-start p99 of bench/load.py's flash crowd (issue 9)."""
    global _frozen
    started = time.perf_counter()
    if get_settings().env is not Environment.TEST:
        # ~0.09 s for each of the suite's ~900 apps, and the first request does it anyway.
        prepare_routes(app)
    configure_mappers()
    i18n.load_all()
    count = templating.compile_all()
    get_engine()
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
    log.info("warmed up in %.2f s (%d templates)", time.perf_counter() - started, count)
    async with collector.at_safe_points():
        yield


def create_app() -> FastAPI:
    """The ASGI application."""
    app = FastAPI(title="Talkuu", version="1", docs_url=None, redoc_url=None,
                  lifespan=_warmed_up,
                  openapi_url="/openapi.json",
                  description="The public API of Talkuu. Reading needs no account; bulk "
                              "downloads are under /api/v1/export.")
    # Kept pages are answered inside the gate (it still admits a crowd) and the language
    # middleware (their key has the language); the gate sits inside the size check: bodies it
    # buffers are already capped.
    app.add_middleware(KeptPages)
    app.add_middleware(ConcurrencyGate)
    app.add_middleware(RefusedAtTheDoor)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(PublicReadCors)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
    app.include_router(api.build_router())
    app.include_router(feeds.router, responses=ERROR_RESPONSES)
    app.include_router(pages.build_router())
    app.mount("/static", StaticFiles(directory=ROOT / "web" / "static"), name="static")

    @app.exception_handler(TalkuuError)
    def _domain_error(request: Request, error: TalkuuError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        if isinstance(error, RateLimited):
            headers = {"Retry-After": str(error.retry_after)}
        return _render(request, error.status_code, error.payload(), headers)

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, error: RequestValidationError) -> Response:
        return _render(request, 422, FieldsToCheck(
            ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0])
            for e in error.errors()).payload())

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            payload = NotFound().payload()
        else:
            payload = {"error": HTTP_CODES.get(error.status_code, "error"),
                       "detail": gettext_("The request cannot be processed.")}
        return _render(request, error.status_code, payload, getattr(error, "headers", None))

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    def _database_error(request: Request, error: Exception) -> Response:
        if database_unavailable(error):
            log.warning("database unavailable: %s", error)
            return _render(request, 503, DatabaseUnavailable().payload(), {"Retry-After": "10"})
        return _unexpected(request, error)

    app.add_exception_handler(Exception, _unexpected)

    return app
