"""A write token changes a draft challenge's track rules and prizes through the pages'
services (their checks, their audit events); reads, other agencies and published challenges
are refused without leaking anything."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from competitions.challenges.models import Challenge, Prize, Track
from competitions.core.extensions import db
from tests.api.conftest import API, bearer
from tests.challenges.helpers import events

RULES = {
    "allowed_countries": ["CA"],
    "entrant_types": ["individual", "business"],
    "team_min": 1,
    "team_max": 5,
    "minimum_age": 18,
    "member_policy": "lead",
    "recognition_for_others": True,
    "prize_conditions": [
        {"text": {"en": "Form a Canadian company first."}, "entrant_types": ["individual"]}
    ],
}
PRIZE = {
    "label": {"en": "Phase 1 award", "fr": "Prix de la phase 1"},
    "amount": "25000.00",
    "currency": "CAD",
}


def test_rules_of_a_draft_track(
    client: FlaskClient, challenge: Challenge, track_a: Track, make_token: Any
) -> None:
    url = f"{API}/challenges/{challenge.slug}/tracks/{track_a.slug}/rules"
    writer = bearer(make_token(scope="write"))
    r = client.put(url, json=RULES, headers=writer)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["member_policy"] == "lead"
    assert r.get_json()["prize_conditions"] == ["Form a Canadian company first."]
    db.session.refresh(track_a)
    assert track_a.rules["allowed_countries"] == ["CA"] and track_a.rules["team_max"] == 5
    [event] = events("track.rules_updated")
    assert event.via == "api"
    # The track page's checks: a refused rule names its field.
    bad = client.put(url, json={**RULES, "team_min": 6}, headers=writer)
    assert bad.status_code == 422 and "team_max" in bad.get_json()["errors"]
    clash = client.put(url, json={**RULES, "excluded_countries": ["CA"]}, headers=writer)
    assert clash.status_code == 422 and "excluded_countries" in clash.get_json()["errors"]
    db.session.refresh(track_a)
    assert track_a.rules["team_min"] == 1


def test_prizes_of_a_draft_track(
    client: FlaskClient, challenge: Challenge, track_a: Track, make_token: Any
) -> None:
    base = f"{API}/challenges/{challenge.slug}/tracks/{track_a.slug}/prizes"
    writer = bearer(make_token(scope="write"))
    r = client.post(base, json=PRIZE, headers=writer)
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["amount"] == "25000.00" and body["currency"] == "CAD" and body["count"] == 1
    prize = db.session.get(Prize, body["id"])
    assert prize is not None and prize.label["fr"] == "Prix de la phase 1"
    changed = client.put(f"{base}/{prize.id}", json={**PRIZE, "count": 3}, headers=writer)
    assert changed.status_code == 200 and changed.get_json()["count"] == 3
    bad = client.post(base, json={**PRIZE, "currency": "XYZ"}, headers=writer)
    assert bad.status_code == 422 and "currency" in bad.get_json()["errors"]
    prize_id = prize.id
    assert client.delete(f"{base}/{prize_id}", headers=writer).status_code == 204
    db.session.expire_all()
    assert db.session.get(Prize, prize_id) is None
    assert client.delete(f"{base}/{prize_id}", headers=writer).status_code == 404


def test_what_writes_are_refused(
    client: FlaskClient,
    challenge: Challenge,
    track_a: Track,
    track_b: Track,
    make_token: Any,
    world: Any,
) -> None:
    url = f"{API}/challenges/{challenge.slug}/tracks/{{}}/prizes"
    reader = bearer(make_token(scope="read"))
    assert client.post(url.format(track_a.slug), json=PRIZE, headers=reader).status_code == 403
    writer = bearer(make_token(scope="write"))
    other = client.post(url.format(track_b.slug), json=PRIZE, headers=writer)
    assert other.status_code == 404  # agency B's track, as if it did not exist
    assert client.post(url.format(track_a.slug), json=PRIZE).status_code == 401
    assert db.session.query(Prize).count() == 0


def test_a_published_challenge_is_changed_on_its_pages(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any
) -> None:
    url = f"{API}/challenges/{published.slug}/tracks/{track_a.slug}/rules"
    r = client.put(url, json=RULES, headers=bearer(make_token(scope="write")))
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
