"""An agency that requires two-step sign-in requires it of each of its members (admins and
staff alike). Installed into accounts (``accounts.mfa``) when agencies is imported."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select

from competitions.accounts import mfa
from competitions.agencies.models import Agency, Membership


def member_of_requiring_agency(user_id: int) -> ColumnElement[bool]:
    return exists(
        select(Membership.id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(Membership.user_id == user_id, Agency.require_mfa)
    )


mfa.add_requirement_rule(member_of_requiring_agency)
