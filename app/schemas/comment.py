from pydantic import BaseModel, Field

from app.models import Decision
from app.schemas.common import LocalTime


class CommentCreate(BaseModel):
    clause_key: str | None = Field(default=None, max_length=200)
    body: str
    proposed_wording: str | None = None
    on_behalf_of: str | None = None
    # The exact words of the clause the comment is about.
    quote: str | None = None


class AttachmentRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str


class CommentCreated(BaseModel):
    id: int
    receipt: str
    status: str
    clause_key: str | None
    created_at: LocalTime
    group_id: int | None = None
    attachments: list[AttachmentRead] = []


class ResponseRead(BaseModel):
    decision: Decision
    reasoning: str
    answered_at: LocalTime


class GroupRead(BaseModel):
    """The campaign the comment belongs to: identical or near-identical comments."""

    id: int
    size: int
    representative_id: int


class CommentRead(BaseModel):
    id: int
    receipt: str
    draft_id: int
    version: int
    clause_key: str | None
    status: str
    body: str | None
    proposed_wording: str | None
    quote: str | None = None
    on_behalf_of: str | None
    author: str | None
    hidden_reason: str | None
    withdrawn_reason: str | None = None
    withdrawn_at: LocalTime | None = None
    created_at: LocalTime
    answered: bool
    response: ResponseRead | None
    supporters: int = 0
    group: GroupRead | None = None
    attachments: list[AttachmentRead] = []


class CommentList(BaseModel):
    items: list[CommentRead]
    total: int


class ResponseUpdate(BaseModel):
    decision: Decision
    reasoning: str


class HideRequest(BaseModel):
    reason: str


class WithdrawRequest(BaseModel):
    reason: str


class FlagRequest(BaseModel):
    reason: str


class SupportRead(BaseModel):
    comment_id: int
    supporters: int
    supported: bool


class FlagRead(BaseModel):
    id: int
    comment_id: int
    reason: str
    created_at: LocalTime
    resolution: str | None = None
    resolved_at: LocalTime | None = None


class FlaggedCommentRead(BaseModel):
    comment: CommentRead
    draft_id: int
    flags: list[FlagRead]


class FlagQueue(BaseModel):
    items: list[FlaggedCommentRead]
    total: int
