"""The JSON API, /api/v1."""

from fastapi import APIRouter

from app.api import (
    audit, auth, comments, drafts, me, moderation, organizations, summaries, testing,
)
from app.api import compliance, outcomes
from app.api import answers  # the drafter's answering tools (issue 5)
from app.api import opendata, subscriptions
from app.api import search as search_api
from app.config import Environment, get_settings
from app.schemas.common import ERROR_RESPONSES


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
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
