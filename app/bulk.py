"""Many rows in one PostgreSQL statement whose text does not depend on how many there are.

A multi-row ``VALUES (...), (...)`` has a text and a parameter count that grow with its rows:
psycopg then parses it anew on every execution (it caches only statements of at most 50
parameters and 4 KiB: ~2 ms for a batch of 32 comments) and PostgreSQL plans it anew.  The
same rows passed as one array per column and expanded by ``unnest`` keep one short text,
parsed once and prepared by the server (issue 9: a batch of comments, app/api/comment_intake.py).
SQLite has no arrays; its callers keep a multi-row VALUES there.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect


def unnest(table: Table, columns: Sequence[str], alias: str = "u") -> str:
    """``unnest(CAST(:a AS type[]), ...) AS alias(a, ...)``: a FROM item with a row per
    element of the arrays bound as the parameters named after ``table``'s ``columns``."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])"
                       for name in columns)
    return f"unnest({arrays}) AS {alias}({', '.join(columns)})"


def arrays(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
           dialect: Dialect) -> dict[str, list[Any]]:
    """The parameters of ``unnest``: one list per column, each value as the column's type
    would send it (enums as their values, datetimes in UTC)."""
    params = {}
    for name in columns:
        process = table.c[name].type.bind_processor(dialect)
        values = [row[name] for row in rows]
        params[name] = [process(v) for v in values] if process else values
    return params
