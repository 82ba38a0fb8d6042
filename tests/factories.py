"""Test data factories and the login helper (real sign-in through the login form)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from competitions.accounts import passwords
from competitions.accounts.models import User, normalize_email
from competitions.agencies.models import Agency, Membership, Role
from competitions.core import clock
from competitions.core.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)

__all__ = ["PASSWORD", "login", "make_agency", "make_membership", "make_user", "world"]

_hash_cache: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = passwords.hash_password(password)
    return _hash_cache[password]


def make_user(
    email: str | None = None,
    *,
    password: str = PASSWORD,
    verified: bool = True,
    platform_admin: bool = False,
    **fields: Any,
) -> User:
    n = next(_seq)
    email = email or f"user{n}@example.org"
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        password_hash=_hash(password),
        display_name=fields.pop("display_name", f"User {n}"),
        country=fields.pop("country", "CA"),
        preferred_language=fields.pop("preferred_language", "en"),
        timezone=fields.pop("timezone", "America/Toronto"),
        is_platform_admin=platform_admin,
        email_verified_at=clock.now() if verified else None,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_agency(slug: str | None = None, **fields: Any) -> Agency:
    n = next(_seq)
    slug = slug or f"agency-{n}"
    agency = Agency(
        slug=slug,
        name=fields.pop("name", f"Agency {slug}"),
        jurisdiction=fields.pop("jurisdiction", "CA"),
        timezone=fields.pop("timezone", "America/Toronto"),
        languages=fields.pop("languages", ["en", "fr"]),
        **fields,
    )
    db.session.add(agency)
    db.session.flush()
    return agency


def make_membership(user: User, agency: Agency, role: str = Role.STAFF) -> Membership:
    m = Membership(user=user, agency=agency, role=role)
    db.session.add(m)
    db.session.flush()
    return m


class World:
    """Two agencies and one person per role of the authorization matrix."""

    def __init__(self) -> None:
        self.agency_a = make_agency("agency-a", name="Agency A")
        self.agency_b = make_agency(
            "agency-b",
            name="Agency B",
            jurisdiction="US",
            timezone="America/Chicago",
            languages=["en"],
        )
        self.innovator = make_user("innovator@example.org", display_name="Ina Innovator")
        self.staff_a = make_user("staff-a@agency-a.example", display_name="Sam Staff A")
        self.admin_a = make_user("admin-a@agency-a.example", display_name="Ada Admin A")
        self.admin_b = make_user(
            "admin-b@agency-b.example", display_name="Bo Admin B", country="US"
        )
        self.platform_admin = make_user(
            "root@tandem.example", platform_admin=True, display_name="Pat Platform"
        )
        self.staff_a_membership = make_membership(self.staff_a, self.agency_a, Role.STAFF)
        self.admin_a_membership = make_membership(self.admin_a, self.agency_a, Role.ADMIN)
        self.admin_b_membership = make_membership(self.admin_b, self.agency_b, Role.ADMIN)
        db.session.commit()

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(db: Any) -> World:
    return World()


def _login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., None]:
    """``login(user)`` signs ``user`` in through the real login form."""

    def do(user: User, password: str = PASSWORD) -> None:
        _login(client, user, password)

    return do
