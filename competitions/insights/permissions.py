"""Who sees a challenge's insights, and which tracks of it.

* Members of the **lead agency** (and platform admins) see every track side by side.
* Members of a **partner agency** see their own track and the challenge's totals (all tracks
  together), never another partner's track on its own.
* Nobody else: the page answers 404.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge, Track
from competitions.challenges.permissions import participates


def can_view_insights(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def sees_every_track(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or role_in_agency(user, challenge.lead_agency_id) is not None


def visible_tracks(user: Any, challenge: Challenge) -> list[Track]:
    """The tracks whose own figures ``user`` sees, in the challenge's order."""
    if sees_every_track(user, challenge):
        return list(challenge.tracks)
    return [t for t in challenge.tracks if role_in_agency(user, t.agency_id) is not None]
