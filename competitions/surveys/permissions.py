"""Who writes, sends, reads and answers surveys.

* **Write, send, remind, close:** admins of the owning agency — a track's survey belongs to
  its track's agency, a challenge-wide one to the lead agency (as announcements,
  ``outreach.permissions.can_compose``) — and platform admins.
* **See a survey and its results:** members (staff or admins) of the owning agency; for a
  challenge-wide survey, of every agency taking part. Each sees the tracks whose insights they
  see (``insights.permissions.visible_tracks``: the lead every track, a partner its own) and
  the total.
* **Answer:** the people it was sent to (``survey_invitee``), while it is open.
Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge
from competitions.challenges.permissions import participates
from competitions.outreach.permissions import can_compose, can_compose_any
from competitions.surveys.models import Survey

__all__ = ["can_compose", "can_compose_any"]


def _owners(survey: Survey) -> set[int]:
    if survey.track_id is not None:
        return {survey.agency_id}
    challenge = survey.challenge
    return {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}


def can_list(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def can_view(user: Any, survey: Survey) -> bool:
    return is_platform_admin(user) or any(role_in_agency(user, a) for a in _owners(survey))


def can_manage(user: Any, survey: Survey) -> bool:
    return is_platform_admin(user) or role_in_agency(user, survey.agency_id) == Role.ADMIN
