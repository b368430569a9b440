"""Email alerts through the API: POST /api/v1/subscriptions, then confirm and unsubscribe with
the tokens of the links emailed. No account is needed; the address proves itself."""


from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.ratelimits import SubscribeLimit
from app.db import DbSession
from app.i18n import current_language, gettext_
from app.models import AlertEvent, AlertFrequency
from app.services import alerts as alerts_service

router = APIRouter(prefix="/subscriptions", tags=["alerts"])


class SubscriptionCreate(BaseModel):
    email: str = Field(max_length=254)
    organization: str | None = Field(default=None, max_length=64)
    act_type: str | None = Field(default=None, max_length=40)
    keywords: str | None = Field(default=None, max_length=300)
    frequency: AlertFrequency = AlertFrequency.IMMEDIATE
    events: list[AlertEvent] | None = None


class SubscriptionToken(BaseModel):
    token: str = Field(max_length=200)


class SubscriptionStatus(BaseModel):
    status: str
    detail: str


@router.post("", status_code=202, response_model=SubscriptionStatus,
             dependencies=[SubscribeLimit])
def subscribe(payload: SubscriptionCreate, session: DbSession) -> SubscriptionStatus:
    """Ask for alerts; nothing is sent until the emailed link is confirmed."""
    alerts_service.subscribe(
        session=session, email=payload.email,
        alert_filter=alerts_service.AlertFilter(organization=payload.organization,
                                                act_type=payload.act_type,
                                                keywords=payload.keywords),
        frequency=payload.frequency, events=payload.events, language=current_language.get())
    return SubscriptionStatus(status="pending_confirmation", detail=gettext_(
        "We have emailed a link to confirm the alert. Nothing is sent until it is opened."))


@router.post("/confirm", response_model=SubscriptionStatus)
def confirm(payload: SubscriptionToken, session: DbSession) -> SubscriptionStatus:
    """Confirm with the token of the emailed link."""
    alerts_service.confirm(session=session, token=payload.token)
    return SubscriptionStatus(status="confirmed", detail=gettext_("The alert is confirmed."))


@router.post("/unsubscribe", response_model=SubscriptionStatus)
def unsubscribe(payload: SubscriptionToken, session: DbSession) -> SubscriptionStatus:
    """Stop the alerts, with the token of the unsubscribe link."""
    alerts_service.unsubscribe(session=session, token=payload.token)
    return SubscriptionStatus(status="unsubscribed",
                              detail=gettext_("You will receive no more of these alerts."))
