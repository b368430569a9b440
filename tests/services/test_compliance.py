"""Compliance through whole lifecycles: the clock moves, violations appear and clear on the
right day (calendar days in Asia/Bishkek)."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import clock
from app.models import Decision, Draft, DraftOutcome, Role
from app.services import comments as comments_service
from app.services import compliance as compliance_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import outcomes as outcomes_service
from app.services import responses as responses_service
from app.services import summaries as summaries_service
from app.services.compliance import ViolationKind
from tests.conftest import bishkek

TEXT = "Статья 1. Общие положения\n\nНастоящий Закон регулирует отношения.\n"


@pytest.fixture
def people(make_org, make_user) -> dict[str, Any]:
    body = make_org("mineconom", "Министерство экономики", "Экономика министрлиги")
    return {"body": body, "drafter": make_user(Role.DRAFTER, body),
            "citizen": make_user(Role.CITIZEN)}


def _draft(db: Session, people: dict[str, Any], title: str = "О защите прав") -> Draft:
    clock.set_now(bishkek(2026, 11, 30, 9))
    draft, _ = drafts_service.create_draft(
        session=db, actor=people["drafter"], organization=people["body"], act_type="law",
        title={"ru": title}, summary=None, text=drafts_service.VersionText(ru=TEXT))
    db.commit()
    return draft


def _kinds(db: Session, draft: Draft) -> dict[ViolationKind, compliance_service.Violation]:
    report = compliance_service.build_report(session=db, draft_id=draft.id)
    return {v.kind: v for v in report.violations}


def _at(db: Session, moment: Any, draft: Draft) -> dict[ViolationKind, Any]:
    clock.set_now(moment)
    return _kinds(db, draft)


@pytest.fixture(autouse=True)
def _real_clock() -> Any:
    yield
    clock.set_now(None)


def test_summary_overdue_from_day_31_and_cleared_by_publishing(db: Session, people) -> None:
    draft = _draft(db, people)
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    clock.set_now(bishkek(2026, 12, 10))
    comment = comments_service.submit_comment(session=db, author=people["citizen"],
                                              draft=draft, body="Уточните понятие")
    db.commit()

    # The period's last day is 31 December; day 1 is 1 January, day 30 is 30 January.
    assert _at(db, bishkek(2026, 12, 31, 23, 59), draft) == {}
    assert _at(db, bishkek(2027, 1, 30, 23, 59), draft) == {}
    report = compliance_service.build_report(session=db)
    (score,) = [s for s in report.bodies if s.organization.slug == "mineconom"]
    assert score.summaries_overdue == 0 and score.comments_unanswered == 1

    found = _at(db, bishkek(2027, 1, 31, 0, 0), draft)
    assert set(found) == {ViolationKind.SUMMARY_OVERDUE, ViolationKind.COMMENTS_UNANSWERED}
    assert found[ViolationKind.SUMMARY_OVERDUE].days == 1
    assert found[ViolationKind.SUMMARY_OVERDUE].since.isoformat() == "2027-01-31"
    assert found[ViolationKind.COMMENTS_UNANSWERED].count == 1
    assert _at(db, bishkek(2027, 2, 9, 12), draft)[ViolationKind.SUMMARY_OVERDUE].days == 10

    # Answering clears the unanswered comments; the summary is still overdue.
    responses_service.answer_comment(
        session=db, actor=people["drafter"],
        comment=comments_service.get_comment(session=db, comment_id=comment.id),
        decision=Decision.ACCEPTED, reasoning="Учтено")
    db.commit()
    assert set(_kinds(db, draft)) == {ViolationKind.SUMMARY_OVERDUE}

    summaries_service.publish_summary(session=db, actor=people["drafter"], draft=draft)
    db.commit()
    found = _kinds(db, draft)
    assert set(found) == {ViolationKind.SUMMARY_LATE}
    assert found[ViolationKind.SUMMARY_LATE].days == 10

    report = compliance_service.build_report(session=db)
    (score,) = [s for s in report.bodies if s.organization.slug == "mineconom"]
    assert (score.summaries_overdue, score.summaries_late, score.open_violations) == (0, 1, 0)
    assert score.share_answered == 1.0 and score.share_accepted == 1.0
    assert score.median_days_to_summary == 40.0  # 9 February is day 40 after 31 December


def test_summary_on_day_30_is_on_time(db: Session, people) -> None:
    draft = _draft(db, people)
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    clock.set_now(bishkek(2027, 1, 30, 23, 0))
    summaries_service.publish_summary(session=db, actor=people["drafter"], draft=draft)
    db.commit()
    assert _at(db, bishkek(2027, 3, 1), draft) == {}
    report = compliance_service.build_report(session=db)
    assert report.totals.summaries_on_time == 1 and report.totals.median_days_to_summary == 30


def test_urgent_period_is_counted_with_its_justification(db: Session, people) -> None:
    draft = _draft(db, people)
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2026, 12, 11), urgent_reason="Чрезвычайная ситуация")
    db.commit()
    found = _at(db, bishkek(2026, 12, 2), draft)
    assert set(found) == {ViolationKind.URGENT_PERIOD}
    assert found[ViolationKind.URGENT_PERIOD].detail == "Чрезвычайная ситуация"
    assert found[ViolationKind.URGENT_PERIOD].days == 10
    totals = compliance_service.build_report(session=db).totals
    assert (totals.short_periods, totals.urgent, totals.short_unjustified) == (1, 1, 0)
    # Due 30 days after the last day, 10 December: overdue from 10 January.
    assert ViolationKind.SUMMARY_OVERDUE not in _at(db, bishkek(2027, 1, 9, 23), draft)
    assert ViolationKind.SUMMARY_OVERDUE in _at(db, bishkek(2027, 1, 10), draft)


def test_policy_change_makes_an_old_period_too_short(db: Session, people) -> None:
    draft = _draft(db, people)
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    policy = drafts_service.get_policy(session=db, act_type="law")
    policy.min_period_days = 45
    db.flush()
    found = _at(db, bishkek(2026, 12, 2), draft)
    assert set(found) == {ViolationKind.PERIOD_TOO_SHORT}
    assert compliance_service.build_report(session=db).totals.short_unjustified == 1


def test_adopted_without_consultation_or_summary(db: Session, people) -> None:
    bare = _draft(db, people, "Без обсуждения")
    outcomes_service.decide(session=db, actor=people["drafter"], draft=bare,
                            outcome=DraftOutcome.ADOPTED, act_reference="Закон КР № 1")
    discussed = _draft(db, people, "С обсуждением")
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=discussed, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    db.commit()
    found = _at(db, bishkek(2027, 1, 5), discussed)
    assert found == {}  # closed, summary not yet due
    outcomes_service.decide(session=db, actor=people["drafter"], draft=discussed,
                            outcome=DraftOutcome.ADOPTED, act_url="https://cbd.minjust.gov.kg/1")
    db.commit()
    assert set(_kinds(db, bare)) == {ViolationKind.ADOPTED_WITHOUT_CONSULTATION}
    assert _kinds(db, bare)[ViolationKind.ADOPTED_WITHOUT_CONSULTATION].since.isoformat() \
        == "2026-11-30"
    # Adopted without a summary: the overdue summary is not counted twice after day 30.
    assert set(_at(db, bishkek(2027, 3, 1), discussed)) == {
        ViolationKind.ADOPTED_WITHOUT_SUMMARY}
    totals = compliance_service.build_report(session=db).totals
    assert (totals.adopted, totals.adopted_without_consultation,
            totals.adopted_without_summary, totals.summaries_overdue) == (2, 1, 1, 0)


def test_withdrawn_draft_owes_no_summary(db: Session, people) -> None:
    draft = _draft(db, people)
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    db.commit()
    assert ViolationKind.SUMMARY_OVERDUE in _at(db, bishkek(2027, 2, 1), draft)
    outcomes_service.decide(session=db, actor=people["drafter"], draft=draft,
                            outcome=DraftOutcome.WITHDRAWN, reason="Утратил актуальность")
    db.commit()
    assert _kinds(db, draft) == {}


def test_months_and_filters(db: Session, people) -> None:
    first = _draft(db, people, "Первый")
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=first, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2026, 12, 10), urgent_reason="Срочно")
    second = _draft(db, people, "Второй")
    clock.set_now(bishkek(2027, 2, 1))
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=second, opens_at=bishkek(2027, 2, 1),
        closes_at=bishkek(2027, 3, 5))
    db.commit()
    clock.set_now(bishkek(2027, 5, 1))
    report = compliance_service.build_report(session=db)
    assert [m.month for m in report.months][:3] == ["2026-12", "2027-01", "2027-02"]
    by_month = {m.month: m for m in report.months}
    assert by_month["2026-12"].consultations == 1 and by_month["2026-12"].urgent == 1
    assert by_month["2027-01"].consultations == 0
    assert by_month["2027-01"].violations == 1  # the first summary, overdue from 9 January
    only_february = compliance_service.build_report(
        session=db, since=compliance_service.parse_month("2027-02"),
        until=compliance_service.parse_month("2027-02", end=True))
    assert only_february.totals.consultations == 1
    assert {v.draft_id for v in only_february.violations} == {second.id}
