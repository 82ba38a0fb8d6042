"""Writing many rows at once: PostgreSQL's COPY where it runs, one executemany elsewhere.

A list of dicts through SQLAlchemy's executemany costs psycopg one statement per row (or, with
RETURNING, multi-row statements whose placeholders it re-parses client-side): 30,000 rows took
3 to 5 s. COPY streams the same rows in one statement (triggers and constraints still apply to
every row) in a fraction of that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from competitions.core.extensions import db


def insert_rows(table: Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys, plain Python values, timezone-aware
    instants) into ``table`` (a ``Table``, or a model's ``__table__``) in the session's
    transaction; returns how many. Integrity errors (constraints, guard triggers) raise
    ``sqlalchemy.exc.IntegrityError`` on both engines."""
    if not rows:
        return 0
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(sa.insert(table), list(rows))
        return len(rows)
    import psycopg

    columns = list(rows[0])
    sql = 'COPY "{}" ({}) FROM STDIN'.format(table.name, ", ".join(f'"{c}"' for c in columns))
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except psycopg.errors.IntegrityError as exc:
        raise sa.exc.IntegrityError(sql, None, exc) from exc
    return len(rows)
