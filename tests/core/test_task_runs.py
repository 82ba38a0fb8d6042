"""Each worker task's last success and failure, with counts (``core.task_runs``): recorded by
one upsert per run, and by a real Celery worker for the tasks it runs (what ``/metrics``
publishes to tell a stopped worker or beat from a quiet platform)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.core.task_runs import TaskRun


def test_a_run_is_recorded_once_per_outcome(live_app):
    from competitions.core import task_runs

    name = f"test.metrics-{uuid.uuid4().hex[:8]}"
    with live_app.app_context():
        task_runs.record(name, True)
        task_runs.record(name, True)
        task_runs.record(name, False)
        row = db.session.get(TaskRun, name)
        assert (row.successes, row.failures) == (2, 1)
        assert row.last_success_at is not None and row.last_failure_at is not None
        db.session.rollback()


@pytest.mark.worker
def test_a_real_worker_records_the_tasks_it_ran(live_app, celery_worker):
    from competitions.core.tasks import send_task
    from tests.support.live import wait_until

    with live_app.app_context():
        before = (
            db.session.scalar(select(TaskRun.successes).where(TaskRun.task == "core.ping")) or 0
        )
        db.session.rollback()
        send_task("core.ping", "metrics")

        def counted() -> bool:
            n = db.session.scalar(select(TaskRun.successes).where(TaskRun.task == "core.ping"))
            db.session.rollback()
            return (n or 0) > before

        try:
            wait_until(counted, timeout=60)
        except AssertionError:
            pytest.fail(f"the worker recorded no run; its log:\n{celery_worker.output()}")
