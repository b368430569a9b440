from fastapi import APIRouter

from app.api import presenters
from app.db import DbSession
from app.schemas.organization import OrganizationRead
from app.services import organizations as organizations_service

router = APIRouter(tags=["organizations"])


@router.get("/organizations", response_model=list[OrganizationRead])
def list_organizations(session: DbSession) -> list[OrganizationRead]:
    """Every state body."""
    return [presenters.organization(o)
            for o in organizations_service.list_organizations(session=session)]
