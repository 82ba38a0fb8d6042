"""Who composes, sees and cancels announcements.

A challenge-wide announcement is written by the lead agency's admins and co-owned by every
agency taking part: their admins see and may cancel it, their staff see it. A track's
announcement belongs to that track's agency alone. Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from competitions.agencies.models import Role
from competitions.challenges.models import Challenge, Track
from competitions.outreach.models import Announcement


def _role(user: Any, agency_id: int) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return next((str(m.role) for m in user.memberships if m.agency_id == agency_id), None)


def _platform(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_platform_admin)


def _owners(challenge: Challenge, track: Track | None) -> set[int]:
    if track is not None:
        return {track.agency_id}
    return {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}


def can_compose(user: Any, challenge: Challenge, track: Track | None) -> bool:
    if _platform(user):
        return True
    agency = track.agency_id if track is not None else challenge.lead_agency_id
    return _role(user, agency) == Role.ADMIN


def composable_tracks(user: Any, challenge: Challenge) -> list[Track]:
    return [t for t in challenge.tracks if can_compose(user, challenge, t)]


def can_compose_any(user: Any, challenge: Challenge) -> bool:
    """May write an announcement of the challenge: challenge-wide or for one of its tracks."""
    return can_compose(user, challenge, None) or bool(composable_tracks(user, challenge))


def can_set_notices(user: Any, challenge: Challenge) -> bool:
    """The reminders are the challenge's: set by those who write challenge-wide."""
    return can_compose(user, challenge, None)


def can_list(user: Any, challenge: Challenge) -> bool:
    return _platform(user) or any(_role(user, a) for a in _owners(challenge, None))


def can_view(user: Any, announcement: Announcement) -> bool:
    owners = _owners(announcement.challenge, announcement.track)
    return _platform(user) or any(_role(user, a) for a in owners)


def can_act(user: Any, announcement: Announcement) -> bool:
    """Edit, test, schedule, send or cancel: admins of an owning agency."""
    owners = _owners(announcement.challenge, announcement.track)
    return _platform(user) or any(_role(user, a) == Role.ADMIN for a in owners)
