"""State bodies."""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, OrganizationNotFound, SlugTaken
from app.models import Organization, User
from app.services import audit as audit_service

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def create_organization(
    *, session: Session, slug: str, name_ru: str, name_ky: str, name_en: str | None = None,
    actor: User | None = None,
) -> Organization:
    """Register a state body under a URL-safe slug."""
    if not SLUG_RE.match(slug):
        raise InvalidInput("The identifier may contain only lower-case Latin letters, digits "
                           "and hyphens.")
    if not name_ru.strip() or not name_ky.strip():
        raise InvalidInput("The name is needed in Russian and in Kyrgyz.")
    if session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise SlugTaken()
    organization = Organization(slug=slug, name_ru=name_ru.strip(), name_ky=name_ky.strip(),
                                name_en=(name_en or "").strip() or None)
    session.add(organization)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="organization.created",
        entity_type="organization", entity_id=organization.id,
        after={"slug": slug, "name_ru": name_ru, "name_ky": name_ky, "name_en": name_en},
    )
    return organization


def list_organizations(*, session: Session) -> list[Organization]:
    """Every state body, by slug."""
    return list(session.scalars(select(Organization).order_by(Organization.slug)))


def get_by_slug(*, session: Session, slug: str) -> Organization:
    """The state body with ``slug`` or OrganizationNotFound."""
    organization = session.scalar(select(Organization).where(Organization.slug == slug))
    if organization is None:
        raise OrganizationNotFound()
    return organization
