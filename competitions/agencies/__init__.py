"""Agencies: organisations with a jurisdiction, their members (admin | staff) and invitations."""

from flask import Blueprint

bp = Blueprint("agencies", __name__)

from competitions.agencies import views  # noqa: E402,F401
