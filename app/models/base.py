"""Column helpers shared by the models."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum

from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import UTCDateTime


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=clock.now, nullable=False)


def enum_type(enum_class: type[StrEnum]) -> Enum:
    """A portable enum column that stores the values ("accepted"), not the member names."""
    return Enum(enum_class, native_enum=False, length=24, validate_strings=True,
                values_callable=lambda members: [member.value for member in members])
