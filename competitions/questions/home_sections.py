"""The questions' section of the home page (``core.home``): for an agency's members, the
questions their agencies have to answer, per challenge, and (for the lead's admins) the
answers and corrections awaiting their approval. A fixed number of queries, at most ``ROWS``
challenges."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from competitions.challenges.home_sections import of_agencies
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.questions.services import awaiting_approval_count, to_answer_count


@section(order=35)
def questions_to_answer(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False) or not user.memberships:
        return None
    ids = [m.agency_id for m in user.memberships]
    challenges = list(
        db.session.scalars(
            select(Challenge).where(of_agencies(ids)).order_by(Challenge.id.desc()).limit(ROWS * 4)
        )
    )
    counts = to_answer_count(user, [c.id for c in challenges])
    waiting = awaiting_approval_count(user, challenges)
    rows = [
        (c, counts.get(c.id, 0), waiting.get(c.id, 0))
        for c in challenges
        if counts.get(c.id) or waiting.get(c.id)
    ][:ROWS]
    if not rows:
        return None
    return Section("questions/_home.html", {"rows": rows})
