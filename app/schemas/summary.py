from pydantic import BaseModel

from app.schemas.common import LocalTime


class SummaryComment(BaseModel):
    id: int
    receipt: str
    clause_key: str | None
    version: int
    author: str
    on_behalf_of: str | None
    body: str
    proposed_wording: str | None
    decision: str
    reasoning: str


class SummaryStats(BaseModel):
    comments: int
    hidden: int
    by_decision: dict[str, int]
    by_clause: dict[str, int]


class SummaryRevisionRead(BaseModel):
    revision: int
    published_at: LocalTime
    correction_reason: str | None


class SummaryRead(BaseModel):
    draft_id: int
    round: int
    revision: int
    published_at: LocalTime
    comments: list[SummaryComment]
    stats: SummaryStats
    # Extra to the contract: a correction's reason and every revision of this round.
    correction_reason: str | None = None
    revisions: list[SummaryRevisionRead] = []
