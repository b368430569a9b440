"""How a request finds its route (issue 9, the read crowd): FastAPI 0.165 tries the routes of
each included router one by one and works a route out the first time a request passes it.
A page request no longer tries the API's routes, and a server process works every route out
before its first request.  Both are about cost only; these tests watch FastAPI's own route
objects (wrapped, never replaced) to see that the work is not done where it was."""

from collections.abc import Iterator

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from app.main import create_app, prepare_routes


@pytest.fixture
def tried(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The FastAPI routes a request is matched against, in order: the module of each one's
    function and its path (within its router)."""
    routes: list[str] = []
    original = fastapi.routing.APIRoute.matches

    def matches(self, scope):  # noqa: ANN001, ANN202 - FastAPI's own signature
        routes.append(f"{self.endpoint.__module__} {self.path}")
        return original(self, scope)

    monkeypatch.setattr(fastapi.routing.APIRoute, "matches", matches)
    yield routes


def test_a_page_request_does_not_try_the_api_routes(client, make_draft, tried):
    draft = make_draft()
    tried.clear()
    assert client.get(f"/drafts/{draft.id}").status_code == 200
    assert tried and tried[-1] == "app.pages.drafts /drafts/{draft_id}"
    assert not [route for route in tried if route.startswith("app.api.")
                and not route.startswith("app.api.feeds ")]
    # The API itself is unchanged: its routes are tried for its paths, and only they answer.
    tried.clear()
    assert client.get(f"/api/v1/drafts/{draft.id}").status_code == 200
    assert tried[-1] == "app.api.drafts /drafts/{draft_id}"
    assert client.get("/api/v1x/drafts").status_code == 404
    assert client.get("/api/v1").status_code == 404


def test_every_route_is_worked_out_before_the_first_request(monkeypatch, connection):
    from tests.conftest import sessions_on

    worked_out: list[str] = []
    original = fastapi.routing._EffectiveRouteContext.from_api_route

    def from_api_route(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        context = original(*args, **kwargs)
        worked_out.append(context.original_route.path)
        return context

    monkeypatch.setattr(fastapi.routing._EffectiveRouteContext, "from_api_route",
                        staticmethod(from_api_route))

    def first_requests(app) -> list[str]:  # noqa: ANN001
        sessions_on(app, connection)
        worked_out.clear()
        with TestClient(app) as client:
            assert client.get("/compliance").status_code == 200
            assert client.get("/api/v1/organizations").status_code == 200
        return list(worked_out)

    # Left to itself, FastAPI works routes out on the first request that passes them
    # (which is what the server's warm-up spares its first visitors) ...
    assert first_requests(create_app())
    # ... and once they are worked out, no request does it again.
    prepared = create_app()
    prepare_routes(prepared)
    assert first_requests(prepared) == []
