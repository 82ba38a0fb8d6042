"""A track's submissions for its admins: the filtered list (bounded queries), the CSV of entries
and answers, and the streamed ZIP of a round's files with its SHA-256 manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest

from competitions.core.extensions import db
from competitions.core.spreadsheet import cell
from competitions.core.storage import get_storage
from competitions.submissions import exports, services
from tests.submissions.conftest import (
    PDF,
    act,
    draft,
    events,
    new_team,
    person,
    register,
    text,
)
from tests.support.storage import tamper

PDF_V2 = PDF.replace(b"%%EOF", b"% second version\n%%EOF")


def url(track, what="submissions", **query):
    path = f"/challenges/{track.challenge.slug}/tracks/{track.slug}/{what}"
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def field(world, entry, rival, round_, ca_track):
    """Maple submitted twice (v2 has another report), Birch has a draft, Oak has nothing."""
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    submission = services.submission_for(entry, round_)
    (old,) = submission.draft_files
    services.remove_draft_file(act(world.innovator), submission, old.id)
    db.session.commit()
    draft(
        entry,
        round_,
        world.innovator,
        {"title": "Orbital lettuce II"},
        files=[("report", PDF_V2, "report v2.pdf")],
    )
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    draft(rival, round_, rival.team.lead.user, files=[])
    oak_lead = person("CA", email="oak@example.org")
    oak = register(new_team(oak_lead, "CA", 50, name="Oak"), ca_track)
    return {"maple": entry, "birch": rival, "oak": oak}


def names(html):
    return {n for n in ("Maple", "Birch", "Oak") if f">{n}</a>" in html}


def test_the_list_shows_each_entrys_submission_and_filters_by_state(
    world, client, login, field, ca_track, round_
):
    login(world.staff_a)
    html = text(client.get(url(ca_track)))
    assert names(html) == {"Maple", "Birch", "Oak"}
    assert "Draft only" in html and "Not started" in html
    assert "/versions/2" in html  # Maple's version that counts
    assert names(text(client.get(url(ca_track, submission="submitted")))) == {"Maple"}
    assert names(text(client.get(url(ca_track, submission="draft")))) == {"Birch"}
    assert names(text(client.get(url(ca_track, submission="none")))) == {"Oak"}
    # Unknown filter values mean "any", never an error.
    assert names(text(client.get(url(ca_track, submission="bogus", round="x")))) == {
        "Maple",
        "Birch",
        "Oak",
    }


def test_the_list_costs_the_same_queries_for_three_entries_or_twelve(
    world, client, login, field, ca_track, round_, count_queries
):
    login(world.admin_a)
    client.get(url(ca_track))  # warm the session's user
    with count_queries() as few:
        assert client.get(url(ca_track)).status_code == 200
    for n in range(9):
        lead = person("CA", email=f"lead{n}@example.org")
        entry = register(new_team(lead, "CA", 30, name=f"Extra {n}"), ca_track)
        draft(entry, round_, lead)
        services.submit(act(lead), entry, round_)
        db.session.commit()
    with count_queries() as many:
        html = text(client.get(url(ca_track)))
    assert "Extra 8" in html
    assert many.count == few.count, many.statements


def read_csv(response):
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_the_csv_has_every_entry_its_answers_and_file_digests(
    world, client, login, field, ca_track, round_
):
    login(world.admin_a)
    response = client.get(url(ca_track, "submissions.csv", round=round_.id))
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = {r["team"]: r for r in read_csv(response)}
    assert set(rows) == {"Maple", "Birch", "Oak"}
    maple = rows["Maple"]
    assert maple["submission"] == "submitted" and maple["version"] == "2"
    assert maple["Project title [title]"] == "Orbital lettuce II"
    assert maple["Crops grown [crops]"] == "Lettuce, Potato"  # labels, not stored values
    assert maple["Stage [stage]"] == "Working prototype"
    digest = hashlib.sha256(PDF_V2).hexdigest()
    assert maple["Design report [report] (file; SHA-256)"] == f"report v2.pdf ({digest})"
    assert maple["members"] == "2" and maple["eligibility"] == "eligible"
    assert rows["Birch"]["submission"] == "draft" and rows["Birch"]["version"] == ""
    assert rows["Oak"]["submission"] == "none"
    # Filters apply to the export as to the page.
    response = client.get(url(ca_track, "submissions.csv", submission="none"))
    assert [r["team"] for r in read_csv(response)] == ["Oak"]
    # Exports are audited before the first byte leaves.
    assert len(events("submissions.exported_csv")) == 2


def test_the_csv_is_in_the_viewers_language(world, client, login, field, ca_track):
    from competitions.challenges.services import tracks as track_services

    condition = {"en": "Form a legal entity in Canada.", "fr": "Constituer une personne morale."}
    rules = {**ca_track.rules, "prize_conditions": [{"text": condition, "entrant_types": []}]}
    track_services.update_rules(act(world.admin_a), ca_track, rules)
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    rows = read_csv(client.get(url(ca_track, "submissions.csv")))
    maple = next(r for r in rows if r["team"] == "Maple")
    assert maple["Cultures [crops]"] == "Laitue, Pomme de terre"
    # The prize condition an eligible entry must still meet is in the export too.
    assert maple["eligibility"] == "eligible"
    assert maple["prize_conditions"] == "Constituer une personne morale."


def test_a_cell_that_looks_like_a_formula_is_neutralized(world, client, login, field, ca_track):
    lead = person("CA", email="formula@example.org")
    register(new_team(lead, "CA", 30, name='=HYPERLINK("http://x")'), ca_track)
    login(world.admin_a)
    teams = [r["team"] for r in read_csv(client.get(url(ca_track, "submissions.csv")))]
    assert '\'=HYPERLINK("http://x")' in teams
    assert cell("-1") == "'-1" and cell("@SUM") == "'@SUM"
    assert cell("Plain") == "Plain" and cell(None) == ""


def read_zip(response):
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    return archive, list(csv.DictReader(io.StringIO(manifest)))


def test_the_zip_streams_the_files_that_count_with_a_manifest(
    world, client, login, field, ca_track, round_
):
    login(world.staff_a)
    response = client.get(url(ca_track, "submissions.zip", round=round_.id))
    assert response.is_streamed
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive, manifest = read_zip(response)
    maple = field["maple"]
    # Only Maple has a submitted version, and only its latest (v2) is in the archive.
    assert len(manifest) == 1
    (line,) = manifest
    assert line["path"] == f"{maple.id}-Maple/v2/report/report-v2.pdf"
    assert line["original_name"] == "report v2.pdf"
    assert line["sha256"] == hashlib.sha256(PDF_V2).hexdigest()
    assert line["check"] == "ok" and line["size"] == str(len(PDF_V2))
    assert archive.read(line["path"]) == PDF_V2
    assert sorted(archive.namelist()) == sorted([line["path"], "manifest.csv"])
    assert len(events("submissions.exported_zip")) == 1


def test_the_zip_reports_changed_or_missing_bytes_and_goes_on(
    world, client, login, field, ca_track, round_
):
    lead = person("CA", email="elm@example.org")
    elm = register(new_team(lead, "CA", 30, name="Elm"), ca_track)
    draft(elm, round_, lead)
    services.submit(act(lead), elm, round_)
    db.session.commit()
    storage = get_storage()
    maple_file = services.get_version(field["maple"], round_, 2).files[0]
    elm_file = services.get_version(elm, round_, 1).files[0]
    # Draft and version share the stored bytes: change Maple's, lose Elm's.
    tamper(maple_file.storage_key, b"%PDF-1.4 tampered")
    storage.delete(elm_file.storage_key)
    login(world.admin_a)
    _archive, manifest = read_zip(client.get(url(ca_track, "submissions.zip")))
    checks = {line["team"]: line["check"] for line in manifest}
    assert checks == {"Maple": "MISMATCH", "Elm": "MISSING"}


def test_a_withdrawn_submission_is_not_exported(world, client, login, field, ca_track, round_):
    services.withdraw_submission(act(world.innovator), field["maple"], round_)
    db.session.commit()
    login(world.admin_a)
    _archive, manifest = read_zip(client.get(url(ca_track, "submissions.zip")))
    assert manifest == []
    rows = read_csv(client.get(url(ca_track, "submissions.csv")))
    assert next(r for r in rows if r["team"] == "Maple")["submission"] == "withdrawn"


def test_each_exported_entry_is_checked_against_the_user(world, field, ca_track, round_, app):
    """Even called directly, an export for someone outside the track's agency yields no entry."""
    with app.test_request_context():
        ids = (ca_track.id, round_.id)
        lines = "".join(exports.csv_stream(world.admin_b.id, *ids, "en", {}))
        assert lines.count("\n") == 1  # the header only
        own = "".join(exports.csv_stream(world.admin_a.id, *ids, "en", {}))
        assert own.count("\n") == 4
        archive = b"".join(exports.zip_stream(world.admin_b.id, *ids))
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist() == ["manifest.csv"]


def test_another_agency_cannot_list_or_export(world, client, login, field, ca_track):
    login(world.admin_b)
    for what in ("submissions", "submissions.csv", "submissions.zip"):
        assert client.get(url(ca_track, what)).status_code == 404
    assert events("submissions.exported_csv") == []


HOSTILE_LABELS = ('=HYPERLINK("http://evil.example","Click")', "+cmd|' /C calc'!A0")


def test_a_field_label_that_looks_like_a_formula_is_neutralized_in_the_header(
    world, client, login, field, ca_track, round_
):
    """The header row is written by the same guarded writer as the data rows."""
    from tests.submissions.conftest import FIELDS

    reworded = [dict(f) for f in FIELDS]
    reworded[0]["label"] = {"en": HOSTILE_LABELS[0]}
    reworded[-1]["label"] = {"en": HOSTILE_LABELS[1]}
    services.define_form(act(world.admin_a), round_, reworded)
    db.session.commit()
    login(world.admin_a)
    body = client.get(url(ca_track, "submissions.csv")).get_data(as_text=True)
    header = next(csv.reader(io.StringIO(body[1:])))
    assert f"'{HOSTILE_LABELS[0]} [title]" in header
    assert f"'{HOSTILE_LABELS[1]} [annex] (file; SHA-256)" in header
    assert not [h for h in header if h[:1] in "=+-@\t\r"], header


def test_the_zip_manifest_neutralizes_its_cells(world, client, login, field, ca_track, round_):
    field["maple"].team.name = HOSTILE_LABELS[1]
    db.session.commit()
    login(world.admin_a)
    _archive, manifest = read_zip(client.get(url(ca_track, "submissions.zip")))
    assert [line["team"] for line in manifest] == [f"'{HOSTILE_LABELS[1]}"]


def test_the_zip_names_each_file_by_its_detected_type(world, client, login, entry, round_):
    """A PDF uploaded as ``invoice.html`` (or stored so before names were fixed) is a .pdf."""
    draft(entry, round_, world.innovator, files=[("report", PDF, "report.pdf")])
    services.submit(act(world.innovator), entry, round_)
    record = services.get_version(entry, round_, 1).files[0]
    record.filename = "invoice.html"
    db.session.commit()
    login(world.admin_a)
    archive, manifest = read_zip(client.get(url(entry.track, "submissions.zip")))
    (line,) = manifest
    assert line["path"].endswith("/report/invoice.pdf"), line["path"]
    assert line["original_name"] == "invoice.html"
    assert archive.read(line["path"]) == PDF
