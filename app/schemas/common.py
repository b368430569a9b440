"""Shapes shared by the API schemas."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from app import clock
from app.db import MAX_ID

# An id past MAX_ID names no row (app/db.py): bad input (422), like a negative one.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class ErrorRead(BaseModel):
    """Every error of the API (API.md): a machine code and a sentence in the reader's
    language; some add what the client needs to act (``fields``, ``comment_ids``,
    ``retry_after``)."""

    model_config = ConfigDict(extra="allow")

    error: str
    detail: str


# What a client gets for any 4xx: the one error object (our 422 is not FastAPI's list).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorRead, "description": "Bad input, not signed in, not allowed, not "
                                               "found, a conflict, too large, rate limited"}}


class Multilingual(BaseModel):
    """A text that exists in several languages."""

    ky: str | None = None
    ru: str | None = None
    en: str | None = None


# Times leave the API in the configured zone (Asia/Bishkek), always with their offset.
LocalTime = Annotated[datetime, PlainSerializer(lambda v: clock.local(v).isoformat(),
                                                return_type=str)]


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
