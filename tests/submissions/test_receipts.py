"""After each final submission: a receipt page and an email to the submitter with the
version, UTC and local time, file names, sizes and SHA-256."""

from __future__ import annotations

import hashlib
import re

import pytest

from competitions.core.extensions import db
from competitions.core.i18n import format_file_size
from competitions.submissions import services
from tests.submissions.conftest import (
    PDF,
    act,
    docx_bytes,
    draft,
    form_data,
    page_url,
    post_multipart,
    text,
    upload,
)

SHA = hashlib.sha256(PDF).hexdigest()


def test_the_receipt_page(world, client, login, entry, round_, mail):
    login(world.innovator)
    response = post_multipart(
        client, page_url(entry, round_), form_data(report=upload(PDF), action="submit")
    )
    page = text(client.get(response.headers["Location"]))
    assert "Submitted: version 1 is recorded." in page
    assert "<h1>Receipt: version 1</h1>" in page
    assert "2027-06-01 12:00:00 UTC" in page  # UTC
    assert "1 Jun 2027 08:00 EDT" in page  # the Canada track's legal time (Toronto)
    assert ">report.pdf</a>" in page
    assert f"{len(PDF)} bytes ({len(PDF)} bytes)" in page
    assert SHA in page
    assert "Orbital lettuce" in page  # the answers as submitted
    world.innovator.preferred_language = "fr"
    db.session.commit()
    page = text(client.get(response.headers["Location"]))
    assert f"{len(PDF)}\u00a0octets" in page and "bytes" not in page


@pytest.mark.parametrize(
    ("size", "en", "fr"),
    [
        (1, "1 byte", "1\u00a0octet"),
        (999, "999 bytes", "999\u00a0octets"),
        (1000, "1 kB", "1\u202fko"),
        (1_500_000, "1.5 MB", "1,5\u202fMo"),
        (2_340_000_000, "2.3 GB", "2,3\u202fGo"),
    ],
)
def test_file_sizes_are_written_in_the_reader_s_language(app, size, en, fr):
    for lang, expected in (("en", en), ("fr", fr)):
        with app.test_request_context("/", headers={"Accept-Language": lang}):
            assert format_file_size(size) == expected


def test_the_receipt_email_goes_to_the_submitter_with_the_same_digests(
    world, client, login, mate, entry, round_, mail
):
    annex = docx_bytes()
    draft(
        entry,
        round_,
        world.innovator,
        files=[("report", PDF, "report.pdf"), ("annex", annex, "plan.docx")],
    )
    login(mate)
    response = post_multipart(client, page_url(entry, round_), form_data(action="submit"))
    receipt_page = text(client.get(response.headers["Location"]))
    (message,) = mail.wait_for(mate.email)
    assert mail.to(world.innovator.email) == []  # the submitter, not the whole team
    assert message["Subject"] == "Receipt: version 1 of your submission"
    body = mail.text(message)
    assert "We received version 1 of the submission of Maple for Phase 1 (Canada track)." in body
    assert "Received (UTC): 2027-06-01 12:00:00 UTC" in body
    assert "Received (local): 1 Jun 2027 08:00 EDT" in body
    assert f"- report.pdf — {len(PDF)} bytes — SHA-256 {SHA}" in body
    annex_sha = hashlib.sha256(annex).hexdigest()
    assert f"- plan.docx — {len(annex)} bytes — SHA-256 {annex_sha}" in body
    # The same digests as the page, which are those of the stored version.
    version = services.get_version(entry, round_, 1)
    for record in version.files:
        assert record.sha256 in body and record.sha256 in receipt_page
    link = mail.link(message, "/versions/1")
    assert link == f"https://tandem.test{page_url(entry, round_)}/versions/1"


def test_each_version_gets_its_own_receipt(world, entry, round_, mail, clock):
    from datetime import timedelta

    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    messages = mail.wait_for(world.innovator.email, 2)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [
        "Receipt: version 1 of your submission",
        "Receipt: version 2 of your submission",
    ]
    assert "12:05:00 UTC" in mail.text(
        next(m for m in messages if "version 2" in str(m["Subject"]))
    )


def test_no_receipt_for_a_refused_submission(world, entry, round_, mail):
    draft(entry, round_, world.innovator, files=[])
    try:
        services.submit(act(world.innovator), entry, round_)
    except services.IncompleteSubmission:
        db.session.rollback()
    db.session.commit()
    assert mail.to(world.innovator.email) == []


def test_receipts_of_other_teams_are_404(world, client, login, entry, rival, round_):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(rival.team.lead.user)
    assert client.get(f"{page_url(entry, round_)}/versions/1").status_code == 404
    assert client.get(page_url(entry, round_)).status_code == 404


def test_the_tracks_agency_sees_the_receipt_but_not_the_form(world, client, login, entry, round_):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(world.staff_a)
    page = text(client.get(f"{page_url(entry, round_)}/versions/1"))
    assert hashlib.sha256(PDF).hexdigest() in page
    page = text(client.get(page_url(entry, round_)))
    assert "Your answers" not in page and 'name="action"' not in page
    # Staff cannot save into a team's draft.
    response = post_multipart(client, page_url(entry, round_), form_data(action="save"))
    assert response.status_code == 404


def test_an_unknown_version_is_404(world, client, login, entry, round_):
    login(world.innovator)
    assert client.get(f"{page_url(entry, round_)}/versions/1").status_code == 404
    assert re.search(r"/versions/\d", text(client.get(page_url(entry, round_)))) is None
