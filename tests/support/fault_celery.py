"""The Celery app that the delivery fault tests start (``celery -A tests.support.fault_celery``).

It is the project's own app (``workers.celery_app``: same tasks, same settings, same beat
schedule) with three knobs read from the environment, so that a fault and the recovery from it
fit in seconds:

``TANDEM_TEST_QUEUE``
    the queue these workers and this beat use, so that they share nothing with other workers
    on the same Redis database (e.g. the suite's own ``celery_worker``);
``TANDEM_TEST_TICK``
    seconds between two outbox ticks and two announcement ticks (production: 5);
``TANDEM_TEST_FIRST_RETRY``
    the first retry delay after a temporary refusal (production: 30 s; it doubles each time,
    as in production — tests/core/test_outbox.py checks the real delays).
"""

from __future__ import annotations

import os
from datetime import timedelta

from competitions.core import outbox
from workers.celery_app import celery_app, flask_app

_queue = os.environ.get("TANDEM_TEST_QUEUE")
if _queue:
    celery_app.conf.task_default_queue = _queue
    # The client that tasks use to send tasks themselves (e.g. the release's wake-up).
    flask_app.config["CELERY"]["task_default_queue"] = _queue

_tick = os.environ.get("TANDEM_TEST_TICK")
if _tick:
    for _name in ("outbox-tick", "announcements-tick"):
        celery_app.conf.beat_schedule[_name]["schedule"] = float(_tick)

_retry = os.environ.get("TANDEM_TEST_FIRST_RETRY")
if _retry:
    outbox.FIRST_RETRY = timedelta(seconds=float(_retry))

app = celery_app
