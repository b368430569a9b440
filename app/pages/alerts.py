"""Email alerts in the browser: /alerts (the form), /alerts/confirm, /alerts/unsubscribe.

Unsubscribing answers RFC 8058: a mail program POSTs ``List-Unsubscribe=One-Click`` to the
link of the List-Unsubscribe header, without any cookie, so that POST is authorised by the
link's token alone (a CSRF token would add nothing to a secret only the inbox holds).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.api.ratelimits import raise_if_limited
from app.api.ratelimits import PageSubscribeLimit
from app.db import DbSession
from app.errors import TalkuuError
from app.i18n import current_language
from app.models import AlertEvent, AlertFrequency
from app.pages.deps import PageForm, attempt, check_honeypot, field, redirect, require_csrf
from app.services import alerts as alerts_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from app.templating import render

router = APIRouter()
Token = Annotated[str, Query(max_length=200)]


def _form(request: Request, session: DbSession, values: dict[str, object], *,
          error: TalkuuError | None = None, sent: bool = False) -> Response:
    return render(request, "alerts/form.html", {
        "values": values, "error": error.detail() if error else None, "sent": sent,
        "organizations": organizations_service.list_organizations(session=session),
        "policies": drafts_service.list_policies(session=session),
        "events": list(AlertEvent), "frequencies": list(AlertFrequency),
        "page_path": "/alerts",
    }, status_code=error.status_code if error else 200)


@router.get("/alerts")
def alerts_form(request: Request, session: DbSession,
                sent: Annotated[str | None, Query(max_length=1)] = None,
                organization: Annotated[str | None, Query(max_length=64)] = None,
                act_type: Annotated[str | None, Query(max_length=40)] = None,
                q: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """The subscription form, prefilled from the filters of the page it was opened from."""
    return _form(request, session, {
        "organization": organization or "", "act_type": act_type or "", "keywords": q or "",
        "frequency": AlertFrequency.IMMEDIATE.value,
        "events": [e.value for e in AlertEvent]}, sent=sent == "1")


@router.post("/alerts", dependencies=[PageSubscribeLimit, Depends(require_csrf)])
def alerts_subscribe(request: Request, session: DbSession, form: PageForm) -> Response:
    """Record the subscription, email the confirmation link, say so."""
    values: dict[str, object] = {name: field(form, name) for name in
                                 ("email", "organization", "act_type", "keywords", "frequency")}
    values["events"] = [v for v in form.getlist("events") if v in set(AlertEvent)]
    try:
        raise_if_limited(request)
        check_honeypot(form)
        frequency = str(values["frequency"])
        with attempt(session):
            alerts_service.subscribe(
                session=session, email=str(values["email"]),
                alert_filter=alerts_service.AlertFilter(
                    organization=str(values["organization"]), act_type=str(values["act_type"]),
                    keywords=str(values["keywords"])),
                frequency=(AlertFrequency(frequency) if frequency in set(AlertFrequency)
                           else AlertFrequency.IMMEDIATE),
                events=[AlertEvent(v) for v in values["events"]],  # type: ignore[attr-defined]
                language=current_language.get())
    except TalkuuError as error:
        return _form(request, session, values, error=error)
    return redirect("/alerts?sent=1")


def _token_page(request: Request, template: str, token: str, **context: object) -> Response:
    return render(request, template, {"token": token, **context})


@router.get("/alerts/confirm")
def confirm_page(request: Request, session: DbSession, token: Token) -> Response:
    """Confirming takes a press of the button: a link scanner opening the link confirms
    nothing."""
    subscription = alerts_service.by_token(session=session, token=token, purpose="confirm")
    return _token_page(request, "alerts/confirm.html", token, subscription=subscription,
                       filter=alerts_service.describe(subscription), done=False)


@router.post("/alerts/confirm", dependencies=[Depends(require_csrf)])
def confirm(request: Request, session: DbSession, form: PageForm) -> Response:
    """Confirm the subscription."""
    token = field(form, "token")
    subscription = alerts_service.confirm(session=session, token=token)
    return _token_page(request, "alerts/confirm.html", token, subscription=subscription,
                       filter=alerts_service.describe(subscription), done=True,
                       unsubscribe=alerts_service.unsubscribe_url(subscription))


@router.get("/alerts/unsubscribe")
def unsubscribe_page(request: Request, session: DbSession, token: Token) -> Response:
    """Asks before unsubscribing (a GET changes nothing)."""
    subscription = alerts_service.by_token(session=session, token=token, purpose="unsubscribe")
    return _token_page(request, "alerts/unsubscribe.html", token, subscription=subscription,
                       filter=alerts_service.describe(subscription),
                       done=subscription.unsubscribed_at is not None)


@router.post("/alerts/unsubscribe")
def unsubscribe(request: Request, session: DbSession, form: PageForm,
                token: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """One click: the token in the link (RFC 8058) or in the page's form."""
    value = token or field(form, "token")
    subscription = alerts_service.unsubscribe(session=session, token=value)
    return _token_page(request, "alerts/unsubscribe.html", value, subscription=subscription,
                       filter=alerts_service.describe(subscription), done=True)
