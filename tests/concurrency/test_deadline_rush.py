"""50 teams submit at once around the deadline instant, through HTTP, on PostgreSQL.

Every request stamped at or before the deadline is stored exactly once with its file intact
(hash verified on the stored bytes); every one after is refused with the draft kept; no 500s.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from competitions.accounts import passwords
from competitions.accounts.models import User, normalize_email
from competitions.agencies.models import Agency
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Round
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db, limiter
from competitions.core.storage import get_storage
from competitions.entries import registration, teams
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion

THREADS = 50
PASSWORD = "a long enough passphrase"

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("DATABASE_URL", ""),
    reason="the deadline rush runs on PostgreSQL (CI runs it there)",
)


def _setup(run: str, entrants: int = THREADS) -> tuple[int, list[tuple[str, int]]]:
    """A published one-track challenge and ``entrants`` registered one-person teams."""
    root = User(
        email=f"root-{run}@t.example",
        email_normalized=f"root-{run}@t.example",
        password_hash=passwords.hash_password(PASSWORD),
        display_name="root",
        country="CA",
        is_platform_admin=True,
        email_verified_at=clock.now(),
    )
    agency = Agency(
        slug=f"rush-{run}",
        name=f"Rush {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en"],
    )
    db.session.add_all([root, agency])
    db.session.flush()
    admin = Actor(root, ip="127.0.0.1")
    challenge = challenge_services.create_challenge(
        admin, agency, f"rush-{run}", challenge_services.Texts({"en": "Rush"}, {}, {})
    )
    track = challenge.tracks[0]
    track_services.update_track(
        admin,
        track,
        track_services.TrackSettings(
            {"en": "Track"}, {}, ["en"], "help@example.org", "America/Toronto"
        ),
    )
    track_services.publish_terms(admin, track, {"en": "Terms"})
    track_services.mark_ready(admin, track, True)
    now = clock.now()
    round_ = timeline_services.save_round(
        admin,
        challenge,
        None,
        timeline_services.RoundData(
            {"en": "Phase 1"},
            {
                "submission_opens": now - timedelta(days=1),
                "submission_deadline": now + timedelta(days=1),
                "judging_closes": now + timedelta(days=2),
                "results_at": now + timedelta(days=3),
            },
        ),
    )
    round_.form_fields = [
        {"key": "summary", "type": "long_text", "label": {"en": "Summary"}, "required": True},
        {
            "key": "report",
            "type": "file",
            "label": {"en": "Report"},
            "file_types": ["pdf"],
            "max_size_mb": 5,
            "max_files": 1,
            "required": True,
        },
    ]
    challenge_services.publish(admin, challenge)
    db.session.flush()
    people = []
    password_hash = passwords.hash_password(PASSWORD)
    for n in range(entrants):
        email = f"rush-{run}-{n}@example.org"
        user = User(
            email=email,
            email_normalized=normalize_email(email),
            password_hash=password_hash,
            display_name=f"Rusher {n}",
            country="CA",
            email_verified_at=now,
        )
        db.session.add(user)
        db.session.flush()
        actor = Actor(user, ip="127.0.0.1")
        team = teams.create_team(actor, teams.TeamData(f"Team {n}", "individual"), "CA", 30)
        entry = registration.register(actor, team, track, track.terms_versions[-1].id, [])
        people.append((email, entry.id))
    db.session.commit()
    return round_.id, people


def _multipart(fields: dict[str, str], filename: str, payload: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="report"; filename="{filename}"'
        f"\r\nContent-Type: application/pdf\r\n\r\n".encode()
        + payload
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(
        self, path: str, data: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, str, str]:
        req = urllib.request.Request(self.base + path, data=data)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=60) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", ""), err.read().decode("utf-8", "replace")

    def token(self, path: str) -> str:
        _status, _loc, html = self.request(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str) -> None:
        token = self.token("/login")
        body = urllib.parse.urlencode(
            {"email": email, "password": PASSWORD, "csrf_token": token}
        ).encode()
        status, location, _ = self.request("/login", body, "application/x-www-form-urlencoded")
        assert status == 302 and "/login" not in location, (status, location)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_fifty_submissions_straddling_the_deadline(live_app: Any, live_server: Any) -> None:
    run = uuid.uuid4().hex[:6]
    limiter_was = limiter.enabled
    limiter.enabled = False  # fifty sign-ins from one address
    try:
        with live_app.app_context():
            round_id, people = _setup(run)
        browsers = []
        for email, entry_id in people:
            browser = Browser(live_server.url)
            browser.login(email)
            browsers.append(
                (browser, entry_id, browser.token(f"/entries/{entry_id}/rounds/{round_id}"))
            )
    finally:
        limiter.enabled = limiter_was

    payloads = [os.urandom(64 * 1024) for _ in people]
    payloads = [b"%PDF-1.7\n" + p for p in payloads]
    with live_app.app_context():
        deadline = clock.now().replace(microsecond=0) + timedelta(seconds=5)
        db.session.get(Round, round_id).submission_deadline = deadline
        db.session.commit()

    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, int, str, float]] = [(0, 0, "", 0.0)] * THREADS

    def worker(i: int) -> None:
        browser, entry_id, token = browsers[i]
        body, content_type = _multipart(
            {"csrf_token": token, "summary": f"Team {i}", "action": "submit"},
            f"report-{i}.pdf",
            payloads[i],
        )
        barrier.wait()
        # Spread the arrivals from 2.5 s before to 2.5 s after the deadline (a 2-core machine
        # handles some tens of these per second; closer together they would all queue past it).
        target = deadline.timestamp() - 2.5 + 5.0 * i / (THREADS - 1)
        time.sleep(max(0.0, target - time.time()))
        status, location, html = browser.request(
            f"/entries/{entry_id}/rounds/{round_id}", body, content_type
        )
        results[i] = (status, entry_id, location or html, time.time())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert all(status != 500 for status, *_ in results), [r for r in results if r[0] == 500]
    accepted = [r for r in results if r[0] == 302 and "/versions/1" in r[2]]
    refused = [r for r in results if r[0] == 200]
    assert len(accepted) + len(refused) == THREADS, [r[:3] for r in results]
    assert accepted and refused, "the rush must straddle the deadline"
    assert all("the deadline passed at" in r[2] for r in refused)

    with live_app.app_context():
        storage = get_storage()
        for index, (status, entry_id, _detail, _t) in enumerate(results):
            submission = db.session.scalar(
                select(Submission).where(
                    Submission.entry_id == entry_id, Submission.round_id == round_id
                )
            )
            versions = db.session.scalar(
                select(func.count())
                .select_from(SubmissionVersion)
                .join(Submission, Submission.id == SubmissionVersion.submission_id)
                .where(Submission.entry_id == entry_id)
            )
            expected = hashlib.sha256(payloads[index]).hexdigest()
            if status == 302:
                assert versions == 1
                assert submission is not None
                version = submission.versions[0]
                assert version.submitted_at <= deadline
                (record,) = db.session.scalars(
                    select(SubmissionFile).where(SubmissionFile.version_id == version.id)
                ).all()
                assert record.sha256 == expected
                with storage.open(record.storage_key) as fh:
                    assert hashlib.sha256(fh.read()).hexdigest() == expected
            else:
                assert versions == 0
                # Saved before the deadline, the draft is kept; after it, nothing was written.
                if submission is not None:
                    assert submission.draft.get("summary") == f"Team {index}"
        assert datetime.now(UTC) > deadline
