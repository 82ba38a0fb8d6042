"""Breadcrumb trails of agency pages (see ``core/breadcrumbs.py``)."""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_signed_in
from competitions.agencies.models import Agency
from competitions.agencies.permissions import can_create_agency, can_view_agency_console
from competitions.core.breadcrumbs import Crumb, crumb, home_trail
from competitions.core.translate import gettext as _


def agency_trail(user: Any, agency: Agency) -> list[Crumb]:
    """Home > Agencies > the agency: its console for its members, else its public page."""
    if can_view_agency_console(user, agency):
        here = crumb(agency.display_name, "agencies.console", slug=agency.slug)
    else:
        here = crumb(agency.display_name, "agencies.public_profile", slug=agency.slug)
    return [*home_trail(), crumb(_("Agencies"), "agencies.directory"), here]


def agency_challenges_trail(user: Any, agency: Agency) -> list[Crumb]:
    """… > the agency > Challenges (its list of challenges, for its members)."""
    allowed = can_view_agency_console(user, agency)
    return [
        *agency_trail(user, agency),
        crumb(_("Challenges"), "challenges.agency_challenges", allowed, slug=agency.slug),
    ]


def admin_trail(user: Any) -> list[Crumb]:
    """Home > Administration."""
    return [
        *home_trail(),
        crumb(_("Administration"), "agencies.admin_home", can_create_agency(user)),
    ]


def account_trail(user: Any) -> list[Crumb]:
    """Home > Your account."""
    return [*home_trail(), crumb(_("Your account"), "accounts.profile", is_signed_in(user))]
