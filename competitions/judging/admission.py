"""Who takes part in a round: the first round is open to every entry; a later one only to
entries their track's admins advanced from the round before, at its last review stage.

Installed into submissions (which checks it on every draft and submission) when judging is
imported, so submissions does not depend on judging.
"""

from __future__ import annotations

from sqlalchemy import select

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


set_admission_rule(advanced_to)
