"""Who may do what in judging. Used by views, templates and services alike.

* A round's **rubric** is shared by every track, so the challenge's lead admins edit it.
* A **track panel** is run by that track agency's admins (invite, remove, assign); the
  **shared panel** by the challenge's lead admins. Agency staff see, admins act.
* A **judge** sees and scores only their active assignments, never a conflicted one.
Objects someone may not know about answer 404.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin, is_signed_in
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge, Track
from competitions.judging.models import Assignment, Panel


def can_edit_rubric(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or role_in_agency(user, challenge.lead_agency_id) == Role.ADMIN


def can_view_judging(user: Any, challenge: Challenge) -> bool:
    """The judging console of a challenge: members of its participating agencies."""
    if is_platform_admin(user):
        return True
    agencies = {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}
    return any(role_in_agency(user, a) is not None for a in agencies)


def panel_agency(panel: Panel, challenge: Challenge) -> int:
    return panel.track.agency_id if panel.track is not None else challenge.lead_agency_id


def can_view_agency_judging(user: Any, agency_id: int) -> bool:
    return is_platform_admin(user) or role_in_agency(user, agency_id) is not None


def can_manage_agency_judging(user: Any, agency_id: int) -> bool:
    return is_platform_admin(user) or role_in_agency(user, agency_id) == Role.ADMIN


def can_manage_panel(user: Any, panel: Panel, challenge: Challenge) -> bool:
    return can_manage_agency_judging(user, panel_agency(panel, challenge))


def can_view_track_judging(user: Any, track: Track) -> bool:
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) is not None


def can_assign(user: Any, track: Track) -> bool:
    """Assign the track's submissions (and see its reviews and conflicts): its admins."""
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) == Role.ADMIN


def can_assign_challenge(user: Any, challenge: Challenge) -> bool:
    """A challenge-wide run (cross-track calibration) is for the lead admins."""
    return can_edit_rubric(user, challenge)


def can_score(user: Any, assignment: Assignment) -> bool:
    """The assigned judge, while the assignment and their seat on the panel are active.

    Conflicts end the assignment (and the database refuses a conflicted active one), so an
    active assignment is a non-conflicted one.
    """
    return (
        is_signed_in(user)
        and assignment.user_id == user.id
        and assignment.active
        and assignment.judge.active
    )
