"""Who may see and do what in an agency. Used by views and templates alike.

Memberships are loaded with the user (one query per request), so these checks do not query.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin, is_signed_in
from competitions.agencies.models import Agency, Membership, Role


def membership_of(user: Any, agency: Agency) -> Membership | None:
    if not is_signed_in(user):
        return None
    for m in getattr(user, "memberships", ()):
        if m.agency_id == agency.id:
            return m
    return None


def role_in_agency(user: Any, agency_id: int) -> str | None:
    """The user's role in the agency (a ``Role`` value), or None if they are not a member."""
    if not is_signed_in(user):
        return None
    memberships = getattr(user, "memberships", ())
    return next((str(m.role) for m in memberships if m.agency_id == agency_id), None)


def role_in(user: Any, agency: Agency) -> str:
    """The role under which ``user`` acts on ``agency`` (for the audit log)."""
    if is_platform_admin(user):
        return "platform_admin"
    m = membership_of(user, agency)
    if m is not None:
        return f"agency_{m.role}"
    return "user" if is_signed_in(user) else "anonymous"


def can_create_agency(user: Any) -> bool:
    return is_platform_admin(user)


def can_view_agency_console(user: Any, agency: Agency) -> bool:
    """Staff and admins of the agency, and platform admins."""
    if not is_signed_in(user):
        return False
    return bool(user.is_platform_admin) or membership_of(user, agency) is not None


def can_manage_agency(user: Any, agency: Agency) -> bool:
    """Edit settings, invite and manage members: the agency's admins and platform admins."""
    if not is_signed_in(user):
        return False
    if user.is_platform_admin:
        return True
    m = membership_of(user, agency)
    return m is not None and m.role == Role.ADMIN


def can_edit_identity(user: Any, agency: Agency) -> bool:
    """Slug and jurisdiction identify the agency across the platform: platform admins only."""
    return is_platform_admin(user)


def can_view_agency_audit(user: Any, agency: Agency) -> bool:
    return can_manage_agency(user, agency)


def managed_agencies(user: Any) -> list[Agency]:
    if not is_signed_in(user):
        return []
    return [m.agency for m in getattr(user, "memberships", ()) if m.role == Role.ADMIN]


def console_agencies(user: Any) -> list[Agency]:
    if not is_signed_in(user):
        return []
    return sorted((m.agency for m in getattr(user, "memberships", ())), key=lambda a: a.name)
