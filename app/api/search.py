"""GET /api/v1/search: ranked full-text hits over drafts, clauses and comments."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.db import DbSession
from app.schemas.common import Multilingual
from app.services import search as search_service

router = APIRouter(tags=["search"])


class SearchHitRead(BaseModel):
    kind: Literal["draft", "clause", "comment"]
    id: int
    draft_id: int
    draft_title: Multilingual
    url: str
    clause_key: str | None
    receipt: str | None
    snippet: str
    snippet_html: str  # escaped text, the matched words inside <mark>
    score: float


class SearchRead(BaseModel):
    q: str
    items: list[SearchHitRead]
    total: int
    total_is_lower_bound: bool
    counts: dict[str, int]
    page: int
    per_page: int


@router.get("/search", response_model=SearchRead)
def search(
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    organization: Annotated[str | None, Query(max_length=64)] = None,
    act_type: Annotated[str | None, Query(max_length=40)] = None,
    kind: Literal["draft", "clause", "comment"] | None = None,
    page: Annotated[int, Query(ge=1, le=50)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchRead:
    """Drafts, clauses of current versions and published comments matching every word of
    ``q`` (Russian by stem, Kyrgyz by word start), best first."""
    result = search_service.search(session=session, q=q, organization=organization,
                                   act_type=act_type, kind=kind, page=page, per_page=per_page)
    return SearchRead(
        q=q, total=result.total, total_is_lower_bound=result.capped, counts=result.counts,
        page=result.page, per_page=result.per_page,
        items=[SearchHitRead(kind=h.kind, id=h.id, draft_id=h.draft_id,  # type: ignore[arg-type]
                             draft_title=Multilingual(**h.draft_title), url=h.link,
                             clause_key=h.clause_key, receipt=h.receipt,
                             snippet=h.snippet.striptags(), snippet_html=str(h.snippet),
                             score=h.score)
               for h in result.hits])
