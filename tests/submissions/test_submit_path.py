"""The final submission's own path: saving the draft and submitting it share what the first step
read (within one transaction only), so a submission costs a bounded number of statements; the
receipt page confirms it without touching the session."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from competitions.core.extensions import db
from competitions.submissions import deadlines, services
from competitions.submissions.models import SubmissionVersion
from tests.submissions.conftest import (
    DEADLINE,
    GOOD,
    PDF,
    act,
    count,
    form_data,
    page_url,
    text,
    upload,
)

# A resubmission with a new file reads the user, the entry with its team and members, the round,
# the round before it, the extension, the locked submission, its draft files and the last
# version number; one flush then writes the draft, the new file, the version and its files
# (one INSERT for the files on PostgreSQL, one each on SQLite, counted here); it looks for the
# agency's webhook endpoints that want the submission and writes the audit event and the
# receipt (then, in tests, delivers it inline: two more). Before the draft's reads were shared
# with the submission in the same transaction (and a few more lookups dropped), it took 33.
STATEMENTS = 21


def test_a_final_submission_costs_a_bounded_number_of_statements(
    world, client, login, entry, round_, count_queries
):
    login(world.innovator)
    client.post(
        page_url(entry, round_),
        data=form_data(report=upload(PDF), action="submit"),
        content_type="multipart/form-data",
    )
    with count_queries() as queries:
        response = client.post(
            page_url(entry, round_),
            data=form_data(report=upload(PDF), action="submit"),
            content_type="multipart/form-data",
        )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/versions/2?submitted=1")
    assert count(SubmissionVersion) == 2
    assert queries.count <= STATEMENTS, f"{queries.count}: " + "\n".join(queries.statements)


def test_the_receipt_says_submitted_only_on_arrival(world, client, login, entry, round_):
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data=form_data(report=upload(PDF), action="submit"),
        content_type="multipart/form-data",
    )
    assert "Set-Cookie" not in response.headers  # nothing flashed: the session is unchanged
    assert "Submitted: version 1 is recorded." in text(client.get(response.headers["Location"]))
    later = text(client.get(f"{page_url(entry, round_)}/versions/1"))
    assert "<h1>Receipt: version 1</h1>" in later
    assert "Submitted: version 1 is recorded." not in later


def test_an_extension_granted_in_the_same_transaction_counts_at_once(world, entry, round_):
    assert deadlines.deadline_for(entry, round_) == round_.submission_deadline
    later = DEADLINE + timedelta(days=2)
    deadlines.grant_extension(act(world.admin_a), entry, round_, later, "Flooded lab.")
    assert deadlines.deadline_for(entry, round_) == later


def test_a_draft_undone_by_its_savepoint_is_not_submitted(world, entry, round_):
    """What a rolled-back SAVEPOINT saved is forgotten: the submit looks again (and finds no
    draft) instead of trusting the row and files read before the rollback."""
    savepoint = db.session.begin_nested()
    services.save_draft(
        act(world.innovator),
        entry,
        round_,
        dict(GOOD),
        [services.Upload("report", io.BytesIO(PDF), "report.pdf")],
    )
    savepoint.rollback()
    with pytest.raises(services.IncompleteSubmission):
        services.submit(act(world.innovator), entry, round_)
    assert count(SubmissionVersion) == 0


def test_the_draft_files_as_changed_in_the_transaction_are_submitted(world, entry, round_):
    """Attach one file, then another, remove the first, then submit, all in one transaction:
    the version carries exactly the file the draft has now."""
    innovator = act(world.innovator)
    first = services.save_draft(
        innovator, entry, round_, dict(GOOD), [services.Upload("report", io.BytesIO(PDF), "a.pdf")]
    )
    db.session.flush()
    second = PDF + b"% second\n"
    services.save_draft(
        innovator, entry, round_, {}, [services.Upload("report", io.BytesIO(second), "b.pdf")]
    )
    db.session.flush()
    assert [f.filename for f in first.draft_files] == ["a.pdf", "b.pdf"]
    (a,) = [f for f in first.draft_files if f.filename == "a.pdf"]
    services.remove_draft_file(innovator, first, a.id)
    db.session.flush()
    version = services.submit(innovator, entry, round_)
    db.session.flush()
    assert [f.filename for f in version.files] == ["b.pdf"]
