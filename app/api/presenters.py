"""ORM objects and service results turned into the API's schemas."""

from app.config import get_settings
from app.models import (
    Comment, CommentAttachment, CommentFlag, CommentStatus, Consultation, ConsultationExtension,
)
from app.schemas.comment import (
    AttachmentRead, CommentRead, FlagRead, GroupRead, ResponseRead,
)
from app.schemas.common import Multilingual
from app.schemas.draft import ConsultationRead, DraftRead, DraftStats, ExtensionRead
from app.schemas.organization import OrganizationRead
from app.services import comment_details as details_service
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services.drafts import DraftState

from app import clock


def organization(org) -> OrganizationRead:  # noqa: ANN001
    return OrganizationRead(slug=org.slug, name=Multilingual(**org.name))


def consultation(round_: Consultation, *, version: int, summary_due_days: int,
                 extensions: list[ConsultationExtension] | None = None) -> ConsultationRead:
    return ConsultationRead(
        round=round_.round, version=version, opens_at=round_.opens_at,
        closes_at=round_.closes_at, original_closes_at=round_.original_closes_at,
        is_open=round_.is_open(clock.now()), urgent_reason=round_.urgent_reason,
        clause_keys=round_.clause_keys,
        summary_due_on=consultations_service.summary_due_on(
            consultation=round_, summary_due_days=summary_due_days),
        extensions=[ExtensionRead.model_validate(e) for e in extensions or []],
    )


def draft(state: DraftState, *, consultation_read: ConsultationRead | None = None,
          languages: list[str] | None = None) -> DraftRead:
    d = state.draft
    return DraftRead(
        id=d.id, title=Multilingual(**d.title), summary=Multilingual(**d.summary),
        organization=organization(d.organization), act_type=d.act_type,
        status=state.status().value, current_version=d.current_version,
        languages=languages or [], created_at=d.created_at, consultation=consultation_read,
        stats=DraftStats(comments=state.comments, answered=state.answered),
        url=f"{get_settings().base_url}/drafts/{d.id}",
    )


def attachment(item: CommentAttachment) -> AttachmentRead:
    return AttachmentRead(id=item.id, filename=item.filename, content_type=item.content_type,
                          size=item.size, sha256=item.sha256,
                          url=f"{get_settings().base_url}/api/v1/attachments/{item.id}")


def comment(item: Comment, visibility: comments_service.Visibility,
            details: details_service.CommentDetails | None = None) -> CommentRead:
    hidden = item.status is CommentStatus.HIDDEN
    response = item.response if visibility.answer_visible(item) else None
    group = details.group(item) if details else None
    return CommentRead(
        id=item.id, receipt=item.receipt, draft_id=item.draft_id, version=item.version_number,
        clause_key=item.clause_key, status=item.status.value,
        # A hidden comment shows only why it was hidden; the record itself stays intact.
        body=None if hidden else item.body,
        proposed_wording=None if hidden else item.proposed_wording,
        quote=None if hidden else item.quote,
        on_behalf_of=None if hidden else item.on_behalf_of,
        author=None if hidden else item.author.name,
        hidden_reason=item.hidden_reason if hidden else None,
        withdrawn_reason=item.withdrawn_reason, withdrawn_at=item.withdrawn_at,
        created_at=item.created_at, answered=item.response is not None,
        response=ResponseRead(decision=response.decision, reasoning=response.reasoning,
                              answered_at=response.updated_at) if response else None,
        supporters=details.supporters.get(item.id, 0) if details else 0,
        group=GroupRead(id=group.id, size=group.size, representative_id=group.representative_id)
        if group else None,
        attachments=[] if hidden or not details
        else [attachment(a) for a in details.attachments.get(item.id, [])],
    )


def flag(item: CommentFlag) -> FlagRead:
    return FlagRead(id=item.id, comment_id=item.comment_id, reason=item.reason,
                    created_at=item.created_at,
                    resolution=item.resolution.value if item.resolution else None,
                    resolved_at=item.resolved_at)
