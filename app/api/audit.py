from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from app.api.deps import require_role
from app.db import DbSession
from app.models import AuditEntry, Role, User
from app.schemas.common import LocalTime, ReadModel

router = APIRouter(tags=["audit"])


class AuditEntryRead(ReadModel):
    id: int
    occurred_at: LocalTime
    actor_id: int | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    page: int
    per_page: int


@router.get("/audit", response_model=AuditPage)
def list_audit(
    session: DbSession,
    _user: Annotated[User, Depends(require_role(Role.MONITOR, Role.ADMIN))],
    action: Annotated[str | None, Query(max_length=64)] = None,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """The audit log, newest first."""
    conditions = [column == value for column, value in (
        (AuditEntry.action, action), (AuditEntry.entity_type, entity_type),
        (AuditEntry.entity_id, entity_id)) if value]
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = session.scalars(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return AuditPage(items=[AuditEntryRead.model_validate(r) for r in rows], total=total,
                     page=page, per_page=per_page)
