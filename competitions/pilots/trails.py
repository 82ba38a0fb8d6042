"""Breadcrumb trails of pilot pages (see ``core/breadcrumbs.py``).

The challenge's pilots stand under its console (… > the challenge's console > Pilots); a
pilot's page under them for the host, and under the winning entry for the team (Home > Your
teams > the team > its entry > the pilot).
"""

from __future__ import annotations

from typing import Any

from competitions.challenges.models import Challenge
from competitions.challenges.trails import challenge_trail, manage_trail
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


def summary_trail(user: Any, pilot: Pilot) -> list[Crumb]:
    """… > Pilots > the pilot's summary (a partner of the challenge), or the pilot's page
    first when the viewer may open it."""
    here = crumb(
        _("Summary of the pilot at %(host)s", host=pilot.host.name),
        "pilots.summary",
        permissions.can_read_summary(user, pilot),
        pilot_id=pilot.id,
    )
    if permissions.can_view(user, pilot):
        return [*pilot_trail(user, pilot), here]
    return [*pilots_trail(user, pilot.award.track.challenge), here]


def public_trail(user: Any, pilot: Pilot) -> list[Crumb]:
    """Home > Challenges > the challenge > the public pilot page."""
    return [
        *challenge_trail(user, pilot.award.track.challenge),
        crumb(
            _("Pilot at %(host)s", host=pilot.host.name),
            "pilots.public_page",
            True,
            pilot_id=pilot.id,
        ),
    ]


def compare_trail(user: Any, award: Any, pilot: Pilot) -> list[Crumb]:
    """Below the first compared pilot the viewer can open (its page, its summary or its public
    page), then the comparison."""
    if permissions.can_view(user, pilot):
        trail = pilot_trail(user, pilot)
    elif permissions.can_read_summary(user, pilot):
        trail = summary_trail(user, pilot)
    else:
        trail = public_trail(user, pilot)
    return [
        *trail,
        crumb(_("Pilots compared"), "pilots.compare", True, award_id=award.id),
    ]
