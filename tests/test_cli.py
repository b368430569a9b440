"""The talkuu command, run as a real process against its own fresh database."""

import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.servers import ROOT, TALKUU, own_database, run, serving

@pytest.fixture(scope="module")
def cli_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_database(tmp_path_factory.mktemp("cli"), "cli") as url:
        yield url


def test_migrate_create_and_verify(cli_database: str) -> None:
    run(cli_database, "migrate")
    run(cli_database, "migrate")  # idempotent
    created = run(cli_database, "create-organization", "minzdrav",
                  "--name-ru", "Министерство здравоохранения",
                  "--name-ky", "Саламаттык сактоо министрлиги", "--name-en", "Ministry of Health")
    assert "minzdrav" in created.stdout
    assert run(cli_database, "create-organization", "minzdrav", "--name-ru", "x",
               "--name-ky", "y", check=False).returncode == 1
    run(cli_database, "create-user", "drafter@health.kg", "--password", "a long password",
        "--role", "drafter", "--organization", "minzdrav", "--name", "Асель Токтогулова")
    run(cli_database, "create-user", "citizen@example.kg", "--password", "a long password",
        "--role", "citizen")
    assert run(cli_database, "create-user", "x@example.kg", "--password", "a long password",
               "--role", "drafter", check=False).returncode == 1
    intact = run(cli_database, "audit", "verify")
    assert "intact" in intact.stdout

    engine = create_engine(cli_database)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The trigger refuses any rewrite of the log ...
            with pytest.raises(Exception, match="append-only"):
                with connection.begin_nested():
                    connection.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = 2"))
            # ... so only a superuser switching it off can tamper, and verify still notices.
            connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        connection.execute(text(
            "UPDATE audit_entry SET after = '{\"slug\": \"forged\"}' WHERE id = 2"))
    engine.dispose()
    broken = run(cli_database, "audit", "verify", check=False)
    assert broken.returncode == 1
    assert "entry 2" in broken.stdout


def test_serve_answers_http(cli_database: str) -> None:
    run(cli_database, "migrate")
    with serving(cli_database) as base:
        response = httpx.get(f"{base}/api/v1/organizations", timeout=5)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        missing = httpx.get(f"{base}/api/v1/drafts/424242")
        assert missing.status_code == 404 and missing.json()["error"] == "draft_not_found"
        clock = httpx.put(f"{base}/api/v1/testing/clock", json={"now": None})
        assert clock.status_code == 404


def test_worker_sends_queued_mail_to_a_real_smtp_server(cli_database: str, smtp_server) -> None:
    from sqlalchemy.orm import Session

    from app import clock
    from app.config import get_settings
    from app.models import OutboxMessage, OutboxStatus

    run(cli_database, "migrate")
    engine = create_engine(cli_database)
    with Session(engine) as session:
        session.add(OutboxMessage(kind="receipt", to_address="reader@example.kg",
                                  subject="Квитанция TK-26-ABCD-EFGH", body_text="Текст письма",
                                  status=OutboxStatus.PENDING, attempts=0,
                                  next_attempt_at=clock.now()))
        session.commit()
    settings = get_settings()
    env_extra = {"TALKUU_SMTP_HOST": settings.smtp_host,
                 "TALKUU_SMTP_PORT": str(settings.smtp_port)}
    env = {**os.environ, "TALKUU_DATABASE_URL": cli_database, "TALKUU_ENV": "development",
           **env_extra}
    result = subprocess.run([*TALKUU, "worker", "--once"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    (message,) = smtp_server.to("reader@example.kg")
    assert message["Subject"] == "Квитанция TK-26-ABCD-EFGH"
    assert smtp_server.body(message).strip() == "Текст письма"
    with Session(engine) as session:
        assert session.query(OutboxMessage).one().status is OutboxStatus.SENT
    engine.dispose()
