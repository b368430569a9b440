"""Reusable answers of a state body, written and used by its drafters."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidInput, NotFound
from app.models import AnswerTemplate, Decision, User
from app.services import audit as audit_service
from app.services.responses import clean_reasoning

MAX_TITLE_CHARS = 200


class TemplateNotFound(NotFound):
    code = "answer_template_not_found"
    message = "There is no such answer template."


def _organization_id(actor: User) -> int:
    if actor.organization_id is None:
        raise Forbidden("Your account is not attached to a state body.")
    return actor.organization_id


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("Please give the template a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput("The title is too long ({n} characters at most).", n=MAX_TITLE_CHARS)
    return title


def list_templates(*, session: Session, organization_id: int) -> list[AnswerTemplate]:
    """The body's templates, by title."""
    return list(session.scalars(
        select(AnswerTemplate).where(AnswerTemplate.organization_id == organization_id)
        .order_by(AnswerTemplate.title, AnswerTemplate.id)))


def get_template(*, session: Session, actor: User, template_id: int) -> AnswerTemplate:
    """A template of the actor's own body; another body's is as good as missing (404)."""
    template = session.get(AnswerTemplate, template_id)
    if template is None or template.organization_id != _organization_id(actor):
        raise TemplateNotFound()
    return template


def create_template(*, session: Session, actor: User, title: str, decision: Decision | None,
                    reasoning: str) -> AnswerTemplate:
    """A new template for every drafter of the actor's body."""
    now = clock.now()
    template = AnswerTemplate(organization_id=_organization_id(actor), title=_clean_title(title),
                              decision=decision, reasoning=clean_reasoning(reasoning),
                              created_by_id=actor.id, created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    audit_service.record(session=session, actor=actor, action="answer_template.created",
                         entity_type="answer_template", entity_id=template.id,
                         after=audit_service.snapshot(template, "title", "decision",
                                                      "reasoning"))
    return template


def update_template(*, session: Session, actor: User, template: AnswerTemplate, title: str,
                    decision: Decision | None, reasoning: str) -> AnswerTemplate:
    """Change a template; answers already given with it keep their words."""
    before = audit_service.snapshot(template, "title", "decision", "reasoning")
    template.title = _clean_title(title)
    template.decision = decision
    template.reasoning = clean_reasoning(reasoning)
    template.updated_at = clock.now()
    session.flush()
    audit_service.record(session=session, actor=actor, action="answer_template.updated",
                         entity_type="answer_template", entity_id=template.id, before=before,
                         after=audit_service.snapshot(template, "title", "decision",
                                                      "reasoning"))
    return template


def delete_template(*, session: Session, actor: User, template: AnswerTemplate) -> None:
    """Remove a template (the answers given with it stay as they are)."""
    before = audit_service.snapshot(template, "title", "decision", "reasoning")
    session.delete(template)
    session.flush()
    audit_service.record(session=session, actor=actor, action="answer_template.deleted",
                         entity_type="answer_template", entity_id=template.id, before=before)


def apply_template(*, template: AnswerTemplate | None, decision: Decision | None,
                   reasoning: str | None) -> tuple[Decision, str]:
    """The decision and reasoning of an answer given with a template: what the drafter typed
    wins, the template fills what they left empty."""
    if template is not None:
        decision = decision or template.decision
        if not (reasoning or "").strip():
            reasoning = template.reasoning
    if decision is None:
        raise InvalidInput("Please choose a decision.")
    return decision, reasoning or ""
