"""Tests for app.services.grouping: campaign texts found through MinHash buckets, verified by
Jaccard similarity, grouped at a cost that does not grow with the number of comments."""

from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.models import Comment, CommentGroup, CommentSketch, Role
from app.services import comments as comments_service
from app.services import grouping as grouping_service
from tests.pages import conftest as page_fixtures

# The small world of the page tests: a ministry, its staff, a draft open for comments.
world = page_fixtures.world
make_draft = page_fixtures.make_draft
add_comment = page_fixtures.add_comment

TEXT = ("Прошу не принимать статью 2 в этой редакции: она распространяет закон на всех "
        "потребителей без исключений и ударит по малому бизнесу в регионах.")


def test_normalise_ignores_case_punctuation_spacing_and_invisible_characters():
    assert grouping_service.normalise("  Против!!  Статья\u00a05,\tчасть 2.") == \
        "против статья 5 часть 2"
    assert grouping_service.normalise("по\u00adтребитель") == "потребитель"
    assert grouping_service.normalise("«Нет» — и всё…") == "нет и всё"
    assert grouping_service.normalise("!!!") == ""


def test_shingles_are_pairs_of_words():
    assert grouping_service.shingles("а б в") == {"а б", "б в"}
    assert grouping_service.shingles("против") == {"против"}
    assert grouping_service.shingles("") == frozenset()


def test_sketches_are_deterministic_and_near_texts_share_buckets():
    items = grouping_service.shingles(grouping_service.normalise(TEXT))
    first = grouping_service.buckets(items, "art-2")
    assert first == grouping_service.buckets(frozenset(sorted(items)), "art-2")
    assert len(first) == grouping_service.BANDS and all(len(b) == 32 for b in first)
    # Another clause, other buckets: the same words about another clause are another comment.
    assert not set(first) & set(grouping_service.buckets(items, "art-3"))
    near = grouping_service.shingles(grouping_service.normalise(
        TEXT.replace("малому", "среднему")))
    assert grouping_service.jaccard(items, near) >= grouping_service.THRESHOLD
    assert set(first) & set(grouping_service.buckets(near, "art-2"))
    unrelated = grouping_service.shingles(grouping_service.normalise(
        "Срок вступления в силу надо перенести на год, иначе никто не успеет."))
    assert grouping_service.jaccard(items, unrelated) < 0.1


@pytest.fixture
def citizens(make_user):
    return [make_user(Role.CITIZEN) for _ in range(30)]


def test_a_lone_pair_is_healed_by_the_next_twin(db, make_draft, add_comment, citizens):
    draft = make_draft()
    first = add_comment(draft, author=citizens[0], clause_key="art-2", body=TEXT)
    second = add_comment(draft, author=citizens[1], clause_key="art-2", body=TEXT + "!")
    assert first.group_id is not None and first.group_id == second.group_id
    # As if the two had been submitted at the same instant, without seeing each other.
    group = db.get(CommentGroup, first.group_id)
    first.group_id = second.group_id = None
    db.flush()
    db.delete(group)
    db.commit()
    third = add_comment(draft, author=citizens[2], clause_key="art-2", body=TEXT.upper())
    db.refresh(first)
    db.refresh(second)
    assert third.group_id is not None
    assert first.group_id == second.group_id == third.group_id
    assert db.get(CommentGroup, third.group_id).representative_id == first.id


def test_hidden_comments_do_not_gather_a_group(db, make_draft, add_comment, citizens, world):
    draft = make_draft()
    spam = add_comment(draft, author=citizens[0], clause_key="art-2", body=TEXT)
    comments_service.hide_comment(session=db, actor=world["moderator"], comment=spam,
                                  reason="Спам")
    db.commit()
    later = add_comment(draft, author=citizens[1], clause_key="art-2", body=TEXT)
    assert later.group_id is None


def _statements(db) -> tuple[list[str], Any]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args: Any) -> None:
        seen.append(statement)

    return seen, count


def test_the_cost_of_grouping_does_not_grow_with_the_campaign(db, make_draft, add_comment,
                                                               citizens, monkeypatch):
    draft = make_draft()
    engine = db.get_bind()
    read_rows: list[int] = []
    original = grouping_service._candidate_ids

    def recording(*args: Any) -> list[set[int]]:
        found = original(*args)
        read_rows.extend(len(ids) for ids in found)
        return found

    monkeypatch.setattr(grouping_service, "_candidate_ids", recording)
    costs = []
    for i, author in enumerate(citizens):
        seen, count = _statements(db)
        event.listen(engine, "before_cursor_execute", count)
        try:
            add_comment(draft, author=author, clause_key="art-2", body=f"{TEXT} {'!' * i}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        costs.append(len(seen))
    group_ids = set(db.scalars(select(Comment.group_id).where(Comment.draft_id == draft.id)))
    assert len(group_ids) == 1 and None not in group_ids
    assert db.scalar(select(func.count()).select_from(CommentSketch)) == 30 * 8
    # The same number of statements for the 30th comment as for the 5th, and never more
    # candidates read than the buckets allow, however many share them.
    assert costs[4] == costs[-1]
    assert max(read_rows) <= grouping_service.BANDS * grouping_service.PER_BUCKET
