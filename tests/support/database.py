"""Fresh databases for the test session (a file for SQLite, a schema reset for PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def normalize_url(url: str) -> str:
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def prepare_database(url: str, suffix: str) -> str:
    """Return the URL of an empty database for this test session.

    PostgreSQL: the database named in ``url`` gets a fresh ``public`` schema, except when
    ``suffix`` differs from "test": then a separate database ``<name>_<suffix>`` is created
    (e2e and worker tests commit, so they must not share the rolled-back database).
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return url
    if suffix != "test":
        target = f"{parsed.database}_{suffix}"
        admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{target}"'))
        admin.dispose()
        return parsed.set(database=target).render_as_string(hide_password=False)
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url
