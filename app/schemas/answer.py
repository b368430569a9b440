"""The drafter's answers: a whole group at once, reusable templates, summary corrections."""

from pydantic import BaseModel, Field

from app.models import Decision
from app.schemas.common import LocalTime, ReadModel, RowId


class GroupAnswer(BaseModel):
    """One decision and reasoning for every comment of a group; a template fills what is left
    out."""

    decision: Decision | None = None
    reasoning: str | None = Field(default=None, max_length=40_000)
    template_id: RowId | None = None


class GroupAnswered(BaseModel):
    group_id: int
    answered: int
    comment_ids: list[int]


class AnswerTemplateWrite(BaseModel):
    title: str = Field(max_length=1_000)
    decision: Decision | None = None
    reasoning: str = Field(max_length=40_000)


class AnswerTemplateRead(ReadModel):
    id: int
    title: str
    decision: Decision | None
    reasoning: str
    updated_at: LocalTime


class AnswerTemplateList(BaseModel):
    items: list[AnswerTemplateRead]


class CorrectedAnswer(BaseModel):
    comment_id: RowId
    decision: Decision
    reasoning: str = Field(max_length=40_000)


class SummaryCorrection(BaseModel):
    """A new revision of the published summary: why, and the answers it changes (if any)."""

    reason: str = Field(max_length=10_000)
    changes: list[CorrectedAnswer] = Field(default=[], max_length=100_000)
