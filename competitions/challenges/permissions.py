"""Who may see and change a challenge and its tracks. Used by services, views and templates.

* The **lead agency's admins** manage the challenge itself: texts, partners, the shared
  timeline, publication.
* Each **track** is configured only by its own agency's admins and staff; marking it ready
  is for that agency's admins.
* Members of any participating agency see the challenge's console; the public sees only
  published challenges. Platform admins may do everything.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge, Track


def can_create_challenge(user: Any, agency_id: int) -> bool:
    return is_platform_admin(user) or role_in_agency(user, agency_id) == Role.ADMIN


def can_manage_challenge(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or role_in_agency(user, challenge.lead_agency_id) == Role.ADMIN


def participates(user: Any, challenge: Challenge) -> bool:
    """A member of the lead agency or of an agency with a track."""
    agencies = {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}
    return any(role_in_agency(user, a) is not None for a in agencies)


def can_view_console(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def can_view_challenge(user: Any, challenge: Challenge) -> bool:
    return challenge.is_published or can_view_console(user, challenge)


def can_edit_track(user: Any, track: Track) -> bool:
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) is not None


def can_edit_milestones(user: Any, challenge: Challenge, track: Track | None) -> bool:
    """A track's local milestones are its agency's; the shared ones are the lead agency's."""
    if track is not None:
        return can_edit_track(user, track)
    return can_manage_challenge(user, challenge)


def can_mark_ready(user: Any, track: Track) -> bool:
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) == Role.ADMIN


def editable_tracks(user: Any, challenge: Challenge) -> list[Track]:
    return [t for t in challenge.tracks if can_edit_track(user, t)]
