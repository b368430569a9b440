"""The public pages of drafts: the list, one draft with its clauses and comments, its summary."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import DraftDep
from app.db import DbSession
from app.models import Comment, Draft, DraftStatus, Role, User
from app.pages import views
from app.pages.deps import PageViewer
from app.services import comments as comments_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from app.services import summaries as summaries_service
from app.services import workspace as workspace_service
from app.templating import render

router = APIRouter()

PER_PAGE = 20


def staff_role(viewer: User | None, draft: Draft) -> Role | None:
    """The viewer's role if they are a drafter or moderator of the draft's own body."""
    if viewer is not None and comments_service.is_body_staff(viewer, draft):
        return viewer.role
    return None


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= 100_000 else 1


@router.get("/drafts")
def draft_list(
    request: Request,
    session: DbSession,
    organization: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    act_type: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Drafts, newest first, with the filters of the API as a GET form."""
    # An empty choice in the form ("all") arrives as an empty string, not as a missing field.
    chosen_status = DraftStatus(status) if status in set(DraftStatus) else None
    result = drafts_service.list_drafts(
        session=session, organization=organization or None, status=chosen_status,
        act_type=act_type or None, q=q or None, page=_page_number(page), per_page=PER_PAGE)
    pages = max(1, -(-result.total // PER_PAGE))
    return render(request, "drafts/list.html", {
        "result": result, "pages": pages,
        "filters": {"organization": organization or "", "status": chosen_status or "",
                    "act_type": act_type or "", "q": q or ""},
        "organizations": organizations_service.list_organizations(session=session),
        "policies": {p.act_type: p for p in drafts_service.list_policies(session=session)},
        "statuses": list(DraftStatus),
        "days_left": views.days_left,
    })


@router.get("/drafts/{draft_id}")
def draft_page(
    request: Request, draft: DraftDep, session: DbSession, viewer: PageViewer,
    text: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """A draft: its facts, period, table of contents, clause tree, and every comment."""
    info = views.overview(session=session, draft=draft)
    language = views.text_language(info.version, text)
    comments = comments_service.list_comments(session=session, draft=draft)
    tree = views.clause_tree(
        clauses=drafts_service.get_clauses(session=session, version=info.version),
        language=language, comments=comments, consultation=info.consultation,
        open_now=info.is_open)
    return render(request, "drafts/detail.html", {
        "info": info, "draft": draft, "tree": tree, "text_lang": language,
        "general_comments": [c for c in comments if c.clause_key is None],
        "comment_total": views.published_count(comments),
        "visibility": comments_service.visibility(session=session, viewer=viewer, draft=draft),
        "staff_role": staff_role(viewer, draft),
        "can_comment_generally": info.is_open and info.consultation is not None
        and info.consultation.covers(None),
    })


def comment_paths(session: DbSession, comments: list[Comment]) -> dict[int, views.Citation]:
    """How each comment's clause is named, from the clauses of its own version."""
    index = workspace_service.clause_index(
        session=session, version_ids=[c.version_id for c in comments],
        keys=[c.clause_key for c in comments if c.clause_key])
    paths = {}
    for comment in comments:
        context = index.context(comment.version_id, comment.clause_key)
        if context is not None:
            paths[comment.id] = views.citation(context.path)
    return paths


@router.get("/drafts/{draft_id}/summary")
def summary_page(request: Request, draft: DraftDep, session: DbSession) -> Response:
    """The published feedback summary: counts, then every comment with decision and reasoning."""
    summary = summaries_service.get_summary(session=session, draft=draft)
    paths = comment_paths(session, summary.comments)
    first_of_clause: dict[str, Comment] = {}
    for comment in summary.comments:
        first_of_clause.setdefault(comment.clause_key or "", comment)
    by_clause = [(key, paths.get(first_of_clause[key].id) if key else None, count)
                 for key, count in summary.by_clause.items()]
    return render(request, "drafts/summary.html", {
        "info": views.overview(session=session, draft=draft), "draft": draft,
        "summary": summary, "paths": paths, "by_clause": by_clause,
    })
