"""Who sees and changes awards and reserves.

* A track's **awards** are its agency's: its admins and staff see them, its admins record
  them, approve them and record their payment. Another agency's members get 404, as
  everyone else does.
* The **winning team's members** see their own awards (what is left for them to do) and send
  the evidence of its conditions through the entry's eligibility documents.
* A **reserve** (budget for success) is its agency's: its admins set it; its members see it;
  everyone sees it on the public track page once the agency makes it public.
* Platform admins may do everything.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.awards.models import Award, Reserve
from competitions.challenges.models import Track
from competitions.entries.permissions import is_member


def can_view_awards(user: Any, track: Track) -> bool:
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) is not None


def can_manage_awards(user: Any, track: Track) -> bool:
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) == Role.ADMIN


def is_winner(user: Any, award: Award) -> bool:
    """A member of the winning entry's team."""
    return is_member(user, award.entry.team)


def can_view_award(user: Any, award: Award) -> bool:
    return can_view_awards(user, award.track) or is_winner(user, award)


def can_set_reserve(user: Any, track: Track) -> bool:
    """The track's agency sets its reserve for the challenge: its admins."""
    return can_manage_awards(user, track)


def can_see_reserve(user: Any, reserve: Reserve) -> bool:
    return (
        reserve.public
        or is_platform_admin(user)
        or role_in_agency(user, reserve.agency_id) is not None
    )
