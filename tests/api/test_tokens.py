"""API tokens: created by an agency's admins on a page, shown once, stored hashed, scoped to
one agency and never wider than their creator, expiring, revocable, audited, rate-limited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from competitions.agencies.models import Role
from competitions.api.models import ApiToken
from competitions.core.extensions import db
from tests.api.conftest import API, bearer
from tests.challenges.helpers import events

TOKEN = re.compile(r'value="(tdm_[A-Za-z0-9_-]{43})"')


def _create_on_the_page(client: FlaskClient, slug: str, name: str = "Grants system") -> str:
    r = client.post(
        f"/agencies/{slug}/api-tokens", data={"name": name, "scope": "read", "days": "30"}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    found = TOKEN.search(r.get_data(as_text=True))
    assert found, "the new token is shown"
    return found.group(1)


def test_an_admin_creates_a_token_shown_once_and_stored_hashed(
    client: FlaskClient, world: Any, login: Any
) -> None:
    login(world.admin_a)
    secret = _create_on_the_page(client, world.agency_a.slug)
    token = db.session.scalar(select(ApiToken).where(ApiToken.agency_id == world.agency_a.id))
    assert token is not None
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.secret_hash}
    assert secret.startswith(token.prefix)
    page = client.get(f"/agencies/{world.agency_a.slug}/api-tokens").get_data(as_text=True)
    assert secret not in page and token.prefix in page and "Grants system" in page
    [created] = events("api_token.created")
    assert created.agency_id == world.agency_a.id and created.actor_id == world.admin_a.id
    assert secret not in str(created.after)

    r = client.get(f"{API}/agency", headers=bearer(secret))
    assert r.status_code == 200
    assert r.get_json()["agency"]["slug"] == world.agency_a.slug
    assert r.get_json()["token"]["scope"] == "read"
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_the_token_page_speaks_french(client: FlaskClient, world: Any, login: Any) -> None:
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    page = client.get(f"/agencies/{world.agency_a.slug}/api-tokens").get_data(as_text=True)
    assert "Jetons d\u2019API de Agency A" in page
    r = client.post(f"/agencies/{world.agency_a.slug}/api-tokens", data={"name": ""})
    assert "Donnez un nom au jeton." in r.get_data(as_text=True)


def test_staff_and_other_agencies_cannot_manage_tokens(
    client: FlaskClient, world: Any, login: Any, make_token: Any
) -> None:
    make_token()
    token = db.session.scalar(select(ApiToken))
    assert token is not None
    for user in (world.staff_a, world.admin_b):
        login(user)
        assert client.get(f"/agencies/{world.agency_a.slug}/api-tokens").status_code == 404
        url = f"/agencies/{world.agency_a.slug}/api-tokens/{token.id}/revoke"
        assert client.post(url).status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_a_revoked_token_answers_401(
    client: FlaskClient, world: Any, login: Any, make_token: Any
) -> None:
    secret = make_token()
    token = db.session.scalar(select(ApiToken))
    assert token is not None
    assert client.get(f"{API}/agency", headers=bearer(secret)).status_code == 200
    login(world.admin_a)
    r = client.post(f"/agencies/{world.agency_a.slug}/api-tokens/{token.id}/revoke")
    assert r.status_code == 302
    refused = client.get(f"{API}/agency", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    [revoked] = events("api_token.revoked")
    assert revoked.object_id == str(token.id)
    assert "Revoked" in client.get(f"/agencies/{world.agency_a.slug}/api-tokens").get_data(
        as_text=True
    )


def test_an_expired_token_answers_401(
    client: FlaskClient, world: Any, make_token: Any, clock: Any
) -> None:
    secret = make_token(days=7)
    assert client.get(f"{API}/agency", headers=bearer(secret)).status_code == 200
    clock.advance(timedelta(days=7, seconds=1))
    assert client.get(f"{API}/agency", headers=bearer(secret)).status_code == 401


def test_a_token_is_never_wider_than_its_creator(
    client: FlaskClient, world: Any, make_token: Any
) -> None:
    secret = make_token()
    world.admin_a_membership.role = Role.STAFF
    db.session.commit()
    assert client.get(f"{API}/agency", headers=bearer(secret)).status_code == 401
    world.admin_a_membership.role = Role.ADMIN
    db.session.commit()
    assert client.get(f"{API}/agency", headers=bearer(secret)).status_code == 200


def test_missing_and_invalid_tokens_answer_401(client: FlaskClient, db: Any) -> None:
    for headers in ({}, bearer("tdm_" + "x" * 43), {"Authorization": "Basic abc"}):
        r = client.get(f"{API}/audit-events", headers=headers)
        assert r.status_code == 401, headers
        assert r.get_json()["status"] == 401 and r.get_json()["detail"]
    # A public operation too refuses a token that does not work: its owner must learn it.
    assert client.get(f"{API}/challenges", headers=bearer("tdm_nope")).status_code == 401
    assert client.get(f"{API}/challenges").status_code == 200


def test_each_token_has_its_own_rate_limit(
    client: FlaskClient, world: Any, make_token: Any
) -> None:
    first, second = make_token(), make_token()
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id))
    assert token is not None
    token.rate_limit = 2
    db.session.commit()
    seen = [client.get(f"{API}/agency", headers=bearer(first)) for _ in range(3)]
    assert [r.status_code for r in seen] == [200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in seen] == ["1", "0", "0"]
    assert seen[0].headers["RateLimit-Limit"] == "2"
    other = client.get(f"{API}/agency", headers=bearer(second))
    assert other.status_code == 200 and other.headers["RateLimit-Limit"] == "120"
