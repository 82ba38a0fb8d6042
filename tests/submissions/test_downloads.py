"""Files are served only to the team, its track's agency and platform admins, always as
attachments with nosniff; everyone else gets 404."""

from __future__ import annotations

import pytest

from competitions.core.extensions import db
from competitions.submissions import services
from tests.submissions.conftest import (
    PDF,
    act,
    docx_bytes,
    download,
    draft,
    person,
)


@pytest.fixture
def files(world, entry, round_):
    """A submitted version with a PDF and a DOCX: (draft copy, version copy) of the report."""
    draft(
        entry,
        round_,
        world.innovator,
        files=[("report", PDF, "Design report (final).pdf"), ("annex", docx_bytes(), "plan.docx")],
    )
    version = services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    return services.submission_for(entry, round_).draft_files, version.files


ALLOWED = ["innovator", "mate", "admin_a", "staff_a", "platform_admin"]


def user_for(world, mate, name):
    return mate if name == "mate" else getattr(world, name)


@pytest.mark.parametrize("who", ALLOWED)
def test_the_team_its_tracks_agency_and_platform_admins_download(
    world, client, login, mate, files, who
):
    login(user_for(world, mate, who))
    drafts, submitted = files
    for record in [*drafts, *submitted]:
        response = download(client, record.id)
        assert response.status_code == 200, who
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response.headers["Cache-Control"]
    report = submitted[0]
    response = download(client, report.id)
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Design report (final).pdf"'
    )
    annex = submitted[1]
    response = download(client, annex.id)
    assert response.data == docx_bytes()
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response.headers["Content-Disposition"] == "attachment; filename=plan.docx"


@pytest.mark.parametrize("who", ["rival", "outsider", "admin_b"])
def test_everyone_else_gets_404(world, client, login, rival, files, who):
    user = {
        "rival": rival.team.lead.user,
        "outsider": person("CA", email="outsider@example.org"),
        "admin_b": world.admin_b,
    }[who]
    db.session.commit()
    login(user)
    drafts, submitted = files
    for record in [*drafts, *submitted]:
        response = download(client, record.id)
        assert response.status_code == 404, who
        assert PDF not in response.data
    # ... exactly like a file that does not exist.
    assert download(client, 999_999).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, files):
    response = download(client, files[1][0].id)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_refused_download_is_audited(world, client, login, rival, files):
    from tests.submissions.conftest import events

    login(rival.team.lead.user)
    record = files[1][0]
    assert download(client, record.id).status_code == 404
    event = events("authz.denied")[-1]
    assert event.actor_id == rival.team.lead.user.id
    assert event.after["path"] == f"/files/{record.id}"


def test_a_non_ascii_name_is_offered_safely(world, client, login, entry, round_):
    draft(entry, round_, world.innovator, files=[("report", PDF, "résumé\r\n.pdf")])
    record = services.submission_for(entry, round_).draft_files[0]
    assert record.filename == "résumé.pdf"
    login(world.innovator)
    response = download(client, record.id)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition
    assert "\r" not in disposition and "\n" not in disposition


def disposition_name(response):
    """The file name a browser saves the download under (Werkzeug's parse of the header)."""
    from werkzeug.http import parse_options_header

    _kind, options = parse_options_header(response.headers["Content-Disposition"])
    return options["filename"]


def test_a_file_is_named_by_its_detected_type_not_the_uploaders_extension(
    world, client, login, entry, round_
):
    draft(entry, round_, world.innovator, files=[("report", PDF, "invoice.html")])
    record = services.submission_for(entry, round_).draft_files[0]
    assert record.filename == "invoice.pdf" and record.content_type == "application/pdf"
    login(world.innovator)
    response = download(client, record.id)
    assert response.mimetype == "application/pdf"
    assert disposition_name(response) == "invoice.pdf"


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("invoice.html", "invoice.pdf"),
        ("invoice.pdf.html", "invoice.pdf.pdf"),
        ("no extension", "no extension.pdf"),
        ("report.PDF", "report.PDF"),
        ('../x<script>"\r\n.svg', "xscript.pdf"),
        ("", "file.pdf"),
    ],
)
def test_a_file_stored_under_another_extension_is_still_served_by_its_type(
    world, client, login, entry, round_, stored, served
):
    """Rows written before names were fixed at upload keep their name: the download fixes it."""
    draft(entry, round_, world.innovator, files=[("report", PDF, "report.pdf")])
    record = services.submission_for(entry, round_).draft_files[0]
    record.filename = stored
    db.session.commit()
    login(world.innovator)
    assert disposition_name(download(client, record.id)) == served
