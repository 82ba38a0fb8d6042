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
from competitions.challenges.permissions import can_manage_challenge, participates


def can_view_insights(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def sees_every_track(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or role_in_agency(user, challenge.lead_agency_id) is not None


def visible_tracks(user: Any, challenge: Challenge) -> list[Track]:
    """The tracks whose own figures ``user`` sees, in the challenge's order."""
    if sees_every_track(user, challenge):
        return list(challenge.tracks)
    return [t for t in challenge.tracks if role_in_agency(user, t.agency_id) is not None]


# Costs (``costs``, ``cost_records``). Every participant sees each partner's totals per
# category and its cost per outcome (what each partner paid and got is the point); only an
# agency's own members see its cost lines one by one, and only they record them. The lead
# agency's admins choose the reporting currency and enter the exchange rates.


def can_view_costs(user: Any, challenge: Challenge) -> bool:
    return can_view_insights(user, challenge)


def can_record_costs(user: Any, track: Track) -> bool:
    """Members of the track's agency record that agency's costs on the track's challenge."""
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) is not None


def can_set_rates(user: Any, challenge: Challenge) -> bool:
    return can_manage_challenge(user, challenge)


def recording_tracks(user: Any, challenge: Challenge) -> list[Track]:
    """The tracks whose agency's cost lines ``user`` may see and record."""
    return [t for t in challenge.tracks if can_record_costs(user, t)]
