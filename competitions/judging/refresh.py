"""Results kept current by a worker, so that no results page recomputes them.

Recomputing a round's results after a review changed takes about a second at 10,000
submissions (every judge's normalisation moves with each review): where a page did it, the
first agency to look after each new review waited for it, and during judging reviews arrive
all day. With ``RESULTS_REFRESH = "worker"`` (the default outside the tests), a committed
review asks a Celery worker to recompute the stage's kept results ``RESULTS_REFRESH_DELAY``
seconds later — one task for all the reviews of that delay in a process — and the results page
shows the kept results while they are recomputed, saying when they were computed. Kept results
older than ``RESULTS_REFRESH_LAG`` seconds are recomputed by the page itself (a worker that is
down never leaves a page behind for longer). Decisions (advancement, exports, the API) always
read current results. ``"inline"``: the page recomputes (the tests' default).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app

from competitions.challenges.models import Round
from competitions.core.after_commit import run_after_commit
from competitions.core.extensions import db
from competitions.judging import results

log = logging.getLogger(__name__)

TASK = "judging.refresh_results"

# (round id, stage) -> when this process's last requested recomputation runs (monotonic).
_requested: dict[tuple[int, int], float] = {}


def by_worker() -> bool:
    return current_app.config.get("RESULTS_REFRESH", "inline") == "worker"


def after_commit(round_id: int, stage: int) -> None:
    """Once the current transaction commits, ask for the stage's results to be recomputed."""
    if by_worker():
        run_after_commit(lambda: request(round_id, stage))


def request(round_id: int, stage: int) -> None:
    """Ask a worker to recompute the stage's kept results in ``RESULTS_REFRESH_DELAY`` seconds,
    unless this process already asked for a recomputation that has not started yet (it will
    read what was committed until then)."""
    from competitions.core.tasks import send_task

    now = time.monotonic()
    key = (round_id, stage)
    if _requested.get(key, 0.0) > now:
        return
    delay = float(current_app.config.get("RESULTS_REFRESH_DELAY", 3))
    _requested[key] = now + delay
    try:
        send_task(TASK, round_id, stage, countdown=delay or None)
    except Exception:
        _requested.pop(key, None)
        log.exception("results of round %s stage %s: could not ask a worker", round_id, stage)


def summary_for_page(round_: Round, stage: int) -> results.Summary:
    """The summary a results page shows: with a worker, the kept one while it is recomputed
    (``lagging_since`` set, and a recomputation requested), unless it is too old."""
    if not by_worker():
        return results.summary_of(round_, stage)
    lag = timedelta(seconds=int(current_app.config.get("RESULTS_REFRESH_LAG", 120)))
    summary = results.summary_of(round_, stage, may_lag=lag)
    if summary.lagging_since is not None:
        request(round_.id, summary.stage)
    return summary


def refresh(round_id: int, stage: int) -> bool:
    """The worker's task: recompute and keep the stage's results if reviews changed since they
    were kept (two workers at once: the second finds them kept). False: no such round."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        db.session.rollback()
        return False
    results.summary_of(round_, stage)
    db.session.commit()
    return True
