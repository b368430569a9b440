"""The JSON API, /api/v1."""

from fastapi import APIRouter

from app.api import (
    audit, auth, comments, drafts, me, moderation, organizations, summaries, testing,
)
from app.config import Environment, get_settings


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (auth, me, organizations, drafts, comments, moderation, summaries, audit):
        router.include_router(module.router)
    if get_settings().env is Environment.TEST:
        router.include_router(testing.router)
    return router
