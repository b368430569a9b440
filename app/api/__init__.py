"""The JSON API, /api/v1."""

from fastapi import APIRouter
from starlette._utils import get_route_path  # what FastAPI's own routes match on
from starlette.routing import Match
from starlette.types import Scope

from app.api import (
    audit, auth, comments, drafts, me, moderation, organizations, summaries, testing,
)
from app.api import compliance, outcomes
from app.api import answers  # the drafter's answering tools (issue 5)
from app.api import opendata, subscriptions
from app.api import search as search_api
from app.config import Environment, get_settings
from app.schemas.common import ERROR_RESPONSES


class PrefixedRouter(APIRouter):
    """A router that says "no match" at once for a path outside its prefix.  FastAPI 0.165
    tries every route of an included router in turn, regex by regex: each page request
    walked the API's ~80 routes before reaching the pages (~1 ms of one core, a third of what
    serving a kept page costs: bench/render_bench.py)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def build_router() -> APIRouter:
    router = PrefixedRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    router.include_router(comments.submission_router)  # first: the busiest route (issue 9)
    for module in (auth, me, organizations, drafts, comments, moderation, summaries, audit,
                   compliance, outcomes):
        router.include_router(module.router)
    for module in (search_api, subscriptions, opendata):  # journalists, open data (issue 7)
        router.include_router(module.router)
    router.include_router(answers.router)
    if get_settings().env is Environment.TEST:
        router.include_router(testing.router)
    return router
