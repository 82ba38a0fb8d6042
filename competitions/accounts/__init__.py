"""Accounts: registration, verification, sign-in, passwords and profile."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from competitions.accounts import views  # noqa: E402,F401
