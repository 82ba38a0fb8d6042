"""When each Celery task last succeeded and last failed, written by the workers (one row per
task name), so that monitoring can tell a stopped worker or beat from a quiet platform: beat
runs ``outbox.dispatch`` every five seconds whether or not there is mail (``core.metrics``
publishes these instants)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from competitions.core import clock
from competitions.core.db import Base, UTCDateTime
from competitions.core.extensions import db

log = logging.getLogger(__name__)


class TaskRun(Base):
    """A task's last outcomes and counts since the row was created."""

    __tablename__ = "task_run"

    task: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    successes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    failures: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def record(task: str, ok: bool) -> None:
    """Count one run of ``task`` on a connection of its own (the task's session is closed by
    now): one upsert. Never raises: monitoring must not fail a task."""
    table = cast(sa.Table, TaskRun.__table__)
    now = clock.now()
    at, count = ("last_success_at", "successes") if ok else ("last_failure_at", "failures")
    try:
        engine = db.engine
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(table).values(
            task=task[:100], successes=int(ok), failures=int(not ok), **{at: now}
        )
        statement = statement.on_conflict_do_update(
            index_elements=["task"], set_={at: now, count: table.c[count] + 1}
        )
        with engine.begin() as conn:
            conn.execute(statement)
    except Exception:
        log.exception("could not record a run of task %s", task)
