"""The awards' section of the home page (``core.home``): for the members of a winning team,
their awards that still wait for a prize condition (one query, at most ``ROWS``; a second for
the languages of their challenges when there are some)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, select

from competitions.awards.models import Award, AwardStatus
from competitions.challenges.home_sections import languages_of
from competitions.challenges.models import Challenge, Track, pick
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.core.i18n import current_language
from competitions.entries.models import Entry, Team, TeamMember


@dataclass(frozen=True)
class AwardLine:
    award_id: int
    prize: str
    team: str
    challenge: str
    open_conditions: int


def awards_to_act_on(user: Any, limit: int) -> list[AwardLine]:
    """The user's teams' awards still waiting for a condition, newest first: the columns a
    line shows (an award's eager loads would bring its track's agency, its entry's track, its
    team's members and its conditions)."""
    rows = db.session.execute(_awards(), {"user_id": user.id, "limit": limit}).all()
    if not rows:
        return []
    lang, languages = current_language(), languages_of({row[3] for row in rows})
    return [
        AwardLine(
            award_id,
            pick(prize, lang, track_languages or ()),
            team,
            pick(title, lang, languages[challenge_id]) or slug,
            left,
        )
        for award_id, prize, team, challenge_id, slug, title, track_languages, left in rows
    ]


@functools.cache
def _awards() -> Any:
    """``awards_to_act_on``'s statement, built once, the user and limit bound at each call
    (building it and its cache key cost more than running it)."""
    return (
        select(
            Award.id,
            Award.prize_label,
            Team.name,
            Challenge.id,
            Challenge.slug,
            Challenge.title,
            Track.languages,
            Award.open_conditions,
        )
        .join(Entry, Entry.id == Award.entry_id)
        .join(TeamMember, TeamMember.team_id == Entry.team_id)
        .join(Team, Team.id == Entry.team_id)
        .join(Track, Track.id == Award.track_id)
        .join(Challenge, Challenge.id == Track.challenge_id)
        .where(
            TeamMember.user_id == bindparam("user_id", type_=Integer),
            Award.status == AwardStatus.PENDING_CONDITIONS,
            Award.open_conditions > 0,
        )
        .order_by(Award.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


@section(order=12)
def awards_to_complete(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    awards = awards_to_act_on(user, ROWS)
    if not awards:
        return None
    return Section("awards/_home.html", {"awards": awards})
