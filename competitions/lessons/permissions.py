"""Who reads and writes an edition's lessons learned.

* Members (admins and staff) of each **participating agency** (the lead and every agency with
  a track) write their own agency's section while the retrospective is a draft.
* While it is a draft, the **lead agency**'s members read every section; a partner reads its
  own. Once the lead **publishes** it, every participating agency's members read all sections.
* The lead agency's **admins** publish and reopen it (platform admins too, who read it all).
* Nobody else: the pages answer 404.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Agency
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge
from competitions.challenges.permissions import can_manage_challenge, participates


def partner_agencies(challenge: Challenge) -> list[Agency]:
    """The lead agency first, then each agency with a track, once each."""
    agencies = [challenge.lead_agency]
    for track in challenge.tracks:
        if track.agency not in agencies:
            agencies.append(track.agency)
    return agencies


def can_view_lessons(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def sees_every_section(user: Any, challenge: Challenge, published: bool) -> bool:
    if published:
        return can_view_lessons(user, challenge)
    return is_platform_admin(user) or role_in_agency(user, challenge.lead_agency_id) is not None


def can_write_section(user: Any, challenge: Challenge, agency: Agency) -> bool:
    return agency in partner_agencies(challenge) and role_in_agency(user, agency.id) is not None


def can_publish(user: Any, challenge: Challenge) -> bool:
    return can_manage_challenge(user, challenge)
