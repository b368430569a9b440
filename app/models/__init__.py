"""All models, imported here so that metadata (and Alembic) sees every table."""

from app.models.answer_template import AnswerTemplate
from app.models.audit import AuditEntry
from app.models.comment import (
    Comment, CommentAttachment, CommentFlag, CommentGroup, CommentSketch, CommentStatus,
    CommentSupport, Decision, FlagResolution, Response,
)
from app.models.consultation import Consultation, ConsultationExtension
from app.models.draft import Clause, Draft, DraftOutcome, DraftStatus, Version
from app.models.follow import DraftFollow
from app.models.monitoring import ComplianceDigest, MonitorFlag, MonitorNote, OutcomeRecord
from app.models.organization import Organization
from app.models.outbox import OutboxMessage, OutboxStatus
from app.models.policy import ActPolicy
from app.models.ratelimit import RateLimitCounter, RateLimitPolicy
from app.models.staged_import import StagedImport, StagedImportKind
from app.models.subscription import (
    AlertDelivery, AlertEvent, AlertFrequency, AlertSubscription,
)
from app.models.summary import FeedbackSummary, SummaryEntry
from app.models.user import AccountToken, AccountTokenPurpose, AuthToken, Role, TokenKind, User

__all__ = [
    "AlertDelivery", "AlertEvent", "AlertFrequency", "AlertSubscription",
    "AccountToken", "AccountTokenPurpose", "AnswerTemplate", "SummaryEntry", "ComplianceDigest", "MonitorFlag", "MonitorNote",
    "OutcomeRecord", "ActPolicy", "AuditEntry", "AuthToken", "Clause",
    "Comment", "CommentAttachment", "CommentFlag", "CommentGroup", "CommentSketch",
    "CommentStatus", "CommentSupport", "Consultation", "ConsultationExtension", "Decision",
    "Draft", "DraftFollow", "DraftOutcome", "DraftStatus", "FeedbackSummary", "FlagResolution",
    "Organization", "OutboxMessage", "OutboxStatus", "RateLimitCounter", "RateLimitPolicy",
    "Response", "Role", "StagedImport", "StagedImportKind", "TokenKind", "User", "Version",
]
