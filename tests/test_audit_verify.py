"""`talkuu audit verify` notices any change to any entry of the audit log, or a removed one,
exits 1 and names the first entry that no longer fits (issue 6)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.servers import own_database, run

CHANGES = {
    "action": "'organization.deleted'", "entity_type": "'user'", "entity_id": "'999'",
    "after": "'{\"slug\": \"forged\"}'", "before": "'{}'",
    "occurred_at": "'2020-01-01 00:00:00+00'", "prev_hash": "'" + "1" * 64 + "'",
    "hash": "'" + "2" * 64 + "'",
}
PG_TYPES = {"after": "json", "before": "json", "occurred_at": "timestamptz"}


@pytest.fixture
def log_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_database(tmp_path_factory.mktemp("audit"), "audit") as url:
        run(url, "migrate")
        for slug in ("body-a", "body-b", "body-c"):
            run(url, "create-organization", slug, "--name-ru", "Орган", "--name-ky", "Орган")
        yield url


def _tamper_and_verify(engine, url: str, entry_id: int, column: str) -> str:
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        original = connection.scalar(text(f"SELECT CAST({column} AS TEXT) FROM audit_entry "
                                          "WHERE id = :id"), {"id": entry_id})
        connection.execute(text(f"UPDATE audit_entry SET {column} = {CHANGES[column]} "
                                "WHERE id = :id"), {"id": entry_id})
    broken = run(url, "audit", "verify", check=False)
    restored = (f"CAST(:value AS {PG_TYPES[column]})" if postgres and column in PG_TYPES
                else ":value")
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE audit_entry SET {column} = {restored} WHERE id = :id"),
                           {"value": original, "id": entry_id})
    assert broken.returncode == 1, (entry_id, column, broken.stdout)
    return broken.stdout


def test_any_altered_column_of_any_entry_is_named(log_database: str) -> None:
    engine = create_engine(log_database)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Only someone who can switch the append-only trigger off can tamper at all.
            connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        ids = list(connection.scalars(text("SELECT id FROM audit_entry ORDER BY id")))
    assert len(ids) >= 3
    middle = ids[len(ids) // 2]
    for column in CHANGES:
        stdout = _tamper_and_verify(engine, log_database, middle, column)
        assert f"entry {middle}:" in stdout, (column, stdout)
    for entry_id in (ids[0], ids[-1]):
        stdout = _tamper_and_verify(engine, log_database, entry_id, "after")
        assert f"entry {entry_id}:" in stdout
    assert "intact" in run(log_database, "audit", "verify").stdout  # all put back

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": middle})
    removed = run(log_database, "audit", "verify", check=False)
    following = ids[ids.index(middle) + 1]
    assert removed.returncode == 1 and f"entry {following}:" in removed.stdout
    engine.dispose()
