"""Fixtures of the insights tests: the judging tests' two-track challenge (agency A leads and
runs the Canada track, agency B the US track) with known entries, reviews, decisions and
announcement emails, so every figure has an expected value.

- Canada track: three teams and one individual (all residing in Canada); one team's entry
  overridden to not eligible (members too young); three submitted; two reviews submitted
  (scores 70 and 30 out of 100), one draft, one not started; one entry advances, one not.
- US track: two US teams and one from France (recognition only: residence not met); both US
  submitted, one review (100), one advances.
- Registrations: two on 1 May 2027, the rest on 1 June 2027 (the clock's day).
- Outreach: a challenge-wide announcement emailed to three addresses (sent in English, sent in
  French to one who unsubscribed since, failed to one without a subscription) and one of the
  US track queued to one address in English.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from competitions.challenges.models import Challenge, Track
from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.judging import assignments, reviews
from competitions.judging.models import Advancement
from competitions.outreach.models import Announcement, Subscription
from tests.judging import conftest as judging
from tests.judging.conftest import act, new_team, person, register, score_values

now = judging.now
challenge = judging.challenge
ca_track = judging.ca_track
us_track = judging.us_track
judged = judging.judged
logout = judging.logout
switch = judging.switch


def _advance(round_: Any, entry_id: int, advancing: bool) -> None:
    db.session.add(
        Advancement(
            round_id=round_.id, stage=1, entry_id=entry_id, advancing=advancing, method="manual"
        )
    )


def _emails(challenge: Challenge, us_track: Track, world: Any) -> None:
    def announcement(track: Track | None) -> Announcement:
        ann = Announcement(
            challenge_id=challenge.id,
            track_id=track.id if track else None,
            agency_id=(track.agency_id if track else challenge.lead_agency_id),
            subject={"en": "News"},
            body={"en": "Hello"},
            audiences=["subscribers"],
            status="released",
        )
        db.session.add(ann)
        db.session.flush()
        return ann

    def subscribe(email: str, lang: str, status: str) -> Subscription:
        sub = Subscription(
            challenge_id=challenge.id,
            email=email,
            email_normalized=email,
            language=lang,
            status=status,
            nonce=email,
        )
        db.session.add(sub)
        db.session.flush()
        return sub

    def message(ann: Announcement, to: str, status: str, sub: Subscription | None) -> None:
        db.session.add(
            OutboxMessage(
                source=ann.source,
                to_address=to,
                subject="News",
                text_body="Hello",
                status=status,
                subscription_id=sub.id if sub else None,
            )
        )

    everyone, us = announcement(None), announcement(us_track)
    en = subscribe("en@example.org", "en", "active")
    fr = subscribe("fr@example.org", "fr", "unsubscribed")
    us_sub = subscribe("us@example.org", "en", "active")
    message(everyone, "en@example.org", "sent", en)
    message(everyone, "FR@example.org", "sent", fr)
    message(everyone, "nobody@example.org", "failed", None)
    message(us, "us@example.org", "queued", us_sub)


@pytest.fixture
def scene(
    world: Any, challenge: Challenge, ca_track: Track, us_track: Track, judged: dict[str, Any]
) -> dict[str, Any]:
    rubric, round_ = judged["rubric"], judged["round"]
    ca_entries = [s.entry for s in judged["ca"]]  # three teams, all submitted
    us_entries = [s.entry for s in judged["us"]]  # two US teams, both submitted
    solo = register(new_team(person("CA"), "CA", name="Solo", entrant_type="individual"), ca_track)
    abroad = register(new_team(person("FR"), "FR", name="Abroad"), us_track)
    young = ca_entries[2]
    young.override, young.override_reason, young.override_at = (
        "not_eligible",
        "Members too young",
        clock.now(),
    )
    young.eligibility_reasons = [
        *young.eligibility_reasons,
        {"code": "members_too_young", "severity": "hard", "params": {"count": 1, "minimum": 18}},
    ]
    early = clock.now() - timedelta(days=31)
    ca_entries[0].registered_at = early
    us_entries[0].registered_at = early
    db.session.commit()

    ca_judges, us_judges = judged["ca_judges"], judged["us_judges"]
    admin_a, admin_b = act(world.admin_a), act(world.admin_b)
    first, second = judged["ca"][0], judged["ca"][1]
    a1 = assignments.assign_manually(admin_a, first, ca_judges[0])
    a2 = assignments.assign_manually(admin_a, first, ca_judges[1])
    a3 = assignments.assign_manually(admin_a, second, ca_judges[0])
    assignments.assign_manually(admin_a, second, ca_judges[2])
    a5 = assignments.assign_manually(admin_b, judged["us"][0], us_judges[0])
    reviews.save_review(act(ca_judges[0].user), a1, score_values(rubric, "8", "5"), "", "", True)
    reviews.save_review(act(ca_judges[1].user), a2, score_values(rubric, "3", "3"), "", "", True)
    reviews.save_review(act(ca_judges[0].user), a3, score_values(rubric, "6", "6"), "", "", False)
    reviews.save_review(act(us_judges[0].user), a5, score_values(rubric, "10", "10"), "", "", True)
    _advance(round_, first.entry_id, True)
    _advance(round_, second.entry_id, False)
    _advance(round_, judged["us"][0].entry_id, True)
    _emails(challenge, us_track, world)
    db.session.commit()
    return {**judged, "solo": solo, "abroad": abroad, "young": young}
