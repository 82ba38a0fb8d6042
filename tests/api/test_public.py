"""The public operations: what anyone may read, with the pages' rules and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from competitions.challenges import services
from competitions.challenges.eligibility import EntrantType, Member, TeamProfile, route
from competitions.challenges.models import Challenge
from competitions.challenges.services import tracks as track_services
from competitions.core.extensions import db
from tests.api.conftest import API, bearer
from tests.challenges.helpers import act


def test_published_challenges_are_listed_and_drafts_are_not(
    client: FlaskClient, draft: Challenge
) -> None:
    body = client.get(f"{API}/challenges").get_json()
    assert body == {"items": [], "next_cursor": None, "has_more": False}
    assert client.get(f"{API}/challenges/{draft.slug}").status_code == 404


def test_a_challenge_with_its_tracks_rules_and_prizes(
    client: FlaskClient, published: Challenge, world: Any
) -> None:
    track_a = published.track_of(world.agency_a.id)
    prize = track_services.save_prize(
        act(world.admin_a),
        track_a,
        None,
        track_services.PrizeData({"en": "Grand prize", "fr": "Grand prix"}, "1500", "CAD", 2, {}),
    )
    db.session.commit()
    listed = client.get(f"{API}/challenges").get_json()
    assert [c["slug"] for c in listed["items"]] == [published.slug]

    r = client.get(f"{API}/challenges/{published.slug}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["title"] == "Deep Space Food Challenge"
    assert datetime.fromisoformat(body["published_at"]).utcoffset() is not None
    tracks = {t["slug"]: t for t in body["tracks"]}
    mine = tracks[track_a.slug]
    assert mine["agency"]["jurisdiction"] == world.agency_a.jurisdiction
    assert mine["prizes"] == [
        {
            "id": prize.id,
            "label": "Grand prize",
            "amount": "1500.00",
            "currency": "CAD",
            "count": 2,
            "condition": None,
        }
    ]
    assert mine["rules"]["entrant_types"]
    assert mine["terms_version"] == 1

    fr = client.get(f"{API}/challenges/{published.slug}", headers={"Accept-Language": "fr-CA"})
    assert fr.get_json()["title"] == "Défi des aliments pour l'espace lointain"
    assert fr.headers["Content-Language"] == "fr"
    assert fr.get_json()["tracks"][0]["prizes"][0]["label"] == "Grand prix"

    detail = client.get(f"{API}/challenges/{published.slug}/tracks/{track_a.slug}").get_json()
    assert detail["terms"].startswith("Terms")


def test_the_timeline_gives_each_instant_in_utc_and_in_every_track_zone(
    client: FlaskClient, published: Challenge, world: Any
) -> None:
    body = client.get(f"{API}/challenges/{published.slug}/timeline").get_json()
    deadline = next(i for i in body["rounds"][0]["instants"] if i["kind"] == "submission_deadline")
    utc = datetime.fromisoformat(deadline["at"])
    assert deadline["at"].endswith("+00:00")
    zones = {z["track"]: z for z in deadline["local"]}
    track_b = published.track_of(world.agency_b.id)
    chicago = zones[track_b.slug]
    assert chicago["timezone"] == track_b.timezone == "America/Chicago"
    local = datetime.fromisoformat(chicago["at"])
    assert local == utc and local.utcoffset() is not None
    assert chicago["at"].endswith(("-05:00", "-06:00"))


def test_the_eligibility_check_answers_as_the_page_evaluator(
    client: FlaskClient, published: Challenge, world: Any
) -> None:
    profile = {"entrant_type": "individual", "members": [{"residence": "CA", "age": 30}]}
    r = client.post(f"{API}/challenges/{published.slug}/eligibility-check", json=profile)
    assert r.status_code == 200, r.get_data(as_text=True)
    options = r.get_json()["options"]
    expected = route(
        TeamProfile(EntrantType.INDIVIDUAL, (Member("CA", 30, True),)),
        [(t.slug, rules) for t, rules in services.tracks_with_rules(published)],
    )
    assert [(o["track"], o["status"]) for o in options] == [
        (e.track_key, e.decision.status.value) for e in expected
    ]
    assert all(o["status_label"] and all(r["explanation"] for r in o["reasons"]) for o in options)


def test_bad_eligibility_input_is_a_422_problem_naming_the_fields(
    client: FlaskClient, published: Challenge
) -> None:
    r = client.post(
        f"{API}/challenges/{published.slug}/eligibility-check",
        json={"entrant_type": "robot", "members": [{"residence": "XX"}]},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == 422 and body["type"] == "about:blank" and body["title"]
    assert "entrant_type" in body["errors"]["json"]
    assert "members" in body["errors"]["json"]


def test_the_eligibility_check_needs_no_csrf_token(
    client: FlaskClient, published: Challenge, csrf_enabled: None
) -> None:
    profile = {"entrant_type": "team", "members": [{"residence": "US"}, {"residence": "US"}]}
    r = client.post(f"{API}/challenges/{published.slug}/eligibility-check", json=profile)
    assert r.status_code == 200


def test_winners_are_404_until_the_results_instant(
    client: FlaskClient, published: Challenge, clock: Any
) -> None:
    round_ = published.rounds[0]
    url = f"{API}/challenges/{published.slug}/rounds/{round_.id}/winners"
    early = client.get(url)
    assert early.status_code == 404 and early.mimetype == "application/problem+json"
    clock.set_now(round_.results_at)
    body = client.get(url).get_json()
    assert body["round"]["id"] == round_.id
    assert {t["track"] for t in body["tracks"]} == {t.slug for t in published.tracks}
    assert all(t["winners"] == [] for t in body["tracks"])


def test_errors_are_problem_documents(client: FlaskClient, db: Any) -> None:
    for url in (f"{API}/challenges/nothing-here", f"{API}/no-such-operation"):
        r = client.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 404
        assert r.mimetype == "application/problem+json"
        body = r.get_json()
        assert body["status"] == 404 and body["title"] and body["detail"]
    r = client.delete(f"{API}/challenges")
    assert r.status_code == 405 and r.get_json()["status"] == 405
    r = client.get(f"{API}/challenges?limit=500")
    assert r.status_code == 422 and "limit" in r.get_json()["errors"]["query"]
    r = client.get(f"{API}/challenges?cursor=not-ours")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"


def test_a_read_answers_304_to_its_etag(client: FlaskClient, published: Challenge) -> None:
    url = f"{API}/challenges/{published.slug}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # Another language is another representation: another ETag.
    fr = client.get(url, headers={"If-None-Match": etag, "Accept-Language": "fr"})
    assert fr.status_code == 200 and fr.headers["ETag"] != etag
    assert "Accept-Language" in first.headers["Vary"]
    # A change makes the old ETag stale.
    published.title = {**published.title, "en": "Deep Space Food Challenge 2"}
    db.session.commit()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_rate_limit_headers_and_429(app: Any, client: FlaskClient, db: Any) -> None:
    app.config["API_PUBLIC_RATE_LIMIT"] = "3 per minute"
    try:
        seen = [client.get(f"{API}/challenges") for _ in range(3)]
        assert [r.headers["RateLimit-Remaining"] for r in seen] == ["2", "1", "0"]
        assert all(r.headers["RateLimit-Limit"] == "3" for r in seen)
        assert all(0 <= int(r.headers["RateLimit-Reset"]) <= 60 for r in seen)
        assert seen[0].headers["RateLimit-Policy"] == "3;w=60"
        refused = client.get(f"{API}/challenges")
        assert refused.status_code == 429
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["status"] == 429
        assert int(refused.headers["Retry-After"]) >= 0
        assert refused.headers["RateLimit-Remaining"] == "0"
        # Only the IETF draft's names: not Flask-Limiter's older X-RateLimit-* as well.
        for response in (*seen, refused):
            assert not [k for k, _v in response.headers if k.lower().startswith("x-ratelimit")]
    finally:
        app.config["API_PUBLIC_RATE_LIMIT"] = "60 per minute"


def test_the_browser_session_plays_no_part(
    client: FlaskClient, draft: Challenge, world: Any, login: Any, make_token: Any
) -> None:
    """A member of agency A, signed in, sees the draft on the pages but not in the API: only
    a token counts (so another site cannot use the session to call the API)."""
    login(world.admin_a)
    assert client.get(f"/challenges/{draft.slug}").status_code == 200
    assert client.get(f"{API}/challenges/{draft.slug}").status_code == 404
    assert client.get(f"{API}/agency").status_code == 401
    secret = make_token()
    assert client.get(f"{API}/challenges/{draft.slug}", headers=bearer(secret)).status_code == 200
