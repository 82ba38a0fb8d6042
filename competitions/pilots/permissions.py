"""Who sees and changes pilots.

* A pilot is its **host agency's** and its **team's**: the host's admins offer it, edit its
  plan and KPIs, sign off its milestones and end it; the host's staff see it and record KPI
  measurements. Any agency taking part in the award's challenge (its lead or a partner) may
  host: its admins offer pilots to the challenge's winners.
* The **winning team's lead** accepts or declines the offer; its members see the pilot, post
  status updates and record KPI measurements.
* Everyone else — another partner of the challenge included — gets 404, for now.
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
