"""Test-environment only: setting the one clock. Not mounted in any other environment."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from app import clock
from app.errors import InvalidInput

router = APIRouter(prefix="/testing", tags=["testing"], include_in_schema=False)


class ClockSet(BaseModel):
    now: datetime | None


@router.put("/clock")
def set_clock(payload: ClockSet) -> dict[str, str]:
    if payload.now is not None and payload.now.tzinfo is None:
        raise InvalidInput("Times need a time zone offset, e.g. 2026-12-01T00:00:00+06:00.")
    clock.set_now(payload.now)
    return {"now": clock.now().isoformat()}
