"""Domain errors with a status and a machine code, rendered once (JSON or an error page).

``message`` is the English source text of a translatable sentence; it is translated into the
user's language when the error is rendered, with ``params`` filled in.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from pydantic import ValidationError

from app.i18n import gettext_


class TalkuuError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "The request cannot be processed."

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None,
                 **params: Any) -> None:
        self.text = message or self.message
        self.params = params
        self.extra = extra or {}
        super().__init__(self.text.format(**params) if params else self.text)

    def detail(self) -> str:
        """The sentence in the current request's language."""
        return gettext_(self.text, **self.params)

    def payload(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail(), **self.extra}


class BadRequest(TalkuuError):
    status_code = 400
    code = "bad_request"


class InvalidInput(TalkuuError):
    status_code = 422
    code = "invalid_input"
    message = "The data sent is not valid."


class FieldsToCheck(InvalidInput):
    """Fields that failed validation, named once each, in order, also as a list ("fields")."""

    message = "Please check the fields: {fields}."

    def __init__(self, names: Iterable[str]) -> None:
        fields = sorted(set(names))
        super().__init__(fields=", ".join(fields), extra={"fields": fields})

    @classmethod
    def of(cls, error: ValidationError) -> "FieldsToCheck":
        """From a model's validation error: the top-level fields it names."""
        return cls(str(e["loc"][0]) for e in error.errors() if e["loc"])


class NotAuthenticated(TalkuuError):
    status_code = 401
    code = "not_authenticated"
    message = "Please sign in first."


class InvalidCredentials(TalkuuError):
    status_code = 401
    code = "invalid_credentials"
    message = "The email or password is not correct."


class Forbidden(TalkuuError):
    status_code = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class CsrfFailed(TalkuuError):
    status_code = 403
    code = "csrf_failed"
    message = "The form has expired or was not sent from this site. Please reload the page and try again."


class NotFound(TalkuuError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class DraftNotFound(NotFound):
    code = "draft_not_found"
    message = "There is no such draft."


class CommentNotFound(NotFound):
    code = "comment_not_found"
    message = "There is no such comment."


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    message = "There is no such state body."


class VersionNotFound(NotFound):
    code = "version_not_found"
    message = "There is no such version of this draft."


class ClauseNotFound(NotFound):
    code = "clause_not_found"
    message = "The draft has no clause with the key {key}."


class Conflict(TalkuuError):
    status_code = 409
    code = "conflict"


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "A state body with this identifier already exists."


class ConsultationClosed(Conflict):
    code = "consultation_closed"
    message = "The comment period of this draft is not open."


class ConsultationAlreadyOpen(Conflict):
    code = "consultation_exists"
    message = "This draft already has a comment period for its current version."


class ConsultationOpen(Conflict):
    code = "consultation_open"
    message = "The comment period is still open; the summary can be published after it closes."


class NoConsultation(Conflict):
    code = "no_consultation"
    message = "This draft has no comment period."


class ClauseNotOpen(Conflict):
    code = "clause_not_open"
    message = "This clause is not open for comments in the current round."


class ExtensionNotAllowed(Conflict):
    code = "extension_not_allowed"
    message = "The period can only be extended while it has not ended, and only to a later date."


class UnansweredComments(Conflict):
    code = "unanswered_comments"
    message = "Every comment must be answered before the summary is published ({count} unanswered)."


class SummaryPublished(Conflict):
    code = "summary_published"
    message = "The feedback summary is already published; it can no longer be changed."


class SummaryNotPublished(NotFound):
    code = "summary_not_published"
    message = "The feedback summary of this draft has not been published yet."


class SummaryTooLargeForPdf(TalkuuError):
    status_code = 422
    code = "summary_too_large_for_pdf"
    message = ("This summary answers {n} comments; a PDF is made for at most {limit}. Download "
               "the Word (.docx) or CSV file: they hold every comment.")


class CommentNotAnswerable(Conflict):
    code = "comment_not_answerable"
    message = "This comment cannot be answered (it was hidden or withdrawn)."


class PeriodTooShort(TalkuuError):
    status_code = 422
    code = "period_too_short"
    message = ("The comment period must last at least {days} days for this type of act, "
               "unless an urgent procedure is justified.")


class NulCharacter(InvalidInput):
    code = "nul_character"
    message = ("The text contains a NUL character (U+0000), which cannot be stored. "
               "Please remove it and try again.")


class UnpairedSurrogate(InvalidInput):
    code = "invalid_character"
    message = ("The text contains a character that is not valid Unicode (half of a surrogate "
               "pair), which cannot be stored. Please remove it and try again.")


class PayloadTooLarge(TalkuuError):
    status_code = 413
    code = "payload_too_large"
    message = "The upload is too large."


class RateLimited(TalkuuError):
    status_code = 429
    code = "rate_limited"
    message = "Too many attempts. Please wait {seconds} seconds and try again."

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(seconds=retry_after, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class EmailNotVerified(TalkuuError):
    status_code = 403
    code = "email_not_verified"
    message = "Please confirm your email address first: open the link we sent you."


class InvalidLink(TalkuuError):
    status_code = 400
    code = "invalid_link"
    message = "This link is not valid any more: it was already used or has expired."


class HoneypotFilled(TalkuuError):
    status_code = 422
    code = "form_rejected"
    message = "The form could not be accepted. Please try again."


class OutcomeDecided(Conflict):
    code = "outcome_decided"
    message = "This draft has already been marked adopted or withdrawn."


class DatabaseUnavailable(TalkuuError):
    """The database cannot be reached (restarting, failing over, out of connections)."""

    status_code = 503
    code = "database_unavailable"
    message = "The service is briefly unavailable. Please try again in a minute."
