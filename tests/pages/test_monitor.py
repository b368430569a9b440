"""The monitor's desk: dashboard with SVG charts, drill-down, CSV, notes and flags, the audit
log page, the drafter's outcome form, and the weekly digest through the outbox."""

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.cli import housekeeping
from app.models import AuditEntry, ComplianceDigest, MonitorFlag, MonitorNote, Role
from tests.conftest import bishkek
from tests.pages.conftest import form_token, soup, text_of

OVERDUE = bishkek(2027, 2, 5, 10)  # the summary of a round closed on 1 January is overdue


def _monitor(client: TestClient, sign_in, world, moment=OVERDUE) -> TestClient:
    clock.set_now(moment)
    return sign_in(client, world["monitor"])


def test_only_monitors_and_admins_see_the_desk(client: TestClient, sign_in, world,
                                               make_user) -> None:
    assert client.get("/monitor", follow_redirects=False).status_code == 303
    sign_in(client, world["drafter"])
    assert client.get("/monitor").status_code == 403
    assert client.get("/monitor/audit").status_code == 403
    sign_in(client, make_user(Role.ADMIN))
    assert client.get("/monitor").status_code == 200


def test_dashboard_charts_and_drill_down(client: TestClient, sign_in, world, make_draft,
                                         add_comment) -> None:
    draft = make_draft()
    add_comment(draft)
    _monitor(client, sign_in, world)
    page = soup(client.get("/monitor"))
    assert page.find("script") is None
    for chart_id in ("chart-months", "chart-bodies"):
        figure = page.find("figure", id=chart_id)
        svg = figure.find("svg")
        assert svg["role"] == "img"
        assert svg["aria-labelledby"] == f"{chart_id}-title {chart_id}-desc"
        assert svg.find("title", id=f"{chart_id}-title") and svg.find("desc")
        assert figure.find("table").find("tbody").find_all("tr")
    bodies = page.find("figure", id="chart-bodies").find("table")
    assert "Министерство экономики и коммерции" in text_of(bodies)
    kinds = {li["data-kind"]: text_of(li.find("strong"))
             for li in page.select("li[data-kind]")}
    assert kinds["summary_overdue"] == "1" and kinds["comments_unanswered"] == "1"

    listing = soup(client.get("/monitor/violations?kind=summary_overdue&organization=mineconom"))
    (row,) = listing.select("tr.violation")
    link = row.find("a")["href"]
    assert link == f"/monitor/drafts/{draft.id}"
    assert text_of(row.find_all("td")[-1]).startswith("6 ")  # due 30 January, now 5 February
    file = soup(client.get(link))
    assert {r["data-kind"] for r in file.select("tr.violation")} == {
        "summary_overdue", "comments_unanswered"}
    assert file.find("a", href=f"/drafts/{draft.id}")

    assert not soup(client.get("/monitor/violations?from=2030-01")).select("tr.violation")
    assert client.get("/monitor/violations?kind=nonsense").status_code == 422
    exported = client.get("/monitor/violations.csv?status=open")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {r["kind"] for r in rows} == {"summary_overdue", "comments_unanswered"}
    assert rows[0]["organization"] == "mineconom"
    assert rows[0]["url"] == f"http://testserver/drafts/{draft.id}"


def test_notes_and_flags_are_kept_and_audited(client: TestClient, sign_in, world, make_draft,
                                              db: Session) -> None:
    draft = make_draft()
    _monitor(client, sign_in, world)
    path = f"/monitor/drafts/{draft.id}"
    page = soup(client.get(path))
    no_token = client.post(f"{path}/notes", data={"body": "x"})
    assert no_token.status_code == 403
    response = client.post(f"{path}/notes", data={
        "csrf_token": form_token(page, f"{path}/notes"), "body": "Запросить справку <b>"},
        follow_redirects=False)
    assert response.status_code == 303
    empty = client.post(f"{path}/notes", data={
        "csrf_token": form_token(page, f"{path}/notes"), "body": "  "})
    assert empty.status_code == 422 and soup(empty).find(class_="alert-error")
    client.post(f"{path}/flags", data={"csrf_token": form_token(page, f"{path}/flags"),
                                       "kind": "summary_overdue", "note": "Напомнить"})
    page = soup(client.get(path))
    assert text_of(page.find("article", class_="monitor-note").find(class_="prewrap")) == \
        "Запросить справку <b>"
    flag = db.scalar(select(MonitorFlag).where(MonitorFlag.draft_id == draft.id))
    assert flag is not None and flag.cleared_at is None
    assert db.scalar(select(MonitorNote.body).where(MonitorNote.draft_id == draft.id))
    dashboard = soup(client.get("/monitor"))
    assert text_of(dashboard.find(class_="num-flagged")) == "1"
    clear = f"/monitor/flags/{flag.id}/clear"
    client.post(clear, data={"csrf_token": form_token(page, clear)})
    huge = client.post(f"/monitor/flags/{2**63}/clear", data={
        "csrf_token": form_token(page, clear)})
    assert huge.status_code == 422  # SQLite's driver overflowed: a 500 before
    db.expire_all()
    assert db.get(MonitorFlag, flag.id).cleared_at is not None
    actions = list(db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_type == "draft", AuditEntry.entity_id == str(draft.id))))
    assert {"monitor.note_added", "monitor.flag_raised", "monitor.flag_cleared"} <= set(actions)
    # Nobody else reads the monitor's file.
    sign_in(client, world["drafter"])
    assert client.get(path).status_code == 403


def test_audit_log_page_filters_and_pages(client: TestClient, sign_in, world, make_draft) -> None:
    first = make_draft(title="Первый проект")
    make_draft(title="Второй проект")
    _monitor(client, sign_in, world, bishkek(2026, 12, 5))
    page = soup(client.get(f"/monitor/audit?entity_type=draft&entity_id={first.id}"))
    entries = page.select("tr.audit-entry")
    assert {text_of(e.find("code")) for e in entries} == {"draft.published",
                                                          "consultation.opened"}
    assert "Первый проект" in text_of(entries[-1])  # before/after readable, not \u-escaped
    by_actor = soup(client.get(f"/monitor/audit?actor={world['drafter'].email}"
                               "&action=consultation.opened"))
    assert len(by_actor.select("tr.audit-entry")) == 2
    prefix = soup(client.get("/monitor/audit?action=draft."))
    assert {text_of(e.find("code")) for e in prefix.select("tr.audit-entry")} == {
        "draft.published"}
    none = soup(client.get("/monitor/audit?from=2030-01-01"))
    assert not none.select("tr.audit-entry")
    today = clock.local(clock.now()).date().isoformat()
    assert soup(client.get(f"/monitor/audit?from=2000-01-01&to={today}")).select("tr.audit-entry")
    assert client.get("/monitor/audit?from=yesterday").status_code == 422
    paged = soup(client.get("/monitor/audit?page=1"))
    assert paged.select("tr.audit-entry")
    # Past 2**63 SQLite's driver overflows (a 500 before): a page no log has is bad input.
    assert client.get(f"/monitor/audit?page={2**63}").status_code == 422


def test_drafter_marks_the_draft_adopted_from_the_workspace(client: TestClient, sign_in, world,
                                                            make_draft) -> None:
    draft = make_draft(open_period=False)
    sign_in(client, world["drafter"])
    workspace = soup(client.get(f"/workspace/drafts/{draft.id}"))
    path = f"/workspace/drafts/{draft.id}/outcome"
    assert workspace.find("a", href=path)
    page = soup(client.get(path))
    assert page.find(class_="alert-warning")  # no public discussion yet
    token = form_token(page, path)
    failed = client.post(path, data={"csrf_token": token, "outcome": "adopted",
                                     "act_reference": "", "act_url": ""})
    assert failed.status_code == 422 and soup(failed).find(class_="alert-error")
    done = client.post(path, data={"csrf_token": token, "outcome": "adopted",
                                   "act_reference": "Закон КР № 87", "act_url": ""})
    assert done.status_code == 200
    record = soup(done).find("dl", class_="outcome-record")
    assert "Закон КР № 87" in text_of(record)
    sign_in(client, world["other_drafter"])
    assert client.get(path).status_code == 403
    _monitor(client, sign_in, world, bishkek(2026, 12, 6))
    listing = soup(client.get("/monitor/violations?kind=adopted_without_consultation"))
    assert [r["data-draft"] for r in listing.select("tr.violation")] == [str(draft.id)]


def test_weekly_digest_is_sent_once(db: Session, world, make_draft, add_comment, make_user,
                                    smtp_server, deliver) -> None:
    kyrgyz = make_user(Role.MONITOR)
    kyrgyz.language = "ky"
    db.commit()
    draft = make_draft()
    add_comment(draft)
    # The summary of the round closed on 1 January is overdue from Sunday 31 January, which
    # belongs to the week of Monday 25 January; its digest is due from Monday 1 February.
    clock.set_now(bishkek(2027, 1, 31, 23))
    housekeeping(db)
    db.commit()
    week = db.scalar(select(ComplianceDigest).order_by(ComplianceDigest.id.desc()).limit(1))
    assert week is not None and week.week_start.isoformat() == "2027-01-18"
    assert week.violations == 0
    clock.set_now(bishkek(2027, 2, 1, 8))
    housekeeping(db)
    db.commit()
    housekeeping(db)  # a second pass in the same week sends nothing
    db.commit()
    deliver()  # the receipt of the comment and the two digests
    (message,) = smtp_server.to(world["monitor"].email)
    assert "2027-01-25" in message["Subject"]
    text = smtp_server.body(message)
    assert "Министерство экономики и коммерции" in text
    assert f"/monitor/drafts/{draft.id}" in text
    (in_kyrgyz,) = smtp_server.to(kyrgyz.email)
    assert "Экономика жана коммерция министрлиги" in smtp_server.body(in_kyrgyz)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "compliance.digest_sent")
                     .order_by(AuditEntry.id.desc()).limit(1)).after["violations"] == 2
