"""Who takes part in a round: the first round is open to every entry; a later one only to
entries their track's admins advanced from the round before, at its last review stage.

Installed into submissions (which checks it on every draft and submission) when judging is
imported, so submissions does not depend on judging.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select

from competitions.challenges.models import Round
from competitions.core.extensions import db
from competitions.entries.models import Entry
from competitions.judging.models import Advancement
from competitions.judging.rubrics import last_stage_of
from competitions.submissions.services import set_admission_rule


def advanced_to(entry: Entry, round_: Round) -> bool:
    before = db.session.scalar(
        select(Round.id)
        .where(
            Round.challenge_id == round_.challenge_id,
            (Round.position < round_.position)
            | ((Round.position == round_.position) & (Round.id < round_.id)),
        )
        .order_by(Round.position.desc(), Round.id.desc())
        .limit(1)
    )
    if before is None:
        return True
    return bool(
        db.session.scalar(
            select(Advancement.advancing).where(
                Advancement.round_id == before,
                Advancement.entry_id == entry.id,
                Advancement.stage == last_stage_of(before),
            )
        )
    )


def admitted(entries: list[Entry]) -> set[tuple[int, int]]:
    """``advanced_to`` for the entries in every round of their challenges: the (entry id,
    round id) pairs admitted, in one query (the rounds are those loaded with the entries'
    challenges, ``prefetch``'s condition)."""
    before: dict[int, int | None] = {}
    by_challenge: dict[int, list[int]] = {}
    for entry in entries:
        challenge = entry.track.challenge
        if challenge.id in by_challenge:
            continue
        ordered = sorted(challenge.rounds, key=lambda r: (r.position, r.id))
        by_challenge[challenge.id] = [r.id for r in ordered]
        for previous, round_ in zip([None, *ordered], ordered, strict=False):
            before[round_.id] = previous.id if previous is not None else None
    befores = {b for b in before.values() if b is not None}
    advanced = set()
    if befores:
        bound = {"rounds": list(befores), "entries": [e.id for e in entries]}
        advanced = set(db.session.execute(_advanced(), bound).all())
    return {
        (e.id, r)
        for e in entries
        for r in by_challenge[e.track.challenge.id]
        if before[r] is None or (e.id, before[r]) in advanced
    }


@functools.cache
def _advanced() -> Any:
    """``admitted``'s statement, built once, the rounds and entries bound at each call (every
    innovator's home page runs it: building it and its cache key cost more than running it)."""
    return select(Advancement.entry_id, Advancement.round_id).where(
        Advancement.round_id.in_(bindparam("rounds", expanding=True)),
        Advancement.entry_id.in_(bindparam("entries", expanding=True)),
        Advancement.stage == last_stage_of(Advancement.round_id),
        Advancement.advancing.is_(True),
    )


set_admission_rule(advanced_to, admitted)
