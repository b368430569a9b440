"""Property-based fuzzing of every operation in /openapi.json (schemathesis, in process).

The schema is loaded from the ASGI app itself (no server, no network). Every operation, none
left out, gets generated requests, valid and invalid ones, as a stranger, as a citizen and as
a drafter (bearer tokens), against a database holding real rows: a draft under an open
consultation with comments (two of them grouped as twins), a flag and an attached PDF; a draft
whose round is over, answered and summarised; an answer template. Half of the time a generated
path parameter is replaced by the id of one of those rows, and a new draft names the drafter's
body and a real type of act, so that the code behind the 404 is fuzzed too. The rate limits
are counted but set out of reach: at 429 after a few writes they would hide everything else
(tests/api/test_rules.py tests them).

What is checked, and why:

- ``not_a_server_error`` on every response: bad input is a 4xx with a message, never a 500
  (the contract in API.md).
- ``response_schema_conformance``: what the app sends is what /openapi.json says, the 2xx
  models and the one error object of every 4xx (documented as ``4XX``). Cheap once the schema
  described the app's real 422 instead of FastAPI's default.
- ``status_code_conformance`` is left out on purpose: the ``4XX`` range already documents
  every refusal, and naming 401/403/404/409/422/429 on each of 60 operations would add
  nothing a client can use.

Cost is bounded: the world is built once for the module and each operation runs inside a
savepoint that is rolled back (every operation sees the same rows); few examples per operation
(``TALKUU_FUZZ_EXAMPLES``), no deadline (two cores, other tests running), derandomized so that
CI fails the same way twice (``TALKUU_FUZZ_RANDOM=1 TALKUU_FUZZ_EXAMPLES=100`` searches harder).
The schema is loaded at import, not through ``schemathesis.pytest.from_fixture``: that loader
reads ``Node._nodeid``, which pytest 9.2 no longer has, and one item per operation and role
reports better anyway.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from app import clock
from app.main import create_app
from app.models import CommentAttachment, Decision, RateLimitPolicy, Role, TokenKind
from app.services import answer_templates as templates_service
from app.services import attachments as attachments_service
from app.services import auth as auth_service
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import moderation as moderation_service
from app.services import opendata as opendata_service
from app.services import organizations as organizations_service
from app.services import responses as responses_service
from app.services import summaries as summaries_service
from tests.conftest import PASSWORD, _session_on, bishkek, rolled_back, sessions_on
from tests.pages.conftest import CLOSES, DURING, LAW, OPENS

EXAMPLES = int(os.environ.get("TALKUU_FUZZ_EXAMPLES", "8"))  # per operation and role
ROLES = ("anonymous", "citizen", "drafter")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

APP = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Ids of real rows per path parameter name, filled in when the module's world is built.
REAL_IDS: dict[str, list[Any]] = {}


# --- one world for the module, each operation in a savepoint of its own ---------------------

@pytest.fixture(scope="module")
def fuzz_connection(database: None) -> Iterator[Connection]:
    with rolled_back() as connection:
        yield connection


def _answer(session: Session, actor: Any, comment_id: int) -> None:
    comment = comments_service.get_comment(session=session, comment_id=comment_id)
    responses_service.answer_comment(session=session, actor=actor, comment=comment,
                                     decision=Decision.ACCEPTED, reasoning="Учтено")


@pytest.fixture(scope="module")
def fuzz_world(fuzz_connection: Connection,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The rows behind the ids a generated path may use, and a bearer token per role."""
    session = _session_on(fuzz_connection)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(attachments_service.STORAGE_ENV,
                     str(tmp_path_factory.mktemp("attachments")))
        ministry = organizations_service.create_organization(
            session=session, slug="mineconom", name_ru="Министерство экономики",
            name_ky="Экономика министрлиги")

        def user(role: Role, organization: Any = None) -> Any:
            return auth_service.create_user(
                session=session, email=f"fuzz-{role.value}@example.kg", password=PASSWORD,
                name=f"Fuzz {role.value}", role=role, organization=organization, verified=True)

        drafter, citizen = user(Role.DRAFTER, ministry), user(Role.CITIZEN)
        neighbour = auth_service.create_user(
            session=session, email="fuzz-neighbour@example.kg", password=PASSWORD,
            name="Сосед", role=Role.CITIZEN, verified=True)

        # A draft whose round ended before the other one opened: answered and summarised.
        clock.set_now(bishkek(2026, 9, 30, 9))
        done, _ = drafts_service.create_draft(
            session=session, actor=drafter, organization=ministry, act_type="law",
            title={"ru": "Об итогах"}, summary=None, text=drafts_service.VersionText(ru=LAW))
        consultations_service.open_consultation(
            session=session, actor=drafter, draft=done, opens_at=bishkek(2026, 10, 1),
            closes_at=bishkek(2026, 11, 1))
        clock.set_now(bishkek(2026, 10, 5, 10))
        answered = comments_service.submit_comment(session=session, author=citizen, draft=done,
                                                   body="Поддерживаю", clause_key="art-1")
        clock.set_now(bishkek(2026, 11, 2, 10))
        _answer(session, drafter, answered.id)
        summaries_service.publish_summary(session=session, actor=drafter, draft=done)

        # A draft under consultation, with twin comments, a flag and an attached file.
        clock.set_now(bishkek(2026, 11, 30, 9))
        draft, _ = drafts_service.create_draft(
            session=session, actor=drafter, organization=ministry, act_type="law",
            title={"ru": "О защите прав потребителей"}, summary={"ru": "Уточняет понятия."},
            text=drafts_service.VersionText(ru=LAW))
        consultations_service.open_consultation(session=session, actor=drafter, draft=draft,
                                                opens_at=OPENS, closes_at=CLOSES)
        clock.set_now(DURING)
        body = "Уточните понятие потребителя в статье первой"
        comment = comments_service.submit_comment(session=session, author=citizen, draft=draft,
                                                  body=body, clause_key="art-1")
        twin = comments_service.submit_comment(session=session, author=neighbour, draft=draft,
                                               body=body, clause_key="art-1")
        with_file = comments_service.submit_comment(
            session=session, author=citizen, draft=draft, body="Замечание с приложением",
            clause_key="art-2", attachments=[attachments_service.Upload("note.pdf", PDF)])
        flag = moderation_service.flag_comment(session=session, user=neighbour, comment=twin,
                                               reason="Оскорбление")
        template = templates_service.create_template(
            session=session, actor=drafter, title="Шаблон", decision=Decision.REJECTED,
            reasoning="Не соответствует закону")
        tokens = {role: {"Authorization": "Bearer " + auth_service.issue_token(
            session=session, user=person, kind=TokenKind.BEARER)}
            for role, person in (("citizen", citizen), ("drafter", drafter))}
        # The limits are still counted but never reached: after the first few writes they
        # would answer 429 to everything and hide the code behind them (they have their own
        # tests in tests/api/test_rules.py and tests/test_processes.py).
        session.execute(update(RateLimitPolicy).values(per_account=10**6, per_address=10**6))
        session.commit()
        session.refresh(comment)
        session.refresh(twin)
        ids = {
            "draft_id": [draft.id, done.id],
            "comment_id": [comment.id, twin.id, with_file.id, answered.id],
            "attachment_id": list(session.scalars(select(CommentAttachment.id))),
            "flag_id": [flag.id],
            "template_id": [template.id],
            "group_id": [g for g in (comment.group_id, twin.group_id) if g],
            "number": [1],
            "dataset": list(opendata_service.DATASETS),
        }
        session.close()
        clock.set_now(None)
        REAL_IDS.update(ids)
        yield {"ids": ids, "tokens": {"anonymous": {}, **tokens}}


@pytest.fixture(scope="module")
def fuzzed_app(fuzz_connection: Connection, fuzz_world: dict[str, Any]) -> Iterator[Any]:
    """The app the schema was loaded from, its sessions inside the module's transaction."""
    sessions_on(APP, fuzz_connection)
    yield APP
    APP.dependency_overrides.clear()


@pytest.fixture
def fresh_world(fuzz_connection: Connection, fuzz_world: dict[str, Any],
                fuzzed_app: Any) -> Iterator[dict[str, Any]]:
    """The module's world as it was built: what an operation changes is rolled back."""
    savepoint = fuzz_connection.begin_nested()
    clock.set_now(DURING)
    try:
        yield fuzz_world
    finally:
        clock.set_now(None)
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture(params=ROLES)
def bearer(request: pytest.FixtureRequest, fresh_world: dict[str, Any]) -> dict[str, str]:
    return fresh_world["tokens"][request.param]


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the time, the ids of rows that exist instead of generated ones."""
    real = {name: st.sampled_from(REAL_IDS[name]) for name in path_parameters or ()
            if REAL_IDS.get(name)}
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.fixed_dictionaries(real).map(lambda ids: {**path_parameters, **ids}),
                     st.just(path_parameters))


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """A new draft names, half of the time, the drafter's own body and a real type of act, so
    that its text reaches the parser instead of stopping at an unknown body."""
    if context.operation.path != "/api/v1/drafts" or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(st.just({**body, "organization": "mineconom", "act_type": "law"}),
                     st.just(body))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize=not os.environ.get("TALKUU_FUZZ_RANDOM"),
          # The examples of one operation share its savepoint on purpose (a function-scoped
          # fixture); a slow or large example is no failure on two busy cores.
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.filter_too_much])
def test_every_operation_answers_as_documented_and_never_with_a_5xx(
        case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer,
                           checks=[not_a_server_error, response_schema_conformance])
