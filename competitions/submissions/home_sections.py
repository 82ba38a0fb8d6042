"""The innovator's section of the home page (``core.home``): the teams they belong to and each
active entry with its next step (``next_step``): the round to submit to, with its deadline in
the user's zone and a countdown, or the next opening. At most ``ROWS`` teams and entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from competitions.challenges.models import Challenge, Track
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.entries.models import Entry, Team, TeamMember
from competitions.submissions.next_step import next_steps


@section(order=10)
def my_entries(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    teams = list(
        db.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user.id)
            .order_by(Team.name)
            .limit(ROWS)
            # The section names the teams; their members (and accounts) are not shown.
            .options(lazyload(Team.members))
        )
    )
    if not teams:
        return None
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.team_id.in_([t.id for t in teams]), Entry.withdrawn_at.is_(None))
            .options(
                # Each entry's team is one of ``teams``, already loaded with its members:
                # joining it again would load every team's members again.
                lazyload(Entry.team),
                joinedload(Entry.track).joinedload(Track.challenge).selectinload(Challenge.rounds),
                joinedload(Entry.track).joinedload(Track.challenge).selectinload(Challenge.tracks),
            )
            .order_by(Entry.id.desc())
            .limit(ROWS)
        )
    )
    steps = list(zip(entries, next_steps(entries), strict=True))
    return Section("submissions/_home_entries.html", {"teams": teams, "steps": steps})
