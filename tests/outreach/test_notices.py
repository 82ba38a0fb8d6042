"""Deadline reminders from the timeline: to entrants without a final submission, at the
configured offsets, each (reminder, person) once — across ticks and timeline edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from competitions.challenges.models import ROUND_INSTANTS
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.outreach import notices
from competitions.outreach.models import NoticeRun
from competitions.submissions import services as submission_services
from tests.submissions.conftest import (
    DEADLINE,
    NOW,
    act,
    build,
    draft,
    new_team,
    person,
    register,
)


@pytest.fixture
def challenge(world, clock):
    clock.set_now(NOW)
    return build(world, "food")


@pytest.fixture
def entries(challenge):
    ca, us = challenge.tracks
    fr_lead = person("CA", email="claire@example.org", preferred_language="fr")
    mate = person("CA", email="mate@example.org")
    maple = register(new_team(fr_lead, "CA", 30, name="Maple", members=[(mate, "CA", 30)]), ca)
    done_lead = person("CA", email="done@example.org")
    done = register(new_team(done_lead, "CA", 30, name="Done"), ca)
    draft(done, challenge.rounds[0], done_lead)
    submission_services.submit(act(done_lead), done, challenge.rounds[0])
    oak = register(new_team(person("US", email="uma@example.org"), "US", 30, name="Oak"), us)
    db.session.commit()
    return {"maple": maple, "done": done, "oak": oak}


def runs():
    return {
        (r.offset_minutes, r.skipped, r.recipients) for r in db.session.scalars(select(NoticeRun))
    }


def test_reminders_go_to_those_without_a_final_submission_once_per_offset(
    challenge, entries, clock, mail
):
    clock.set_now(DEADLINE - timedelta(days=8))
    assert notices.run_due() == 0
    clock.set_now(DEADLINE - timedelta(days=7) + timedelta(minutes=1))
    assert notices.run_due() == 3  # Claire, her teammate and Uma; not the team that submitted
    assert notices.run_due() == 0  # a second tick sends nothing
    assert mail.to("done@example.org") == []
    (claire,) = mail.to("claire@example.org")
    subject = str(claire["Subject"]).replace("\xa0", " ")
    assert subject == "Rappel : Phase 1 se termine dans 6 jours, 23 heures"  # her language
    text = mail.text(claire)
    assert "Maple" in text and "/entries/" in text
    assert claire["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (uma,) = mail.to("uma@example.org")
    assert "US track" in mail.text(uma) and "CDT" in mail.text(uma)  # the track's legal time
    clock.set_now(DEADLINE - timedelta(hours=23))
    assert notices.run_due() == 3
    assert len(mail.to("uma@example.org")) == 2


def test_only_the_latest_due_reminder_goes_out_after_a_pause(challenge, entries, clock, mail):
    clock.set_now(DEADLINE - timedelta(hours=1))  # 7 days, 1 day and 2 hours are all due
    assert notices.run_due() == 3
    assert runs() == {(7 * 24 * 60, True, 0), (24 * 60, True, 0), (120, False, 3)}
    (uma,) = mail.to("uma@example.org")
    assert str(uma["Subject"]).replace("\xa0", " ") == "Reminder: Phase 1 closes in 1 hour"


def test_moving_the_deadline_does_not_send_a_reminder_twice(world, challenge, entries, clock, mail):
    clock.set_now(DEADLINE - timedelta(hours=20))
    notices.run_due()
    first = len(mail.messages)
    rnd = challenge.rounds[0]
    rnd.submission_deadline = DEADLINE + timedelta(days=2)  # the timeline moves
    db.session.commit()
    clock.set_now(DEADLINE + timedelta(days=1))  # 1 day before the new deadline
    assert notices.run_due() == 0
    assert len(mail.messages) == first


def test_no_reminder_after_the_deadline_or_for_an_unsubscribed_person(
    challenge, entries, clock, mail, client
):
    clock.set_now(DEADLINE - timedelta(days=6))
    notices.run_due()
    url = mail.to("uma@example.org")[0]["List-Unsubscribe"].strip("<>")
    client.post(url.replace("https://tandem.test", ""), data={"List-Unsubscribe": "One-Click"})
    clock.set_now(DEADLINE - timedelta(hours=1))
    notices.run_due()
    assert len(mail.to("uma@example.org")) == 1
    clock.set_now(DEADLINE + timedelta(minutes=1))
    assert notices.run_due() == 0


def test_two_ticks_at_once_write_one_run(challenge, entries, clock):
    clock.set_now(DEADLINE - timedelta(days=6))
    db.session.add(
        NoticeRun(
            challenge_id=challenge.id, round_id=challenge.rounds[0].id, offset_minutes=7 * 24 * 60
        )
    )
    db.session.commit()  # as if another tick had just taken it
    assert notices.run_due() == 0


def test_the_lead_agency_sets_the_offsets(world, challenge, client, login):
    with pytest.raises(DomainError, match="numbers"):
        notices.parse_hours("soon")
    with pytest.raises(DomainError, match="between 0 and"):
        notices.parse_hours("0")
    assert notices.parse_hours("48; 1.5") == [2880, 90]
    login(world.admin_a)
    response = client.post(f"/challenges/{challenge.slug}/notices", data={"notices-hours": "48, 3"})
    assert response.status_code == 302
    assert notices.offsets_of(challenge) == [2880, 180]
    page = client.get(f"/challenges/{challenge.slug}/announcements").get_data(as_text=True)
    assert "Reminders" in page and "Planned" in page
    client.post(f"/challenges/{challenge.slug}/notices", data={"notices-hours": "x"})
    assert notices.offsets_of(challenge) == [2880, 180]


def move_deadline(world, challenge, new_deadline, reason="The test-bed opens later."):
    from competitions.challenges.services import timeline as timeline_services

    rnd = challenge.rounds[0]
    instants = {f: getattr(rnd, f) for f in ROUND_INSTANTS}
    instants["submission_deadline"] = new_deadline
    instants["judging_closes"] = new_deadline + timedelta(days=30)
    timeline_services.save_round(
        act(world.admin_a),
        challenge,
        rnd,
        timeline_services.RoundData(rnd.name, instants),
        reason,
    )
    db.session.commit()


def test_a_moved_date_is_told_once_to_entrants_and_followers(
    world, challenge, entries, clock, mail
):
    from competitions.outreach.models import Subscription

    db.session.add(
        Subscription(
            challenge=challenge,
            email="fan@example.org",
            email_normalized="fan@example.org",
            language="en",
            status="active",
            nonce="n",
        )
    )
    db.session.commit()
    move_deadline(world, challenge, DEADLINE + timedelta(days=7))
    assert notices.timeline_due() == 0  # an admin may still correct a slip
    clock.advance(timedelta(minutes=3))
    assert notices.timeline_due() == 5  # four entrants and one follower
    assert notices.timeline_due() == 0  # told once
    (uma,) = mail.to("uma@example.org")
    text = mail.text(uma)
    assert uma["Subject"] == "The timeline of Deep Space Food changed"
    assert "Phase 1 — Submission deadline" in text  # both the deadline and judging moved
    assert "30 Jul 2027 17:00 CDT → 6 Aug 2027 17:00 CDT" in text  # the track's legal time
    assert "The test-bed opens later." in text
    (claire,) = mail.to("claire@example.org")
    assert "changé" in claire["Subject"]
    assert len(mail.to("fan@example.org")) == 1
    assert uma["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
