"""Helpers for the accounts tests: registration data, sign-in, page text, audit events."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from competitions.accounts.models import User
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db as _db
from tests.factories import PASSWORD

BASE = "https://tandem.test/"
NEW_PASSWORD = "a sturdy new passphrase"


def registration(**overrides: str) -> dict[str, str]:
    """A valid registration form; keyword arguments replace fields."""
    data = {
        "email": "ada@example.org",
        "password": "analytical engine notes",
        "display_name": "Ada Lovelace",
        "country": "GB",
        "preferred_language": "en",
        "timezone": "Europe/London",
    }
    data.update(overrides)
    return data


def sign_in(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
    **extra: str,
) -> TestResponse:
    data = {"email": email, "password": password, **extra}
    return client.post("/login", data=data, headers=headers or {})


def is_signed_in(client: FlaskClient) -> bool:
    """Ask a page that needs a signed-in user; anonymous visitors are sent to /login."""
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert urlsplit(response.headers["Location"]).path == "/login"
    return False


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_text(response: TestResponse) -> str:
    """The visible text of the page's main content, tags removed, whitespace collapsed."""
    html = response.get_data(as_text=True)
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    return _text(match.group(1) if match else html)


def field_error(response: TestResponse, field_id: str) -> str:
    """The error text shown under one form field ('' when there is none)."""
    html = response.get_data(as_text=True)
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return _text(match.group(1)) if match else ""


def error_summary(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    match = re.search(r'class="error-summary[^"]*"[^>]*>(.*?)</div>', html, re.S)
    if not match:
        return []
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def path_of(link: str) -> str:
    return urlsplit(link).path


def events(action: str) -> list[AuditEvent]:
    return list(
        _db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def users() -> list[User]:
    return list(_db.session.scalars(select(User).order_by(User.id)))


def user_by_email(normalized: str) -> User:
    user = _db.session.scalar(select(User).where(User.email_normalized == normalized))
    assert user is not None, f"no account for {normalized}"
    return user


@pytest.fixture
def other_client(app: Flask, db: Any) -> FlaskClient:
    """A second browser."""
    return app.test_client()
