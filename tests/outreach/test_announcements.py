"""Announcements: one release instant for every track's audience, each person once, in their
language, signed by their track's agency, with a one-click unsubscribe; never twice."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from competitions.core import outbox
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.outreach import announcements as ann_services
from competitions.outreach import services as sub_services
from competitions.outreach.models import Subscription
from competitions.submissions import services as submission_services
from tests.submissions.conftest import (
    NOW,
    act,
    build,
    draft,
    logout,  # noqa: F401 (a fixture that switch uses)
    new_team,
    person,
    register,
)
from tests.submissions.conftest import switch as switch  # a fixture, re-exported

TEXT = {"en": "Deadline moved", "fr": "Échéance déplacée"}
BODY = {"en": "The deadline moved to **1 June**.", "fr": "L'échéance passe au **1er juin**."}


@pytest.fixture
def challenge(world, clock):
    clock.set_now(NOW)
    return build(world, "food")


@pytest.fixture
def people(world, challenge):
    """Two Canadian entries (one French-speaking, one submitted), a U.S. one, a follower."""
    ca, us = challenge.tracks
    fr_lead = person("CA", email="claire@example.org", preferred_language="fr")
    maple = register(new_team(fr_lead, "CA", 30, name="Maple"), ca)
    birch_lead = person("CA", email="bob@example.org")
    birch = register(new_team(birch_lead, "CA", 30, name="Birch"), ca)
    draft(birch, challenge.rounds[0], birch_lead)
    submission_services.submit(act(birch_lead), birch, challenge.rounds[0])
    us_lead = person("US", email="uma@example.org")
    oak = register(new_team(us_lead, "US", 30, name="Oak"), us)
    follower = Subscription(
        challenge=challenge,
        email="fan@example.org",
        email_normalized="fan@example.org",
        language="fr",
        status="active",
        nonce="n1",
    )
    # Claire follows the challenge too: she must get one email, not two.
    twin = Subscription(
        challenge=challenge,
        email="claire@example.org",
        email_normalized="claire@example.org",
        language="en",
        status="active",
        nonce="n2",
    )
    db.session.add_all([follower, twin])
    db.session.commit()
    return {"maple": maple, "birch": birch, "oak": oak}


def new(world, challenge, track=None, audiences=("entries",), subject=None, body=None, **kw):
    data = ann_services.Draft(
        subject or dict(TEXT), body or dict(BODY), list(audiences), kw.get("round_id")
    )
    user = world.admin_b if track is not None and track.agency_id == world.agency_b.id else None
    ann = ann_services.create(act(user or world.admin_a), challenge, track, data)
    db.session.commit()
    return ann


def outbox_rows(ann):
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.source == ann.source)
            .order_by(OutboxMessage.to_address)
        )
    )


def test_one_instant_for_every_track_each_person_once_in_their_language(
    world, challenge, people, clock, mail
):
    ann = new(world, challenge, audiences=("entries", "subscribers"))
    release_at = clock.now() + timedelta(hours=2)
    ann_services.schedule(act(world.admin_a), ann, release_at)
    db.session.commit()
    assert ann_services.release_due() == 0  # not yet within the lead time
    clock.set_now(release_at - timedelta(seconds=30))
    assert ann_services.release_due() == 1
    rows = outbox_rows(ann)
    assert [r.to_address for r in rows] == [
        "bob@example.org",
        "claire@example.org",
        "fan@example.org",
        "uma@example.org",
    ]  # Claire, entrant and follower, is there once
    assert {r.next_attempt_at for r in rows} == {release_at}
    # Each email keeps the subscription it was sent under (the insights count by it).
    subscription_of = {
        s.email_normalized: s.id
        for s in db.session.scalars(select(Subscription).filter_by(challenge_id=challenge.id))
    }
    assert {r.to_address: r.subscription_id for r in rows} == {
        r.to_address: subscription_of[r.to_address.lower()] for r in rows
    }
    assert outbox.dispatch() == {}  # 30 s early: nothing leaves
    assert mail.messages == []
    clock.set_now(release_at)
    assert outbox.dispatch() == {"sent": 4}
    by_to = {str(m["To"]): m for m in mail.messages}
    assert by_to["claire@example.org"]["Subject"] == "Échéance déplacée"  # her language
    assert by_to["fan@example.org"]["Subject"] == "Échéance déplacée"
    assert by_to["bob@example.org"]["Subject"] == "Deadline moved"
    # Each entrant hears from their own track's agency; followers from the challenge.
    assert "Agency A via Tandem" in str(by_to["bob@example.org"]["From"])
    assert "Agency B via Tandem" in str(by_to["uma@example.org"]["From"])
    assert "Alimentation spatiale via Tandem" in str(by_to["fan@example.org"]["From"])
    assert "Canada track" in mail.text(by_to["bob@example.org"])
    assert "US track" in mail.text(by_to["uma@example.org"])
    html = by_to["bob@example.org"].get_body(preferencelist=("html",)).get_content()
    assert "<strong>1 June</strong>" in html
    for m in mail.messages:
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m["List-Unsubscribe"].strip("<>") in mail.text(m)
    # Run again (a second tick, a retried task): nobody is written or sent twice.
    ann.status = "scheduled"
    db.session.commit()
    assert ann_services.release_due() == 1
    assert len(outbox_rows(ann)) == 4
    assert outbox.dispatch() == {}
    assert len(mail.messages) == 4


def test_a_language_missing_from_the_announcement_falls_back_to_the_tracks_first(
    world, challenge, people, mail
):
    ann = new(world, challenge, subject={"en": "Only English"}, body={"en": "Hello"})
    ann_services.send_now(act(world.admin_a), ann)
    db.session.commit()
    claire = mail.to("claire@example.org")[0]
    assert claire["Subject"] == "Only English"


def test_round_audiences_pick_who_has_or_has_not_submitted(world, challenge, people):
    round_id = challenge.rounds[0].id
    done = new(world, challenge, audiences=("submitted",), round_id=round_id)
    late = new(world, challenge, audiences=("not_submitted",), round_id=round_id)
    assert {r.email for r in ann_services.recipients(done)} == {"bob@example.org"}
    assert {r.email for r in ann_services.recipients(late)} == {
        "claire@example.org",
        "uma@example.org",
    }
    with pytest.raises(DomainError, match="Choose the round"):
        new(world, challenge, audiences=("submitted",))


def test_a_track_speaks_to_its_own_entrants_only(world, challenge, people):
    us = challenge.tracks[1]
    ann = new(world, challenge, track=us)
    assert [r.email for r in ann_services.recipients(ann)] == ["uma@example.org"]
    with pytest.raises(DomainError, match="whole challenge"):
        new(world, challenge, track=us, audiences=("subscribers",))
    with pytest.raises(NotFound):  # agency A cannot write for the U.S. track
        ann_services.create(
            act(world.admin_a), challenge, us, ann_services.Draft(TEXT, BODY, ["entries"], None)
        )


def test_whoever_unsubscribed_is_left_out_and_entrants_can_unsubscribe_too(
    world, challenge, people, mail, client
):
    fan = db.session.scalar(select(Subscription).where(Subscription.email == "fan@example.org"))
    sub_services.unsubscribe(act(None), fan)
    db.session.commit()
    ann = new(world, challenge, audiences=("entries", "subscribers"))
    ann_services.send_now(act(world.admin_a), ann)
    db.session.commit()
    assert mail.to("fan@example.org") == []
    bob = mail.to("bob@example.org")[0]
    url = bob["List-Unsubscribe"].strip("<>")
    assert (
        client.post(
            url.replace("https://tandem.test", ""), data={"List-Unsubscribe": "One-Click"}
        ).status_code
        == 204
    )
    second = new(world, challenge, audiences=("entries",))
    ann_services.send_now(act(world.admin_a), second)
    db.session.commit()
    assert len(mail.to("bob@example.org")) == 1  # no second announcement for Bob


def test_cancel_before_the_instant_withdraws_what_was_written(world, challenge, people, clock):
    ann = new(world, challenge)
    release_at = clock.now() + timedelta(seconds=45)
    ann_services.schedule(act(world.admin_a), ann, release_at)
    db.session.commit()
    ann_services.release_due()
    assert len(outbox_rows(ann)) == 3
    assert ann_services.cancel(act(world.admin_b), ann) == 3  # a co-owner of the challenge
    db.session.commit()
    assert outbox_rows(ann) == [] and ann.status == "cancelled"
    clock.set_now(release_at)
    assert outbox.dispatch() == {}
    sent = new(world, challenge)
    ann_services.send_now(act(world.admin_a), sent)
    db.session.commit()
    with pytest.raises(DomainError, match="out already"):
        ann_services.cancel(act(world.admin_a), sent)


def test_a_past_instant_is_refused(world, challenge, clock):
    ann = new(world, challenge)
    with pytest.raises(DomainError, match="future"):
        ann_services.schedule(act(world.admin_a), ann, clock.now() - timedelta(minutes=1))


def test_who_sees_and_acts(world, challenge, client, login, switch, people):
    us = challenge.tracks[1]
    shared = new(world, challenge)
    own = new(world, challenge, track=us)
    base = f"/challenges/{challenge.slug}/announcements"
    login(world.admin_a)
    assert client.get(f"{base}/{shared.id}").status_code == 200
    assert client.get(f"{base}/{own.id}").status_code == 404  # agency B's own track
    switch(world.staff_a)
    assert client.get(f"{base}/{shared.id}").status_code == 200
    assert client.post(f"{base}/{shared.id}", data={"action": "cancel"}).status_code == 404
    switch(world.admin_b)
    assert client.get(f"{base}/{own.id}").status_code == 200
    assert client.post(f"{base}/{shared.id}", data={"action": "cancel"}).status_code == 302
    switch(world.innovator)
    assert client.get(base).status_code == 404


def test_compose_preview_test_schedule_and_watch_through_the_pages(
    world, challenge, client, login, people, mail, clock
):
    login(world.admin_a)
    base = f"/challenges/{challenge.slug}/announcements"
    response = client.post(
        f"{base}/new",
        data={
            "scope": "",
            "subject_en": "Webinar",
            "body_en": "Join us on **Friday**.",
            "subject_fr": "Webinaire",
            "body_fr": "Rejoignez-nous **vendredi**.",
            "audiences": ["entries", "subscribers"],
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>Friday</strong>" in page and "<strong>vendredi</strong>" in page
    assert "4 people today" in page
    url = response.headers["Location"]
    client.post(url, data={"action": "test"})
    (test_copy,) = mail.to(world.admin_a.email)
    assert test_copy["Subject"] == "[Test] Webinar"
    # The form offers the challenge's zone; a time is typed as wall-clock time in a zone.
    assert f'<option selected value="{challenge.timezone}">' in client.get(url).get_data(
        as_text=True
    )
    bad = client.post(
        url,
        data={
            "action": "schedule",
            "schedule-release_at": "next friday",
            "schedule-timezone": "UTC",
        },
    )
    assert bad.status_code == 400 and "2025-07-30 17:00" in bad.get_data(as_text=True)
    when = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert (
        client.post(
            url,
            data={"action": "schedule", "schedule-release_at": when, "schedule-timezone": "UTC"},
        ).status_code
        == 302
    )
    assert "Scheduled" in client.get(url).get_data(as_text=True)
    clock.advance(timedelta(days=1))
    ann_services.release_due()
    outbox.dispatch()
    progress = client.get(f"{url}/progress.json").get_json()
    assert progress["status"] == "released" and progress["sent"] == 4
    assert progress["recipients"] == 4 and progress["failed"] == 0
    announced = select(func.count()).where(OutboxMessage.source.like("announcement:%"))
    assert db.session.scalar(announced) == 4  # the test copy is not one of them


def test_the_preview_names_the_sender_in_words_and_the_mail_decodes_to_it(
    world, challenge, client, login, mail
):
    title = "Nourriture de l\u2019espace lointain, défi mené à deux"
    challenge.title = {**challenge.title, "en": title}
    db.session.commit()
    login(world.admin_a)
    base = f"/challenges/{challenge.slug}/announcements"
    data = {"scope": "", "subject_en": "Un défi mené en parallèle", "body_en": "Hello."}
    response = client.post(f"{base}/new", data={**data, "audiences": ["subscribers"]})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    sender = "Nourriture de l\u2019espace lointain, défi mené à deux via Tandem"
    assert sender in unescape(page) and "=?utf-8?" not in page
    client.post(response.headers["Location"], data={"action": "test"})
    (test_copy,) = mail.to(world.admin_a.email)
    # Python's own address parser keeps the folding space between two encoded words of a
    # display name (RFC 2047 drops it; tests/core/test_mail_wire.py decodes it the RFC's way).
    assert " ".join(test_copy["From"].addresses[0].display_name.split()) == sender
    assert test_copy["Subject"] == "[Test] Un défi mené en parallèle"


def test_a_release_is_scheduled_in_the_zone_chosen(world, challenge, client, login, clock):
    ann = new(world, challenge, audiences=("subscribers",))
    db.session.commit()
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/announcements/{ann.id}"
    typed = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT12:00")
    data = {"action": "schedule", "schedule-release_at": typed, "schedule-timezone": "Asia/Tokyo"}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(ann)
    assert ann.release_at.strftime("%Y-%m-%dT%H:%M") == typed.replace("T12:00", "T03:00")
    # Shown again in that zone's wall-clock time when the page offers the challenge's zone.
    assert 'name="schedule-release_at"' in client.get(url).get_data(as_text=True)


def test_public_announcements_show_on_the_challenge_page_and_its_feed(
    world, challenge, people, clock, client, app
):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    public = new(world, challenge, audiences=("subscribers",))
    private = new(
        world,
        challenge,
        audiences=("entries",),
        subject={"en": "For entrants"},
        body={"en": "Only for you."},
    )
    ann_services.schedule(act(world.admin_a), public, clock.now() + timedelta(minutes=1))
    ann_services.send_now(act(world.admin_a), private)
    db.session.commit()
    ann_services.release_due()  # written, but its instant has not come
    page = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Deadline moved" not in page and "For entrants" not in page
    clock.advance(timedelta(minutes=2))
    page = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Deadline moved" in page and "<strong>1 June</strong>" in page
    assert "For entrants" not in page  # entrant-only messages stay in inboxes
    feed = client.get(f"/challenges/{challenge.slug}/announcements.atom")
    assert feed.mimetype == "application/atom+xml"
    body = feed.get_data(as_text=True)
    assert "<title>Deadline moved</title>" in body and "For entrants" not in body
    assert f"#announcement-{public.id}" in body


def test_a_second_beat_process_skips_its_tick_while_one_runs(world, challenge, people, clock):
    """Two beat processes: the tick that finds the lock taken does nothing (PostgreSQL)."""
    import sqlalchemy as sa

    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite has one writer at a time")
    ann = new(world, challenge)
    ann_services.schedule(act(world.admin_a), ann, clock.now() + timedelta(seconds=10))
    db.session.commit()
    key = {"name": "tandem.outreach.release_due"}
    with db.engine.connect() as other:  # the other beat process, mid-tick
        assert other.scalar(sa.text("SELECT pg_try_advisory_lock(hashtext(:name))"), key)
        assert ann_services.release_due() == 0
        assert outbox_rows(ann) == []
        other.scalar(sa.text("SELECT pg_advisory_unlock(hashtext(:name))"), key)
        other.commit()
    assert ann_services.release_due() == 1
    assert len(outbox_rows(ann)) == 3
