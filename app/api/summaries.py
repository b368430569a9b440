from fastapi import APIRouter
from fastapi.responses import Response

from app.api.deps import DraftDep, DrafterOfDraft
from app.db import DbSession
from app.models import Consultation
from app.schemas.summary import SummaryComment, SummaryRead, SummaryStats
from app.services import summaries as summaries_service
from app.services.summaries import SummaryView

router = APIRouter(tags=["summaries"])


def summary_read(view: SummaryView, round_: int) -> SummaryRead:
    comments = []
    for comment in view.comments:
        assert comment.response is not None
        comments.append(SummaryComment(
            id=comment.id, receipt=comment.receipt, clause_key=comment.clause_key,
            version=comment.version_number, author=comment.author.name,
            on_behalf_of=comment.on_behalf_of, body=comment.body,
            proposed_wording=comment.proposed_wording,
            decision=comment.response.decision.value, reasoning=comment.response.reasoning))
    return SummaryRead(
        draft_id=view.summary.draft_id, round=round_, revision=view.summary.revision,
        published_at=view.summary.published_at, comments=comments,
        stats=SummaryStats(comments=len(comments), hidden=view.hidden,
                           by_decision=view.by_decision, by_clause=view.by_clause))


def _round(session: DbSession, view: SummaryView) -> int:
    consultation = session.get(Consultation, view.summary.consultation_id)
    return consultation.round if consultation else 1


@router.post("/drafts/{draft_id}/summary", status_code=201, response_model=SummaryRead)
def publish_summary(draft: DraftDep, user: DrafterOfDraft, session: DbSession) -> SummaryRead:
    """Publish the feedback summary of the latest round."""
    summaries_service.publish_summary(session=session, actor=user, draft=draft)
    view = summaries_service.get_summary(session=session, draft=draft)
    return summary_read(view, _round(session, view))


@router.get("/drafts/{draft_id}/summary", response_model=SummaryRead)
def get_summary(draft: DraftDep, session: DbSession) -> SummaryRead:
    """The published feedback summary: every comment with its decision and reasoning."""
    view = summaries_service.get_summary(session=session, draft=draft)
    return summary_read(view, _round(session, view))


@router.get("/drafts/{draft_id}/summary.csv", response_class=Response)
def get_summary_csv(draft: DraftDep, session: DbSession) -> Response:
    """The summary as CSV (UTF-8 with BOM, for Excel)."""
    view = summaries_service.get_summary(session=session, draft=draft)
    return Response(
        summaries_service.summary_csv(view), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="summary-{draft.id}.csv"'})
