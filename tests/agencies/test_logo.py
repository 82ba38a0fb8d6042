"""Agency logos: checked by content, capped in size, served with safe headers."""

from __future__ import annotations

import io

import pytest

from competitions.agencies.models import Agency
from competitions.core.extensions import db
from tests.agencies.helpers import JPEG, PNG, WEBP, events, page_text
from tests.support.storage import stored_keys

NOT_AN_IMAGE = "The logo must be a PNG, JPEG or WebP image."


def upload(client, content: bytes, filename: str = "logo.png", slug: str = "agency-a"):
    return client.post(
        f"/agencies/{slug}/logo",
        data={"logo-logo": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def fetch_logo(client):
    # Buffered, so the test client closes the served file as a WSGI server would.
    return client.get("/agencies/agency-a/logo", buffered=True)


def agency_a(world) -> Agency:
    return db.session.get(Agency, world.agency_a.id)


@pytest.mark.parametrize(
    ("content", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")],
    ids=["png", "jpeg", "webp"],
)
def test_image_logo_is_stored_and_served_safely(client, world, login, content, mime):
    login(world.admin_a)

    response = upload(client, content, "my logo.bin")

    assert "The logo was updated." in page_text(response)
    agency = agency_a(world)
    assert agency.logo_mime == mime
    assert agency.logo_key and "logo" not in agency.logo_key  # random server-side name

    served = fetch_logo(client)
    assert served.status_code == 200
    assert served.mimetype == mime
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.data == content

    [changed] = events("agency.logo_changed")
    assert changed.actor_id == world.admin_a.id
    assert changed.agency_id == world.agency_a.id
    assert changed.after["size"] == len(content)
    assert len(changed.after["sha256"]) == 64

    profile = page_text(client.get("/agencies/agency-a"))
    assert 'src="/agencies/agency-a/logo"' in profile


def test_logo_is_public(client, world, login, logout):
    login(world.admin_a)
    upload(client, PNG)
    logout()

    served = fetch_logo(client)

    assert served.status_code == 200
    assert served.data == PNG


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<script>alert(document.cookie)</script>",
        b"GIF89a\x01\x00\x01\x00",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",  # RIFF, but not WebP
        b"\x89PN",  # a truncated PNG signature
        b"",
    ],
    ids=["svg", "html", "gif", "riff-wave", "truncated", "empty"],
)
def test_non_image_named_png_is_refused_by_content(client, world, login, content):
    login(world.admin_a)

    response = upload(client, content, "logo.png")

    text = page_text(response)
    assert NOT_AN_IMAGE in text or "Choose an image file to upload." in text
    assert agency_a(world).logo_key is None
    assert events("agency.logo_changed") == []
    assert fetch_logo(client).status_code == 404


def test_svg_is_refused_with_the_type_message(client, world, login):
    login(world.admin_a)

    response = upload(client, b"<svg onload='alert(1)'/>", "logo.png")

    assert NOT_AN_IMAGE in page_text(response)


def test_logo_over_the_size_limit_is_refused(app, client, world, login):
    login(world.admin_a)
    too_big = PNG + b"\x00" * app.config["LOGO_MAX_BYTES"]
    files_before = stored_keys(app)

    response = upload(client, too_big)

    assert "The logo must be 1024 KB or smaller." in page_text(response)
    assert agency_a(world).logo_key is None
    assert events("agency.logo_changed") == []
    assert stored_keys(app) == files_before


def test_logo_exactly_at_the_limit_is_accepted(app, client, world, login):
    login(world.admin_a)
    limit = app.config["LOGO_MAX_BYTES"]

    response = upload(client, PNG + b"\x00" * (limit - len(PNG)))

    assert "The logo was updated." in page_text(response)
    assert len(fetch_logo(client).data) == limit


def test_request_over_max_content_length_gets_friendly_413(app, client, world, login):
    login(world.admin_a)
    original = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    try:
        response = client.post(
            "/agencies/agency-a/logo",
            data={"logo-logo": (io.BytesIO(PNG + b"\x00" * 32 * 1024), "logo.png")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = original

    assert response.status_code == 413
    text = page_text(response)
    assert "File too large" in text
    assert "Choose a smaller file and try again." in text
    assert agency_a(world).logo_key is None


def test_replacing_and_removing_the_logo(client, world, login):
    login(world.admin_a)
    upload(client, PNG)
    first_key = agency_a(world).logo_key
    upload(client, JPEG, "logo.jpg")
    second_key = agency_a(world).logo_key
    assert second_key != first_key
    assert fetch_logo(client).mimetype == "image/jpeg"

    response = client.post("/agencies/agency-a/logo/remove", follow_redirects=True)

    assert "The logo was removed." in page_text(response)
    assert agency_a(world).logo_key is None
    assert fetch_logo(client).status_code == 404
    [removed] = events("agency.logo_removed")
    assert removed.before == {"logo": second_key}
    assert [e.before for e in events("agency.logo_changed")] == [
        {"logo": None},
        {"logo": first_key},
    ]


def test_upload_without_a_file_explains_what_to_do(client, world, login):
    login(world.admin_a)

    response = client.post(
        "/agencies/agency-a/logo",
        data={},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert "Choose an image file to upload." in page_text(response)
    assert agency_a(world).logo_key is None


def test_replaced_and_removed_logos_are_deleted_from_storage(client, db, world, login):
    login(world.admin_a)
    app = client.application

    def upload():
        return client.post(
            "/agencies/agency-a/logo",
            data={"logo-logo": (io.BytesIO(PNG), "logo.png")},
            content_type="multipart/form-data",
        )

    upload()
    db.session.refresh(world.agency_a)
    first = world.agency_a.logo_key
    assert first and first in stored_keys(app)
    upload()
    db.session.refresh(world.agency_a)
    assert world.agency_a.logo_key != first
    assert first not in stored_keys(app)
    second = world.agency_a.logo_key
    client.post("/agencies/agency-a/logo/remove")
    assert second not in stored_keys(app)
