"""Results are released by time — the round's results instant passes (scheduled, or moved to
now by the lead) — so no service call marks the moment a scheduled release happens. Beat's
tick (``results_due``) tells the webhooks of each track's agency once the instant has passed;
the event's key makes it once per round and track, whoever tells it first (a release "now"
tells it in its own transaction, ``challenges.services.timeline.release_results``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from competitions.challenges.models import Challenge, ChallengeStatus, Round
from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.webhooks import events

LOOKBACK = timedelta(days=1)  # results released this recently are told (not older ones)


def results_due() -> int:
    """Tell the released results of the last day not told yet; answer how many rounds were
    looked at."""
    with tick_lock("webhooks.results_due") as mine:
        if not mine:
            return 0
        now = clock.now()
        rounds = list(
            db.session.scalars(
                select(Round)
                .join(Challenge, Challenge.id == Round.challenge_id)
                .where(
                    Challenge.status == ChallengeStatus.PUBLISHED.value,
                    Round.results_at <= now,
                    Round.results_at > now - LOOKBACK,
                )
            )
        )
        for round_ in rounds:
            with isolated("webhooks.results_due", f"round {round_.id}"):
                events.results_released(round_)
                db.session.commit()
        db.session.rollback()
        return len(rounds)
