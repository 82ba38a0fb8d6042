"""Breadcrumb trails of team and entry pages (see ``core/breadcrumbs.py``).

A team's own members walk Home > Your teams > the team > the entry; the agency staff who see
an entry walk back through the track it is in (… > the track > Entries > the team).
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_signed_in
from competitions.challenges.models import Round
from competitions.challenges.trails import manage_trail
from competitions.core.breadcrumbs import Crumb, crumb, home_trail
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.entries import permissions
from competitions.entries.models import Entry, Team


def my_teams_trail(user: Any) -> list[Crumb]:
    """Home > Your teams (linked for the signed-in: others would be asked to sign in)."""
    return [*home_trail(), crumb(_("Your teams"), "entries.my_teams", is_signed_in(user))]


def team_trail(user: Any, team: Team) -> list[Crumb]:
    """Home > Your teams > the team (for its members); Home > the team for anyone else."""
    here = crumb(team.name, "entries.team", permissions.can_view_team(user, team), team_id=team.id)
    if permissions.is_member(user, team):
        return [*my_teams_trail(user), here]
    return [*home_trail(), here]


def entry_trail(user: Any, entry: Entry) -> list[Crumb]:
    """… > the team > its entry (members), or … > the track > Entries > the team (agencies)."""
    lang = current_language()
    track = entry.track
    here = crumb(
        f"{track.challenge.title_in(lang)} — {track.name_in(lang)}"
        if permissions.is_member(user, entry.team)
        else entry.team.name,
        "entries.entry",
        permissions.can_view_entry(user, entry),
        entry_id=entry.id,
    )
    if permissions.is_member(user, entry.team):
        return [*team_trail(user, entry.team), here]
    entries = crumb(
        _("Entries"),
        "entries.track_entries",
        permissions.can_list_entries(user, track),
        slug=track.challenge.slug,
        track_slug=track.slug,
    )
    return [*manage_trail(user, track.challenge, track), entries, here]


def entry_round_trail(user: Any, entry: Entry, round_: Round) -> list[Crumb]:
    """… > the entry > the round (its submission page)."""
    return [
        *entry_trail(user, entry),
        crumb(
            round_.name_in(current_language()),
            "submissions.edit",
            permissions.can_view_entry(user, entry),
            entry_id=entry.id,
            round_id=round_.id,
        ),
    ]
