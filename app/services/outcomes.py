"""How a draft ends: adopted as an act (with its reference) or withdrawn (with a reason).

Adoption is allowed whatever happened before it: the Ministry must be able to see a draft
adopted without a consultation or without a summary, so the rule is watched (services/
compliance.py), not enforced here.
"""

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidInput, OutcomeDecided
from app.models import Draft, DraftOutcome, OutcomeRecord, User
from app.services import audit as audit_service

MAX_REFERENCE_CHARS = 500
MAX_URL_CHARS = 1000
MAX_REASON_CHARS = 5000


def get_record(*, session: Session, draft: Draft) -> OutcomeRecord | None:
    """What was said when the draft was adopted or withdrawn, if it was."""
    return session.get(OutcomeRecord, draft.id)


def _clean_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > MAX_URL_CHARS:
        raise InvalidInput("The link to the act must be a web address starting with https://.")
    return value


def decide(*, session: Session, actor: User, draft: Draft, outcome: DraftOutcome,
           act_reference: str | None = None, act_url: str | None = None,
           reason: str | None = None) -> OutcomeRecord:
    """Mark ``draft`` adopted (with the act's reference or link) or withdrawn (with a reason)."""
    if draft.outcome is not DraftOutcome.PENDING:
        raise OutcomeDecided()
    act_reference = (act_reference or "").strip() or None
    reason = (reason or "").strip() or None
    if outcome is DraftOutcome.ADOPTED:
        url = _clean_url(act_url)
        if act_reference is None and url is None:
            raise InvalidInput("Please give the reference of the adopted act or a link to it.")
        if act_reference and len(act_reference) > MAX_REFERENCE_CHARS:
            raise InvalidInput("The reference of the act is too long.")
        record = OutcomeRecord(draft_id=draft.id, outcome=outcome, act_reference=act_reference,
                               act_url=url, decided_at=clock.now(), decided_by_id=actor.id)
    elif outcome is DraftOutcome.WITHDRAWN:
        if reason is None:
            raise InvalidInput("Please give the reason for withdrawing the draft.")
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidInput("The reason is too long.")
        record = OutcomeRecord(draft_id=draft.id, outcome=outcome, reason=reason,
                               decided_at=clock.now(), decided_by_id=actor.id)
    else:
        raise InvalidInput("The outcome is either adopted or withdrawn.")
    draft.outcome = outcome
    session.add(record)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action=f"draft.{outcome.value}", entity_type="draft",
        entity_id=draft.id, before={"outcome": DraftOutcome.PENDING},
        after=audit_service.snapshot(record, "outcome", "act_reference", "act_url", "reason",
                                     "decided_at"))
    return record
