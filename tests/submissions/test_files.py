"""Uploaded files: type checked by content, size capped while streaming, zip bombs refused,
count limits, removal from the draft, sanitized display names and random storage names."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from competitions.core import filetypes as file_types
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionFile
from tests.submissions.conftest import (
    PDF,
    act,
    count,
    docx_bytes,
    download,
    draft,
    follow,
    form_data,
    page_url,
    post_multipart,
    text,
    upload,
)
from tests.support.storage import is_local, stored_bytes, stored_keys

MB = 1024 * 1024


def stored_files(app) -> set[str]:
    return stored_keys(app)


def post_files(client, entry, round_, action="save", **files):
    data = form_data({"title": "Files"}, action=action)
    data.update(files)
    return post_multipart(client, page_url(entry, round_), data)


def field_error(page: str, key: str) -> str:
    match = re.search(rf'<div id="{key}-error"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


@functools.cache
def zip_bomb() -> bytes:
    """300 MB of zeros deflated into a few hundred kilobytes."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("zeros.bin", "w", force_zip64=True) as out,
    ):
        chunk = b"\0" * MB
        for _ in range(300):
            out.write(chunk)
    return buffer.getvalue()


def test_a_pdf_is_accepted(world, client, login, entry, round_, app):
    login(world.innovator)
    response = post_files(client, entry, round_, report=upload(PDF))
    assert "Draft saved." in follow(client, response)
    (record,) = services.submission_for(entry, round_).draft_files
    assert record.content_type == "application/pdf"
    assert record.size == len(PDF)
    assert record.sha256 == hashlib.sha256(PDF).hexdigest()
    assert record.uploaded_by_id == world.innovator.id


def test_a_text_file_named_pdf_is_refused_by_its_content(world, client, login, entry, round_, app):
    before = stored_files(app)
    login(world.innovator)
    page = text(post_files(client, entry, round_, report=upload(b"just some text\n", "report.pdf")))
    assert field_error(page, "report") == (
        "Error: report.pdf is not one of the accepted types (PDF)."
    )
    assert count(SubmissionFile) == 0
    assert stored_files(app) == before  # the refused bytes were deleted


def test_a_png_is_refused_where_only_pdf_is_allowed(world, entry, round_):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    with pytest.raises(DomainError) as caught:
        draft(entry, round_, world.innovator, files=[("report", png, "scan.pdf")])
    assert caught.value.field == "report"
    assert caught.value.message == "scan.pdf is not one of the accepted types (PDF)."


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    world, client, login, entry, round_, app
):
    before = stored_files(app)
    big = PDF + b"0" * (MB + MB // 2)
    login(world.innovator)
    # HTTP 413, with the form and a message naming the file and the limit.
    page = text(post_files(client, entry, round_, report=upload(big, "big.pdf")), 413)
    assert field_error(page, "report") == "Error: big.pdf is larger than 1 MB."
    assert count(SubmissionFile) == 0
    assert stored_files(app) == before  # nothing half-written is left behind
    # Exactly the limit is fine.
    exact = PDF + b"0" * (MB - len(PDF))
    draft(entry, round_, world.innovator, files=[("report", exact, "exact.pdf")])
    assert services.submission_for(entry, round_).draft_files[0].size == MB


def test_a_request_larger_than_the_app_accepts_gets_a_413_page(
    world, client, login, entry, round_, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 256 * 1024)
    login(world.innovator)
    response = post_files(client, entry, round_, report=upload(PDF + b"0" * (512 * 1024)))
    page = text(response, 413)
    assert "File too large" in page
    assert count(SubmissionFile) == 0


def test_a_zip_bomb_is_refused(world, client, login, entry, round_, app):
    bomb = zip_bomb()
    assert len(bomb) < 2 * MB
    before = stored_files(app)
    login(world.innovator)
    page = text(post_files(client, entry, round_, annex=upload(bomb, "annex.zip")))
    assert field_error(page, "annex") == (
        "Error: annex.zip expands to too much data to be accepted."
    )
    assert count(SubmissionFile) == 0
    assert stored_files(app) == before


def test_a_zip_with_too_many_entries_is_refused(world, entry, round_, monkeypatch):
    monkeypatch.setattr(file_types, "ZIP_MAX_ENTRIES", 5)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for n in range(6):
            zf.writestr(f"part{n}.txt", f"part {n}")
    with pytest.raises(DomainError) as caught:
        draft(entry, round_, world.innovator, files=[("annex", buffer.getvalue(), "parts.zip")])
    assert caught.value.message == "parts.zip expands to too much data to be accepted."


def test_a_zip_expanding_past_the_total_limit_is_refused(world, entry, round_, monkeypatch):
    monkeypatch.setattr(file_types, "ZIP_MAX_UNCOMPRESSED", 10_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for n in range(3):
            zf.writestr(f"part{n}.bin", os.urandom(4_000))
    with pytest.raises(DomainError, match="expands to too much data"):
        draft(entry, round_, world.innovator, files=[("annex", buffer.getvalue(), "big.zip")])


def test_a_damaged_zip_is_refused(world, entry, round_):
    with pytest.raises(DomainError, match="not one of the accepted types"):
        draft(entry, round_, world.innovator, files=[("annex", b"PK\x03\x04broken", "x.zip")])


def test_a_docx_is_accepted_where_docx_is_allowed(world, client, login, entry, round_):
    data = docx_bytes()
    login(world.innovator)
    response = post_files(client, entry, round_, annex=upload(data, "plan.docx"))
    assert "Draft saved." in follow(client, response)
    (record,) = services.submission_for(entry, round_).draft_files
    assert record.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    # ... but not where only PDF is.
    with pytest.raises(DomainError, match=r"plan\.docx is not one of the accepted types"):
        draft(entry, round_, world.innovator, files=[("report", data, "plan.docx")])


def test_a_plain_zip_is_accepted_where_zip_is_allowed(world, entry, round_):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    draft(entry, round_, world.innovator, files=[("annex", buffer.getvalue(), "data.zip")])
    (record,) = services.submission_for(entry, round_).draft_files
    assert record.content_type == "application/zip"


def test_more_files_than_allowed_are_refused(world, client, login, entry, round_):
    login(world.innovator)
    page = text(
        post_files(
            client,
            entry,
            round_,
            report=[upload(PDF, "a.pdf"), upload(PDF, "b.pdf"), upload(PDF, "c.pdf")],
        )
    )
    assert field_error(page, "report") == (
        "Error: Remove a file first: at most 2 can be attached here."
    )
    assert count(SubmissionFile) == 0
    # Two are fine; a third one later is refused too.
    response = post_files(
        client, entry, round_, report=[upload(PDF, "a.pdf"), upload(PDF, "b.pdf")]
    )
    assert "Draft saved." in follow(client, response)
    page = text(post_files(client, entry, round_, report=upload(PDF, "c.pdf")))
    assert "Remove a file first: at most 2 can be attached here." in page
    names = [f.filename for f in services.submission_for(entry, round_).draft_files]
    assert names == ["a.pdf", "b.pdf"]


def test_removing_a_draft_file(world, client, login, switch, entry, rival, round_):
    draft(entry, round_, world.innovator)
    (record,) = services.submission_for(entry, round_).draft_files
    remove = f"{page_url(entry, round_)}/files/{record.id}/remove"
    # Another team cannot touch it.
    login(rival.team.lead.user)
    assert client.post(remove).status_code == 404
    assert services.submission_for(entry, round_).draft_files == [record]
    switch(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    assert f'action="{remove}"' in page and ">report.pdf</a>" in page
    page = follow(client, client.post(remove))
    assert "The file was removed from the draft." in page
    assert ">report.pdf</a>" not in page
    db.session.expire_all()
    assert db.session.get(SubmissionFile, record.id).removed_at is not None
    assert services.submission_for(entry, round_).draft_files == []
    assert download(client, record.id).status_code == 404
    # Removing twice: 404. And the file is now missing from the submission.
    assert client.post(remove).status_code == 404
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert caught.value.problems == {"report": "Upload this file."}


def test_a_file_of_a_submitted_version_cannot_be_removed(world, entry, round_):
    draft(entry, round_, world.innovator)
    version = services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    submission = services.submission_for(entry, round_)
    with pytest.raises(NotFound):
        services.remove_draft_file(act(world.innovator), submission, version.files[0].id)


def test_the_original_filename_is_sanitized(world, client, login, entry, round_):
    login(world.innovator)
    response = post_files(client, entry, round_, report=upload(PDF, "../../etc/passwd"))
    assert "Draft saved." in follow(client, response)
    draft(entry, round_, world.innovator, files=[("report", PDF, "re\x00po\x1frt\x7f\n.pdf")])
    names = [f.filename for f in services.submission_for(entry, round_).draft_files]
    assert names == ["passwd.pdf", "report.pdf"]  # named by the detected type


@pytest.mark.parametrize(
    "given, shown",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\ina\\report.pdf", "report.pdf"),
        ("re\x00po\x1frt\x7f.pdf", "report.pdf"),
        ('<b>"x"|?*:.pdf', "bx.pdf"),
        ("...", "file"),
        ("", "file"),
        (None, "file"),
        ("ﬁle.pdf", "file.pdf"),  # NFKC
        ("a" * 300 + ".pdf", "a" * 140 + ".pdf"),
    ],
)
def test_display_names(given, shown):
    assert file_types.display_name(given) == shown


def test_an_empty_name_falls_back_to_the_field_and_kind(world, entry, round_):
    draft(entry, round_, world.innovator, files=[("report", PDF, "/")])
    assert services.submission_for(entry, round_).draft_files[0].filename == "report.pdf"


def test_stored_names_are_random_and_under_the_storage_directory(world, entry, round_, app):
    draft(
        entry,
        round_,
        world.innovator,
        files=[("report", PDF, "report.pdf"), ("report", PDF, "report.pdf")],
    )
    first, second = services.submission_for(entry, round_).draft_files
    assert first.storage_key != second.storage_key  # same bytes, same name: two keys
    for record in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", record.storage_key)
        assert "report" not in record.storage_key
        assert stored_bytes(app, record.storage_key) == PDF
    if is_local(app):
        root = Path(app.config["STORAGE_DIR"])
        for record in (first, second):
            path = root / record.storage_key[:2] / record.storage_key
            assert path.resolve().is_relative_to(root.resolve())
        assert not any(p.name.endswith(".pdf") for p in root.rglob("*"))
        assert not any(p.name.endswith(".part") for p in root.rglob("*"))


def test_a_submitted_file_keeps_its_digest(world, entry, round_, app):
    data = PDF + os.urandom(2048)
    draft(entry, round_, world.innovator, files=[("report", data, "report.pdf")])
    version = services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    (record,) = version.files
    stored = stored_bytes(app, record.storage_key)
    assert hashlib.sha256(stored).hexdigest() == record.sha256
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_an_empty_file_input_is_ignored(world, client, login, entry, round_):
    """Browsers send an empty part for a file input left empty."""
    login(world.innovator)
    response = post_files(client, entry, round_, report=upload(b"", ""))
    assert "Draft saved." in follow(client, response)
    assert count(SubmissionFile) == 0


def test_a_refused_request_leaves_no_stored_bytes_behind(world, client, login, entry, round_, app):
    before = stored_files(app)
    login(world.innovator)
    page = text(
        post_files(
            client,
            entry,
            round_,
            report=upload(PDF, "a.pdf"),
            annex=upload(b"plain text", "annex.zip"),
        )
    )
    assert "annex.zip is not one of the accepted types (DOCX, ZIP)." in page
    assert count(SubmissionFile) == 0
    assert stored_files(app) == before


def test_a_new_upload_replaces_the_file_of_a_single_file_field(world, entry, round_):
    first = draft(entry, round_, world.innovator, files=[("annex", docx_bytes(), "a.docx")])
    assert [f.filename for f in first.draft_files if f.field_key == "annex"] == ["a.docx"]
    second = draft(entry, round_, world.innovator, files=[("annex", docx_bytes(), "b.docx")])
    assert [f.filename for f in second.draft_files if f.field_key == "annex"] == ["b.docx"]
