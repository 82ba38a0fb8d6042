"""Who may see and do what in an agency. Used by views and templates alike.

Memberships are loaded with the user (one query per request), so these checks do not query.
"""

from __future__ import annotations

from typing import Any

from competitions.agencies.models import Agency, Membership, Role


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def membership_of(user: Any, agency: Agency) -> Membership | None:
    if not _authenticated(user):
        return None
    for m in getattr(user, "memberships", ()):
        if m.agency_id == agency.id:
            return m
    return None


def role_in(user: Any, agency: Agency) -> str:
    """The role under which ``user`` acts on ``agency`` (for the audit log)."""
    if _authenticated(user) and user.is_platform_admin:
        return "platform_admin"
    m = membership_of(user, agency)
    if m is not None:
        return f"agency_{m.role}"
    return "user" if _authenticated(user) else "anonymous"


def can_create_agency(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_platform_admin)


def can_view_agency_console(user: Any, agency: Agency) -> bool:
    """Staff and admins of the agency, and platform admins."""
    if not _authenticated(user):
        return False
    return bool(user.is_platform_admin) or membership_of(user, agency) is not None


def can_manage_agency(user: Any, agency: Agency) -> bool:
    """Edit settings, invite and manage members: the agency's admins and platform admins."""
    if not _authenticated(user):
        return False
    if user.is_platform_admin:
        return True
    m = membership_of(user, agency)
    return m is not None and m.role == Role.ADMIN


def can_edit_identity(user: Any, agency: Agency) -> bool:
    """Slug and jurisdiction identify the agency across the platform: platform admins only."""
    return _authenticated(user) and bool(user.is_platform_admin)


def can_view_agency_audit(user: Any, agency: Agency) -> bool:
    return can_manage_agency(user, agency)


def managed_agencies(user: Any) -> list[Agency]:
    if not _authenticated(user):
        return []
    return [m.agency for m in getattr(user, "memberships", ()) if m.role == Role.ADMIN]


def console_agencies(user: Any) -> list[Agency]:
    if not _authenticated(user):
        return []
    return sorted((m.agency for m in getattr(user, "memberships", ())), key=lambda a: a.name)
