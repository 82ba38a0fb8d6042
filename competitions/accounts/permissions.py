"""Authorization rules about accounts themselves."""

from __future__ import annotations

from typing import Any


def is_signed_in(user: Any) -> bool:
    """A signed-in user (Flask-Login's anonymous user is not)."""
    return bool(getattr(user, "is_authenticated", False))


def is_platform_admin(user: Any) -> bool:
    return is_signed_in(user) and bool(getattr(user, "is_platform_admin", False))


def can_view_audit_log(user: Any) -> bool:
    """The platform-wide audit log is for platform admins only."""
    return is_platform_admin(user)
