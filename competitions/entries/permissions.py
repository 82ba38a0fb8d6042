"""Who may see and change teams and entries.

A team's members see their team and its entries; only its lead changes it. The admins and
staff of a track's agency see that track's entries (and the teams behind them); its admins
decide eligibility overrides. Everyone else gets 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from competitions.accounts.permissions import is_platform_admin, is_signed_in
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.entries.models import Entry, Team, TeamRole

if TYPE_CHECKING:
    from competitions.challenges.models import Track


def is_member(user: Any, team: Team) -> bool:
    return is_signed_in(user) and team.member_of(user.id) is not None


def is_lead(user: Any, team: Team) -> bool:
    if not is_signed_in(user):
        return False
    member = team.member_of(user.id)
    return member is not None and member.role == TeamRole.LEAD


def can_view_team(user: Any, team: Team) -> bool:
    if is_platform_admin(user) or is_member(user, team):
        return True
    return any(role_in_agency(user, e.track.agency_id) for e in team.entries)


def can_view_entry(user: Any, entry: Entry) -> bool:
    return (
        is_platform_admin(user)
        or is_member(user, entry.team)
        or role_in_agency(user, entry.track.agency_id) is not None
    )


def can_list_entries(user: Any, track: Track) -> bool:
    """A track's entries and submissions: its agency's admins and staff."""
    return is_platform_admin(user) or role_in_agency(user, track.agency_id) is not None


def can_decide_eligibility(user: Any, entry: Entry) -> bool:
    return is_platform_admin(user) or role_in_agency(user, entry.track.agency_id) == Role.ADMIN


def can_manage_documents(user: Any, agency_id: int) -> bool:
    """Set the documents a track requires: the track agency's admins."""
    return is_platform_admin(user) or role_in_agency(user, agency_id) == Role.ADMIN


def can_view_document(user: Any, entry: Entry, member_id: int | None) -> bool:
    """A member's own document (e.g. proof of residence) is seen by that member and the track's
    agency, not by teammates; a team's document by the whole team and the agency."""
    if is_platform_admin(user) or role_in_agency(user, entry.track.agency_id) is not None:
        return True
    if member_id is not None:
        return is_signed_in(user) and user.id == member_id
    return is_member(user, entry.team)
