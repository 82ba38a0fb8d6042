"""What an agency's token reads of its own tracks, and that other agencies' objects answer
404 like ones that do not exist (audited); pagination is stable while rows are added."""

from __future__ import annotations

import base64
import hashlib
import io
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from competitions.challenges.models import Challenge, Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.storage import get_storage
from competitions.outreach.models import Announcement
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion
from tests.api.conftest import API, bearer, make_entry
from tests.challenges.helpers import act, events
from tests.factories import make_user

SHA = "a" * 64


def test_entries_with_their_eligibility(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any
) -> None:
    ok = make_entry(track_a, "Astro Foods")
    make_entry(track_a, "Moon Kitchen", "not_eligible")
    db.session.commit()
    url = f"{API}/challenges/{published.slug}/tracks/{track_a.slug}/entries"
    body = client.get(url, headers=bearer(make_token())).get_json()
    assert [e["team"] for e in body["items"]] == ["Astro Foods", "Moon Kitchen"]
    first = body["items"][0]
    assert first["id"] == ok.id and first["eligibility"] == "eligible"
    assert first["reasons"][0]["code"] == "residence_ok"
    assert first["reasons"][0]["explanation"]
    assert first["registered_at"].endswith("+00:00")
    assert body["items"][1]["eligibility"] == "not_eligible"


def test_another_agencys_track_is_404_and_audited(
    client: FlaskClient, published: Challenge, track_b: Track, make_token: Any, world: Any
) -> None:
    secret = make_token()  # agency A's
    for what in ("entries", "submissions"):
        url = f"{API}/challenges/{published.slug}/tracks/{track_b.slug}/{what}"
        r = client.get(url, headers=bearer(secret))
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
        missing = client.get(
            f"{API}/challenges/{published.slug}/tracks/nothing/{what}", headers=bearer(secret)
        )
        assert missing.get_json() == r.get_json()  # nothing tells them apart
    denied = events("authz.denied")
    assert len(denied) == 2
    assert {e.agency_id for e in denied} == {world.agency_b.id}
    assert all(e.via == "api" for e in denied)
    # Agency B's token reads its own track.
    own = make_token(world.admin_b, world.agency_b)
    url = f"{API}/challenges/{published.slug}/tracks/{track_b.slug}/entries"
    assert client.get(url, headers=bearer(own)).status_code == 200


def test_submissions_metadata_with_file_digests(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any
) -> None:
    entry = make_entry(track_a, "Astro Foods")
    round_ = published.rounds[0]
    now = clock.now()
    sub = Submission(entry=entry, round=round_, draft={})
    version = SubmissionVersion(
        submission=sub, number=1, answers={}, submitted_at=now, deadline=round_.submission_deadline
    )
    file = SubmissionFile(
        submission=sub,
        version=version,
        field_key="report",
        storage_key="k",
        filename="report.pdf",
        content_type="application/pdf",
        size=1234,
        sha256=SHA,
    )
    db.session.add_all([sub, version, file])
    db.session.commit()
    url = f"{API}/challenges/{published.slug}/tracks/{track_a.slug}/submissions"
    [item] = client.get(url, headers=bearer(make_token())).get_json()["items"]
    assert item["entry_id"] == entry.id and item["round_id"] == round_.id
    [v] = item["versions"]
    assert v["number"] == 1
    assert v["files"] == [
        {
            "id": file.id,
            "field": "report",
            "filename": "report.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "sha256": SHA,
        }
    ]


def test_announcements_with_delivery_counts(
    client: FlaskClient, published: Challenge, track_a: Track, world: Any, make_token: Any
) -> None:
    ann = Announcement(
        challenge=published,
        track=track_a,
        agency_id=world.agency_a.id,
        subject={"en": "Webinar", "fr": "Webinaire"},
        body={"en": "Join"},
        audiences=["entries"],
    )
    db.session.add(ann)
    db.session.commit()
    url = f"{API}/challenges/{published.slug}/announcements"
    r = client.get(url, headers={**bearer(make_token()), "Accept-Language": "fr"})
    [item] = r.get_json()["items"]
    assert item["subject"] == "Webinaire" and item["status"] == "draft"
    assert item["track"] == track_a.slug
    assert item["delivery"] == {"queued": 0, "sending": 0, "sent": 0, "retrying": 0, "failed": 0}


def test_audit_events_paginate_stably_while_rows_are_added(
    client: FlaskClient, world: Any, make_token: Any
) -> None:
    secret = make_token()
    actor = Actor(world.admin_a)
    for n in range(5):
        audit.record(actor, f"test.event{n}", agency_id=world.agency_a.id)
    audit.record(actor, "test.elsewhere", agency_id=world.agency_b.id)
    db.session.commit()
    url = f"{API}/audit-events?action=test.&limit=2"
    first = client.get(url, headers=bearer(secret))
    page1 = first.get_json()
    assert [e["action"] for e in page1["items"]] == ["test.event0", "test.event1"]
    assert page1["has_more"] and 'rel="next"' in first.headers["Link"]
    # Rows added between two pages come at the end: nothing repeated, nothing skipped.
    audit.record(actor, "test.event5", agency_id=world.agency_a.id)
    db.session.commit()
    seen = [e["action"] for e in page1["items"]]
    body = page1
    while body["has_more"]:
        cursor = body["next_cursor"]
        body = client.get(f"{url}&cursor={cursor}", headers=bearer(secret)).get_json()
        seen += [e["action"] for e in body["items"]]
    assert seen == [f"test.event{n}" for n in range(6)]
    # The last page's cursor, kept, gives later what is new, and only that.
    kept = body["next_cursor"]
    empty = client.get(f"{url}&cursor={kept}", headers=bearer(secret)).get_json()
    assert empty == {"items": [], "next_cursor": kept, "has_more": False}
    audit.record(actor, "test.event6", agency_id=world.agency_a.id)
    db.session.commit()
    later = client.get(f"{url}&cursor={kept}", headers=bearer(secret)).get_json()
    assert [e["action"] for e in later["items"]] == ["test.event6"]
    # The same page asked twice is the same page (and its ETag answers 304).
    again = client.get(url, headers={**bearer(secret), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _draft(track: str | None = None) -> dict[str, Any]:
    return {
        "track": track,
        "subject": {"en": "Webinar on Thursday", "fr": "Webinaire jeudi"},
        "body": {"en": "Join us.", "fr": "Joignez-vous à nous."},
        "audiences": ["entries"],
    }


def test_a_write_token_posts_an_announcement_draft(
    client: FlaskClient,
    published: Challenge,
    track_a: Track,
    track_b: Track,
    make_token: Any,
    csrf_enabled: None,
) -> None:
    url = f"{API}/challenges/{published.slug}/announcements"
    writer = make_token(scope="write")
    r = client.post(url, json=_draft(track_a.slug), headers=bearer(writer))  # no CSRF token
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["status"] == "draft" and r.get_json()["track"] == track_a.slug
    ann = db.session.get(Announcement, r.get_json()["id"])
    assert ann is not None and ann.subject["fr"] == "Webinaire jeudi"
    [created] = events("announcement.created")
    assert created.via == "api"
    # The composer's rules: a refusal names the field, as a 422 problem.
    bad = client.post(url, json={**_draft(), "subject": {}}, headers=bearer(writer))
    assert bad.status_code == 422 and "subject" in bad.get_json()["errors"]
    # Another agency's track does not exist for this token.
    other = client.post(url, json=_draft(track_b.slug), headers=bearer(writer))
    assert other.status_code == 404


def test_reading_tokens_and_browser_sessions_cannot_write(
    client: FlaskClient,
    published: Challenge,
    track_a: Track,
    make_token: Any,
    world: Any,
    login: Any,
) -> None:
    url = f"{API}/challenges/{published.slug}/announcements"
    reader = make_token(scope="read")
    r = client.post(url, json=_draft(track_a.slug), headers=bearer(reader))
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    login(world.admin_a)  # signed in on the pages: the API does not see it
    assert client.post(url, json=_draft(track_a.slug)).status_code == 401
    assert db.session.query(Announcement).count() == 0


def test_a_submitted_file_downloads_with_its_digest(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any, world: Any
) -> None:
    entry = make_entry(track_a, "Astro Foods")
    content = b"%PDF-1.4 the design report"
    stored = get_storage().save(io.BytesIO(content), 10_000)
    sub = Submission(entry=entry, round=published.rounds[0], draft={})
    file = SubmissionFile(
        submission=sub,
        field_key="report",
        storage_key=stored.key,
        filename="report.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add_all([sub, file])
    db.session.commit()
    url = f"{API}/files/{file.id}"
    r = client.get(url, headers=bearer(make_token()))
    assert r.status_code == 200 and r.get_data() == content
    assert hashlib.sha256(r.get_data()).hexdigest() == stored.sha256
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert r.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert r.headers["ETag"] == f'"{stored.sha256}"'
    assert "attachment" in r.headers["Content-Disposition"]
    r.close()
    again = client.get(url, headers={**bearer(make_token()), "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    other = make_token(world.admin_b, world.agency_b)
    assert client.get(url, headers=bearer(other)).status_code == 404
    assert client.get(f"{API}/files/999999", headers=bearer(other)).status_code == 404


def _submitted(track: Track, round_: Any, team: str) -> Submission:
    """A new entry's submission with one version in the round (added)."""
    sub = Submission(entry=make_entry(track, team), round=round_, draft={})
    version = SubmissionVersion(
        submission=sub,
        number=1,
        answers={},
        submitted_at=clock.now(),
        deadline=round_.submission_deadline,
    )
    db.session.add_all([sub, version])
    return sub


def test_a_tracks_results_of_a_round(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any, world: Any
) -> None:
    round_ = published.rounds[0]
    entry = _submitted(track_a, round_, "Astro Foods").entry
    db.session.commit()
    url = f"{API}/challenges/{published.slug}/tracks/{track_a.slug}/rounds/{round_.id}/results"
    r = client.get(url, headers=bearer(make_token()))
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["released"] is False and body["round"]["id"] == round_.id
    [row] = body["results"]
    assert row["entry_id"] == entry.id and row["team"] == "Astro Foods"
    assert row["reviews"] == 0 and row["rank"] is None and row["advancing"] is None
    other = make_token(world.admin_b, world.agency_b)
    assert client.get(url, headers=bearer(other)).status_code == 404


def _reviewed(track: Track, round_: Any, judge_user: Any, values: list[str], status: str) -> Any:
    """A submission of a new entry in ``track`` with one review by ``judge_user`` (flushed)."""
    from competitions.judging import panels, rubrics
    from competitions.judging.models import Assignment, Judge, Review, Score

    sub = _submitted(track, round_, f"Team {len(values)}{status}")
    panel = panels.panel_for(round_.challenge, track)
    judge = db.session.scalar(
        select(Judge).where(Judge.panel_id == panel.id, Judge.user_id == judge_user.id)
    ) or Judge(panel_id=panel.id, user_id=judge_user.id, organisation="", expertise=[])
    db.session.add(judge)
    db.session.flush()
    assignment = Assignment(
        round_id=round_.id, stage=1, submission_id=sub.id, judge_id=judge.id, user_id=judge.user_id
    )
    rubric = rubrics.rubric_for(round_)
    assert rubric is not None
    now = clock.now() if status == "submitted" else None
    review = Review(
        assignment=assignment,
        status=status,
        submitted_at=now,
        comment_to_team="Clear plan.",
        comment_to_admins="Strong team.",
        weighted_score=70.0,
    )
    review.scores = [
        Score(criterion_id=c.id, value=Decimal(v))
        for c, v in zip(rubric.criteria, values, strict=True)
    ]
    db.session.add_all([assignment, review])
    db.session.flush()
    return review


def test_a_tracks_reviews_with_their_scores(
    client: FlaskClient, published: Challenge, track_a: Track, make_token: Any, world: Any
) -> None:
    from competitions.judging import rubrics

    round_ = published.rounds[0]
    rubric = rubrics.rubric_for(round_)
    assert rubric is not None
    for title, weight in (("Innovation", "2"), ("Feasibility", "1")):
        rubrics.add_criterion(
            act(world.admin_a),
            published,
            rubric,
            rubrics.CriterionData(
                title={"en": title, "fr": f"{title} (fr)"},
                guidance={},
                weight=weight,
                scale_min="0",
                scale_max="10",
                step="0.5",
                descriptors={},
            ),
        )
    judge = make_user(email="judge@example.org")
    first = _reviewed(track_a, round_, judge, ["7.5", "6"], "submitted")
    second = _reviewed(track_a, round_, judge, ["9", "8"], "submitted")
    _reviewed(track_a, round_, judge, ["1", "1"], "draft")  # a draft does not count
    db.session.commit()
    url = f"{API}/challenges/{published.slug}/tracks/{track_a.slug}/rounds/{round_.id}/reviews"
    r = client.get(f"{url}?limit=1", headers={**bearer(make_token()), "Accept-Language": "fr"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    [item] = body["items"]
    assert item["id"] == first.id and item["stage"] == 1 and body["has_more"] is True
    assert item["judge"] == {"id": judge.id, "email": "judge@example.org"}
    assert item["entry_id"] == first.assignment.submission.entry_id
    assert [(s["criterion"], s["value"]) for s in item["scores"]] == [
        ("Innovation (fr)", 7.5),
        ("Feasibility (fr)", 6.0),
    ]
    assert item["comment_to_admins"] == "Strong team." and item["weighted_score"] == 70.0
    assert item["submitted_at"].endswith("+00:00")
    rest = client.get(r.headers["Link"].split(";")[0].strip("<>"), headers=bearer(make_token()))
    assert [i["id"] for i in rest.get_json()["items"]] == [second.id]
    assert rest.get_json()["has_more"] is False
    # Another agency's token: the track does not exist for it; a stage the round lacks is 404.
    other = make_token(world.admin_b, world.agency_b)
    assert client.get(url, headers=bearer(other)).status_code == 404
    assert client.get(f"{url}?stage=2", headers=bearer(make_token())).status_code == 404
    assert client.get(f"{url}?stage=9", headers=bearer(make_token())).status_code == 422
