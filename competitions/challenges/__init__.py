"""Challenges: parallel tracks, shared timeline, explainable eligibility, publication."""

from flask import Blueprint

bp = Blueprint("challenges", __name__)

from competitions.challenges import views  # noqa: E402,F401
