"""Drafts and immutable versions: save, submit (version 1), resubmit (version 2, version 1
unchanged), history with the version that counts, eligibility frozen, withdraw and submit
again."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, timedelta

import pytest

from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionFile, SubmissionVersion
from tests.submissions.conftest import (
    GOOD,
    NOW,
    PDF,
    act,
    count,
    download,
    draft,
    events,
    follow,
    form_data,
    page_url,
    text,
    upload,
)

REPORT_2 = PDF + b"% second edition\n"


def submit_page(client, entry, round_, data):
    return client.post(page_url(entry, round_), data=data, content_type="multipart/form-data")


def test_saving_a_draft_keeps_the_answers(world, client, login, entry, round_):
    login(world.innovator)
    response = submit_page(client, entry, round_, form_data(action="save"))
    assert response.headers["Location"].endswith(page_url(entry, round_))
    page = follow(client, response)
    assert "Draft saved." in page
    assert 'value="Orbital lettuce"' in page
    assert "Grows lettuce in orbit.</textarea>" in page
    assert re.search(r'checked[^>]*value="prototype"|value="prototype"[^>]*checked', page)
    assert re.search(r'<input checked[^>]*id="original"', page)
    submission = services.submission_for(entry, round_)
    assert submission.draft["crops"] == ["lettuce", "potato"]
    assert submission.draft["original"] is True
    assert submission.draft_saved_at == NOW
    assert count(SubmissionVersion) == 0
    assert entry.eligibility_frozen_at is None


def test_submit_creates_version_1_with_a_utc_time_answers_and_file_digests(
    world, client, login, entry, round_
):
    login(world.innovator)
    response = submit_page(client, entry, round_, form_data(report=upload(PDF), action="submit"))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith(f"{page_url(entry, round_)}/versions/1?submitted=1")
    (version,) = services.submission_for(entry, round_).versions
    assert version.number == 1
    assert version.submitted_at == NOW and version.submitted_at.tzinfo == UTC
    assert version.submitted_by_id == world.innovator.id
    assert version.deadline == round_.submission_deadline
    assert version.answers == {**GOOD}
    (file,) = version.files
    assert file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert file.size == len(PDF)
    assert file.filename == "report.pdf" and file.field_key == "report"
    event = events("submission.submitted")[-1]
    assert event.after["version"] == 1 and event.after["files"] == [file.sha256]


def test_the_first_version_freezes_the_entrys_eligibility(world, entry, round_, clock):
    assert entry.eligibility_frozen_at is None
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    assert entry.eligibility_frozen_at == NOW
    clock.advance(timedelta(days=1))
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    assert entry.eligibility_frozen_at == NOW  # fixed by the first one


def test_a_resubmission_is_version_2_and_version_1_does_not_change(
    world, client, login, switch, mate, entry, round_, clock
):
    login(world.innovator)
    submit_page(client, entry, round_, form_data(report=upload(PDF), action="submit"))
    v1 = db.session.scalars(db.select(SubmissionVersion)).one()
    v1_id = v1.id
    v1_before = (
        dict(v1.answers),
        v1.submitted_at,
        [(f.id, f.filename, f.sha256, f.storage_key) for f in v1.files],
    )
    old_report = services.submission_for(entry, round_).draft_files[0]

    clock.advance(timedelta(hours=3))
    # The team replaces the report and rewrites the summary, then a mate submits.
    response = client.post(f"{page_url(entry, round_)}/files/{old_report.id}/remove")
    assert "The file was removed from the draft." in follow(client, response)
    switch(mate)
    response = submit_page(
        client,
        entry,
        round_,
        form_data(
            {**GOOD, "summary": "Now grows potatoes too."},
            report=upload(REPORT_2, "report-v2.pdf"),
            action="submit",
        ),
    )
    location = response.headers["Location"]
    assert location.endswith(f"{page_url(entry, round_)}/versions/2?submitted=1")

    db.session.expire_all()
    submission = services.submission_for(entry, round_)
    assert [v.number for v in submission.versions] == [1, 2]
    v2 = submission.versions[1]
    assert v2.submitted_at == NOW + timedelta(hours=3)
    assert v2.submitted_by_id == mate.id
    assert v2.answers["summary"] == "Now grows potatoes too."
    assert [(f.filename, f.sha256) for f in v2.files] == [
        ("report-v2.pdf", hashlib.sha256(REPORT_2).hexdigest())
    ]
    v1 = db.session.get(SubmissionVersion, v1_id)
    assert (
        dict(v1.answers),
        v1.submitted_at,
        [(f.id, f.filename, f.sha256, f.storage_key) for f in v1.files],
    ) == v1_before
    assert v1.answers["summary"] == "Grows lettuce in orbit."
    # Version 1's file is still there to download, though removed from the draft.
    assert download(client, v1.files[0].id).data == PDF
    assert download(client, old_report.id).status_code == 404


def test_the_page_shows_the_history_and_the_version_that_counts(
    world, client, login, entry, round_, clock
):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    clock.advance(timedelta(days=2))
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    assert "Submitted versions" in page
    items = re.findall(r"<li><a href=\"[^\"]*/versions/(\d)\">Version \d</a>(.*?)</li>", page, re.S)
    assert [number for number, _ in items] == ["2", "1"]
    assert "this one counts" in items[0][1]
    assert "this one counts" not in items[1][1]
    assert page.count("this one counts") == 1
    assert "3 Jun 2027 08:00 EDT" in items[0][1]  # 12:00 UTC in the track's zone
    # Each version has its receipt, which says when a later one replaces it.
    receipt = text(client.get(f"{page_url(entry, round_)}/versions/1"))
    assert "A later version (2) replaces this one." in receipt
    receipt = text(client.get(f"{page_url(entry, round_)}/versions/2"))
    assert "replaces this one" not in receipt


def test_versions_are_numbered_per_round_entry(world, entry, rival, round_):
    draft(entry, round_, world.innovator)
    draft(rival, round_, rival.team.lead.user)
    assert services.submit(act(world.innovator), entry, round_).number == 1
    assert services.submit(act(rival.team.lead.user), rival, round_).number == 1
    assert services.submit(act(world.innovator), entry, round_).number == 2


def test_submitting_without_a_draft_asks_for_one(world, entry, round_):
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert caught.value.problems == {"": "Save a draft first."}


def test_only_the_teams_members_save_and_submit(world, entry, rival, round_):
    outsider = rival.team.lead.user
    with pytest.raises(NotFound):
        services.save_draft(act(outsider), entry, round_, dict(GOOD), [])
    with pytest.raises(NotFound):
        services.save_draft(act(world.admin_a), entry, round_, dict(GOOD), [])
    draft(entry, round_, world.innovator)
    with pytest.raises(NotFound):
        services.submit(act(outsider), entry, round_)
    assert count(SubmissionVersion) == 0


def test_the_withdraw_button_is_for_the_lead_only(
    world, client, login, switch, mate, entry, round_
):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(mate)
    assert "Withdraw the submission" not in text(client.get(page_url(entry, round_)))
    assert client.post(f"{page_url(entry, round_)}/withdraw").status_code == 404
    assert services.submission_for(entry, round_).withdrawn_at is None
    with pytest.raises(NotFound):
        services.withdraw_submission(act(mate), entry, round_)
    switch(world.innovator)
    assert "Withdraw the submission" in text(client.get(page_url(entry, round_)))


def test_withdraw_then_submit_again(world, client, login, entry, round_, clock):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    clock.advance(timedelta(hours=1))
    login(world.innovator)
    response = client.post(f"{page_url(entry, round_)}/withdraw")
    page = follow(client, response)
    assert "The submission was withdrawn. You can submit again until the deadline." in page
    submission = services.submission_for(entry, round_)
    assert submission.withdrawn_at == NOW + timedelta(hours=1)
    assert "Withdrawn on" in page and "this one counts" not in page
    assert events("submission.withdrawn")[-1].actor_id == world.innovator.id
    # The version stays on record.
    assert count(SubmissionVersion) == 1

    clock.advance(timedelta(hours=1))
    response = client.post(
        page_url(entry, round_), data=form_data(action="submit"), content_type="multipart/form-data"
    )
    assert response.headers["Location"].endswith("/versions/2?submitted=1")
    db.session.expire_all()
    submission = services.submission_for(entry, round_)
    assert submission.withdrawn_at is None
    assert [v.number for v in submission.versions] == [1, 2]
    page = text(client.get(page_url(entry, round_)))
    assert page.count("this one counts") == 1 and "Withdrawn on" not in page


def test_nothing_to_withdraw_before_a_submission(world, entry, round_):
    draft(entry, round_, world.innovator)
    with pytest.raises(DomainError) as caught:
        services.withdraw_submission(act(world.innovator), entry, round_)
    assert caught.value.message == "There is no submission to withdraw."


def test_draft_files_are_copied_onto_each_version(world, entry, round_):
    draft(entry, round_, world.innovator)
    v1 = services.submit(act(world.innovator), entry, round_)
    v2 = services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    (f1,), (f2,) = v1.files, v2.files
    assert f1.id != f2.id and f1.storage_key == f2.storage_key and f1.sha256 == f2.sha256
    submission = services.submission_for(entry, round_)
    assert len(submission.draft_files) == 1
    assert count(SubmissionFile) == 3
