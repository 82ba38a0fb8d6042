"""Who composes, sees and cancels announcements.

A challenge-wide announcement is written by the lead agency's admins and co-owned by every
agency taking part: their admins see and may cancel it, their staff see it. A track's
announcement belongs to that track's agency alone. Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge, Track
from competitions.outreach.models import Announcement


def _owners(challenge: Challenge, track: Track | None) -> set[int]:
    if track is not None:
        return {track.agency_id}
    return {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}


def can_compose(user: Any, challenge: Challenge, track: Track | None) -> bool:
    if is_platform_admin(user):
        return True
    agency = track.agency_id if track is not None else challenge.lead_agency_id
    return role_in_agency(user, agency) == Role.ADMIN


def composable_tracks(user: Any, challenge: Challenge) -> list[Track]:
    return [t for t in challenge.tracks if can_compose(user, challenge, t)]


def can_compose_any(user: Any, challenge: Challenge) -> bool:
    """May write an announcement of the challenge: challenge-wide or for one of its tracks."""
    return can_compose(user, challenge, None) or bool(composable_tracks(user, challenge))


def can_set_notices(user: Any, challenge: Challenge) -> bool:
    """The reminders are the challenge's: set by those who write challenge-wide."""
    return can_compose(user, challenge, None)


def can_list(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or any(role_in_agency(user, a) for a in _owners(challenge, None))


def can_view(user: Any, announcement: Announcement) -> bool:
    owners = _owners(announcement.challenge, announcement.track)
    return is_platform_admin(user) or any(role_in_agency(user, a) for a in owners)


def can_act(user: Any, announcement: Announcement) -> bool:
    """Edit, test, schedule, send or cancel: admins of an owning agency."""
    owners = _owners(announcement.challenge, announcement.track)
    return is_platform_admin(user) or any(role_in_agency(user, a) == Role.ADMIN for a in owners)
