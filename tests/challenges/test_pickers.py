"""Pickers instead of codes: places and currencies are chosen by name, codes are stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.challenges.test_pages import build, html

RULES = "/challenges/dsfc/tracks/agency-a/manage/rules"
NEW_PRIZE = "/challenges/dsfc/tracks/agency-a/manage/prizes/new"


@pytest.fixture
def draft(world: Any, clock: Any) -> Challenge:
    clock.set_now(datetime(2027, 6, 1, 12, tzinfo=UTC))
    return build(world, publish=False)


def rules_form(**fields: Any) -> dict[str, Any]:
    return {"entrant_types": ["individual", "team"], "team_min": "1", "member_policy": "all"} | (
        fields
    )


def test_rules_form_lists_places_by_name_and_stores_codes(client, world, draft, login):
    login(world.admin_a)
    page = html(client.get(RULES))
    assert '<select id="allowed_countries" ' in page or 'id="allowed_countries"' in page
    assert "data-place-picker" in page and "js/places.js" in page
    assert '<option selected value="CA">Canada (CA)</option>' in page
    assert '<option value="CA-QC">Quebec, Canada (CA-QC)</option>' in page
    response = client.post(
        RULES,
        data=rules_form(
            allowed_countries=["CA", "US-NY"],
            excluded_countries=["KP"],
            establishment_countries=["CA-QC"],
        ),
    )
    assert response.status_code == 302
    db.session.refresh(draft.tracks[0])
    rules = draft.tracks[0].rules
    assert rules["allowed_countries"] == ["CA", "US-NY"]
    assert rules["excluded_countries"] == ["KP"]
    assert rules["establishment_countries"] == ["CA-QC"]
    again = html(client.get(RULES))
    assert '<option selected value="US-NY">' in again
    assert '<option selected value="CA-QC">' in again


def test_an_unknown_place_code_is_refused_with_its_code(client, world, draft, login):
    login(world.admin_a)
    response = client.post(RULES, data=rules_form(allowed_countries=["CA", "XX", "ZZ-99"]))
    page = html(response)
    assert "Unknown ISO 3166 code(s): XX, ZZ-99." in page
    assert draft.tracks[0].rules["allowed_countries"] == ["CA"]  # nothing saved
    # The codes chosen are kept in the form, so nothing typed is lost.
    assert '<option selected value="XX">' in page


def test_place_names_follow_the_users_language(client, world, draft, login):
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    page = html(client.get(RULES))
    assert '<option value="DE">Allemagne (DE)</option>' in page
    assert '<option value="CA-QC">Québec, Canada (CA-QC)</option>' in page
    assert 'label="Subdivisions (provinces, États, régions)"' in page
    assert 'data-msg-search="Chercher par nom ou code"' in page


def test_currency_is_chosen_from_iso_4217_and_defaults_to_the_agencys(client, world, draft, login):
    login(world.admin_a)  # agency A's jurisdiction is Canada
    page = html(client.get(NEW_PRIZE))
    assert '<option selected value="CAD">Canadian Dollar (CAD)</option>' in page
    assert '<option value="EUR">Euro (EUR)</option>' in page
    prize = {"label_en": "Second prize", "amount": "5000", "count": "1"}
    refused = html(client.post(NEW_PRIZE, data=prize | {"currency": "XYZ"}))
    assert "XYZ is not an ISO 4217 currency. Choose one from the list." in refused
    assert client.post(NEW_PRIZE, data=prize | {"currency": "EUR"}).status_code == 302
    db.session.refresh(draft.tracks[0])
    assert [p.currency for p in draft.tracks[0].prizes] == ["CAD", "EUR"]


def test_currency_names_in_french(client, world, draft, login):
    world.admin_b.preferred_language = "fr"
    db.session.commit()
    login(world.admin_b)  # agency B's jurisdiction is the United States
    page = html(client.get("/challenges/dsfc/tracks/agency-b/manage/prizes/new"))
    assert '<option selected value="USD">dollar des États-Unis (USD)</option>' in page


def test_the_console_change_log_is_in_words(client, world, clock, login):
    clock.set_now(datetime(2027, 6, 1, 12, tzinfo=UTC))
    challenge = build(world)  # published, timeline in America/Chicago
    login(world.admin_a)
    moved = client.post(
        f"/challenges/dsfc/manage/rounds/{challenge.rounds[0].id}",
        data={
            "name_en": "Phase 1",
            "timezone": "America/Chicago",
            "submission_opens": "2027-05-01T17:00",
            "submission_deadline": "2027-07-30T17:00",
            "judging_closes": "2027-08-29T17:00",
            "results_at": "2027-09-10T09:00",
            "reason": "The jury needs two more days.",
        },
    )
    assert moved.status_code == 302
    page = html(client.get("/challenges/dsfc/manage"))
    log = page[page.index("Changes after publication") :]
    assert "Phase 1 — Results released" in log
    assert "results_at" not in log
    assert "moved from 8 Sep 2027 17:00 CDT to 10 Sep 2027 09:00 CDT" in log
    assert "Reason: The jury needs two more days." in log
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    french = html(client.get("/challenges/dsfc/manage"))
    assert "Phase 1 — Publication des résultats" in french


def test_the_audit_log_names_fields_in_words(client, world, draft, login):
    login(world.admin_a)
    assert client.post(RULES, data=rules_form(allowed_countries=["CA-QC"])).status_code == 302
    page = html(client.get("/agencies/agency-a/audit?action=track.rules_updated"))
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "<dt>Countries (or subdivisions) whose residents may win prizes</dt>" in rows
    assert "<dd>CA → CA-QC</dd>" in rows
    assert "allowed_countries" not in rows.split("<details", 1)[0]
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    french = html(client.get("/agencies/agency-a/audit?action=track.rules_updated"))
    assert "<dt>Âge minimum</dt>" in french


def test_a_track_milestone_is_typed_in_the_tracks_legal_zone_by_default(
    client, world, draft, login
):
    login(world.admin_a)
    page = html(client.get("/challenges/dsfc/manage/milestones/new?track=agency-a"))
    assert '<option selected value="America/Toronto">' in page  # the track's, not the timeline's
    shared = html(client.get("/challenges/dsfc/manage/milestones/new"))
    assert '<option selected value="America/Chicago">' in shared


def test_the_rules_page_weight(client, world, draft, login):
    login(world.admin_a)
    page = html(client.get(RULES))
    # Three pickers of every country and first-level subdivision: about 700 kB (150 kB
    # compressed); a bound against adding more (second-level subdivisions would double it).
    assert len(page.encode()) < 800_000
