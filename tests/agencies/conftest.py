"""Fixtures of the agency tests (the helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def logout(client: FlaskClient) -> Callable[[], None]:
    def do() -> None:
        response = client.post("/logout")
        assert response.status_code == 302

    return do


@pytest.fixture
def invite(client: FlaskClient) -> Callable[..., Any]:
    """``invite(email, role="staff", slug="agency-a")`` posts the console's invitation form."""

    def do(email: str, role: str = "staff", slug: str = "agency-a") -> Any:
        return client.post(f"/agencies/{slug}/members/invite", data={"email": email, "role": role})

    return do
