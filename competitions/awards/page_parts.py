"""What the awards add to pages of other packages, which do not depend on this one: the
awards of an entry and of a team (what is left for the winners to do), and the budget for
success next to a track's prizes."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from competitions.awards import bp, permissions, reserves, services
from competitions.awards.models import Award, Reserve
from competitions.challenges.models import Track
from competitions.entries.models import Entry, Team


@bp.app_template_global()
def awards_of_entry(entry: Entry) -> list[Award]:
    """The entry's awards, for its page (whoever may see the entry may see them)."""
    return services.awards_of_entry(entry)


@bp.app_template_global()
def awards_of_team(team: Team) -> list[Award]:
    """The team's awards the viewer may see (another track's agency sees none of its own)."""
    return [a for a in services.awards_of_team(team) if permissions.can_view_award(current_user, a)]


@bp.app_template_global()
def award_status(status: str) -> str:
    return str(services.STATUS_LABELS.get(status, status))  # type: ignore[call-overload]


@bp.app_template_global()
def track_reserve(track: Track) -> Reserve | None:
    """The budget for success of the track's agency, when the viewer may see it."""
    reserve = reserves.reserve_of(track.challenge, track.agency_id)
    user: Any = current_user
    return reserve if reserve is not None and permissions.can_see_reserve(user, reserve) else None
