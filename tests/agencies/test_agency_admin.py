"""Creating agencies (platform admins), editing settings (agency admins), the public pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from competitions.agencies.models import Agency
from competitions.core.extensions import db
from tests.agencies.helpers import events, field_error, page_text

NEW_AGENCY = {
    "name": "Senatsverwaltung Berlin",
    "short_name": "Berlin",
    "slug": "berlin",
    "jurisdiction": "de-be",
    "timezone": "Europe/Berlin",
    "languages": ["en", "fr"],
    "website": "https://www.berlin.de",
}


def agency_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Agency)) or 0


def settings_form(agency: Agency, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": agency.name,
        "short_name": agency.short_name or "",
        "slug": agency.slug,
        "jurisdiction": agency.jurisdiction,
        "timezone": agency.timezone,
        "languages": list(agency.languages),
        "website": agency.website or "",
    }
    data.update(changes)
    return data


# --- creation by platform admins -------------------------------------------------------------


def test_platform_admin_creates_agency_with_subdivision_jurisdiction(client, world, login):
    login(world.platform_admin)
    assert client.get("/admin/agencies/new").status_code == 200

    response = client.post("/admin/agencies/new", data=NEW_AGENCY)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agencies/berlin/console")
    agency = db.session.scalar(select(Agency).where(Agency.slug == "berlin"))
    assert agency is not None
    assert agency.name == "Senatsverwaltung Berlin"
    assert agency.short_name == "Berlin"
    assert agency.jurisdiction == "DE-BE"  # normalized to upper case
    assert agency.timezone == "Europe/Berlin"
    assert agency.languages == ["en", "fr"]
    assert agency.website == "https://www.berlin.de"

    [created] = events("agency.created")
    assert created.actor_id == world.platform_admin.id
    assert created.role == "platform_admin"
    assert created.agency_id == agency.id
    assert created.object_id == str(agency.id)
    assert created.after["slug"] == "berlin"
    assert created.after["jurisdiction"] == "DE-BE"

    profile = client.get("/agencies/berlin")
    assert "Berlin, Germany (DE-BE)" in page_text(profile)


def test_the_jurisdiction_is_chosen_by_name(client, world, login):
    world.platform_admin.preferred_language = "fr"
    db.session.commit()
    login(world.platform_admin)
    page = client.get("/admin/agencies/new").get_data(as_text=True)
    assert '<option value="">Choisissez un pays ou une subdivision</option>' in page
    assert '<option value="DE-BE">Berlin, Allemagne (DE-BE)</option>' in page
    assert '<option value="CA">Canada (CA)</option>' in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Bad Slug!"}, "slug", "Use 1 to 64 lower-case letters, digits and hyphens"),
        ({"slug": "admin"}, "slug", "Use 1 to 64 lower-case letters, digits and hyphens"),
        ({"slug": "-edge-"}, "slug", "Use 1 to 64 lower-case letters, digits and hyphens"),
        ({"jurisdiction": "XX"}, "jurisdiction", "XX is not an ISO 3166 country or subdivision"),
        ({"jurisdiction": "DE-XX"}, "jurisdiction", "DE-XX is not an ISO 3166 country"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice"),
        ({"languages": []}, "languages", "Select at least one language."),
        ({"name": "   "}, "name", "Enter the agency's name."),
        ({"website": "javascript:alert(1)"}, "website", "Enter a web address starting with"),
    ],
    ids=[
        "bad-slug",
        "reserved-slug",
        "hyphen-edges",
        "unknown-country",
        "unknown-subdivision",
        "unknown-timezone",
        "no-language",
        "blank-name",
        "bad-website",
    ],
)
def test_invalid_agency_gives_field_message_and_creates_nothing(
    client, world, login, changes, field, message
):
    login(world.platform_admin)
    before = agency_count()

    response = client.post("/admin/agencies/new", data={**NEW_AGENCY, **changes})

    assert response.status_code == 200
    assert message in field_error(response, field)
    assert "There is a problem" in page_text(response)
    assert agency_count() == before
    assert events("agency.created") == []


def test_duplicate_slug_is_refused(client, world, login):
    login(world.platform_admin)

    response = client.post("/admin/agencies/new", data={**NEW_AGENCY, "slug": "Agency-A"})

    assert response.status_code == 200
    assert "Another agency already uses this short address." in field_error(response, "slug")
    assert agency_count() == 2
    assert events("agency.created") == []


@pytest.mark.parametrize("role", ["innovator", "staff_a", "admin_a", "admin_b"])
def test_only_platform_admins_may_create_agencies(client, world, login, role):
    login(world.user(role))

    assert client.get("/admin/agencies/new").status_code == 404
    assert client.get("/admin/").status_code == 404
    response = client.post("/admin/agencies/new", data=NEW_AGENCY)

    assert response.status_code == 404
    assert agency_count() == 2
    denied = events("authz.denied", actor_id=world.user(role).id)
    assert [e.after["path"] for e in denied] == [
        "/admin/agencies/new",
        "/admin/",
        "/admin/agencies/new",
    ]


def test_anonymous_is_sent_to_sign_in_for_agency_creation(client, world):
    response = client.post("/admin/agencies/new", data=NEW_AGENCY)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert agency_count() == 2


def test_admin_home_flags_agencies_without_an_administrator(client, world, login):
    login(world.platform_admin)
    client.post("/admin/agencies/new", data=NEW_AGENCY)

    home = page_text(client.get("/admin/"))

    rows = {
        name: row
        for row in home.split("<tr>")[2:]
        for name in ("Agency A", "Senatsverwaltung Berlin")
        if name in row
    }
    assert "none yet: invite one" in rows["Senatsverwaltung Berlin"]
    assert "none yet: invite one" not in rows["Agency A"]


def test_agency_names_are_escaped_on_public_pages(client, world):
    world.agency_b.name = "<script>alert(1)</script>"
    db.session.commit()

    for path in ("/agencies/", "/agencies/agency-b"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- settings ---------------------------------------------------------------------------------


def test_agency_admin_edits_own_settings(client, world, login):
    login(world.admin_a)
    assert client.get("/agencies/agency-a/settings").status_code == 200

    response = client.post(
        "/agencies/agency-a/settings",
        data=settings_form(
            world.agency_a, name="Agency A Renamed", timezone="America/Vancouver", languages=["fr"]
        ),
    )

    assert response.status_code == 302
    agency = db.session.get(Agency, world.agency_a.id)
    assert agency.name == "Agency A Renamed"
    assert agency.timezone == "America/Vancouver"
    assert agency.languages == ["fr"]
    [updated] = events("agency.updated")
    assert updated.actor_id == world.admin_a.id
    assert updated.role == "agency_admin"
    assert updated.agency_id == world.agency_a.id
    assert updated.before["name"] == "Agency A"
    assert updated.after["name"] == "Agency A Renamed"
    assert updated.after["timezone"] == "America/Vancouver"


def test_saving_unchanged_settings_writes_no_audit_event(client, world, login):
    login(world.admin_a)

    response = client.post("/agencies/agency-a/settings", data=settings_form(world.agency_a))

    assert response.status_code == 302
    assert events("agency.updated") == []


@pytest.mark.parametrize(
    "changes", [{"slug": "agency-z"}, {"jurisdiction": "FR"}], ids=["slug", "jurisdiction"]
)
def test_agency_admin_cannot_change_slug_or_jurisdiction(client, world, login, changes):
    login(world.admin_a)
    page = client.get("/agencies/agency-a/settings")
    assert "Only platform administrators can change the short address" in page_text(page)

    response = client.post(
        "/agencies/agency-a/settings",
        data=settings_form(world.agency_a, name="Sneaky rename", **changes),
    )

    assert response.status_code == 200
    assert (
        "Only platform administrators can change an agency's address or jurisdiction."
        in page_text(response)
    )
    agency = db.session.get(Agency, world.agency_a.id)
    assert (agency.slug, agency.jurisdiction, agency.name) == ("agency-a", "CA", "Agency A")
    assert events("agency.updated") == []


def test_platform_admin_can_change_slug_and_jurisdiction(client, world, login):
    login(world.platform_admin)

    response = client.post(
        "/agencies/agency-a/settings",
        data=settings_form(world.agency_a, slug="agency-z", jurisdiction="ca-qc"),
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agencies/agency-z/settings")
    agency = db.session.get(Agency, world.agency_a.id)
    assert (agency.slug, agency.jurisdiction) == ("agency-z", "CA-QC")
    [updated] = events("agency.updated")
    assert updated.role == "platform_admin"
    assert updated.before["slug"] == "agency-a"
    assert updated.after["slug"] == "agency-z"
    assert client.get("/agencies/agency-a").status_code == 404


def test_platform_admin_cannot_take_another_agencys_slug(client, world, login):
    login(world.platform_admin)

    response = client.post(
        "/agencies/agency-a/settings", data=settings_form(world.agency_a, slug="agency-b")
    )

    assert response.status_code == 200
    assert "Another agency already uses this short address." in field_error(response, "slug")
    assert db.session.get(Agency, world.agency_a.id).slug == "agency-a"


def test_invalid_settings_change_nothing(client, world, login):
    login(world.admin_a)

    response = client.post(
        "/agencies/agency-a/settings",
        data=settings_form(world.agency_a, name="New name", languages=[]),
    )

    assert response.status_code == 200
    assert "Select at least one language." in field_error(response, "languages")
    assert db.session.get(Agency, world.agency_a.id).name == "Agency A"


# --- public pages -----------------------------------------------------------------------------


def test_directory_is_public_and_lists_agencies(client, world):
    response = client.get("/agencies/")

    assert response.status_code == 200
    text = page_text(response)
    assert 'href="/agencies/agency-a"' in text
    assert 'href="/agencies/agency-b"' in text
    assert text.index("Agency A") < text.index("Agency B")
    assert "United States" in text


def test_profile_is_public(client, world):
    response = client.get("/agencies/agency-b")

    assert response.status_code == 200
    text = page_text(response)
    assert "<h1" in text and "Agency B" in text
    assert "America/Chicago" in text
    assert "United States (US)" in text
    assert "Open the agency console" not in text


def test_profile_offers_the_console_to_members_only(client, world, login):
    login(world.staff_a)

    assert "Open the agency console" in page_text(client.get("/agencies/agency-a"))
    assert "Open the agency console" not in page_text(client.get("/agencies/agency-b"))


@pytest.mark.parametrize(
    "path", ["/agencies/no-such-agency", "/agencies/no-such-agency/logo", "/agencies/agency-a/logo"]
)
def test_unknown_agency_or_missing_logo_is_404(client, world, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "Page not found" in page_text(response)
