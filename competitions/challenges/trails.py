"""Breadcrumb trails of challenge pages (see ``core/breadcrumbs.py``).

Public pages stand under the challenge directory (Home > Challenges > the challenge > a track).
Management pages stand under the agency that runs them (Home > Agencies > the agency >
Challenges > the challenge's console > a track's settings): the track's agency for a track's
pages, else the lead agency, else the first taking part whose console the viewer may open —
so a partner agency's staff walk back through their own agency, not through the lead's.
"""

from __future__ import annotations

from typing import Any

from competitions.agencies.models import Agency
from competitions.agencies.permissions import can_view_agency_console
from competitions.agencies.trails import agency_challenges_trail
from competitions.challenges import permissions
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.breadcrumbs import Crumb, crumb, home_trail
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _


def challenge_trail(user: Any, challenge: Challenge, track: Track | None = None) -> list[Crumb]:
    """Home > Challenges > the challenge [> the track], as the public sees them."""
    lang = current_language()
    visible = permissions.can_view_challenge(user, challenge)
    trail = [
        *home_trail(),
        crumb(_("Challenges"), "challenges.directory"),
        crumb(challenge.title_in(lang), "challenges.challenge_page", visible, slug=challenge.slug),
    ]
    if track is not None:
        trail.append(
            crumb(
                track.name_in(lang),
                "challenges.track_page",
                visible,
                slug=challenge.slug,
                track_slug=track.slug,
            )
        )
    return trail


def host_agency(user: Any, challenge: Challenge, track: Track | None = None) -> Agency:
    """The agency whose pages a management trail passes through, for this viewer."""
    candidates = [track.agency] if track is not None else []
    candidates += [challenge.lead_agency, *(t.agency for t in challenge.tracks)]
    return next((a for a in candidates if can_view_agency_console(user, a)), candidates[0])


def manage_trail(user: Any, challenge: Challenge, track: Track | None = None) -> list[Crumb]:
    """… > the agency > Challenges > the challenge's console [> the track's settings]."""
    lang = current_language()
    trail = [
        *agency_challenges_trail(user, host_agency(user, challenge, track)),
        crumb(
            challenge.title_in(lang),
            "challenges.console",
            permissions.can_view_console(user, challenge),
            slug=challenge.slug,
        ),
    ]
    if track is not None:
        if permissions.can_edit_track(user, track):
            endpoint, allowed = "challenges.edit_track", True
        else:
            endpoint, allowed = (
                "challenges.track_page",
                permissions.can_view_challenge(user, challenge),
            )
        trail.append(
            crumb(
                track.name_in(lang), endpoint, allowed, slug=challenge.slug, track_slug=track.slug
            )
        )
    return trail


def round_trail(user: Any, challenge: Challenge, round_: Round) -> list[Crumb]:
    """… > the challenge's console > the round (its settings, for the lead agency's admins)."""
    return [
        *manage_trail(user, challenge),
        crumb(
            round_.name_in(current_language()),
            "challenges.edit_round",
            permissions.can_manage_challenge(user, challenge),
            slug=challenge.slug,
            round_id=round_.id,
        ),
    ]
