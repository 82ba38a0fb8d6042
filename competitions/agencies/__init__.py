"""Agencies: organisations with a jurisdiction, their members (admin | staff) and invitations."""

from competitions.core.web import Pages

bp = Pages("agencies", __name__)

from competitions.agencies import mfa_requirement, views  # noqa: E402,F401
