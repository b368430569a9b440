"""Tests for app.services.staging (a text previewed, then published once) and the round limited
to the clauses changed since the previous round (app.services.workspace)."""

import io

import docx
import pytest
from sqlalchemy import func, select

from app import clock
from app.errors import InvalidInput, PayloadTooLarge
from app.models import Draft, Role, StagedImportKind, Version
from app.services import comparison as comparison_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import importing as importing_service
from app.services import staging as staging_service
from app.services import workspace as workspace_service
from tests.conftest import bishkek

LAW = """Статья 1. Предмет

Настоящий Закон регулирует сборы.

Статья 2. Ставки

1. Ставка сбора составляет 10 сомов.

2. Ставка пересматривается ежегодно.

Статья 3. Вступление в силу

Настоящий Закон вступает в силу со дня опубликования.
"""

LAW_KY = """1-берене. Предмети

Бул Мыйзам жыйымдарды жөнгө салат.

2-берене. Ставкалар

1. Жыйымдын ставкасы 10 сом.
"""


NEW_ARTICLE = "\nСтатья 4. Отчёт\n\nПравительство отчитывается.\n"


@pytest.fixture(autouse=True)
def _fresh_comparisons():
    # Comparisons are cached by version ids, which the rolled-back tests hand out again.
    comparison_service.clear_cache()
    yield
    comparison_service.clear_cache()
    clock.set_now(None)


@pytest.fixture
def people(make_org, make_user):
    ministry = make_org("minfin", "Министерство финансов", "Финансы министрлиги")
    return {"ministry": ministry, "drafter": make_user(Role.DRAFTER, ministry),
            "colleague": make_user(Role.DRAFTER, ministry)}


def _stage(db, people, *, texts=None, files=None, title=None):
    return staging_service.stage_draft(
        session=db, actor=people["drafter"], organization=people["ministry"], act_type="law",
        title=title if title is not None else {"ru": "О сборах", "ky": ""},
        summary={"ru": "  ", "ky": "Кыскача"}, texts=texts or {"ru": LAW},
        files=files or {})


def _uploaded(raw: bytes, filename: str, language: str) -> staging_service.UploadedFile:
    result = importing_service.import_document(raw, filename, language=language)
    return staging_service.UploadedFile(filename=filename, raw=raw, text=result.text)


def _docx_with_table() -> bytes:
    document = docx.Document()
    document.add_paragraph("Статья 1. Ставки")
    document.add_paragraph("1. Ставки сбора:")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Разряд", "Ставка"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "10"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- staging -----------------------------------------------------------------------------

def test_staging_refuses_what_publishing_would(db, people):
    with pytest.raises(InvalidInput, match="needs a title"):
        _stage(db, people, title={"ru": " ", "ky": ""})
    with pytest.raises(InvalidInput, match="too long"):
        _stage(db, people, title={"ru": "З" * 501})
    with pytest.raises(InvalidInput, match="empty"):
        _stage(db, people, texts={"ru": "  ", "ky": None})
    with pytest.raises(InvalidInput, match="Unknown act type"):
        staging_service.stage_draft(session=db, actor=people["drafter"],
                                    organization=people["ministry"], act_type="decree",
                                    title={"ru": "Т"}, summary={}, texts={"ru": LAW}, files={})
    with pytest.raises(PayloadTooLarge):
        _stage(db, people, texts={"ru": "а" * (drafts_service.MAX_TEXT_CHARS + 1)})


def test_a_staged_draft_keeps_its_fields_and_is_not_a_draft(db, people):
    staged = _stage(db, people)
    assert staged.kind is StagedImportKind.NEW_DRAFT
    assert len(staged.token) >= 32 and staged.draft_id is None
    assert staged.form_fields == {"act_type": "law", "title": {"ru": "О сборах"},
                                  "summary": {"ky": "Кыскача"}}
    assert staged.text_ru == LAW and staged.text_ky is None and staged.file_ru is None
    assert db.scalar(select(func.count()).select_from(Draft)) == 0


def test_only_the_author_finds_a_staged_import(db, people):
    staged = _stage(db, people)
    assert staging_service.get_staged(session=db, token=staged.token,
                                      actor=people["drafter"]) is staged
    with pytest.raises(staging_service.StagedImportNotFound):
        staging_service.get_staged(session=db, token=staged.token, actor=people["colleague"])
    with pytest.raises(staging_service.StagedImportNotFound):
        staging_service.get_staged(session=db, token="nope", actor=people["drafter"])
    with pytest.raises(staging_service.StagedImportNotFound):
        staging_service.publish(session=db, actor=people["colleague"], staged=staged)


# --- the preview -------------------------------------------------------------------------

def test_preview_reports_counts_contents_and_the_bilingual_mismatch(db, people):
    staged = _stage(db, people, texts={"ru": LAW, "ky": LAW_KY})
    preview = staging_service.preview(session=db, staged=staged)
    ru, ky = preview.reports
    assert (ru.language, ky.language) == ("ru", "ky")
    assert ru.counts["article"] == 3 and ru.counts["part"] == 2 and ru.counts["table"] == 0
    assert ky.counts["article"] == 2 and ky.counts["part"] == 1
    assert [(item.kind, item.key) for item in preview.toc] == [
        ("article", "art-1"), ("article", "art-2"), ("article", "art-3")]
    assert preview.toc[0].label == "Статья 1." and preview.toc[0].heading == "Предмет"
    assert preview.mismatched_keys == {
        "ru": ["art-2/part-2", "art-3", "art-3/p-1"], "ky": []}
    assert preview.changes is None


def test_preview_of_a_docx_counts_its_table_and_notes_the_unplaced(db, people):
    raw = _docx_with_table()
    staged = _stage(db, people, files={"ru": _uploaded(raw, "law.docx", "ru")},
                    texts={"ru": "ignored: the file replaces it"})
    assert staged.file_ru == raw and staged.filename_ru == "law.docx"
    (report,) = staging_service.preview(session=db, staged=staged).reports
    assert report.filename == "law.docx"
    assert report.counts["table"] == 1 and report.counts["article"] == 1
    orphan = _stage(db, people, texts={"ru": "1. Пункт без статьи.\n\nСтатья 1. Предмет"})
    (report,) = staging_service.preview(session=db, staged=orphan).reports
    assert report.unplaced and "outside any article" in report.unplaced[0]


# --- publishing --------------------------------------------------------------------------

def test_publishing_a_docx_keeps_the_table_and_happens_once(db, people):
    staged = _stage(db, people, files={"ru": _uploaded(_docx_with_table(), "law.docx", "ru")})
    published = staging_service.publish(session=db, actor=people["drafter"], staged=staged)
    assert published.version_number == 1
    assert staged.published_at is not None and staged.draft_id == published.draft.id
    assert staged.outcome["version"] == 1 and staged.outcome["mismatched_keys"] == {}
    clauses = drafts_service.get_clauses(
        session=db, version=drafts_service.get_version(session=db, draft=published.draft))
    assert [c.table_ru for c in clauses if c.table_ru] == [[["Разряд", "Ставка"], ["1", "10"]]]
    with pytest.raises(staging_service.StagedImportPublished):
        staging_service.publish(session=db, actor=people["drafter"], staged=staged)
    assert db.scalar(select(func.count()).select_from(Draft)) == 1
    assert staging_service.latest_outcome(session=db, draft_id=published.draft.id,
                                          actor=people["drafter"]) == staged.outcome


def test_publishing_records_the_mismatch(db, people):
    staged = _stage(db, people, texts={"ru": LAW, "ky": LAW_KY})
    published = staging_service.publish(session=db, actor=people["drafter"], staged=staged)
    assert published.outcome.mismatched_keys["ru"] == ["art-2/part-2", "art-3", "art-3/p-1"]
    assert staged.outcome["mismatched_keys"] == published.outcome.mismatched_keys


def _draft(db, people, text: str = LAW) -> Draft:
    draft, _ = drafts_service.create_draft(
        session=db, actor=people["drafter"], organization=people["ministry"], act_type="law",
        title={"ru": "О сборах"}, summary=None, text=drafts_service.VersionText(ru=text))
    return draft


def test_a_new_version_needs_a_note_and_shows_what_changed(db, people):
    draft = _draft(db, people)
    with pytest.raises(InvalidInput, match="describe what changed"):
        staging_service.stage_version(session=db, actor=people["drafter"], draft=draft,
                                      texts={"ru": LAW}, files={}, change_note="  ")
    new_text = LAW.replace("10 сомов", "20 сомов") + NEW_ARTICLE
    staged = staging_service.stage_version(session=db, actor=people["drafter"], draft=draft,
                                           texts={"ru": new_text}, files={},
                                           change_note="Ставка повышена")
    assert staged.form_fields == {"change_note": "Ставка повышена", "base_version": 1}
    changes = staging_service.preview(session=db, staged=staged).changes
    assert changes.from_number == 1 and changes.language == "ru"
    assert changes.counts["modified"] == 1 and changes.counts["added"] == 2
    assert changes.counts["removed"] == 0
    assert [(row.change, row.key) for row in changes.clauses] == [
        ("modified", "art-2/part-1"), ("added", "art-4"), ("added", "art-4/p-1")]
    assert [c.key for c in changes.clauses[0].path] == ["art-2", "art-2/part-1"]
    published = staging_service.publish(session=db, actor=people["drafter"], staged=staged)
    assert published.version_number == 2 and draft.current_version == 2
    assert db.scalar(select(Version.change_note).where(Version.draft_id == draft.id,
                                                       Version.number == 2)) == "Ставка повышена"


def test_a_version_previewed_before_another_one_is_refused(db, people):
    draft = _draft(db, people)
    staged = staging_service.stage_version(session=db, actor=people["drafter"], draft=draft,
                                           texts={"ru": LAW + "\nСтатья 4. Новая\n\nТекст.\n"},
                                           files={}, change_note="Первая")
    drafts_service.add_version(session=db, actor=people["colleague"], draft=draft,
                               text=drafts_service.VersionText(ru=LAW), change_note="Другая")
    assert staging_service.preview(session=db, staged=staged).stale
    with db.begin_nested():
        with pytest.raises(staging_service.DraftChangedSincePreview):
            staging_service.publish(session=db, actor=people["drafter"], staged=staged)


# --- a round limited to what changed -----------------------------------------------------

def test_outermost_keys():
    assert workspace_service.outermost(["art-4/p-1", "art-4", "art-2/part-1", "art-2/part-1/pt-1",
                                        "art-20"]) == ["art-2/part-1", "art-20", "art-4"]


def test_changed_since_last_round(db, people):
    clock.set_now(bishkek(2026, 12, 1, 9))
    draft = _draft(db, people)
    assert workspace_service.changed_since_last_round(session=db, draft=draft) is None
    consultations_service.open_consultation(
        session=db, actor=people["drafter"], draft=draft, opens_at=bishkek(2026, 12, 1, 10),
        closes_at=bishkek(2027, 1, 1))
    new_text = LAW.replace("10 сомов", "20 сомов") + NEW_ARTICLE
    drafts_service.add_version(session=db, actor=people["drafter"], draft=draft,
                               text=drafts_service.VersionText(ru=new_text), change_note="Н")
    changes = workspace_service.changed_since_last_round(session=db, draft=draft)
    assert (changes.from_number, changes.to_number) == (1, 2)
    assert changes.keys == ["art-2/part-1", "art-4"]  # art-4/p-1 is under art-4
    assert [c.key for c in changes.clauses[0].path] == ["art-2", "art-2/part-1"]
    assert [a.key for a in workspace_service.articles(
        session=db, version_id=drafts_service.get_version(session=db, draft=draft).id)] == [
        "art-1", "art-2", "art-3", "art-4"]


def test_housekeeping_forgets_abandoned_previews_and_old_counters(db, people):
    from datetime import timedelta

    from sqlalchemy import func, select

    from app.cli import housekeeping
    from app.models import RateLimitCounter, StagedImport

    _stage(db, people)
    db.add(RateLimitCounter(key="comment:acct:x", window_start=0, hits=3))
    db.flush()
    housekeeping(db)  # a fresh preview stays
    assert db.scalar(select(func.count()).select_from(StagedImport)) == 1
    assert db.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
    clock.set_now(clock.now() + timedelta(days=8))
    housekeeping(db)
    assert db.scalar(select(func.count()).select_from(StagedImport)) == 0
