"""/search: full-text search over drafts, clauses and comments, with filters."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.db import DbSession, page_count
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from app.services import search as search_service
from app.templating import render

router = APIRouter()
PER_PAGE = 20


@router.get("/search")
def search_page(
    request: Request, session: DbSession,
    q: Annotated[str | None, Query(max_length=200)] = None,
    organization: Annotated[str | None, Query(max_length=64)] = None,
    act_type: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    """The search form and, when there are words, the ranked results."""
    # isascii(): "²" is a digit to isdigit() but not to int().
    digits = page if page and page.isascii() and page.isdigit() else "0"
    number = int(digits) if 0 < int(digits) <= 50 else 1
    chosen_kind = kind if kind in search_service.KINDS else None
    result = search_service.search(session=session, q=q or "", organization=organization or None,
                                   act_type=act_type or None, kind=chosen_kind, page=number,
                                   per_page=PER_PAGE)
    return render(request, "search/index.html", {
        "result": result, "searched": bool(search_service.terms(q)),
        "pages": min(50, page_count(result.total, PER_PAGE)),
        "filters": {"q": q or "", "organization": organization or "",
                    "act_type": act_type or "", "kind": chosen_kind or ""},
        "organizations": organizations_service.list_organizations(session=session),
        "policies": drafts_service.list_policies(session=session),
        "kinds": search_service.KINDS,
    })
