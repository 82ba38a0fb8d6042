"""Breadcrumb trails of pilot pages (see ``core/breadcrumbs.py``).

The challenge's pilots stand under its console (… > the challenge's console > Pilots); a
pilot's page under them for the host, and under the winning entry for the team (Home > Your
teams > the team > its entry > the pilot).
"""

from __future__ import annotations

from typing import Any

from competitions.challenges.models import Challenge
from competitions.challenges.trails import manage_trail
from competitions.core.breadcrumbs import Crumb, crumb
from competitions.core.translate import gettext as _
from competitions.entries.trails import entry_trail
from competitions.pilots import permissions
from competitions.pilots.models import Pilot


def pilots_trail(user: Any, challenge: Challenge) -> list[Crumb]:
    """… > the challenge's console > Pilots."""
    return [
        *manage_trail(user, challenge),
        crumb(
            _("Pilots"),
            "pilots.challenge_pilots",
            permissions.can_list(user, challenge),
            slug=challenge.slug,
        ),
    ]


def pilot_trail(user: Any, pilot: Pilot) -> list[Crumb]:
    here = crumb(
        _("Pilot at %(host)s", host=pilot.host.name),
        "pilots.pilot",
        permissions.can_view(user, pilot),
        pilot_id=pilot.id,
    )
    challenge = pilot.award.track.challenge
    if permissions.can_list(user, challenge):
        return [*pilots_trail(user, challenge), here]
    return [*entry_trail(user, pilot.award.entry), here]
