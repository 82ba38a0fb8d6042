"""Who may see and change teams and entries.

A team's members see their team and its entries; only its lead changes it. The admins and
staff of a track's agency see that track's entries (and the teams behind them); its admins
decide eligibility overrides. Everyone else gets 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from competitions.agencies.models import Role
from competitions.entries.models import Entry, Team, TeamRole

if TYPE_CHECKING:
    from competitions.challenges.models import Track


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _platform(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_platform_admin)


def _agency_role(user: Any, agency_id: int) -> str | None:
    if not _authenticated(user):
        return None
    return next((str(m.role) for m in user.memberships if m.agency_id == agency_id), None)


def is_member(user: Any, team: Team) -> bool:
    return _authenticated(user) and team.member_of(user.id) is not None


def is_lead(user: Any, team: Team) -> bool:
    if not _authenticated(user):
        return False
    member = team.member_of(user.id)
    return member is not None and member.role == TeamRole.LEAD


def can_view_team(user: Any, team: Team) -> bool:
    if _platform(user) or is_member(user, team):
        return True
    return any(_agency_role(user, e.track.agency_id) for e in team.entries)


def can_view_entry(user: Any, entry: Entry) -> bool:
    return (
        _platform(user)
        or is_member(user, entry.team)
        or _agency_role(user, entry.track.agency_id) is not None
    )


def can_list_entries(user: Any, track: Track) -> bool:
    """A track's entries and submissions: its agency's admins and staff."""
    return _platform(user) or _agency_role(user, track.agency_id) is not None


def can_decide_eligibility(user: Any, entry: Entry) -> bool:
    return _platform(user) or _agency_role(user, entry.track.agency_id) == Role.ADMIN


def can_manage_documents(user: Any, agency_id: int) -> bool:
    """Set the documents a track requires: the track agency's admins."""
    return _platform(user) or _agency_role(user, agency_id) == Role.ADMIN


def can_view_document(user: Any, entry: Entry, member_id: int | None) -> bool:
    """A member's own document (e.g. proof of residence) is seen by that member and the track's
    agency, not by teammates; a team's document by the whole team and the agency."""
    if _platform(user) or _agency_role(user, entry.track.agency_id) is not None:
        return True
    if member_id is not None:
        return _authenticated(user) and user.id == member_id
    return is_member(user, entry.team)
