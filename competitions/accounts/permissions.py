"""Authorization rules about accounts themselves."""

from __future__ import annotations

from typing import Any


def is_platform_admin(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "is_platform_admin", False)
    )


def can_view_audit_log(user: Any) -> bool:
    """The platform-wide audit log is for platform admins only."""
    return is_platform_admin(user)
