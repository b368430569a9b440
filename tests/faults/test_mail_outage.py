"""The SMTP server goes away while ``talkuu worker`` (a real process) is running: the mail
waits in the outbox and goes out once the server is back.  The in-process variant, with the
retry times, is tests/api/test_accounts.py::test_mail_waits_while_the_server_is_down."""

import os
import subprocess
import time
from collections.abc import Callable

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from app import clock
from app.models import OutboxMessage, OutboxStatus
from app.services import outbox as outbox_service
from tests.conftest import _Inbox
from tests.servers import ROOT, TALKUU, free_port, own_database, run


def _wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_worker_keeps_mail_until_the_smtp_server_returns(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with own_database(tmp_path_factory.mktemp("mail"), "mail") as url:
        run(url, "migrate")
        engine = create_engine(url)
        with Session(engine) as session:
            message_id = outbox_service.enqueue(session=session, kind="receipt",
                                             to="aigul@example.kg", subject="Квитанция",
                                             body="Ваш комментарий получен.")
            session.commit()

        def state() -> OutboxMessage:
            with Session(engine) as session:
                found = session.get(OutboxMessage, message_id)
                assert found is not None
                return found

        port = free_port()  # nobody listens there yet: the SMTP server is down
        env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
               "TALKUU_SMTP_HOST": "127.0.0.1", "TALKUU_SMTP_PORT": str(port)}
        worker = subprocess.Popen([*TALKUU, "worker", "--interval", "0.2"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        inbox = _Inbox()
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        try:
            _wait_for(lambda: state().attempts >= 1)
            assert state().status is OutboxStatus.PENDING and not inbox.messages

            smtp.start()
            with Session(engine) as session:  # the retry time (30 s) has come
                session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                                .values(next_attempt_at=clock.now()))
                session.commit()
            _wait_for(lambda: state().status is OutboxStatus.SENT)
            assert [m["To"] for m in inbox.messages] == ["aigul@example.kg"]
            assert inbox.body(inbox.messages[0]).startswith("Ваш комментарий получен.")
        finally:
            worker.terminate()
            worker.wait(timeout=15)
            try:
                smtp.stop()
            except (AssertionError, RuntimeError):
                pass
            engine.dispose()
