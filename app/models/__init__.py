"""All models, imported here so that metadata (and Alembic) sees every table."""

from app.models.audit import AuditEntry
from app.models.comment import Comment, CommentStatus, Decision, Response
from app.models.consultation import Consultation, ConsultationExtension
from app.models.draft import Clause, Draft, DraftOutcome, DraftStatus, Version
from app.models.organization import Organization
from app.models.policy import ActPolicy
from app.models.ratelimit import RateLimitCounter, RateLimitPolicy
from app.models.summary import FeedbackSummary
from app.models.user import AuthToken, Role, TokenKind, User

__all__ = [
    "ActPolicy", "AuditEntry", "AuthToken", "Clause", "Comment", "CommentStatus",
    "Consultation", "ConsultationExtension", "Decision", "Draft", "DraftOutcome",
    "DraftStatus", "FeedbackSummary", "Organization", "RateLimitCounter", "RateLimitPolicy",
    "Response", "Role", "TokenKind",
    "User", "Version",
]
