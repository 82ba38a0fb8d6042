"""Who sees and changes pilots.

* A pilot is its **host agency's** and its **team's**: the host's admins offer it, edit its
  plan and KPIs, sign off its milestones and end it; the host's staff see it and record KPI
  measurements. Any agency taking part in the award's challenge (its lead or a partner) may
  host: its admins offer pilots to the challenge's winners.
* The **winning team's lead** accepts or declines the offer; its members see the pilot, post
  status updates and record KPI measurements.
* Another **partner** of the challenge (an agency taking part that is not the host) reads a
  pilot's **summary** — status, milestones reached, KPIs — but not its people, budget,
  updates or history; so do the team and the host. The comparison of a winner's pilots in
  several hosts is made of these summaries.
* A pilot's **public page** needs both sides' consent: the host's admins and the team's lead
  each opt in (and either withdraws alone); it shows nothing personal.
* Everyone else gets 404.
* Platform admins may do everything.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge
from competitions.entries.permissions import is_lead, is_member
from competitions.pilots.models import Pilot


def participant_agency_ids(challenge: Challenge) -> set[int]:
    return {t.agency_id for t in challenge.tracks}


def hostable_agency_ids(user: Any, challenge: Challenge) -> list[int]:
    """The agencies taking part in the challenge whose pilots the user may offer."""
    ids = sorted(participant_agency_ids(challenge))
    if is_platform_admin(user):
        return ids
    return [i for i in ids if role_in_agency(user, i) == Role.ADMIN]


def can_offer(user: Any, challenge: Challenge) -> bool:
    return bool(hostable_agency_ids(user, challenge))


def can_list(user: Any, challenge: Challenge) -> bool:
    """The challenge's pilots page: members of an agency taking part."""
    return is_platform_admin(user) or any(
        role_in_agency(user, i) is not None for i in participant_agency_ids(challenge)
    )


def is_host(user: Any, pilot: Pilot) -> bool:
    return role_in_agency(user, pilot.host_agency_id) is not None


def can_manage(user: Any, pilot: Pilot) -> bool:
    """The host's admins (and platform admins)."""
    return is_platform_admin(user) or role_in_agency(user, pilot.host_agency_id) == Role.ADMIN


def is_team(user: Any, pilot: Pilot) -> bool:
    return is_member(user, pilot.award.entry.team)


def can_decide(user: Any, pilot: Pilot) -> bool:
    return is_lead(user, pilot.award.entry.team)


def can_view(user: Any, pilot: Pilot) -> bool:
    return is_platform_admin(user) or is_host(user, pilot) or is_team(user, pilot)


def can_measure(user: Any, pilot: Pilot) -> bool:
    return can_view(user, pilot)


def can_read_summary(user: Any, pilot: Pilot) -> bool:
    """The host, the team, any agency taking part in the challenge (a partner), platform
    admins."""
    return can_view(user, pilot) or can_list(user, pilot.award.track.challenge)


def can_publish_for_host(user: Any, pilot: Pilot) -> bool:
    return can_manage(user, pilot)


def can_publish_for_team(user: Any, pilot: Pilot) -> bool:
    return can_decide(user, pilot)


def can_set_publicity(user: Any, pilot: Pilot) -> bool:
    return can_publish_for_host(user, pilot) or can_publish_for_team(user, pilot)


def is_publicly_visible(pilot: Pilot) -> bool:
    """Both sides opted in and the challenge is public."""
    return pilot.is_public and pilot.award.track.challenge.is_published


def can_see_in_comparison(user: Any, pilot: Pilot) -> bool:
    return can_read_summary(user, pilot) or is_publicly_visible(pilot)
