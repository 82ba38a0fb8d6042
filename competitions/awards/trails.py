"""Breadcrumb trails of award pages (see ``core/breadcrumbs.py``).

A track's awards stand under its management pages (… > the challenge's console > the track's
settings > Awards); an award's page under them for the agency, and under the winning entry for
the winners (Home > Your teams > the team > its entry > the award).
"""

from __future__ import annotations

from typing import Any

from competitions.awards import permissions
from competitions.awards.models import Award
from competitions.challenges.models import Track
from competitions.challenges.trails import manage_trail
from competitions.core.breadcrumbs import Crumb, crumb
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.entries.trails import entry_trail


def awards_trail(user: Any, track: Track) -> list[Crumb]:
    """… > the track's settings > Awards."""
    return [
        *manage_trail(user, track.challenge, track),
        crumb(
            _("Awards"),
            "awards.track_awards",
            permissions.can_view_awards(user, track),
            slug=track.challenge.slug,
            track_slug=track.slug,
        ),
    ]


def award_trail(user: Any, award: Award) -> list[Crumb]:
    """The agency's awards > this award, or the winners' entry > this award."""
    here = crumb(
        award.prize_in(current_language()),
        "awards.award",
        permissions.can_view_award(user, award),
        award_id=award.id,
    )
    if permissions.can_view_awards(user, award.track):
        return [*awards_trail(user, award.track), here]
    return [*entry_trail(user, award.entry), here]
