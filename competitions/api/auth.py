"""Who calls the API: a token's agency, or nobody (the public).

The request's ``Authorization: Bearer <token>`` is the only credential the API reads: a
browser's session cookie plays no part (a page's session could otherwise be used by another
site to make API calls), which is also why CSRF protection does not apply here.

A token acts through a ``TokenPrincipal``: a stand-in for its creator that holds only the
creator's seat in the token's agency. The domain's permission rules (``role_in_agency``…)
then give the token exactly what that seat gives on the pages, and nothing of the creator's
other agencies or platform role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from flask import abort, current_app, g, request

from competitions.agencies.models import Agency
from competitions.api import tokens
from competitions.api.models import ApiToken, Scope
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import client_ip, db
from competitions.core.problems import problem
from competitions.core.translate import gettext as _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Seat:
    """A membership as the permission rules read it."""

    agency_id: int
    role: str
    agency: Agency


@dataclass
class TokenPrincipal:
    """The acting user of a token's request (see the module's docstring)."""

    id: int
    email: str
    token_id: int
    memberships: tuple[Seat, ...] = field(default_factory=tuple)
    is_platform_admin: bool = False
    is_authenticated: bool = True

    def get_id(self) -> str:
        return str(self.id)


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def current_token() -> ApiToken | None:
    """The request's valid token (looked up once per request), or None."""
    if "api_token" not in g:
        secret = _bearer()
        g.api_token = tokens.usable(secret, clock.now()) if secret else None
    token: ApiToken | None = g.api_token
    return token


def current_token_id() -> int | None:
    token = current_token()
    return token.id if token is not None else None


def require_current_token() -> ApiToken:
    """The request's token, where ``authenticate(required=True)`` has made sure of one."""
    token = current_token()
    if token is None:
        unauthorized(_("This operation needs an API token of your agency."))
    return token


def unauthorized(detail: str) -> NoReturn:
    response = problem(401, _("Unauthorized"), detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="tandem"'
    abort(response)


def authenticate(required: bool) -> None:
    """Settle who calls: a missing token is fine for public operations (``required`` false);
    one that is sent but not valid never is (its owner should learn that it stopped working)."""
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    sent = _bearer()
    token = current_token()
    if sent is not None and token is None:
        unauthorized(_("The token is not valid: it may be mistyped, revoked or expired."))
    if token is None:
        if required:
            unauthorized(_("This operation needs an API token of your agency."))
        return
    if request.method not in SAFE_METHODS and token.scope != Scope.WRITE and required:
        abort(problem(403, _("Forbidden"), _("This token may only read.")))
    if tokens.touch(token, clock.now()):
        db.session.commit()


def principal() -> TokenPrincipal | None:
    token = current_token()
    if token is None or token.created_by is None:
        return None
    seat = Seat(token.agency_id, "admin", token.agency)
    return TokenPrincipal(
        id=token.created_by.id,
        email=token.created_by.email,
        token_id=token.id,
        memberships=(seat,),
    )


def api_actor() -> Actor:
    return Actor(user=principal(), ip=client_ip(), via="api")


def rate_key() -> str:
    token = current_token()
    return f"token:{token.id}" if token is not None else f"ip:{client_ip()}"


def rate_limit() -> str:
    """A token's own budget per minute; the public's from the settings, per address."""
    token = current_token()
    if token is not None:
        return f"{token.rate_limit} per minute"
    return str(current_app.config.get("API_PUBLIC_RATE_LIMIT", "60 per minute"))
