"""Shapes shared by the API schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from app import clock
from app.db import MAX_ID

# An id past MAX_ID names no row (app/db.py): bad input (422), like a negative one.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


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
