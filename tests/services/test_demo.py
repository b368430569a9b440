"""The demo data set: every stage of the lifecycle, through the services, idempotent."""

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.db import Base
from app.models import (
    AuditEntry, Clause, Comment, CommentStatus, Consultation, Decision, Draft, DraftStatus,
    Organization, Role, User,
)
from app.services import audit as audit_service
from app.services import auth as auth_service
from app.services import demo as demo_service
from app.services import drafts as drafts_service
from app.services import summaries as summaries_service

BODIES = {"minjust", "mineconom", "minfin", "mvd", "minzdrav", "minobr", "mpretn", "mintrud",
          "bishkek-kenesh"}
RECEIPT = re.compile(r"^TK-\d{2}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def _states(db):
    drafts = list(db.scalars(select(Draft).order_by(Draft.id)))
    return drafts_service.load_states(session=db, drafts=drafts)


def _by_status(db):
    return {state.status(): state for state in _states(db)}


def _row_counts(db):
    return {table.name: db.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables}


def test_bodies_accounts_and_their_audited_history(db):
    report = demo_service.seed(session=db)

    assert report.created and report.warnings == []
    organizations = {o.slug: o for o in db.scalars(select(Organization))}
    assert set(organizations) == BODIES
    assert organizations["minjust"].name_ky == "Кыргыз Республикасынын Юстиция министрлиги"
    assert organizations["bishkek-kenesh"].name_ky == "Бишкек шаардык кеңеши"
    assert all(o.name_ru and o.name_ky and o.name_en for o in organizations.values())

    users = {u.email: u for u in db.scalars(select(User))}
    assert {a.email for a in report.accounts} == set(users)
    roles = Counter(u.role for u in users.values())
    assert roles[Role.ADMIN] == 1 and roles[Role.MONITOR] == 1 and roles[Role.MODERATOR] == 1
    assert roles[Role.DRAFTER] >= 2 and roles[Role.CITIZEN] >= 4
    assert all(u.email_verified_at is not None and u.is_active for u in users.values())
    slug_of = {o.id: o.slug for o in organizations.values()}
    home = {email: slug_of.get(u.organization_id) for email, u in users.items()}
    assert home["monitor@demo.talkuu.kg"] == "minjust"
    assert home["drafter@demo.talkuu.kg"] == "mvd"
    assert home["drafter.labour@demo.talkuu.kg"] == "mintrud"

    drafter = next(a for a in report.accounts if a.email == "drafter@demo.talkuu.kg")
    assert drafter.role is Role.DRAFTER
    signed_in = auth_service.authenticate(session=db, email=drafter.email,
                                          password=drafter.password)
    assert signed_in.id == users[drafter.email].id


def test_drafts_at_every_stage(db):
    demo_service.seed(session=db)
    by_status = _by_status(db)
    assert {DraftStatus.PUBLISHED, DraftStatus.UNDER_CONSULTATION, DraftStatus.CLOSED,
            DraftStatus.SUMMARY_PUBLISHED} <= set(by_status)
    assert by_status[DraftStatus.PUBLISHED].consultation is None

    # The open consultation: comments on clauses of its version, one on the whole draft,
    # one with proposed wording, one for an NGO, one hidden by the moderator.
    open_states = [s for s in _states(db) if s.status() is DraftStatus.UNDER_CONSULTATION]
    road = max(open_states, key=lambda s: s.comments)
    comments = list(db.scalars(select(Comment).where(Comment.draft_id == road.draft.id)))
    keys = set(db.scalars(select(Clause.key).where(
        Clause.version_id == road.consultation.version_id)))
    on_clauses = [c for c in comments if c.clause_key]
    assert len(on_clauses) >= 4 and all(c.clause_key in keys for c in on_clauses)
    assert any(c.clause_key is None for c in comments)
    assert any(c.proposed_wording for c in comments)
    assert any(c.on_behalf_of for c in comments)
    hidden = [c for c in comments if c.status is CommentStatus.HIDDEN]
    assert len(hidden) == 1 and hidden[0].hidden_reason
    assert road.consultation.closes_at - clock.now() > timedelta(days=10)

    # Every comment everywhere has a unique receipt.
    receipts = list(db.scalars(select(Comment.receipt)))
    assert receipts and all(RECEIPT.match(r) for r in receipts)
    assert len(set(receipts)) == len(receipts)

    # An urgent round, shorter than the minimum, with its public justification.
    urgent = [s.consultation for s in open_states if s.consultation.urgent_reason]
    assert urgent and (urgent[0].closes_at - urgent[0].opens_at) < timedelta(days=30)

    # The Labour Code in Kyrgyz, closed after an extension, partly answered.
    closed = by_status[DraftStatus.CLOSED]
    assert closed.draft.title_ky and closed.draft.title_ru
    version = drafts_service.get_version(session=db, draft=closed.draft)
    assert version.source_ky and not version.source_ru
    assert "ЖАЛПЫ БӨЛҮК" in version.source_ky and "line-height" not in version.source_ky
    clauses = drafts_service.get_clauses(session=db, version=version)
    assert {c.kind for c in clauses} >= {"section", "chapter", "article", "part", "point"}
    assert all(c.text_ky or c.heading_ky or c.label_ky for c in clauses)
    assert 0 < closed.answered < closed.comments
    extended = db.scalar(select(Consultation).where(Consultation.draft_id == closed.draft.id))
    assert extended.closes_at > extended.original_closes_at

    # The Water Code: summary published, every comment answered, then a second version.
    state = by_status[DraftStatus.SUMMARY_PUBLISHED]
    view = summaries_service.get_summary(session=db, draft=state.draft)
    round_comments = list(db.scalars(select(Comment).where(
        Comment.consultation_id == view.summary.consultation_id,
        Comment.status == CommentStatus.PUBLISHED)))
    assert len(view.comments) == len(round_comments) == state.comments == state.answered
    assert {c.response.decision for c in view.comments} == set(Decision)
    assert all(len(c.response.reasoning) > 60 for c in view.comments)
    assert view.summary.published_at >= state.consultation.closes_at
    assert state.draft.current_version == 2
    second = drafts_service.get_version(session=db, draft=state.draft)
    assert second.change_note and "Правительств" not in second.source_ru


def test_history_is_audited_in_time_and_the_clock_is_real_again(db):
    demo_service.seed(session=db)
    db.commit()  # the audit log is written at commit (app/services/audit.py)
    assert audit_service.verify(session=db).ok
    entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    actions = Counter(e.action for e in entries)
    assert {"organization.created", "user.created", "draft.published", "consultation.opened",
            "consultation.extended", "comment.submitted", "comment.answered", "comment.hidden",
            "summary.published", "version.published"} <= set(actions)
    assert actions["comment.submitted"] == db.scalar(select(func.count()).select_from(Comment))
    real_now = datetime.now(timezone.utc)
    assert abs(clock.now() - real_now) < timedelta(minutes=1)
    assert all(e.occurred_at <= real_now for e in entries)
    moments = [e.occurred_at for e in entries]
    assert moments == sorted(moments)
    assert moments[0] < real_now - timedelta(days=60)


def test_second_seed_adds_nothing(db):
    first = demo_service.seed(session=db)
    before = _row_counts(db)
    assert before["draft"] == len(first.drafts) >= 5

    second = demo_service.seed(session=db)

    assert not second.created
    assert _row_counts(db) == before
    assert [(d.id, d.status) for d in second.drafts] == [(d.id, d.status) for d in first.drafts]
    assert second.accounts == first.accounts


def test_a_failed_seed_gives_the_clock_back(db, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("summary service down")

    monkeypatch.setattr(summaries_service, "publish_summary", broken)
    with pytest.raises(RuntimeError):
        demo_service.seed(session=db)
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_word_html_fragments_become_paragraphs():
    html = ('<div class=WordSection1>.0cm;text-align:center;line-height:115%><b><span>'
            'ЖАЛПЫ БӨЛҮК</span></b><p class=MsoNormal><span>1-берене.&nbsp;Негизги</span>'
            '<span> түшүнүктөр</span><p><span>1) <b>вахталык метод</b> - туруктуу;</span>'
            '<p><span>2) эс алуу убактысы - анын аралыгында мил</div>')
    assert demo_service.html_paragraphs(html) == [
        "ЖАЛПЫ БӨЛҮК", "1-берене. Негизги түшүнүктөр", "1) вахталык метод - туруктуу;"]


def test_shipped_texts_stay_small():
    folder = Path(str(resources.files("app").joinpath("demo")))
    sizes = [f.stat().st_size for f in folder.rglob("*") if f.is_file()]
    assert 0 < sum(sizes) < 400_000
