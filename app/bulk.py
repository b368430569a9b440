"""Many rows in one PostgreSQL statement whose text does not depend on how many there are.

A multi-row ``VALUES (...), (...)`` has a text and a parameter count that grow with its rows:
psycopg then parses it anew on every execution (it caches only statements of at most 50
parameters and 4 KiB: ~2 ms for a batch of 32 comments) and PostgreSQL plans it anew.  The
same rows passed as one JSON array and expanded by ``json_to_recordset`` keep one short text,
parsed once and prepared by the server (issue 9: a batch of comments, app/api/comment_intake.py).
One ``json.dumps`` of all the rows is done in C; an array per column (``unnest``), which this
replaced, had psycopg write each element in Python, quoting and escaping it: twice the CPU for
a batch's 256 sketches, three times for its audit entries, whose JSON is all quotes.
SQLite has no ``json_to_recordset``; its callers keep a multi-row VALUES there.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    CursorResult,
    String,
    Table,
    bindparam,
    cast,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.db import unstorable


class Insert:
    """``INSERT INTO table (columns) SELECT columns FROM records(...) [ORDER BY] tail``, its
    text written once (at import, where the module builds it: ``records`` then checks the
    columns); ``ordered`` inserts the rows in their order (ids drawn from a sequence follow
    it); ``tail`` is what comes after (ON CONFLICT, RETURNING)."""

    def __init__(self, table: Table, columns: Sequence[str], *, ordered: bool = False,
                 tail: str = "") -> None:
        self.table, self.columns = table, tuple(columns)
        names = ", ".join(self.columns)
        source = records(table, self.columns, ordinality="n" if ordered else None)
        order = " ORDER BY n" if ordered else ""
        self.statement = text(f"INSERT INTO {table.name} ({names}) SELECT {names} "
                              f"FROM {source}{order} {tail}".rstrip())

    def execute(self, connection: Connection,
                rows: Sequence[Mapping[str, Any]]) -> CursorResult[Any]:
        """On PostgreSQL: the rows in one statement."""
        return connection.execute(self.statement, json_rows(
            self.table, self.columns, rows, connection.dialect))

    def write(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """The rows in one statement on PostgreSQL, by executemany on SQLite (nothing
        returned)."""
        if connection.dialect.name == "postgresql":
            self.execute(connection, rows)
        else:
            connection.execute(insert(self.table), list(rows))


def records(table: Table, columns: Sequence[str], alias: str = "u",
            ordinality: str | None = None) -> str:
    """``ROWS FROM (json_to_recordset(CAST(:rows AS JSON)) AS (a type, ...)) AS alias(a, ...)``:
    a FROM item with a row per object of the JSON array bound as ``rows`` (``json_rows``), its
    columns typed as ``table``'s; with ``ordinality``, a last column of that name numbers the
    rows from 1 in the array's order."""
    from sqlalchemy.dialects import postgresql

    # A text statement applies no Python-side default: a column with one must be sent.
    unsent = [column.key for column in table.c
              if column.default is not None and column.key not in columns]
    if unsent:
        raise ValueError(f"{table.name}: {', '.join(unsent)} have defaults and must be sent")
    dialect = postgresql.dialect()
    return typed_records([(name, table.c[name].type.compile(dialect=dialect))
                          for name in columns], alias, ordinality)


def typed_records(columns: Sequence[tuple[str, str]], alias: str = "u",
                  ordinality: str | None = None) -> str:
    """``records`` for (name, SQL type) pairs that are not a table's."""
    typed = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    names = [name for name, _ in columns] + ([ordinality] if ordinality else [])
    numbered = " WITH ORDINALITY" if ordinality else ""
    return (f"ROWS FROM (json_to_recordset(CAST(:rows AS JSON)) AS ({typed})){numbered} "
            f"AS {alias}({', '.join(names)})")


def json_rows(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
              dialect: Dialect) -> dict[str, str]:
    """The parameter of ``records``: the rows as one JSON array, each value as the column's
    type would send it (enums as their values, datetimes in UTC), but a JSON column's value as
    a document in the array rather than a text (a None is then SQL NULL)."""
    processors = [(name, process) for name in columns
                  if not isinstance(table.c[name].type, JSON)
                  and (process := table.c[name].type.bind_processor(dialect))]
    converted = []
    for row in rows:  # json_to_recordset takes the columns it names and leaves other keys
        plain = dict(row)
        for name, process in processors:
            plain[name] = process(plain[name])
        converted.append(plain)
    return plain_rows(converted)


def plain_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The parameter of ``typed_records``: values JSON can hold, and datetimes.  A U+0000 in a
    text is refused here as the engine refuses it in any parameter (app/db.py): in the JSON
    it is an escape the engine's check cannot tell from a user's backslash.  (Half of a
    surrogate pair is written as it is, and the engine's check finds it in the JSON.)"""
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    if "\\u0000" in text:  # the escape: whether it is a NUL's or a user's backslash
        refusal = unstorable(rows)
        if refusal is not None:
            raise refusal
    return {"rows": text}


class _json_values(FunctionElement[Any]):
    """The values of a JSON array bound as text, a row each in a column ``value``:
    ``json_array_elements_text`` on PostgreSQL, ``json_each`` on SQLite (below)."""

    name = "json_values"
    inherit_cache = True


@compiles(_json_values)
def _json_each(element: _json_values, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_json_values, "postgresql")
def _json_array_elements(element: _json_values, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array_elements_text(CAST({compiler.process(element.clauses, **kw)} AS JSON))"


def among(column: InstrumentedAttribute[Any], name: str) -> ColumnElement[bool]:
    """``column IN`` the values bound as ``name``, one JSON array (``json_list``): a statement
    text that does not grow with their number (an expanding IN of a page's 1,500 comments was
    rendered, parsed by psycopg and planned anew on every rendering; the clause keys of a
    batch of comments likewise), and no bound-parameter limit on SQLite."""
    values = _json_values(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(cast(values.c.value, column.type)))


def json_list(values: Collection[Any]) -> str:
    """The parameter of ``among``."""
    return json.dumps(sorted(values), ensure_ascii=False)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # with its offset: json_to_recordset reads it as such
    raise TypeError(f"{type(value).__name__} cannot be sent in a JSON row")
