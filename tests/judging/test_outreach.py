"""Judging meets outreach: announcements to finalists, to judges and to judges with reviews
left; reminders to judges with reviews left before judging closes, each (reminder, judge) once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.judging import advancement, assignments, panels, reviews
from competitions.judging.models import Assignment
from competitions.outreach import announcements, notices
from competitions.outreach.models import NoticeKind
from tests.judging.conftest import act, score_values, seat


def _assign(world, judged, pairs):
    """(judge, submission, submitted?) triples: assigned, scored as asked."""
    out = []
    for judge, sub, submit in pairs:
        admin = world.admin_b if sub in judged["us"] else world.admin_a
        a = assignments.assign_manually(act(admin), sub, judge)
        if submit is not None:
            reviews.save_review(
                act(judge.user), a, score_values(judged["rubric"], "5", "5"), "", "", submit
            )
        out.append(a)
    db.session.commit()
    return out


@pytest.fixture
def workload(world, judged):
    """CA judge 0 has two reviews left (one a draft), CA judge 1 is done, CA judge 2 has none
    assigned, US judge 0 has one left."""
    (j0, j1, _j2), (u0, _u1) = judged["ca_judges"], judged["us_judges"]
    ca, us = judged["ca"], judged["us"]
    _assign(
        world,
        judged,
        [(j0, ca[0], None), (j0, ca[1], False), (j1, ca[0], True), (u0, us[0], None)],
    )
    return judged


def test_judges_with_reviews_left_are_reminded_before_judging_closes(world, workload, clock, mail):
    closes = workload["round"].judging_closes
    (j0, j1, j2), (u0, _u1) = workload["ca_judges"], workload["us_judges"]
    clock.set_now(closes - timedelta(days=4))
    assert notices.run_due() == 0
    clock.set_now(closes - timedelta(days=3) + timedelta(minutes=1))
    assert notices.run_due() == 2  # CA judge 0 and US judge 0
    assert notices.run_due() == 0  # a second tick sends nothing
    (first,) = mail.to(j0.user.email)
    assert str(first["Subject"]).replace("\xa0", " ").startswith("Reminder: judging of Phase 1")
    text = mail.text(first)
    assert "You have 2 reviews left to submit" in text
    assert f"/judging/rounds/{workload['round'].id}" in text
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "1 review left" in mail.text(mail.to(u0.user.email)[0])
    assert mail.to(j1.user.email) == [] and mail.to(j2.user.email) == []
    # CA judge 0 finishes; US judge 0 is removed from the panel: the next one goes to nobody.
    for row in reviews.queue(j0.user_id, workload["round"]):
        reviews.save_review(
            act(j0.user),
            db.session.get(Assignment, row.assignment_id),
            score_values(workload["rubric"], "6", "6"),
            "",
            "",
            True,
        )
    panels.remove(act(world.admin_b), workload["round"].challenge, u0)
    db.session.commit()
    clock.set_now(closes - timedelta(hours=23))
    assert notices.run_due() == 0
    assert len(mail.to(j0.user.email)) == 1
    clock.set_now(closes + timedelta(minutes=1))
    assert notices.run_due() == 0


def test_a_late_tick_sends_only_the_latest_judging_reminder(world, workload, clock, mail):
    closes = workload["round"].judging_closes
    clock.set_now(closes - timedelta(hours=2))  # 3 days and 1 day are both due
    assert notices.run_due() == 2
    schedule = notices.schedule_of(workload["round"].challenge)
    judging = {
        (offset, run.skipped)
        for _r, kind, offset, _at, run in schedule
        if kind == NoticeKind.JUDGING and run
    }
    assert judging == {(3 * 24 * 60, True), (24 * 60, False)}
    assert "in 2 hours" in mail.text(mail.to(workload["ca_judges"][0].user.email)[0])


def test_the_lead_agency_sets_the_judges_reminders(world, workload, client, login, clock):
    challenge = workload["round"].challenge
    login(world.admin_a)
    response = client.post(
        f"/challenges/{challenge.slug}/notices",
        data={"notices-hours": "48", "notices-judging_hours": "12"},
    )
    assert response.status_code == 302
    assert notices.offsets_of(challenge, NoticeKind.JUDGING) == [720]
    client.post(
        f"/challenges/{challenge.slug}/notices",
        data={"notices-hours": "48", "notices-judging_hours": "later"},
    )
    assert notices.offsets_of(challenge, NoticeKind.JUDGING) == [720]  # refused, kept
    page = client.get(f"/challenges/{challenge.slug}/announcements").get_data(as_text=True)
    assert "judging closes (judges with reviews left)" in page
    clock.set_now(workload["round"].judging_closes - timedelta(days=2))
    assert notices.run_due() == 0  # 12 hours before, not 3 days


def _draft(audiences, round_id=None):
    return announcements.Draft({"en": "News"}, {"en": "Hello"}, audiences, round_id)


def emails(ann):
    return {r.email for r in announcements.recipients(ann)}


def test_announcements_reach_finalists_and_judges(world, challenge, workload, ca_track):
    round_ = workload["round"]
    ca = workload["ca"]
    advancement.decide(act(world.admin_a), round_, ca_track, "manual", {ca[0].entry_id})
    db.session.commit()
    finalists = announcements.create(
        act(world.admin_a), challenge, None, _draft(["finalists"], round_.id)
    )
    assert emails(finalists) == {m.user.email for m in ca[0].entry.team.members}
    with pytest.raises(DomainError, match="Choose the round"):
        announcements.create(act(world.admin_a), challenge, None, _draft(["finalists"]))

    shared = seat(world, challenge, None, email="shared@judges.example")
    (j0, j1, j2), (u0, u1) = workload["ca_judges"], workload["us_judges"]
    everyone = announcements.create(act(world.admin_a), challenge, None, _draft(["judges"]))
    assert emails(everyone) == {j.user.email for j in (j0, j1, j2, u0, u1, shared)}
    ca_only = announcements.create(act(world.admin_a), challenge, ca_track, _draft(["judges"]))
    assert emails(ca_only) == {j.user.email for j in (j0, j1, j2)}

    left = announcements.create(
        act(world.admin_a), challenge, None, _draft(["judges_incomplete"], round_.id)
    )
    assert emails(left) == {j0.user.email, u0.user.email}
    ca_left = announcements.create(
        act(world.admin_a), challenge, ca_track, _draft(["judges_incomplete"], round_.id)
    )
    assert emails(ca_left) == {j0.user.email}
    # One person in two audiences gets one email; a judge signs with their panel's track.
    both = announcements.create(
        act(world.admin_a), challenge, None, _draft(["judges", "finalists"], round_.id)
    )
    people = announcements.recipients(both)
    assert len(people) == len({p.email for p in people})
    by_email = {p.email: p for p in people}
    assert by_email[u0.user.email].track.id == workload["us"][0].entry.track_id
    assert by_email[shared.user.email].track is None  # the whole challenge signs
