"""The storage volume full: a real 1 MiB tmpfs mounted as the storage root and filled up.

An upload that does not fit is refused with a clear, translated message (503: nothing saved,
try again later), no row records a file that is not there, and no partial file is left behind.
Once space is freed the same submission goes through."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from competitions.core.extensions import db
from competitions.submissions.models import SubmissionFile, SubmissionVersion
from tests.submissions.conftest import PDF, form_data, page_url, post_multipart, upload

pytestmark = pytest.mark.faults

SIZE = 1024 * 1024


def _files(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def full_volume(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs as the storage root, with a filler file leaving about 16 KiB free."""
    root = tmp_path / "volume"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    # The volume is a folder: local files, even in a run that keeps the suite's files in S3.
    saved = app.config["STORAGE_DIR"], app.config["STORAGE_URL"]
    app.config["STORAGE_DIR"], app.config["STORAGE_URL"] = str(root / "storage"), ""
    try:
        filler = root / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # the volume is full
            # Free a little: the volume takes a small file, not a large one.
            os.ftruncate(fd, os.fstat(fd).st_size - 16 * 1024)
        finally:
            os.close(fd)
        yield root
    finally:
        app.config["STORAGE_DIR"], app.config["STORAGE_URL"] = saved
        subprocess.run(["umount", "-l", str(root)], check=False)


def _submit(client: Any, entry: Any, round_: Any, size: int) -> Any:
    pdf = PDF + b"%" + b"x" * (size - len(PDF) - 2) + b"\n"
    data = form_data(report=upload(pdf), action="submit")
    return post_multipart(client, page_url(entry, round_), data)


def test_a_full_volume_refuses_the_upload_clearly_and_leaves_nothing_behind(
    world: Any, client: Any, login: Any, entry: Any, round_: Any, full_volume: Path
) -> None:
    login(world.innovator)
    storage = full_volume / "storage"
    before = _files(full_volume)

    response = _submit(client, entry, round_, 200 * 1024)
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:2000]
    assert "Your file could not be stored: our file storage is full or unavailable." in page
    assert "Traceback" not in page
    assert _files(full_volume) == before  # no partial file, no ".part"
    assert db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == 0

    world.innovator.preferred_language = "fr"
    db.session.commit()
    french = _submit(client, entry, round_, 200 * 1024)
    assert french.status_code == 503
    assert "notre espace de stockage est plein ou indisponible" in french.get_data(as_text=True)
    assert _files(full_volume) == before

    (full_volume / "filler").unlink()  # space again: the same submission goes through
    accepted = _submit(client, entry, round_, 200 * 1024)
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:2000]
    rows = db.session.scalars(select(SubmissionFile)).all()
    assert any(row.version_id for row in rows)  # the version's copy of the draft's file
    stored = _files(storage)
    assert {row.storage_key for row in rows} == stored  # every row has its file, and no more
    assert not any(name.endswith(".part") for name in stored)
