"""How a draft ended: adopted (with a reference to the act) or withdrawn (with a reason)."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import DraftDep, DrafterOfDraft
from app.db import DbSession
from app.errors import NotFound
from app.models import DraftOutcome, OutcomeRecord
from app.schemas.common import LocalTime, ReadModel
from app.services import outcomes as outcomes_service

router = APIRouter(tags=["outcomes"])


class OutcomeCreate(BaseModel):
    outcome: Literal["adopted", "withdrawn"]
    act_reference: str | None = Field(default=None, max_length=2000)
    act_url: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=20_000)


class OutcomeRead(ReadModel):
    draft_id: int
    outcome: str
    act_reference: str | None
    act_url: str | None
    reason: str | None
    decided_at: LocalTime


def _read(record: OutcomeRecord) -> OutcomeRead:
    return OutcomeRead.model_validate(record)


@router.post("/drafts/{draft_id}/outcome", response_model=OutcomeRead)
def decide(payload: OutcomeCreate, draft: DraftDep, user: DrafterOfDraft,
           session: DbSession) -> OutcomeRead:
    """Mark the draft adopted or withdrawn; 409 outcome_decided if it already is."""
    record = outcomes_service.decide(
        session=session, actor=user, draft=draft, outcome=DraftOutcome(payload.outcome),
        act_reference=payload.act_reference, act_url=payload.act_url, reason=payload.reason)
    return _read(record)


@router.get("/drafts/{draft_id}/outcome", response_model=OutcomeRead)
def read(draft: DraftDep, session: DbSession) -> OutcomeRead:
    """The outcome of the draft; 404 while it is pending."""
    record = outcomes_service.get_record(session=session, draft=draft)
    if record is None:
        raise NotFound()
    return _read(record)
