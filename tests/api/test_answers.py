"""The drafter's answering tools over the API: a whole group answered in one call, the queue's
filters, the body's answer templates; answers stay private until the summary is out."""

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Response, Role
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from tests.api.test_consultation_loop import LAW
from tests.conftest import bishkek, set_clock

CAMPAIGN = "Против повышения штрафов! Статья 1 ударит по малому бизнесу."


@pytest.fixture
def campaign(db, client, make_org, make_user, login):
    """A draft of the ministry with twenty identical comments and two others."""
    ministry = make_org("mineconom", "Министерство экономики", "Экономика министрлиги")
    other = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    drafter = make_user(Role.DRAFTER, ministry)
    clock.set_now(bishkek(2026, 11, 30, 9))
    draft, _ = drafts_service.create_draft(
        session=db, actor=drafter, organization=ministry, act_type="law",
        title={"ru": "О защите прав потребителей", "ky": "Керектөөчүлөрдүн укуктары жөнүндө"},
        summary=None, text=drafts_service.VersionText(ru=LAW))
    consultations_service.open_consultation(
        session=db, actor=drafter, draft=draft, opens_at=bishkek(2026, 12, 1),
        closes_at=bishkek(2027, 1, 1))
    db.commit()
    clock.set_now(bishkek(2026, 12, 5, 10))
    citizens = [make_user(Role.CITIZEN) for _ in range(21)]
    twins = [comments_service.submit_comment(session=db, author=c, draft=draft,
                                             body=CAMPAIGN, clause_key="art-1")
             for c in citizens[:20]]
    other_comment = comments_service.submit_comment(
        session=db, author=citizens[20], draft=draft, body="Уточните сферу действия",
        clause_key="art-2", proposed_wording="Настоящий Закон применяется к потребителям.")
    whole = comments_service.submit_comment(session=db, author=citizens[0], draft=draft,
                                            body="В целом поддерживаю", clause_key=None)
    db.commit()
    set_clock(client, bishkek(2027, 1, 2, 10))
    return {"draft": draft, "twins": twins, "other": other_comment, "whole": whole,
            "drafter": login(drafter), "other_drafter": login(make_user(Role.DRAFTER, other)),
            "citizen": login(citizens[0]), "drafter_user": drafter}


def test_twenty_identical_comments_are_answered_in_one_call(client, campaign, db):
    twins = campaign["twins"]
    group_ids = {c.group_id for c in twins}
    assert len(group_ids) == 1 and None not in group_ids
    group_id = group_ids.pop()
    url = f"/api/v1/comment-groups/{group_id}/response"
    payload = {"decision": "rejected", "reasoning": "Штрафы не повышаются, см. статью 2."}
    assert client.put(url, json=payload).status_code == 401
    assert client.put(url, json=payload, headers=campaign["citizen"]).status_code == 403
    assert client.put(url, json=payload, headers=campaign["other_drafter"]).status_code == 403
    assert client.put("/api/v1/comment-groups/999999/response", json=payload,
                      headers=campaign["drafter"]).status_code == 404
    assert client.put(url, json={"decision": "rejected", "reasoning": " "},
                      headers=campaign["drafter"]).status_code == 422

    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    done = client.put(url, json=payload, headers=campaign["drafter"])
    assert done.status_code == 200, done.text
    assert done.json()["answered"] == 20
    assert sorted(done.json()["comment_ids"]) == sorted(c.id for c in twins)
    responses = db.scalars(select(Response).where(
        Response.comment_id.in_([c.id for c in twins]))).all()
    assert len(responses) == 20
    assert {(r.decision.value, r.reasoning) for r in responses} == {
        ("rejected", payload["reasoning"])}
    # One audit entry per answer and one for the group action.
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 21

    # Private until the summary is published: the public sees no answer yet.
    public = client.get(f"/api/v1/comments/{twins[0].id}").json()
    assert public["answered"] is True and public["response"] is None


def test_queue_filters(client, campaign):
    draft_id = campaign["draft"].id
    url = f"/api/v1/drafts/{draft_id}/answer-queue"
    h = campaign["drafter"]
    assert client.get(url, headers=campaign["other_drafter"]).status_code == 403
    everything = client.get(url, headers=h).json()
    assert len(everything["items"]) == 22
    by_clause = client.get(url, params={"clause": "art-2"}, headers=h).json()["items"]
    assert [i["id"] for i in by_clause] == [campaign["other"].id]
    as_whole = client.get(url, params={"clause": ""}, headers=h).json()["items"]
    assert [i["id"] for i in as_whole] == [campaign["whole"].id]
    group = campaign["twins"][0].group_id
    assert len(client.get(url, params={"group": group}, headers=h).json()["items"]) == 20
    client.put(f"/api/v1/comments/{campaign['other'].id}/response", headers=h,
               json={"decision": "accepted", "reasoning": "Учтено в статье 2"})
    accepted = client.get(url, params={"decision": "accepted"}, headers=h).json()["items"]
    assert [i["id"] for i in accepted] == [campaign["other"].id]
    unanswered = client.get(url, params={"unanswered": "true"}, headers=h).json()["items"]
    assert len(unanswered) == 21 and campaign["other"].id not in {i["id"] for i in unanswered}
    assert client.get(url, params={"decision": "maybe"}, headers=h).status_code == 422


def test_answer_templates_belong_to_one_body(client, campaign, db):
    h, other = campaign["drafter"], campaign["other_drafter"]
    assert client.get("/api/v1/answer-templates").status_code == 401
    assert client.get("/api/v1/answer-templates", headers=campaign["citizen"]).status_code == 403
    assert client.post("/api/v1/answer-templates", headers=h,
                       json={"title": " ", "reasoning": "x"}).status_code == 422
    created = client.post("/api/v1/answer-templates", headers=h, json={
        "title": "Вне предмета", "decision": "not_applicable",
        "reasoning": "Предложение не относится к предмету регулирования проекта."})
    assert created.status_code == 201, created.text
    template = created.json()
    url = f"/api/v1/answer-templates/{template['id']}"
    assert [t["id"] for t in client.get("/api/v1/answer-templates", headers=h).json()["items"]] \
        == [template["id"]]
    assert client.get("/api/v1/answer-templates", headers=other).json()["items"] == []
    assert client.get(url, headers=other).status_code == 404
    assert client.put(url, headers=other, json={"title": "x", "reasoning": "y"}).status_code == 404
    assert client.delete(url, headers=other).status_code == 404

    # A group answered with the template: its decision and reasoning fill what is missing.
    group = campaign["twins"][0].group_id
    answered = client.put(f"/api/v1/comment-groups/{group}/response", headers=h,
                          json={"template_id": template["id"]})
    assert answered.status_code == 200 and answered.json()["answered"] == 20
    response = db.scalar(select(Response).where(Response.comment_id == campaign["twins"][5].id))
    assert response.decision.value == "not_applicable"
    assert response.reasoning == template["reasoning"]
    assert client.put(f"/api/v1/comment-groups/{group}/response", headers=other,
                      json={"template_id": template["id"]}).status_code == 403

    changed = client.put(url, headers=h, json={"title": "Вне предмета", "decision": None,
                                               "reasoning": "Не относится к проекту."})
    assert changed.status_code == 200 and changed.json()["decision"] is None
    # The answers given with it keep their words.
    db.expire_all()
    assert db.scalar(select(Response.reasoning).where(
        Response.comment_id == campaign["twins"][5].id)) == template["reasoning"]
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"answer_template.created", "answer_template.updated",
            "answer_template.deleted", "group.answered"} <= actions


def test_a_group_cannot_be_answered_after_the_summary(client, campaign):
    h = campaign["drafter"]
    group = campaign["twins"][0].group_id
    assert client.put(f"/api/v1/comment-groups/{group}/response", headers=h, json={
        "decision": "rejected", "reasoning": "Нет"}).status_code == 200
    for comment in (campaign["other"], campaign["whole"]):
        client.put(f"/api/v1/comments/{comment.id}/response", headers=h,
                   json={"decision": "accepted", "reasoning": "Учтено"})
    assert client.post(f"/api/v1/drafts/{campaign['draft'].id}/summary",
                       headers=h).status_code == 201
    late = client.put(f"/api/v1/comment-groups/{group}/response", headers=h,
                      json={"decision": "accepted", "reasoning": "Передумали"})
    assert late.status_code == 409 and late.json()["error"] == "summary_published"
    public = client.get(f"/api/v1/comments/{campaign['twins'][3].id}").json()
    assert public["response"]["decision"] == "rejected"
