"""Accounts: registration, verification, sign-in, passwords and profile."""

from competitions.core.web import Pages

bp = Pages("accounts", __name__)

from competitions.accounts import mfa_views, passkey_views, views  # noqa: E402,F401
