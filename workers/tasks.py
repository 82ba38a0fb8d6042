"""Task definitions, thin wrappers around services."""

from __future__ import annotations

from competitions.core.actor import Actor
from competitions.core.extensions import db
from workers.celery_app import celery_app

WORKER = Actor(None, via="worker")


@celery_app.task(name="core.ping")
def ping(marker: str) -> dict[str, object]:
    """A round trip through the broker that proves the worker has the app and database."""
    from sqlalchemy import text

    one = db.session.execute(text("SELECT 1")).scalar()
    db.session.rollback()
    return {"marker": marker, "db": one}


@celery_app.task(
    name="accounts.purge_unverified",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def purge_unverified(older_than_days: int = 7) -> int:
    from competitions.accounts.services import purge_unverified as purge

    removed = purge(WORKER, older_than_days)
    db.session.commit()
    return removed


@celery_app.task(name="outbox.dispatch")
def dispatch_outbox() -> dict[str, int]:
    """Send every due outbox row (rows are claimed atomically: two of these never overlap)."""
    from competitions.core.outbox import dispatch

    return dispatch()


@celery_app.task(name="outreach.release_due")
def release_announcements() -> int:
    """Write the outbox rows of announcements due within a minute (then dispatch at their
    instant); announcements are claimed one by one, so two ticks never release one twice."""
    from competitions.outreach.announcements import release_due

    return release_due()


@celery_app.task(name="surveys.release_due")
def release_surveys() -> int:
    """Send the invitations of surveys whose instant has come, and their due reminders (each
    address once per survey message: the outbox rows are unique)."""
    from competitions.surveys.sending import release_due

    return release_due()


@celery_app.task(name="outreach.deadline_notices")
def deadline_notices() -> int:
    """Send the deadline reminders whose instant has come (each round and offset once)."""
    from competitions.outreach.notices import run_due

    return run_due()


@celery_app.task(name="outreach.timeline_notices")
def timeline_notices() -> int:
    """Tell entrants and subscribers about changes of the shared timeline (each change once)."""
    from competitions.outreach.notices import timeline_due

    return timeline_due()


@celery_app.task(name="pilots.reminders")
def pilot_reminders() -> int:
    """Remind pilot teams to post updates, and both sides of milestones due or overdue (each
    reminder once)."""
    from competitions.pilots.notices import run_due

    return run_due()


@celery_app.task(name="questions.digest")
def answers_digest() -> int:
    """The day's digest of new answers to entrants and followers (once per challenge a day)."""
    from competitions.questions.digest import run_due

    return run_due()


@celery_app.task(name="webhooks.dispatch")
def dispatch_webhooks() -> dict[str, int]:
    """Deliver every due webhook delivery (claimed atomically, like the outbox's rows)."""
    from competitions.webhooks.delivery import dispatch

    return dispatch()


@celery_app.task(name="webhooks.results_due")
def webhook_results() -> int:
    """Tell agencies' endpoints of results whose release instant has passed (once each)."""
    from competitions.judging.release_events import results_due

    return results_due()


@celery_app.task(name="judging.refresh_results")
def refresh_results(round_id: int, stage: int) -> bool:
    """Recompute a round stage's kept results after reviews changed (asked a few seconds after
    a review is committed, so the results page reads them instead of recomputing them)."""
    from competitions.judging.refresh import refresh

    return refresh(round_id, stage)
