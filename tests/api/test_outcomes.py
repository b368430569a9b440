"""POST /api/v1/drafts/{id}/outcome: adopted with the act, withdrawn with a reason, audited."""

from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Role
from app.services import drafts as drafts_service

TEXT = "Статья 1. Общие положения\n\nНастоящий Закон регулирует отношения.\n"


@pytest.fixture
def setting(db: Session, make_org, make_user) -> dict[str, Any]:
    body = make_org("minjust", "Министерство юстиции", "Юстиция министрлиги")
    other = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    drafter = make_user(Role.DRAFTER, body)
    draft, _ = drafts_service.create_draft(
        session=db, actor=drafter, organization=body, act_type="law",
        title={"ru": "О нотариате"}, summary=None, text=drafts_service.VersionText(ru=TEXT))
    db.commit()
    return {"draft": draft, "drafter": drafter, "other": make_user(Role.DRAFTER, other),
            "citizen": make_user(Role.CITIZEN)}


def test_adopted_with_the_act(client: TestClient, login, setting, db: Session) -> None:
    draft = setting["draft"]
    path = f"/api/v1/drafts/{draft.id}/outcome"
    payload = {"outcome": "adopted", "act_reference": "Закон КР от 5 мая 2027 года № 87",
               "act_url": "https://cbd.minjust.gov.kg/112233"}
    assert client.post(path, json=payload).status_code == 401
    assert client.post(path, json=payload, headers=login(setting["other"])).status_code == 403
    assert client.post(path, json=payload, headers=login(setting["citizen"])).status_code == 403
    assert client.get(path).status_code == 404
    headers = login(setting["drafter"])
    response = client.post(path, json=payload, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "adopted"
    assert response.json()["decided_at"].endswith("+06:00")
    assert client.get(f"/api/v1/drafts/{draft.id}").json()["status"] == "adopted"
    assert client.get(path).json()["act_reference"] == payload["act_reference"]
    again = client.post(path, json={"outcome": "withdrawn", "reason": "x"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "outcome_decided"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "draft.adopted"))
    assert entry is not None and entry.entity_id == str(draft.id)
    assert entry.before == {"outcome": "pending"}
    assert entry.after["act_url"] == payload["act_url"]
    # The public page says so, with the act linked.
    page = BeautifulSoup(client.get(f"/drafts/{draft.id}?lang=ru").text, "html.parser")
    box = page.find(class_="outcome")
    assert box.find("h2").get_text(strip=True) == "Принят"
    link = box.find("a", href=payload["act_url"])
    assert link.get_text(strip=True) == payload["act_reference"]


def test_withdrawn_needs_a_reason(client: TestClient, login, setting) -> None:
    draft = setting["draft"]
    path = f"/api/v1/drafts/{draft.id}/outcome"
    headers = login(setting["drafter"])
    assert client.post(path, json={"outcome": "withdrawn"}, headers=headers).status_code == 422
    assert client.post(path, json={"outcome": "adopted"}, headers=headers).status_code == 422
    assert client.post(path, json={"outcome": "adopted", "act_url": "javascript:alert(1)"},
                       headers=headers).status_code == 422
    assert client.post(path, json={"outcome": "lost"}, headers=headers).status_code == 422
    response = client.post(path, json={"outcome": "withdrawn", "reason": "Утратил актуальность"},
                           headers=headers)
    assert response.status_code == 200
    assert client.get(f"/api/v1/drafts/{draft.id}").json()["status"] == "withdrawn"
    page = BeautifulSoup(client.get(f"/drafts/{draft.id}?lang=ru").text, "html.parser")
    assert "Утратил актуальность" in page.find(class_="outcome").get_text()
