"""GET /drafts/{id}/diff on the real road-traffic law: one article removed, the rest renumbered."""

from app.models import Role
from tests.services.test_diffing import read_corpus, renumber


def test_removed_article_and_renumbered_rest(client, make_org, make_user, login):
    ministry = make_org("mvd", "Министерство внутренних дел", "Ички иштер министрлиги")
    drafter = login(make_user(Role.DRAFTER, ministry))
    law = read_corpus("road-traffic-law.txt")
    created = client.post("/api/v1/drafts", headers=drafter, json={
        "organization": "mvd", "act_type": "law", "title": "О дорожном движении",
        "text": {"ru": law}})
    assert created.status_code == 201
    draft_id = created.json()["id"]
    second = client.post(f"/api/v1/drafts/{draft_id}/versions", headers=drafter, json={
        "text": {"ru": renumber(law, remove=9)}, "change_note": "Статья 9 исключена"})
    assert second.status_code == 201 and second.json()["number"] == 2

    response = client.get(f"/api/v1/drafts/{draft_id}/diff", params={"from": 1, "to": 2})
    assert response.status_code == 200, response.text
    diff = response.json()
    assert diff["from"] == 1 and diff["to"] == 2 and diff["language"] == "ru"
    rows = {(row["key"], row["from_key"]): row for row in diff["clauses"]}
    removed = rows[(None, "art-9")]
    assert removed["change"] == "removed" and removed["ops"][0][0] == -1
    for old, new in ((10, 9), (11, 10), (20, 19), (33, 32)):
        row = rows[(f"art-{new}", f"art-{old}")]
        assert row["change"] == "unchanged", row
        assert row["ops"] == [[0, row["ops"][0][1]]]
    assert diff["key_map"]["art-10"] == "art-9"
    assert diff["counts"]["added"] == 0 and diff["counts"]["modified"] == 0

    # The default compares the last two versions; bad requests are 4xx, never 500.
    assert client.get(f"/api/v1/drafts/{draft_id}/diff").json()["from"] == 1
    assert client.get(f"/api/v1/drafts/{draft_id}/diff?from=1&to=7").status_code == 404
    assert client.get(f"/api/v1/drafts/{draft_id}/diff?from=0").status_code == 422
    assert client.get(f"/api/v1/drafts/{draft_id}/diff?lang=ky").status_code == 422
