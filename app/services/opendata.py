"""Open data: the whole public record as CSV and JSON Lines, streamed with constant memory.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written out a
chunk at a time, so exporting a million comments needs no more memory than exporting ten.
What is exported is what the pages show anyone: published comments; hidden ones only with the
moderator's public reason, never their words; answers only once the round's summary is
published (they are private until then).
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, case, exists, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import NotFound
from app.models import (
    Clause, Comment, CommentStatus, Consultation, Draft, FeedbackSummary, Organization, Response,
    User, Version,
)

CHUNK = 1000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _(message: str) -> str:
    """Marks a description for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, text or timestamp
    description: str
    # What fills it: each column names its own SQL expression, so the header and the
    # values cannot drift apart.
    expression: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: tuple[Column, ...]
    # The joins, conditions and order that the columns' expressions need.
    source: Callable[[Select[Any]], Select[Any]]

    def query(self) -> Select[Any]:
        return self.source(select(*(c.expression for c in self.columns)))


def _text(name: str, expression: Any, description: str) -> Column:
    return Column(name, "text", description, expression)


def _int(name: str, expression: Any, description: str) -> Column:
    return Column(name, "integer", description, expression)


def _time(name: str, expression: Any, description: str) -> Column:
    return Column(name, "timestamp", description, expression)


def _multilingual(model: Any, stem: str, description: str,
                  languages: tuple[str, ...] = ("ky", "ru", "en")) -> tuple[Column, ...]:
    return tuple(_text(f"{stem}_{code}", getattr(model, f"{stem}_{code}"), description)
                 for code in languages)


def _unless_hidden(column: Any) -> Any:
    return case((Comment.status == CommentStatus.HIDDEN, None), else_=column)


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("drafts", _("Every draft act published on the portal."), (
        _int("id", Draft.id, _("Number of the draft on the portal.")),
        _text("organization", Organization.slug,
              _("Identifier of the state body that drafted it.")),
        _text("act_type", Draft.act_type,
              _("Type of act (law, code, resolution of the Cabinet, ...).")),
        *_multilingual(Draft, "title", _("Title, in Kyrgyz, Russian and English.")),
        *_multilingual(Draft, "summary", _("Short summary, in Kyrgyz, Russian and English.")),
        _int("current_version", Draft.current_version, _("Number of the latest version.")),
        _text("outcome", Draft.outcome, _("pending, adopted or withdrawn.")),
        _time("created_at", Draft.created_at,
              _("When it was published (ISO 8601 with offset).")),
    ), lambda query: query.join(Organization, Organization.id == Draft.organization_id)
       .order_by(Draft.id)),
    Dataset("versions", _("Every version of every draft; the text itself is in clauses."), (
        _int("id", Version.id, _("Number of the version on the portal.")),
        _int("draft_id", Version.draft_id, _("The draft it belongs to.")),
        _int("number", Version.number, _("1 for the first version, then 2, 3, ...")),
        _text("change_note", Version.change_note, _("What the drafter said changed.")),
        _time("created_at", Version.created_at,
              _("When it was published (ISO 8601 with offset).")),
    ), lambda query: query.order_by(Version.id)),
    Dataset("clauses", _("Every clause (article, part, point, ...) of every version."), (
        _int("id", Clause.id, _("Number of the clause on the portal.")),
        _int("draft_id", Version.draft_id, _("The draft it belongs to.")),
        _int("version", Version.number, _("Number of the version.")),
        _text("key", Clause.key,
              _("Stable key from its place in the tree, e.g. art-21-1/part-2/pt-3.")),
        _text("parent_key", Clause.parent_key, _("Key of the clause it belongs to, if any.")),
        _text("kind", Clause.kind,
              _("section, chapter, article, part, point, subpoint or paragraph.")),
        _text("number", Clause.number, _("Its number as written (21-1, 3, а).")),
        _int("position", Clause.position, _("Order in the document.")),
        *_multilingual(Clause, "heading", _("Heading, in Kyrgyz and Russian."), ("ky", "ru")),
        *_multilingual(Clause, "text", _("Text, in Kyrgyz and Russian."), ("ky", "ru")),
    ), lambda query: query.join(Version, Version.id == Clause.version_id).order_by(Clause.id)),
    Dataset("consultations", _("Every comment period (round) with its dates."), (
        _int("id", Consultation.id, _("Number of the round on the portal.")),
        _int("draft_id", Consultation.draft_id, _("The draft it belongs to.")),
        _int("round", Consultation.round, _("1 for the first round, then 2, 3, ...")),
        _time("opens_at", Consultation.opens_at, _("When comments open (ISO 8601 with offset).")),
        _time("closes_at", Consultation.closes_at, _("When comments close, after any extension.")),
        _time("original_closes_at", Consultation.original_closes_at,
              _("The end first announced.")),
        _text("urgent_reason", Consultation.urgent_reason,
              _("Justification of a shortened (urgent) period, if any.")),
    ), lambda query: query.order_by(Consultation.id)),
    Dataset("comments", _("Every comment; a hidden one only with the moderator's reason."), (
        _int("id", Comment.id, _("Number of the comment on the portal.")),
        _text("receipt", Comment.receipt, _("The receipt number its author received.")),
        _int("draft_id", Comment.draft_id, _("The draft it belongs to.")),
        _int("version", Comment.version_number, _("Number of the version commented on.")),
        _text("clause_key", Comment.clause_key,
              _("Key of the clause commented on; empty for the whole draft.")),
        _text("status", Comment.status,
              _("published, hidden (by a moderator) or withdrawn (by its author).")),
        _text("author", _unless_hidden(User.name),
              _("Name of the author as shown on the portal (empty if hidden).")),
        _text("on_behalf_of", _unless_hidden(Comment.on_behalf_of),
              _("Organisation the author speaks for, if any.")),
        _text("body", _unless_hidden(Comment.body), _("The comment (empty if hidden).")),
        _text("proposed_wording", _unless_hidden(Comment.proposed_wording),
              _("New wording proposed for the clause, if any.")),
        _text("hidden_reason", Comment.hidden_reason, _("Why a moderator hid it.")),
        _text("withdrawn_reason", Comment.withdrawn_reason, _("Why its author withdrew it.")),
        _time("created_at", Comment.created_at, _("When it was sent (ISO 8601 with offset).")),
    ), lambda query: query.join(User, User.id == Comment.author_id).order_by(Comment.id)),
    Dataset("answers", _("The state body's answer to each comment, once the summary of its "
                         "round is published."), (
        _int("comment_id", Response.comment_id, _("The comment answered.")),
        _int("draft_id", Comment.draft_id, _("The draft it belongs to.")),
        _text("decision", Response.decision,
              _("accepted, partially_accepted, rejected or not_applicable.")),
        _text("reasoning", Response.reasoning, _("The reasoning of the decision.")),
        _time("answered_at", Response.updated_at,
              _("When the answer was last changed before publication.")),
    ), lambda query: query.join(Comment, Comment.id == Response.comment_id)
       .where(Comment.status == CommentStatus.PUBLISHED,
              exists().where(FeedbackSummary.consultation_id == Comment.consultation_id))
       .order_by(Response.comment_id)),
    Dataset("summaries", _("Every published feedback summary, corrections included."), (
        _int("id", FeedbackSummary.id, _("Number of the summary on the portal.")),
        _int("draft_id", FeedbackSummary.draft_id, _("The draft it belongs to.")),
        _int("round", Consultation.round, _("The comment period it closes.")),
        _int("revision", FeedbackSummary.revision, _("1, or the number of a correction.")),
        _int("corrects_id", FeedbackSummary.corrects_id, _("The summary a correction replaces.")),
        _text("correction_reason", FeedbackSummary.correction_reason,
              _("Why it was corrected.")),
        _time("published_at", FeedbackSummary.published_at,
              _("When it was published (ISO 8601 with offset).")),
    ), lambda query: query.join(Consultation, Consultation.id == FeedbackSummary.consultation_id)
       .order_by(FeedbackSummary.id)),
)}


def get_dataset(name: str, fmt: str) -> Dataset:
    """The dataset called ``name`` in a known format, or NotFound."""
    if name not in DATASETS or fmt not in FORMATS:
        raise NotFound()
    return DATASETS[name]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.local(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _rows(session: Session, dataset: Dataset) -> Iterator[list[Any]]:
    result = session.execute(dataset.query().execution_options(yield_per=CHUNK))
    for partition in result.partitions():
        yield [[_plain(v) for v in row] for row in partition]


def stream(*, session: Session, dataset: Dataset, fmt: str) -> Iterator[bytes]:
    """The dataset as CSV (a header row first) or JSON Lines, a chunk of rows at a time."""
    names = [c.name for c in dataset.columns]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        for chunk in _rows(session, dataset):
            writer.writerows(chunk)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
        return
    for chunk in _rows(session, dataset):
        yield "".join(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
                      for row in chunk).encode("utf-8")
