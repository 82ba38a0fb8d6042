"""What schemathesis found (``test_schemathesis``), each kept fixed by a plain test: the API
answers and accepts what its OpenAPI document says, no more."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from competitions.challenges.models import Challenge, Prize, Track
from competitions.core.extensions import db
from competitions.outreach.models import Announcement
from tests.api.conftest import API, bearer
from tests.api.test_writes import PRIZE, RULES


def _operation(client: FlaskClient, path: str, method: str) -> dict[str, Any]:
    document = client.get(f"{API}/openapi.json").get_json()
    operation: dict[str, Any] = document["paths"][path][method]
    return operation


def test_a_file_is_documented_with_any_content_type(client: FlaskClient, db: Any) -> None:
    """Files are sent with the type they were uploaded with (application/pdf...), which the
    document said was always application/octet-stream."""
    content = _operation(client, "/api/v1/files/{file_id}", "get")["responses"]["200"]["content"]
    assert list(content) == ["*/*"]


def test_a_write_without_a_json_body_is_refused(
    client: FlaskClient, challenge: Challenge, track_a: Track, make_token: Any
) -> None:
    """A PUT of rules with no body, or a form-encoded one, was read as an empty document: 200,
    and the track's rules were reset to the defaults."""
    url = f"{API}/challenges/{challenge.slug}/tracks/{track_a.slug}/rules"
    writer = bearer(make_token(scope="write"))
    assert client.put(url, json=RULES, headers=writer).status_code == 200
    before = db.session.get(Track, track_a.id).rules  # type: ignore[union-attr]
    empty = client.put(url, headers=writer)
    assert empty.status_code == 415 and empty.mimetype == "application/problem+json"
    form = client.put(url, data={"team_min": "2"}, headers=writer)
    assert form.status_code == 415
    blank = client.put(url, data="", content_type="application/json", headers=writer)
    assert blank.status_code == 400 and blank.get_json()["status"] == 400
    db.session.expire_all()
    assert db.session.get(Track, track_a.id).rules == before  # type: ignore[union-attr]
    assert client.put(url, json={}, headers=writer).status_code == 200  # {}: the defaults
    responses = _operation(client, "/api/v1/challenges/{slug}/tracks/{track_slug}/rules", "put")
    assert {"400", "415"} <= responses["responses"].keys()


def test_numbers_and_booleans_must_have_their_json_types(
    client: FlaskClient, challenge: Challenge, track_a: Track, make_token: Any
) -> None:
    """``2.5e-42`` was taken for the integer 0, and ``0`` or ``"yes"`` for a boolean."""
    url = f"{API}/challenges/{challenge.slug}/tracks/{track_a.slug}"
    writer = bearer(make_token(scope="write"))
    for bad in ({"team_min": 2.5e-42}, {"minimum_age": "18"}, {"exclusive": 0}):
        r = client.put(f"{url}/rules", json={**RULES, **bad}, headers=writer)
        assert r.status_code == 422, bad
        assert next(iter(bad)) in r.get_json()["errors"]["json"]
    r = client.post(f"{url}/prizes", json={**PRIZE, "count": 1.5}, headers=writer)
    assert r.status_code == 422 and db.session.query(Prize).count() == 0
    r = client.post(
        f"{API}/challenges/{challenge.slug}/announcements",
        json={
            "subject": {"en": "Hello"},
            "body": {"en": "Hi"},
            "audiences": ["entries"],
            "round_id": 1e-40,
        },
        headers=writer,
    )
    assert r.status_code == 422 and "round_id" in r.get_json()["errors"]["json"]
    assert db.session.query(Announcement).count() == 0


def test_the_eligibility_check_refuses_a_fractional_age(
    client: FlaskClient, published: Challenge
) -> None:
    r = client.post(
        f"{API}/challenges/{published.slug}/eligibility-check",
        json={"entrant_type": "individual", "members": [{"residence": "CA", "age": 2.5e-42}]},
    )
    assert r.status_code == 422 and "members" in r.get_json()["errors"]["json"]


def test_request_bodies_are_documented_with_examples_that_work(
    client: FlaskClient, challenge: Challenge, track_a: Track, make_token: Any
) -> None:
    """The document's example bodies (for readers and for schemathesis' first cases) are
    accepted as they are."""
    path = "/api/v1/challenges/{slug}/tracks/{track_slug}"
    writer = bearer(make_token(scope="write"))
    url = f"{API}/challenges/{challenge.slug}/tracks/{track_a.slug}"
    for suffix, method, status in (("/rules", "put", 200), ("/prizes", "post", 201)):
        body = _operation(client, path + suffix, method)["requestBody"]["content"]
        example = body["application/json"]["example"]
        r = client.open(f"{url}{suffix}", method=method.upper(), json=example, headers=writer)
        assert r.status_code == status, r.get_data(as_text=True)
