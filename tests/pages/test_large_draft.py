"""A code of thousands of clauses renders whole, in a number of queries that comments don't grow."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from app.models import Clause, Role
from app.services import drafts as drafts_service
from tests.conftest import CORPUS
from tests.pages.conftest import forget_kept_pages, soup


@contextmanager
def counting_queries(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_queries_do_not_grow_with_comments(client, connection, make_draft, add_comment,
                                           make_user, world, sign_in, browser):
    draft = make_draft()
    keys = ["art-1", "art-1/part-1", "art-1/part-1/pt-2", "art-2", None, "art-3"]
    add_comment(draft, clause_key="art-1")
    moderator = sign_in(browser(), world["moderator"])

    def queries(visitor) -> int:
        forget_kept_pages(visitor)  # count the queries of a rendering, not of a kept page
        with counting_queries(connection) as statements:
            assert visitor.get(f"/drafts/{draft.id}").status_code == 200
        return len(statements)

    one_anonymous, one_moderator = queries(client), queries(moderator)
    citizens = [make_user(Role.CITIZEN) for _ in range(5)]
    for n in range(29):
        add_comment(draft, author=citizens[n % 5], clause_key=keys[n % len(keys)],
                    body=f"Комментарий {n}")
    page = soup(client.get(f"/drafts/{draft.id}"))
    # The latest 3 of each clause and all 5 on the draft as a whole (art-1 has 6, art-3 4).
    assert len(page.select("article.comment")) == 3 * 5 + 5
    assert queries(client) == one_anonymous
    assert queries(moderator) == one_moderator
    # Two more for a visitor than before the page was kept: the cache's stamp, and the comments
    # placed without their text before the shown ones are loaded whole.
    assert 0 < one_anonymous <= 22, one_anonymous


def test_the_tax_code_renders_with_every_article_anchor(client, db, world, connection):
    text = (CORPUS / "ru" / "tax-code.txt").read_text(encoding="utf-8")
    draft, outcome = drafts_service.create_draft(
        session=db, actor=world["drafter"], organization=world["ministry"], act_type="code",
        title={"ru": "Налоговый кодекс Кыргызской Республики"}, summary=None,
        text=drafts_service.VersionText(ru=text))
    db.commit()
    assert outcome.counts["article"] > 400
    version = drafts_service.get_version(session=db, draft=draft)
    articles = list(db.scalars(select(Clause.key).where(Clause.version_id == version.id,
                                                        Clause.kind == "article")))
    started = time.perf_counter()
    with counting_queries(connection) as statements:
        response = client.get(f"/drafts/{draft.id}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(statements) <= 20
    assert elapsed < 10, elapsed  # generous: a shared 2-core runner; it takes about 1 s
    page = soup(response)
    ids = {tag["id"] for tag in page.find_all(id=True)}
    missing = [key for key in articles if key.replace("/", "--") not in ids]
    assert not missing, missing[:10]
    toc_targets = {a["href"][1:] for a in page.find("details", class_="toc").find_all("a")}
    assert {key.replace("/", "--") for key in articles} <= toc_targets
