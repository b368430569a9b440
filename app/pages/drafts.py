"""The public pages of drafts: the list, one draft with its clauses and comments, its summary."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import clock, i18n, pagecache
from app.api.deps import DraftDep, IdPath
from app.db import DbSession, page_count, parse_id
from app.errors import ClauseNotFound, VersionNotFound
from app.models import Comment, Consultation, Draft, DraftStatus, Role, User, Version
from app.pages import placement as placement_view
from app.pages import redline as redline_view
from app.pages import views
from app.pages.deps import PageViewer
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import comparison as comparison_service
from app.services import drafts as drafts_service
from app.services import follows as follows_service
from app.services import organizations as organizations_service
from app.services import outcomes as outcomes_service
from app.services import summaries as summaries_service
from app.services import workspace as workspace_service
from app.templating import anchor, render

router = APIRouter()

PER_PAGE = 20
HTML = "text/html; charset=utf-8"


def staff_role(viewer: User | None, draft: Draft) -> Role | None:
    """The viewer's role if they are a drafter or moderator of the draft's own body."""
    if viewer is not None and comments_service.is_body_staff(viewer, draft):
        return viewer.role
    return None


def _page_number(raw: str | None) -> int:
    number = parse_id(raw)  # "²" is a digit to str.isdigit(), not to int()
    return number if number is not None and number <= 100_000 else 1


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
    pages = page_count(result.total, PER_PAGE)
    return render(request, "drafts/list.html", {
        "result": result, "pages": pages,
        "filters": {"organization": organization or "", "status": chosen_status or "",
                    "act_type": act_type or "", "q": q or ""},
        "organizations": organizations_service.list_organizations(session=session),
        "policies": {p.act_type: p for p in drafts_service.list_policies(session=session)},
        "statuses": list(DraftStatus),
        "days_left": views.days_left,
    })


# The draft page's own parameters and their values (None: any the route accepts), and the
# interface language: a page with any other is rendered for its visitor but not kept, so that
# made-up parameters cannot fill the cache.
DRAFT_PAGE_PARAMETERS = {"text": ("ru", "ky", "en"), "view": ("side-by-side",), "version": None,
                         "lang": i18n.LANGUAGES}


@router.get("/drafts/{draft_id}")
def draft_page(
    request: Request, draft_id: IdPath, session: DbSession, viewer: PageViewer,
    text: Annotated[str | None, Query(max_length=8)] = None,
    view: Annotated[str | None, Query(max_length=16)] = None,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    """A draft: its facts, period, versions, table of contents, clause tree, and beside each
    clause its latest comments with a link to all of them.

    ``?version=N`` shows an earlier version to read; ``?view=side-by-side`` shows the Kyrgyz
    and Russian texts in two aligned columns.  What anonymous visitors see is kept per process
    (app/pagecache.py) until anything changes.
    """
    def render_page() -> tuple[Response, datetime | None]:
        # The draft is loaded here, after the cache has read its stamp (never before it).
        draft = drafts_service.get_draft(session=session, draft_id=draft_id)
        return _draft_page(request, session, viewer, draft, text=text, view=view,
                           version=version)

    if (viewer is None and pagecache.anonymous(request)
            and pagecache.cacheable_query(request, DRAFT_PAGE_PARAMETERS)):
        def for_cache() -> pagecache.Rendered:
            response, valid_until = render_page()
            return pagecache.Rendered(body=bytes(response.body), media_type=HTML,
                                      valid_until=valid_until)
        entry = pagecache.lookup_draft(request, session=session, draft_id=draft_id,
                                       render=for_cache)
        return pagecache.respond(request, entry)
    response, _valid_until = render_page()
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = pagecache.VARY
    return response


def _shown_version(session: DbSession, draft: Draft, info: views.DraftOverview,
                   version: int | None) -> Version:
    return info.version if version in (None, info.version.number) else (
        drafts_service.get_version(session=session, draft=draft, number=version))


def _draft_page(request: Request, session: DbSession, viewer: User | None, draft: Draft, *,
                text: str | None, view: str | None,
                version: int | None) -> tuple[Response, datetime | None]:
    """The page, and the moment the clock alone will change it (the period opens, closes or
    has a day less left)."""
    # The clock before anything is read: a boundary passed while rendering ends validity at once.
    started = clock.now()
    info = views.overview(session=session, draft=draft)
    versions = comparison_service.list_versions(session=session, draft=draft)
    shown = _shown_version(session, draft, info, version)
    language = views.text_language(shown, text)
    placement = placement_view.place_comments(
        session=session, draft=draft,
        comments=placement_view.comment_refs(session=session, draft=draft),
        version=shown, versions=versions)
    bounded = placement_view.shown_comments(session=session, placement=placement)
    forms = comments_service.comment_forms(viewer=viewer, draft=draft,
                                           consultation=info.consultation, version=shown)
    tree = views.clause_tree(
        clauses=drafts_service.get_clauses(session=session, version=shown),
        language=language, comments=bounded.by_key, consultation=info.consultation,
        open_now=forms.on_clauses)
    bilingual = view == "side-by-side" and all(
        code in shown.languages for code in views.BILINGUAL)
    role = staff_role(viewer, draft)
    is_current = shown.number == draft.current_version
    response = render(request, "drafts/detail.html", {
        "info": info, "draft": draft, "tree": tree, "text_lang": language,
        "shown": shown, "versions": versions, "is_current": is_current,
        "forms": forms,
        "consulted_version": next((v.number for v in versions
                                   if v.id == forms.round_version_id), None),
        "bilingual_rows": views.parallel_rows(tree) if bilingual else None,
        "general_comments": bounded.by_key.get(None, views.NO_COMMENTS),
        "placement": placement, "removed": bounded.removed,
        # Where "all comments" of a clause are listed: with the version, unless the current.
        "list_version": None if is_current else shown.number,
        "visibility": comments_service.visibility(session=session, viewer=viewer, draft=draft),
        # Supporters, files, campaign groups and redlines of the comments shown, in a few
        # queries.
        "comment_details": details_service.load(session=session, comments=bounded.comments,
                                                viewer=viewer, draft_id=draft.id),
        # An earlier version is for reading: no forms at all, moderation included.
        "staff_role": None if forms.read_only else role, "workspace_link": role is Role.DRAFTER,
        "following": follows_service.is_following(session=session, user=viewer, draft=draft),
        "outcome": outcomes_service.get_record(session=session, draft=draft),
    })
    return response, views.changes_at(info.consultation, started)


@router.get("/drafts/{draft_id}/comments")
def comment_list(
    request: Request, draft: DraftDep, session: DbSession, viewer: PageViewer,
    clause_key: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    page: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Every comment the draft page shows beside one clause of a version (without
    ``clause_key``: on the draft as a whole), oldest first, page by page."""
    info = views.overview(session=session, draft=draft)
    versions = comparison_service.list_versions(session=session, draft=draft)
    shown = _shown_version(session, draft, info, version)
    clause = None
    if clause_key:
        clause = workspace_service.clause_index(
            session=session, version_ids=[shown.id], keys=[clause_key]).context(shown.id,
                                                                                clause_key)
        if clause is None:
            raise ClauseNotFound(key=clause_key)
    placement = placement_view.place_comments(
        session=session, draft=draft,
        comments=placement_view.comment_refs(session=session, draft=draft),
        version=shown, versions=versions)
    refs = placement.by_key.get(clause_key or None, [])
    per_page = placement_view.LISTED_PER_PAGE
    pages = page_count(len(refs), per_page)
    number = min(_page_number(page), pages)
    picked = refs[(number - 1) * per_page:number * per_page]
    loaded = placement_view.load_comments(session=session, ids=[r.id for r in picked])
    comments = [loaded[r.id] for r in picked]
    forms = comments_service.comment_forms(viewer=viewer, draft=draft,
                                           consultation=info.consultation, version=shown)
    is_current = shown.number == draft.current_version
    return render(request, "drafts/comments.html", {
        "info": info, "draft": draft, "shown": shown, "is_current": is_current,
        "clause": clause, "citation": views.citation(clause.path) if clause else [],
        "text_lang": views.text_language(shown, None), "comments": comments,
        "published": placement_view.published_count(refs), "page": number, "pages": pages,
        "back": f"/drafts/{draft.id}" + ("" if is_current else f"?version={shown.number}")
                + (f"#{anchor(clause_key)}" if clause_key else "#general-comments"),
        "placement": placement,
        "visibility": comments_service.visibility(session=session, viewer=viewer, draft=draft),
        "comment_details": details_service.load(session=session, comments=comments,
                                                viewer=viewer, draft_id=draft.id),
        "staff_role": None if forms.read_only else staff_role(viewer, draft),
    })


@router.get("/drafts/{draft_id}/diff")
def redline_page(
    request: Request, draft: DraftDep, session: DbSession,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=100_000)] = None,
    to: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    view: Annotated[str | None, Query(pattern="^(inline|side-by-side)$")] = None,
    text: Annotated[str | None, Query(pattern="^(ru|ky)$")] = None,
) -> Response:
    """What changed between two versions (the previous and the current by default)."""
    versions = comparison_service.list_versions(session=session, draft=draft)
    by_number = {v.number: v for v in versions}
    to = to or draft.current_version
    from_ = from_ or max(1, to - 1)
    if from_ not in by_number or to not in by_number:
        raise VersionNotFound()
    old, new = by_number[from_], by_number[to]
    shared = comparison_service.shared_languages(old, new)
    language, diff = comparison_service.compare_versions(
        session=session, old=old, new=new, language=text or views.preferred_language(shared))
    low, high = sorted((old.number, new.number))
    # Of the draft's facts this page shows only its status: no need for the whole overview.
    (state,) = drafts_service.load_states(session=session, drafts=[draft])
    return render(request, "drafts/diff.html", {
        "status": state.status(), "draft": draft,
        "versions": versions, "old": old, "new": new,
        "text_lang": language, "languages": shared, "view": view or "inline",
        "redline": redline_view.redline(diff),
        "notes": [v for v in versions if low < v.number <= high],
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
def summary_page(request: Request, draft: DraftDep, session: DbSession,
                 revision: Annotated[int | None, Query(ge=1, le=10_000)] = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The published feedback summary: counts, then every comment with decision and reasoning,
    100 a page (the files carry them all)."""
    summary = summaries_service.get_summary(session=session, draft=draft, revision=revision,
                                            page=page)
    paths = comment_paths(session, summary.comments)
    consultation = session.get(Consultation, summary.summary.consultation_id)
    index = workspace_service.clause_index(
        session=session, version_ids=[consultation.version_id] if consultation else [],
        keys=[key for key in summary.by_clause if key])
    by_clause = []
    for key, count in summary.by_clause.items():
        context = index.context(consultation.version_id, key) if key and consultation else None
        by_clause.append((key, views.citation(context.path) if context else None, count))
    return render(request, "drafts/summary.html", {
        "info": views.overview(session=session, draft=draft), "draft": draft,
        "summary": summary, "paths": paths, "by_clause": by_clause,
        "change_links": summaries_service.change_links(session=session, draft=draft,
                                                       rows=summary.rows),
    })
