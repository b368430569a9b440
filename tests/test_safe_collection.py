"""A server process renders a big draft page again and again without crashing.

On CPython 3.11 an automatic garbage collection that starts inside the ORM's loading of
thousands of objects crashed the process (segmentation fault) within 2 to 9 renderings of this
page; ``app/collector.py`` makes collections happen only at safe points.  The page is rendered
in a process of its own, freshly started as a server process is, so that a crash fails this
test instead of ending the test run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Comment, CommentStatus, Consultation, User
from tests.servers import ROOT, own_database, populate, run

CLAUSES = 500
COMMENTS = 5_000
RENDERINGS = 15

RENDER = """
import sys
from fastapi.testclient import TestClient
from app.main import create_app

with TestClient(create_app()) as client:
    for n in range(int(sys.argv[2])):
        page = client.get(f"/drafts/{sys.argv[1]}?rendering={n}")
        assert page.status_code == 200, page.status_code
        assert page.text.count('class="comment') >= 1500, "the page shows its comments"
print("rendered")
"""


def _seed(url: str) -> int:
    """A 500-clause draft with 5,000 comments from 20 citizens, three on every clause shown."""
    law = "".join(f"Статья {n}. Положение {n}\nТекст статьи {n} о защите прав потребителей.\n"
                  for n in range(1, CLAUSES + 1))
    draft_id, emails = populate(url, 20, law=law)
    engine = create_engine(url)
    with Session(engine) as session:
        round_ = session.scalars(select(Consultation).where(
            Consultation.draft_id == draft_id)).one()
        citizens = list(session.scalars(select(User.id).where(User.email.in_(emails))))
        now = clock.now()
        session.execute(insert(Comment), [dict(
            receipt=f"TK-26-{n:04d}-SEED", draft_id=draft_id, consultation_id=round_.id,
            version_id=round_.version_id, version_number=1,
            clause_key=f"art-{n % CLAUSES + 1}" if n % 10 else None,
            author_id=citizens[n % 20], body=f"Замечание {n}: уточнить понятие потребителя.",
            status=CommentStatus.PUBLISHED, created_at=now) for n in range(COMMENTS)])
        session.commit()
    engine.dispose()
    return draft_id


def test_a_big_draft_page_renders_again_and_again_in_one_process(tmp_path: Path) -> None:
    with own_database(tmp_path, "collect") as url:
        run(url, "migrate")
        draft_id = _seed(url)
        env = {**os.environ, "TALKUU_DATABASE_URL": url, "TALKUU_ENV": "development",
               "PYTHONPATH": str(ROOT)}
        rendered = subprocess.run(
            [sys.executable, "-X", "faulthandler", "-c", RENDER, str(draft_id),
             str(RENDERINGS)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert rendered.returncode == 0, (rendered.returncode, rendered.stderr[-4000:])
        assert "rendered" in rendered.stdout


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 collects at safe points itself")
def test_automatic_collection_is_off_while_a_server_process_serves() -> None:
    import gc

    from fastapi.testclient import TestClient

    from app.main import create_app

    assert gc.isenabled()
    with TestClient(create_app()):
        assert not gc.isenabled()
    assert gc.isenabled()
