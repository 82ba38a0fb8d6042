"""Submission files in a real S3 server (moto's, a separate process), through the pages.

The whole suite also runs with its files in S3 (``TANDEM_TEST_STORAGE=s3``, the PostgreSQL leg
of CI); these tests run in every leg and switch one test's storage to a fresh bucket."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionFile
from tests.submissions.conftest import (
    PDF,
    download,
    draft,
    form_data,
    page_url,
    post_multipart,
    upload,
)
from tests.support.s3 import CREDENTIALS, S3Server
from tests.support.smtp import free_port


@pytest.fixture
def s3_app(app, s3_server: S3Server, monkeypatch) -> Iterator[str]:
    """The app's storage switched to a fresh bucket of the S3 server for one test."""
    name = "app-" + os.urandom(6).hex()
    s3_server.client().create_bucket(Bucket=name)
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    saved = {k: app.config[k] for k in ("STORAGE_URL", "S3_ENDPOINT_URL")}
    app.config.update(STORAGE_URL=f"s3://{name}/files", S3_ENDPOINT_URL=s3_server.url)
    app.extensions.pop("tandem_s3", None)
    yield name
    app.config.update(saved)
    app.extensions.pop("tandem_s3", None)


def test_a_file_is_stored_in_the_bucket_and_downloaded_through_the_app(
    s3_app, s3_server, world, client, login, entry, round_
):
    draft(entry, round_, world.innovator, files=[("report", PDF, "report.pdf")])
    (record,) = services.submission_for(entry, round_).draft_files
    listed = s3_server.client().list_objects_v2(Bucket=s3_app)["Contents"]
    assert [o["Key"] for o in listed] == [f"files/{record.storage_key[:2]}/{record.storage_key}"]
    login(world.innovator)
    response = download(client, record.id)
    assert response.status_code == 200
    assert response.data == PDF
    assert hashlib.sha256(response.data).hexdigest() == record.sha256


def test_when_the_service_is_down_the_upload_gets_a_clear_message_and_nothing_is_recorded(
    app, s3_app, world, client, login, entry, round_
):
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
    app.extensions.pop("tandem_s3", None)
    login(world.innovator)
    data = form_data({"title": "Files"}, action="save")
    data["report"] = upload(PDF)
    response = post_multipart(client, page_url(entry, round_), data)
    assert response.status_code == 503
    assert "Your file could not be stored" in response.get_data(as_text=True)
    assert db.session.query(SubmissionFile).count() == 0
