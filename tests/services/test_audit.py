"""The audit log is written at commit (app/services/audit.py): what a transaction recorded is
chained and inserted together as it commits, and nothing of a rolled-back one remains."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import AuditEntry
from app.services import audit as audit_service
from tests.servers import own_database, run


def _record(session: Session, n: int) -> None:
    audit_service.record(session=session, actor=None, action="test.recorded",
                         entity_type="test", entity_id=n, after={"n": n})


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "test.recorded")) or 0


def test_entries_are_written_at_commit_and_forgotten_at_rollback(db):
    _record(db, 1)
    assert _count(db) == 0  # noted on the session, not written yet
    db.rollback()
    db.commit()  # a later commit of the same session does not bring it back
    assert _count(db) == 0

    _record(db, 2)
    _record(db, 3)
    db.commit()
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "test.recorded")
                              .order_by(AuditEntry.id)))
    assert [e.entity_id for e in entries] == ["2", "3"]
    assert entries[1].prev_hash == entries[0].hash
    assert audit_service.verify(session=db).ok


def test_an_entry_recorded_in_a_savepoint_goes_with_it(db):
    with db.begin_nested():
        _record(db, 4)
        assert _count(db) == 1  # written at once, inside the savepoint
    savepoint = db.begin_nested()
    _record(db, 5)
    savepoint.rollback()
    db.commit()
    assert [e.entity_id for e in db.scalars(
        select(AuditEntry).where(AuditEntry.action == "test.recorded"))] == ["4"]
    assert audit_service.verify(session=db).ok


@pytest.fixture
def log_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_database(tmp_path_factory.mktemp("chain"), "chain") as url:
        run(url, "migrate")
        yield url


def test_concurrent_commits_keep_one_chain(log_url: str) -> None:
    """Eight threads commit 25 transactions each at once; the chain has no fork."""
    # As the app writes: SQLite transactions BEGIN IMMEDIATE (app.db).
    engine = make_engine(log_url)
    bind = engine.execution_options(sqlite_immediate=True)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for n in range(25):
                with Session(bind) as session:
                    _record(session, worker * 100 + n)
                    _record(session, worker * 100 + n)  # two entries in one transaction
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert _count(session) == 400
        assert audit_service.verify(session=session).ok
        hashes = session.scalar(select(func.count(func.distinct(AuditEntry.prev_hash))))
        assert hashes == session.scalar(select(func.count()).select_from(AuditEntry))
    engine.dispose()
