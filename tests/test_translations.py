"""Every sentence the interface can show exists, filled in, in Russian and in Kyrgyz.

The messages are collected the way gettext tools would: ``_()`` / ``ngettext()`` in the
templates, ``gettext_()`` / ``ngettext_()`` in the code, the ``message`` of every domain error,
and every literal sentence given to a domain error (``InvalidInput("...")``) anywhere under
``app/``. A message missing from a catalog would reach a Kyrgyz or Russian reader in English.
"""

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import app
from app.config import ROOT
from app.errors import TalkuuError

TEMPLATES = ROOT / "web" / "templates"
LOCALES = ROOT / "web" / "locale"
TRANSLATED = ("ru", "ky")
PLURAL_FORMS = {"ru": 3, "ky": 2}

Message = str | tuple[str, str]  # a msgid, or (singular, plural)


def _import_everything() -> None:
    # Error classes defined anywhere (e.g. next to the API's upload code) must be known.
    for module in pkgutil.walk_packages(app.__path__, prefix="app."):
        importlib.import_module(module.name)


def _error_classes() -> list[type[TalkuuError]]:
    _import_everything()
    found: list[type[TalkuuError]] = []
    pending = [TalkuuError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _python_keywords() -> dict[str, tuple[int, ...] | None]:
    keywords: dict[str, tuple[int, ...] | None] = {
        "_": None, "gettext_": None, "ngettext_": (1, 2), "ngettext": (1, 2),
        # comments.py hands its "too long" sentences to InvalidInput through this helper.
        "_clean": (3,)}
    keywords.update({cls.__name__: None for cls in _error_classes()})
    return keywords


def _template_messages() -> Iterator[tuple[str, Message]]:
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    for path in sorted(TEMPLATES.rglob("*.html")):
        with path.open("rb") as handle:
            for lineno, message, _comments, _context in extract(
                    babel_extract, handle, keywords={"_": None, "gettext": None,
                                                     "ngettext": (1, 2)}, options=options):
                yield f"{path.relative_to(ROOT)}:{lineno}", message


def _python_messages() -> Iterator[tuple[str, Message]]:
    keywords = _python_keywords()
    for path in sorted((ROOT / "app").rglob("*.py")):
        with path.open("rb") as handle:
            for lineno, message, _comments, _context in extract("python", handle,
                                                                keywords=keywords):
                # `Error(key=", ".join(keys))` gives babel a first string that is no sentence.
                text = message[0] if isinstance(message, tuple) else message
                if any(ch.isalpha() for ch in text):
                    yield f"{path.relative_to(ROOT)}:{lineno}", message
    for cls in _error_classes():
        if "message" in vars(cls):
            yield f"{cls.__module__}.{cls.__name__}.message", cls.message


def all_messages() -> dict[Message, str]:
    """Every message with one place where it is used."""
    found: dict[Message, str] = {}
    for where, message in [*_template_messages(), *_python_messages()]:
        found.setdefault(message, where)
    return found


def _catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def messages() -> dict[Message, str]:
    return all_messages()


def test_the_extraction_finds_the_known_kinds_of_message(messages):
    assert "Comment period" in messages  # a template
    assert ("%(num)d comment", "%(num)d comments") in messages  # a plural in a template
    assert "Not found." in messages  # an error class's message
    assert "Please check the fields: {fields}." in messages  # FieldsToCheck, app/errors.py
    assert "The service is briefly unavailable. Please try again in a minute." in messages


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_a_translation_for_every_message(messages, language):
    catalog = _catalog(language)
    assert catalog.num_plurals == PLURAL_FORMS[language]
    problems = []
    for message, where in messages.items():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing   {msgid!r}  ({where})")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message, tuple) and len(strings) != PLURAL_FORMS[language]:
            problems.append(f"plurals   {msgid!r}  needs {PLURAL_FORMS[language]} forms")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"empty     {msgid!r}  ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy     {msgid!r}  ({where})")
        else:
            expected = _placeholders(msgid)
            for string in strings:
                if _placeholders(string) - expected or (
                        not isinstance(message, tuple) and _placeholders(string) != expected):
                    problems.append(f"placeholders differ in {msgid!r}: {string!r}")
    assert not problems, f"{language} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_headers(language):
    text = (LOCALES / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert f"Language: {language}" in text
    assert "Content-Type: text/plain; charset=UTF-8" in text
    assert "Plural-Forms:" in text


def test_kyrgyz_uses_kyrgyz_letters():
    # A Kyrgyz catalog typed on a Russian keyboard loses ң, ө and ү; a real one is full of them.
    catalog = _catalog("ky")
    text = " ".join(s for m in catalog if m.id for s in (
        m.string if isinstance(m.string, tuple) else (m.string,)))
    for letter in "ңөү":
        assert letter in text


def test_translations_reach_the_pages():
    from app import i18n

    token = i18n.current_language.set("ky")
    try:
        assert i18n.gettext_("Not found.") != "Not found."
    finally:
        i18n.current_language.reset(token)


def catalog_paths() -> list[Path]:
    return [LOCALES / code / "LC_MESSAGES" / "messages.po" for code in TRANSLATED]


@pytest.mark.parametrize("source", [
    "app/services/notifications.py",  # emails to accounts
    "app/services/alerts.py",  # journalists' email alerts
    "app/services/feeds.py",  # Atom and RSS
    "app/services/summary_export.py",  # the comparison table (Word, PDF)
    "app/main.py",  # error responses
])
def test_emails_feeds_exports_and_errors_are_extracted(source):
    # Each kind of text outside the pages goes through gettext, so the catalogs cover it.
    assert any(where.startswith(source) for where, _message in _python_messages()), source


def test_russian_has_three_plural_forms_and_kyrgyz_one_word():
    from app import i18n

    ru, ky = i18n.translations("ru"), i18n.translations("ky")
    forms = [ru.ngettext("%(num)d comment", "%(num)d comments", n) % {"num": n} for n in (1, 2, 5, 21)]
    assert forms == ["1 комментарий", "2 комментария", "5 комментариев", "21 комментарий"]
    # In Kyrgyz the noun does not change after a number.
    assert [ky.ngettext("%(num)d comment", "%(num)d comments", n) % {"num": n}
            for n in (1, 5)] == ["1 комментарий", "5 комментарий"]


def test_dates_and_numbers_follow_the_language_in_bishkek_time():
    from datetime import datetime, timezone

    from app import i18n

    moment = datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc)  # 1 January 02:30 in Bishkek
    with i18n.use_language("ru"):
        assert _spaces(i18n.format_moment(moment)) == "1 января 2027 г., 02:30"
        assert _spaces(i18n.format_number(12345)) == "12 345"
    with i18n.use_language("en"):
        assert i18n.format_moment(moment) == "January 1, 2027, 02:30"
        assert i18n.format_number(12345) == "12,345"
    with i18n.use_language("ky"):
        assert "2027" in i18n.format_day(moment) and "январ" in i18n.format_day(moment)


def _spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")
