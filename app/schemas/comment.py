from pydantic import BaseModel, Field

from app.models import Decision
from app.schemas.common import LocalTime


class CommentCreate(BaseModel):
    clause_key: str | None = Field(default=None, max_length=200)
    body: str
    proposed_wording: str | None = None
    on_behalf_of: str | None = None


class CommentCreated(BaseModel):
    id: int
    receipt: str
    status: str
    clause_key: str | None
    created_at: LocalTime


class ResponseRead(BaseModel):
    decision: Decision
    reasoning: str
    answered_at: LocalTime


class CommentRead(BaseModel):
    id: int
    receipt: str
    draft_id: int
    version: int
    clause_key: str | None
    status: str
    body: str | None
    proposed_wording: str | None
    on_behalf_of: str | None
    author: str | None
    hidden_reason: str | None
    created_at: LocalTime
    answered: bool
    response: ResponseRead | None


class CommentList(BaseModel):
    items: list[CommentRead]
    total: int


class ResponseUpdate(BaseModel):
    decision: Decision
    reasoning: str


class HideRequest(BaseModel):
    reason: str
