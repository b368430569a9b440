"""The weekly digest of new violations, emailed to every monitor through the outbox.

``talkuu worker`` asks every hour; the digest of a week (Monday to Sunday, Bishkek) is due
from the Monday after it and is sent once: the week is written down in ``compliance_digest``
in the same transaction as the emails, so a second worker, or a second pass, sends nothing.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.config import get_settings
from app.i18n import gettext_, ngettext_, pick, use_language
from app.models import ComplianceDigest, Role, User
from app.services import audit as audit_service
from app.services import compliance as compliance_service
from app.services import outbox as outbox_service
from app.services.compliance import Violation, ViolationKind


def kind_label(kind: ViolationKind) -> str:
    # The same words as the pages' violation_label (web/templates/compliance/_macros.html).
    return {
        ViolationKind.PERIOD_TOO_SHORT: gettext_("Period shorter than the minimum"),
        ViolationKind.URGENT_PERIOD: gettext_("Urgent procedure (shorter period)"),
        ViolationKind.SUMMARY_OVERDUE: gettext_("Feedback summary overdue"),
        ViolationKind.SUMMARY_LATE: gettext_("Feedback summary published late"),
        ViolationKind.COMMENTS_UNANSWERED: gettext_("Comments unanswered after the deadline"),
        ViolationKind.ADOPTED_WITHOUT_CONSULTATION: gettext_(
            "Adopted without a public discussion"),
        ViolationKind.ADOPTED_WITHOUT_SUMMARY: gettext_("Adopted without a feedback summary"),
    }[kind]


def last_complete_week(today: date) -> date:
    """The Monday of the last week that has ended by ``today``."""
    return today - timedelta(days=today.weekday() + 7)


def _line(violation: Violation, base_url: str) -> str:
    if violation.kind in (ViolationKind.SUMMARY_OVERDUE, ViolationKind.SUMMARY_LATE):
        extra = ngettext_("{n} day", "{n} days", violation.days or 0)
    elif violation.kind is ViolationKind.COMMENTS_UNANSWERED:
        extra = ngettext_("{n} comment", "{n} comments", violation.count or 0)
    else:
        extra = ""
    extra = "(" + extra + ")" if extra else ""
    link = base_url + "/monitor/drafts/" + str(violation.draft_id)
    return gettext_("- {kind}: \"{title}\" {extra}\n  {link}", kind=kind_label(violation.kind),
                    title=pick(violation.title), extra=extra, link=link)


def compose(*, monitor: User, week_start: date, violations: list[Violation],
            names: dict[int, dict[str, str | None]]) -> tuple[str, str]:
    """The subject and text of the digest, in the monitor's language."""
    base_url = get_settings().base_url.rstrip("/")
    week_end = week_start + timedelta(days=6)
    dashboard = base_url + "/monitor"
    with use_language(monitor.language):
        by_body: dict[int, list[Violation]] = defaultdict(list)
        for violation in violations:
            by_body[violation.organization_id].append(violation)
        sections = []
        for organization_id, found in sorted(by_body.items(),
                                             key=lambda item: (-len(item[1]), item[0])):
            sections.append(pick(names.get(organization_id, {})) + "\n" + "\n".join(
                _line(v, base_url) for v in found))
        subject = gettext_("New violations, week of {start}: {n}",
                           start=week_start.isoformat(), n=len(violations))
        body = gettext_("Hello, {name}!\n\nNew violations of the rules of public discussion "
                        "from {start} to {end}: {n}.\n\n{sections}\n\nThe dashboard: {link}",
                        name=monitor.name, start=week_start.isoformat(),
                        end=week_end.isoformat(), n=len(violations),
                        sections="\n\n".join(sections), link=dashboard)
    return subject, body + "\n\n—\nTalkuu"


def send_due(*, session: Session) -> ComplianceDigest | None:
    """Send the digest of the last complete week unless it was sent; the caller commits."""
    week_start = last_complete_week(clock.now().date())
    if session.scalar(select(ComplianceDigest.id).where(
            ComplianceDigest.week_start == week_start)) is not None:
        return None
    week_end = week_start + timedelta(days=6)
    report = compliance_service.build_report(session=session)
    new = [v for v in report.violations if week_start <= v.since <= week_end
           and v.kind in compliance_service.COUNTED_KINDS]
    monitors = list(session.scalars(select(User).where(User.role == Role.MONITOR,
                                                       User.is_active).order_by(User.id)))
    digest = ComplianceDigest(week_start=week_start, violations=len(new),
                              recipients=len(monitors) if new else 0)
    try:
        with session.begin_nested():  # another worker may be writing the same week
            session.add(digest)
            session.flush()
    except IntegrityError:
        return None
    if new:
        names = {s.organization.id: s.organization.name for s in report.bodies
                 if s.organization is not None}
        for monitor in monitors:
            subject, body = compose(monitor=monitor, week_start=week_start, violations=new,
                                    names=names)
            outbox_service.enqueue(session=session, kind="compliance_digest",
                                   to=monitor.email, subject=subject, body=body)
    audit_service.record(session=session, actor=None, action="compliance.digest_sent",
                         entity_type="compliance_digest", entity_id=digest.id,
                         after={"week_start": week_start, "violations": len(new),
                                "recipients": digest.recipients})
    return digest
