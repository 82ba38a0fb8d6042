"""The Celery application: every task runs inside the Flask application context.

Start a worker with ``celery -A workers.celery_app worker`` and beat with
``celery -A workers.celery_app beat``. The broker is ``CELERY_BROKER_URL`` (Redis in
production; a folder under ``instance/`` by default, so no server is needed).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from competitions import create_app


def make_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = {
        # The outbox is also kicked after each commit; the tick sends what a lost kick, a
        # flushed broker or a dead worker left behind, and the retries that are due.
        "outbox-tick": {"task": "outbox.dispatch", "schedule": 5.0},
        # Webhooks: kicked after each commit as well; the tick re-claims what was left
        # unsent (a lost kick, a dead worker) and the retries that are due.
        "webhooks-tick": {"task": "webhooks.dispatch", "schedule": 5.0},
        "webhooks-results-tick": {"task": "webhooks.results_due", "schedule": 30.0},
        "announcements-tick": {"task": "outreach.release_due", "schedule": 5.0},
        "surveys-tick": {"task": "surveys.release_due", "schedule": 30.0},
        "deadline-notices-tick": {"task": "outreach.deadline_notices", "schedule": 60.0},
        "timeline-notices-tick": {"task": "outreach.timeline_notices", "schedule": 60.0},
        # Sends at most one digest per challenge a day, from QA_DIGEST_HOUR on.
        # Pilot reminders (updates, milestones due and overdue): each sent once (outbox source).
        "pilot-reminders-tick": {"task": "pilots.reminders", "schedule": 15 * 60.0},
        "answers-digest-tick": {"task": "questions.digest", "schedule": 5 * 60.0},
        "purge-unverified-accounts": {
            "task": "accounts.purge_unverified",
            "schedule": 6 * 60 * 60.0,
        },
    }
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def _record_runs(app: Flask) -> None:
    """Each task's last success and failure, for monitoring (``core.task_runs``)."""
    from celery.signals import task_failure, task_success

    from competitions.core import task_runs

    def record(sender: Any, ok: bool) -> None:
        with app.app_context():
            task_runs.record(getattr(sender, "name", str(sender)), ok)

    task_success.connect(lambda sender=None, **_: record(sender, True), weak=False)
    task_failure.connect(lambda sender=None, **_: record(sender, False), weak=False)


flask_app = create_app()
celery_app = make_celery(flask_app)
_record_runs(flask_app)
app = celery_app  # `celery -A workers.celery_app` finds `app` or `celery_app`

# Register tasks (imported for their side effect).
from workers import tasks  # noqa: E402,F401
