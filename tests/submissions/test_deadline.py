"""The deadline is enforced by the server: at the instant is on time, one second later is not;
per-entry extensions typed in the track's legal time; DST changes compared in UTC; a request
that commits after the deadline is refused with its draft kept; and the database itself
refuses a late version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.submissions import deadlines, services
from competitions.submissions.models import Extension, SubmissionVersion
from tests.submissions.conftest import (
    DEADLINE,
    GOOD,
    PDF,
    act,
    build,
    count,
    download,
    draft,
    events,
    follow,
    form_data,
    new_team,
    page_url,
    person,
    register,
    text,
    upload,
)

SECOND = timedelta(seconds=1)
REFUSED_SUBMIT = "Your submission was not received: the deadline passed at"
REFUSED_DRAFT = "Your changes were not saved: the deadline passed at"
REFUSED_LATE = "while it was being recorded. Your draft is kept."


def post(client, entry, round_, **extra):
    return client.post(
        page_url(entry, round_), data=form_data(None, **extra), content_type="multipart/form-data"
    )


def test_submitting_exactly_at_the_deadline_is_accepted(world, client, login, entry, round_, clock):
    clock.set_now(DEADLINE)
    login(world.innovator)
    response = post(client, entry, round_, report=upload(PDF), action="submit")
    assert response.status_code == 302, text(response)
    (version,) = db.session.scalars(sa.select(SubmissionVersion)).all()
    assert version.submitted_at == DEADLINE == version.deadline


def test_one_second_late_is_refused_and_the_draft_is_kept(
    world, client, login, entry, round_, clock
):
    draft(entry, round_, world.innovator)
    clock.set_now(DEADLINE + SECOND)
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data=form_data({**GOOD, "summary": "Typed too late."}, action="submit"),
        content_type="multipart/form-data",
    )
    page = text(response)
    assert (
        "Your submission was not received: the deadline passed at 30 Jul 2027 18:00:00 EDT. "
        "Your draft is kept as it was." in page
    )
    assert "Closed: submissions are no longer accepted." in page
    assert 'value="submit"' not in page  # no Submit button any more
    assert '<fieldset class="submission-fields" disabled>' in page  # nothing left to edit
    assert count(SubmissionVersion) == 0
    submission = services.submission_for(entry, round_)
    assert submission.draft["summary"] == "Grows lettuce in orbit."
    assert [f.filename for f in submission.draft_files] == ["report.pdf"]


def test_the_service_refuses_a_late_submission_with_deadline_passed(world, entry, round_, clock):
    draft(entry, round_, world.innovator)
    clock.set_now(DEADLINE + SECOND)
    with pytest.raises(services.DeadlinePassed):
        services.submit(act(world.innovator), entry, round_)
    db.session.rollback()
    assert count(SubmissionVersion) == 0
    assert services.submission_for(entry, round_).draft["title"] == "Orbital lettuce"


def test_a_request_that_commits_after_the_deadline_is_refused(
    world, client, login, entry, round_, clock, monkeypatch, mail
):
    """The request starts one second before the deadline; the instant taken just before the
    version is written is one second after it (a slow step in the transaction: here, reading
    the last version's number, the submission's last read before it is stamped)."""
    original = services.latest_number

    def slow_read(submission):
        number = original(submission)
        clock.set_now(DEADLINE + SECOND)
        return number

    monkeypatch.setattr(services, "latest_number", slow_read)
    clock.set_now(DEADLINE - SECOND)
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data=form_data(
            {**GOOD, "summary": "Last minute words."}, report=upload(PDF), action="submit"
        ),
        content_type="multipart/form-data",
    )
    page = text(response)
    assert REFUSED_LATE in page
    db.session.expire_all()
    assert count(SubmissionVersion) == 0
    submission = services.submission_for(entry, round_)
    assert submission.draft["summary"] == "Last minute words."  # saved before, kept
    assert [f.filename for f in submission.draft_files] == ["report.pdf"]
    assert download(client, submission.draft_files[0].id).data == PDF
    assert entry.eligibility_frozen_at is None  # not frozen by a refused submission
    assert events("submission.submitted") == []
    assert mail.to(world.innovator.email) == []


def test_a_deadline_passing_during_the_upload_is_refused_with_a_message(
    world, client, login, entry, round_, clock, monkeypatch
):
    original = services.save_draft

    def slow_upload(*args, **kwargs):
        submission = original(*args, **kwargs)
        clock.set_now(DEADLINE + SECOND)  # the upload took two seconds
        return submission

    monkeypatch.setattr(services, "save_draft", slow_upload)
    clock.set_now(DEADLINE - SECOND)
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data=form_data(report=upload(PDF), action="submit"),
        content_type="multipart/form-data",
    )
    page = text(response)
    assert REFUSED_LATE in page
    db.session.expire_all()
    assert count(SubmissionVersion) == 0
    assert [f.filename for f in services.submission_for(entry, round_).draft_files] == [
        "report.pdf"
    ]


def test_the_database_refuses_a_late_version(world, entry, round_):
    submission = draft(entry, round_, world.innovator)
    late = SubmissionVersion(
        submission_id=submission.id,
        number=1,
        answers={},
        submitted_at=DEADLINE + SECOND,
        deadline=DEADLINE,
    )
    with pytest.raises(sa.exc.IntegrityError, match="on_time"), db.session.begin_nested():
        db.session.add(late)
        db.session.flush()
    on_time = SubmissionVersion(
        submission_id=submission.id, number=1, answers={}, submitted_at=DEADLINE, deadline=DEADLINE
    )
    with db.session.begin_nested():
        db.session.add(on_time)
    assert count(SubmissionVersion) == 1


# --- extensions -----------------------------------------------------------------------------


def extension_url(entry, round_):
    return f"{page_url(entry, round_)}/extension"


def test_an_extension_typed_in_the_tracks_legal_time_lets_that_entry_submit_later(
    world, client, login, switch, entry, rival, round_, clock
):
    draft(entry, round_, world.innovator)
    draft(rival, round_, rival.team.lead.user)
    login(world.admin_a)
    page = text(client.get(page_url(entry, round_)))
    assert "Extension for this team" in page
    response = client.post(
        extension_url(entry, round_),
        data={"until": "2027-07-31T17:00", "reason": "Flooded lab (ticket 42)."},
    )
    page = follow(client, response)
    assert "The extension was granted." in page
    extension = db.session.scalars(sa.select(Extension)).one()
    # 17:00 in Toronto (the Canada track's zone, EDT) is 21:00 UTC.
    assert extension.until == datetime(2027, 7, 31, 21, tzinfo=UTC)
    assert extension.reason == "Flooded lab (ticket 42)."
    assert extension.granted_by_id == world.admin_a.id
    (event,) = events("entry.extension_granted")
    assert event.actor_id == world.admin_a.id
    assert (event.object_type, event.object_id) == ("entry", str(entry.id))
    assert event.agency_id == world.agency_a.id
    assert event.after["reason"] == "Flooded lab (ticket 42)."

    clock.set_now(DEADLINE + timedelta(hours=12))
    # The extended team submits; the other team is refused.
    version = services.submit(act(world.innovator), entry, round_)
    assert version.deadline == extension.until
    db.session.commit()
    with pytest.raises(DomainError):
        services.save_draft(act(rival.team.lead.user), rival, round_, dict(GOOD), [])
    db.session.rollback()
    switch(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    assert "(extended for your team)" in page
    assert "31 Jul 2027 17:00 EDT" in page
    switch(rival.team.lead.user)
    page = text(
        client.post(
            page_url(rival, round_),
            data=form_data(action="submit"),
            content_type="multipart/form-data",
        )
    )
    assert REFUSED_SUBMIT in page
    assert "extended for your team" not in page
    # The extension has its own deadline, enforced to the second.
    clock.set_now(extension.until)
    assert services.submit(act(world.innovator), entry, round_).number == 2
    db.session.commit()
    clock.set_now(extension.until + SECOND)
    switch(world.innovator)
    page = text(post(client, entry, round_, action="submit"))
    assert REFUSED_SUBMIT in page and "31 Jul 2027" in page  # the extension's own deadline
    assert count(SubmissionVersion, SubmissionVersion.submission_id == version.submission_id) == 2


def test_the_extension_is_typed_in_a_zone_chosen_from_the_tracks_legal_one(
    world, client, login, entry, round_
):
    login(world.admin_a)
    page = client.get(page_url(entry, round_)).get_data(as_text=True)
    form = page[page.index('id="extension-title"') :]
    assert 'id="timezone"' in form and 'name="timezone"' in form
    assert '<option selected value="America/Toronto">' in form  # the track's legal zone
    assert "UTC free text" not in form and 'type="datetime-local"' in form
    response = client.post(
        extension_url(entry, round_),
        data={"until": "2027-07-31T23:00", "timezone": "Europe/Paris", "reason": "Lab"},
    )
    assert "The extension was granted." in follow(client, response)
    # 23:00 in Paris (CEST) is 21:00 UTC.
    assert db.session.scalars(sa.select(Extension.until)).one() == datetime(
        2027, 7, 31, 21, tzinfo=UTC
    )
    refused = client.post(
        extension_url(entry, round_),
        data={"until": "2027-07-31T23:00", "timezone": "Mars/Olympus", "reason": "Lab"},
    )
    assert "Select a time zone from the list." in follow(client, refused)


@pytest.mark.parametrize("who", ["staff_a", "admin_b", "innovator"])
def test_only_the_tracks_admins_grant_extensions(world, client, login, entry, round_, who):
    login(getattr(world, who))
    response = client.post(
        extension_url(entry, round_), data={"until": "2027-07-31T17:00", "reason": "Please."}
    )
    assert response.status_code == 404
    assert count(Extension) == 0
    assert events("entry.extension_granted") == []
    with pytest.raises(NotFound):
        deadlines.grant_extension(
            act(getattr(world, who)), entry, round_, DEADLINE + timedelta(days=1), "Please."
        )


def test_staff_see_no_extension_form(world, client, login, entry, round_):
    login(world.staff_a)
    page = text(client.get(page_url(entry, round_)))
    assert "Extension for this team" not in page


@pytest.mark.parametrize(
    "until, reason, message",
    [
        ("2027-07-31T17:00", "", "Give the reason for the extension."),
        ("2027-07-30T12:00", "Late", "An extension must end after the round's deadline."),
        ("2027-12-31T12:00", "Late", "An extension must end before judging closes."),
        ("tomorrow", "Late", "Enter a date and time like 2025-07-30 17:00."),
    ],
)
def test_extension_mistakes_are_explained(
    world, client, login, entry, round_, until, reason, message
):
    login(world.admin_a)
    response = client.post(extension_url(entry, round_), data={"until": until, "reason": reason})
    assert message in follow(client, response)
    assert count(Extension) == 0


# --- across a DST change --------------------------------------------------------------------

# Clocks in Chicago jump from 02:00 CST to 03:00 CDT on 14 March 2027 (08:00 UTC).
DST_DEADLINE = datetime(2027, 3, 14, 8, 30, tzinfo=UTC)  # 03:30 CDT


@pytest.fixture
def us_entry(world, clock):
    clock.set_now(datetime(2027, 3, 1, 12, tzinfo=UTC))
    instants = {
        "registration_opens": datetime(2027, 2, 1, 12, tzinfo=UTC),
        "registration_closes": None,
        "submission_opens": datetime(2027, 2, 1, 12, tzinfo=UTC),
        "submission_deadline": DST_DEADLINE,
        "judging_closes": DST_DEADLINE + timedelta(days=30),
        "results_at": DST_DEADLINE + timedelta(days=40),
    }
    challenge = build(world, "dst", instants=instants)
    lead = person("US", email="tex@example.org", display_name="Tex Texan", timezone="UTC")
    entry = register(new_team(lead, "US", 30, name="Lone Star"), challenge.tracks[1])
    draft(entry, challenge.rounds[0], lead)
    return entry, challenge.rounds[0], lead


def test_a_deadline_just_after_a_dst_change_is_compared_in_utc(client, login, us_entry, clock):
    entry, round_, lead = us_entry
    assert entry.track.timezone == "America/Chicago"
    assert round_.submission_deadline == DST_DEADLINE
    login(lead)
    clock.set_now(datetime(2027, 3, 14, 7, 59, 59, tzinfo=UTC))  # 01:59:59 CST
    page = text(client.get(page_url(entry, round_)))
    assert "14 Mar 2027 03:30 CDT" in page  # the legal local time, after the jump
    assert "08:30 UTC your time" in page
    assert ">30 minutes, 1 second</span>" in page  # not "1 hour, 30 minutes"
    assert post(client, entry, round_, action="submit").status_code == 302
    clock.set_now(DST_DEADLINE)  # 03:30:00 CDT
    assert post(client, entry, round_, action="submit").status_code == 302
    clock.set_now(DST_DEADLINE + SECOND)
    refused = text(post(client, entry, round_, action="submit"))
    assert (
        f"{REFUSED_SUBMIT} 14 Mar 2027 03:30:00 CDT (14 Mar 2027 08:30:00 UTC your time)" in refused
    )
    # Had the deadline been read with the winter offset (CST), it would be 09:30 UTC.
    clock.set_now(datetime(2027, 3, 14, 9, 0, tzinfo=UTC))
    assert REFUSED_SUBMIT in text(post(client, entry, round_, action="submit"))
    versions = services.submission_for(entry, round_).versions
    assert [v.submitted_at for v in versions] == [
        datetime(2027, 3, 14, 7, 59, 59, tzinfo=UTC),
        DST_DEADLINE,
    ]


def test_an_extension_typed_across_the_dst_change(world, client, login, us_entry, clock):
    entry, round_, lead = us_entry
    login(world.admin_b)
    # 02:30 does not exist in Chicago that night.
    response = client.post(
        extension_url(entry, round_), data={"until": "2027-03-14T02:30", "reason": "Storm"}
    )
    assert "2027-03-14 02:30 does not exist in America/Chicago" in follow(client, response)
    assert count(Extension) == 0
    response = client.post(
        extension_url(entry, round_), data={"until": "2027-03-14T04:00", "reason": "Storm"}
    )
    assert "The extension was granted." in follow(client, response)
    until = db.session.scalars(sa.select(Extension.until)).one()
    assert until == datetime(2027, 3, 14, 9, 0, tzinfo=UTC)  # 04:00 CDT
    clock.set_now(until)
    assert services.submit(act(lead), entry, round_).submitted_at == until
    db.session.commit()
    clock.set_now(until + SECOND)
    with pytest.raises(services.DeadlinePassed):
        services.save_draft(act(lead), entry, round_, {}, [])


def test_the_lead_agency_cannot_extend_another_agencys_entry(world, client, login, us_entry):
    entry, round_, _lead = us_entry
    login(world.admin_a)  # leads the challenge, but the US track is agency B's
    response = client.post(
        extension_url(entry, round_), data={"until": "2027-03-14T04:00", "reason": "Storm"}
    )
    assert response.status_code == 404
    assert count(Extension) == 0


def test_after_the_deadline_nothing_changes(world, client, login, entry, round_, clock):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    submission = services.submission_for(entry, round_)
    (record,) = submission.draft_files
    clock.set_now(DEADLINE + SECOND)
    login(world.innovator)
    page = follow(client, client.post(f"{page_url(entry, round_)}/withdraw"))
    assert "The submission stays as it is: the deadline passed at 30 Jul 2027 18:00:00" in page
    assert "Withdraw the submission" not in page
    page = follow(client, client.post(f"{page_url(entry, round_)}/files/{record.id}/remove"))
    assert REFUSED_DRAFT in page
    db.session.expire_all()
    submission = services.submission_for(entry, round_)
    assert submission.withdrawn_at is None
    assert submission.draft_files[0].removed_at is None
    assert "this one counts" in page
