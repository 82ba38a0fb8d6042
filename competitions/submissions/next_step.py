"""An entry's next step in its challenge's rounds, which the entry page leads with: the round to
submit to (or to update, once a version is in) before its deadline, or the next round that
opens. A template global (``next_step(entry)``), so that the entries package, which the
submissions package builds on, needs not import it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from competitions.challenges.models import Round
from competitions.challenges.timeline import WindowState
from competitions.core import clock
from competitions.entries.models import Entry
from competitions.submissions import bp, deadlines, facts, services


class Step(enum.StrEnum):
    SUBMIT = "submit"  # open, nothing submitted yet
    UPDATE = "update"  # open, a version is in: it can still be replaced
    WAIT = "wait"  # the next round opens later


@dataclass(frozen=True)
class NextStep:
    step: Step
    round: Round
    when: datetime  # the deadline (SUBMIT, UPDATE) or the opening (WAIT)
    version: int = 0  # the latest version's number (UPDATE)


def next_step(entry: Entry) -> NextStep | None:
    """The first round still open to the entry, else the next one to open; None when every
    round is over (or the entry was withdrawn)."""
    if not entry.is_active:
        return None
    now = clock.now()
    for round_ in entry.track.challenge.rounds:
        state = deadlines.state_for(entry, round_, now)
        if state is WindowState.CLOSED or not services.advanced_to(entry, round_):
            continue
        if state is WindowState.UPCOMING:
            return NextStep(Step.WAIT, round_, round_.submission_opens)
        prefetched = facts.of(entry, round_).get(services.PREFETCHED)
        if prefetched is not None:
            withdrawn, number = prefetched
        else:
            submission = services.submission_for(entry, round_)
            number = services.latest_number(submission) if submission else 0
            withdrawn = submission is not None and submission.withdrawn_at is not None
        step = Step.UPDATE if number and not withdrawn else Step.SUBMIT
        return NextStep(step, round_, deadlines.deadline_for(entry, round_), number)
    return None


def next_steps(entries: list[Entry]) -> list[NextStep | None]:
    """``next_step`` of each entry (their track, challenge and its rounds loaded), with what it
    reads fetched for all of them at once."""
    services.prefetch([e for e in entries if e.is_active])
    return [next_step(entry) for entry in entries]


bp.add_app_template_global(next_step, "next_step")
