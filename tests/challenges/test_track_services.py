"""Tracks: each is configured by its own agency only — settings, rules, prizes, terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from competitions.challenges import services
from competitions.challenges.eligibility import parse_rules, rules_to_data
from competitions.challenges.models import Prize, TermsVersion, Track
from competitions.challenges.services import tracks as track_services
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from tests.challenges.helpers import act, count, events, make_ready, settings

CSA_RULES = {
    "allowed_countries": ["CA"],
    "entrant_types": ["individual", "team", "business", "nonprofit", "indigenous", "academic"],
    "team_min": 1,
    "team_max": 10,
    "minimum_age": 18,
    "member_policy": "all",
    "recognition_for_others": False,
    "exclusive": True,
    "prize_conditions": [
        {
            "text": {
                "en": "Individuals must form a legal entity in Canada before receiving a prize.",
                "fr": "Les particuliers doivent constituer une personne morale au Canada.",
            },
            "entrant_types": ["individual", "team"],
        }
    ],
}


def prize(amount="150000", currency="CAD", count=1, label=None, condition=None):
    return track_services.PrizeData(
        label={"en": "Phase 1 prize", "fr": "Prix de la phase 1"} if label is None else label,
        amount=amount,
        currency=currency,
        count=count,
        condition=condition or {},
    )


# --- who may edit which track -------------------------------------------------------------

EDITS = {
    "settings": lambda actor, track: track_services.update_track(
        actor, track, settings(track, name={"en": "Renamed", "fr": "Renommé"})
    ),
    "rules": lambda actor, track: track_services.update_rules(
        actor, track, {"allowed_countries": "GB"}
    ),
    "prize": lambda actor, track: track_services.save_prize(actor, track, None, prize()),
    "terms": lambda actor, track: track_services.publish_terms(
        actor, track, dict.fromkeys(track.languages, "Terms")
    ),
    "ready": lambda actor, track: track_services.mark_ready(actor, track, True),
}


def snapshot(track: Track) -> tuple:
    return (
        dict(track.name),
        dict(track.rules),
        len(track.prizes),
        len(track.terms_versions),
        track.ready_at,
    )


def test_partner_admin_configures_their_own_track(track_b, world, clock):
    actor = act(world.admin_b)

    track_services.update_track(
        actor,
        track_b,
        settings(track_b, name={"en": "NASA track"}, contact_email="food@agency-b.example"),
    )
    track_services.update_rules(
        actor, track_b, {"allowed_countries": ["US"], "recognition_for_others": True}
    )
    track_services.save_prize(actor, track_b, None, prize("250000", "USD", 2))
    track_services.publish_terms(actor, track_b, {"en": "NASA terms"})
    track_services.mark_ready(actor, track_b, True)
    db.session.commit()

    assert track_b.name == {"en": "NASA track"}
    assert parse_rules(track_b.rules).recognition_for_others is True
    assert [(p.amount, p.currency, p.count) for p in track_b.prizes] == [
        (Decimal("250000"), "USD", 2)
    ]
    assert services.current_terms(track_b).body == {"en": "NASA terms"}
    assert track_b.ready_at == clock.now()
    [updated] = events("track.updated")
    assert (updated.agency_id, updated.role) == (world.agency_b.id, "agency_admin")
    assert updated.before["contact_email"] == world.admin_b.email  # the default
    assert updated.after["contact_email"] == "food@agency-b.example"


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_partner_admin_cannot_touch_the_lead_agency_track(track_a, world, edit):
    make_ready(world.admin_a, track_a)  # complete, so only permission can refuse "ready"
    track_services.mark_ready(act(world.admin_a), track_a, False)
    before = snapshot(track_a)

    with pytest.raises(NotFound):
        EDITS[edit](act(world.admin_b), track_a)

    assert snapshot(track_a) == before


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_people_outside_the_agencies_cannot_edit_any_track(track_b, world, edit):
    before = snapshot(track_b)

    for who in (world.innovator, world.staff_a, world.admin_a):
        with pytest.raises(NotFound):
            EDITS[edit](act(who), track_b)

    assert snapshot(track_b) == before


def test_partner_admin_cannot_reach_a_prize_of_another_track(track_a, track_b, world):
    lead_prize = track_services.save_prize(act(world.admin_a), track_a, None, prize())

    with pytest.raises(NotFound):
        track_services.save_prize(act(world.admin_b), track_b, lead_prize, prize("1"))
    with pytest.raises(NotFound):
        track_services.delete_prize(act(world.admin_b), track_b, lead_prize)
    with pytest.raises(NotFound):
        track_services.get_prize(track_b, lead_prize.id)

    assert lead_prize.amount == Decimal("150000")
    assert track_a.prizes == [lead_prize]


def test_staff_configure_their_track_but_only_admins_mark_it_ready(track_a, world):
    staff = act(world.staff_a)
    track_services.update_track(
        staff, track_a, settings(track_a, contact_email="csa@agency-a.example")
    )
    track_services.save_prize(staff, track_a, None, prize())
    track_services.publish_terms(staff, track_a, {"en": "Terms", "fr": "Modalités"})
    assert track_services.readiness_problems(track_a) == []

    with pytest.raises(NotFound):
        track_services.mark_ready(staff, track_a, True)
    assert track_a.ready_at is None

    track_services.mark_ready(act(world.admin_a), track_a, True)
    with pytest.raises(NotFound):
        track_services.mark_ready(staff, track_a, False)
    assert track_a.is_ready


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_platform_admin_may_edit_every_track(track_b, world, edit):
    track_services.update_track(
        act(world.admin_b), track_b, settings(track_b, contact_email="food@agency-b.example")
    )
    track_services.publish_terms(act(world.admin_b), track_b, {"en": "NASA terms"})
    before = snapshot(track_b)

    EDITS[edit](act(world.platform_admin), track_b)

    assert snapshot(track_b) != before


# --- settings -----------------------------------------------------------------------------


def test_settings_are_cleaned_and_stored_in_the_configured_language_order(track_a, world):
    track_services.update_track(
        act(world.admin_a),
        track_a,
        settings(
            track_a,
            name={"en": "  CSA track ", "fr": "Volet ASC", "it": "ignored"},
            description={"en": "Canadian residents", "fr": " "},
            languages=["fr", "en"],
            contact_email=" defi@agency-a.example ",
            timezone="America/Toronto",
        ),
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Track, track_a.id)
    assert stored.languages == ["en", "fr"]
    assert stored.name == {"en": "CSA track", "fr": "Volet ASC"}
    assert stored.description == {"en": "Canadian residents"}
    assert stored.contact_email == "defi@agency-a.example"


def test_saving_unchanged_settings_is_not_audited(track_a, world):
    track_services.update_track(act(world.admin_a), track_a, settings(track_a))

    assert events("track.updated") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"languages": []}, "languages"),
        ({"languages": ["it"]}, "languages"),
        ({"name": {"en": "CSA track"}}, "name_fr"),
        ({"name": {"en": "CSA track", "fr": "   "}}, "name_fr"),
        ({"name": {"fr": "Volet ASC"}}, "name_en"),
        ({"timezone": "Eastern Time"}, "timezone"),
        ({"timezone": ""}, "timezone"),
    ],
)
def test_invalid_settings_are_refused_on_their_field(track_a, world, changes, field):
    before = (dict(track_a.name), list(track_a.languages), track_a.timezone)

    with pytest.raises(DomainError) as refused:
        track_services.update_track(act(world.admin_a), track_a, settings(track_a, **changes))

    assert refused.value.field == field
    assert (track_a.name, track_a.languages, track_a.timezone) == before


def test_a_bad_contact_email_is_refused_on_its_field(track_a, world):
    with pytest.raises(DomainError) as refused:
        track_services.update_track(
            act(world.admin_a), track_a, settings(track_a, contact_email="prizes at csa")
        )

    assert refused.value.field == "contact_email"


def test_a_bad_contact_email_is_refused(track_a, world):
    with pytest.raises(DomainError):
        track_services.update_track(
            act(world.admin_a), track_a, settings(track_a, contact_email="prizes at csa")
        )

    assert track_a.contact_email == world.admin_a.email  # unchanged


# --- eligibility rules --------------------------------------------------------------------


def test_rules_are_stored_as_validated_json_that_round_trips(track_a, world):
    track_services.update_rules(act(world.admin_a), track_a, CSA_RULES)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Track, track_a.id).rules
    assert stored == rules_to_data(parse_rules(CSA_RULES))
    assert parse_rules(stored) == parse_rules(CSA_RULES)
    assert stored["team_max"] == 10
    assert stored["prize_conditions"][0]["entrant_types"] == ["individual", "team"]
    [event] = events("track.rules_updated")
    assert event.before["allowed_countries"] == ["CA"]
    assert event.after == stored


def test_form_shaped_rules_are_normalised(track_a, world):
    track_services.update_rules(
        act(world.admin_a),
        track_a,
        {"allowed_countries": "ca, us-ny", "team_min": "2", "team_max": "", "minimum_age": "18"},
    )

    assert track_a.rules["allowed_countries"] == ["CA", "US-NY"]
    assert (track_a.rules["team_min"], track_a.rules["team_max"]) == (2, None)
    assert track_a.rules["minimum_age"] == 18


def test_unchanged_rules_are_not_audited(track_a, world):
    track_services.update_rules(act(world.admin_a), track_a, dict(track_a.rules))

    assert events("track.rules_updated") == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"allowed_countries": ["XX"]}, "allowed_countries"),
        ({"allowed_countries": ["CA"], "excluded_countries": ["ZZ-99"]}, "excluded_countries"),
        ({"allowed_countries": ["CA"], "excluded_countries": ["CA"]}, "excluded_countries"),
        ({"team_min": 3, "team_max": 2}, "team_max"),
        ({"team_min": 0}, "team_min"),
        ({"minimum_age": "eighteen"}, "minimum_age"),
        ({"entrant_types": ["robot"]}, "entrant_types"),
        ({"entrant_types": []}, "entrant_types"),
        ({"member_policy": "everyone"}, "member_policy"),
    ],
)
def test_invalid_rules_are_refused_on_their_field(track_a, world, data, field):
    before = dict(track_a.rules)

    with pytest.raises(DomainError) as refused:
        track_services.update_rules(act(world.admin_a), track_a, data)

    assert refused.value.field == field
    assert track_a.rules == before


# --- prizes -------------------------------------------------------------------------------


def test_a_prize_has_a_decimal_amount_and_an_iso_4217_currency(track_a, world):
    saved = track_services.save_prize(
        act(world.admin_a),
        track_a,
        None,
        prize("150,000.50", " cad ", "2", condition={"en": "Subject to the rules."}),
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Prize, saved.id)
    assert isinstance(stored.amount, Decimal)
    assert stored.amount == Decimal("150000.50")
    assert stored.currency == "CAD"
    assert stored.count == 2
    assert stored.total == Decimal("300001.00")
    assert stored.condition == {"en": "Subject to the rules."}
    assert events("track.prize_saved")[0].after["amount"] == "150000.50"


def test_prizes_are_listed_in_the_order_they_were_added(track_a, world):
    actor = act(world.admin_a)
    for label in ("Grand prize", "Runner-up", "Small business"):
        track_services.save_prize(actor, track_a, None, prize(label={"en": label}))

    assert [(p.position, p.label["en"]) for p in track_a.prizes] == [
        (0, "Grand prize"),
        (1, "Runner-up"),
        (2, "Small business"),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "sNaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": "1000000000000"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "a lot"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "CA"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"count": 0}, "count"),
        ({"count": "-2"}, "count"),
        ({"count": "two"}, "count"),
        ({"count": 1001}, "count"),
        ({"label": {"en": "  "}}, "label_en"),
    ],
)
def test_an_invalid_prize_is_refused_on_its_field(track_a, world, changes, field):
    with pytest.raises(DomainError) as refused:
        track_services.save_prize(act(world.admin_a), track_a, None, prize(**changes))

    assert refused.value.field == field
    assert count(Prize) == 0


def test_the_largest_and_smallest_amounts_are_accepted(track_a, world):
    actor = act(world.admin_a)
    track_services.save_prize(actor, track_a, None, prize("999999999999.99"))
    track_services.save_prize(actor, track_a, None, prize("0", "usd", label={"en": "Recognition"}))
    db.session.commit()
    db.session.expire_all()

    amounts = db.session.scalars(select(Prize.amount).order_by(Prize.position)).all()
    assert amounts == [Decimal("999999999999.99"), Decimal("0")]


def test_a_french_formatted_amount_is_never_misread(track_a, world):
    try:
        saved = track_services.save_prize(act(world.admin_a), track_a, None, prize("150 000,50"))
    except DomainError as refused:
        assert refused.field == "amount"
    else:
        assert saved.amount == Decimal("150000.50")


def test_a_prize_is_edited_in_place_then_deleted(track_a, world):
    actor = act(world.admin_a)
    saved = track_services.save_prize(actor, track_a, None, prize())

    edited = track_services.save_prize(actor, track_a, saved, prize("200000", "CAD", 3))
    assert edited is saved
    assert (saved.amount, saved.count) == (Decimal("200000"), 3)
    assert events("track.prize_saved")[1].before["amount"] == "150000"

    track_services.delete_prize(actor, track_a, saved)
    db.session.commit()

    assert track_a.prizes == []
    assert count(Prize) == 0
    [deleted] = events("track.prize_deleted")
    assert deleted.before["currency"] == "CAD"


# --- terms --------------------------------------------------------------------------------


def test_terms_are_versioned_and_old_versions_never_change(track_a, world):
    actor = act(world.admin_a)
    first = track_services.publish_terms(actor, track_a, {"en": "Rules v1", "fr": "Règles v1"})
    second = track_services.publish_terms(actor, track_a, {"en": "Rules v2", "fr": "Règles v1"})
    db.session.commit()
    db.session.expire_all()

    assert (first.version, second.version) == (1, 2)
    stored = db.session.scalars(
        select(TermsVersion).where(TermsVersion.track_id == track_a.id).order_by("version")
    ).all()
    assert [(t.version, t.body) for t in stored] == [
        (1, {"en": "Rules v1", "fr": "Règles v1"}),
        (2, {"en": "Rules v2", "fr": "Règles v1"}),
    ]
    assert services.current_terms(db.session.get(Track, track_a.id)).version == 2
    assert [e.after for e in events("track.terms_published")] == [{"version": 1}, {"version": 2}]


def test_an_unchanged_text_makes_no_new_version(track_a, world):
    actor = act(world.admin_a)
    track_services.publish_terms(actor, track_a, {"en": "Rules", "fr": "Règles"})

    again = track_services.publish_terms(actor, track_a, {"en": "  Rules\n", "fr": "Règles"})

    assert again is None
    assert count(TermsVersion) == 1
    assert len(events("track.terms_published")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"en": "Rules"}, "body_fr"), ({"fr": "Règles"}, "body_en"), ({}, "body_en")],
)
def test_terms_must_exist_in_each_track_language(track_a, world, body, field):
    with pytest.raises(DomainError) as refused:
        track_services.publish_terms(act(world.admin_a), track_a, body)

    assert refused.value.field == field
    assert count(TermsVersion) == 0


def test_a_single_language_track_needs_terms_in_that_language_only(track_b, world):
    version = track_services.publish_terms(act(world.admin_b), track_b, {"en": "NASA terms"})

    assert version.version == 1
