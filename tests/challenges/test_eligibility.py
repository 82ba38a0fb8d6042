"""The eligibility evaluator: real-shaped cases and properties (hypothesis)."""

from __future__ import annotations

import dataclasses

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.challenges.eligibility import (
    EntrantType,
    Member,
    MemberPolicy,
    PrizeCondition,
    Reason,
    Rules,
    RulesError,
    Severity,
    Status,
    TeamProfile,
    evaluate,
    explain,
    parse_rules,
    route,
    rules_to_data,
)

# Deep Space Food Challenge, shaped like the real rules (DESIGN.md).
CSA = Rules(
    allowed_countries=frozenset({"CA"}),
    entrant_types=frozenset(
        {
            EntrantType.INDIVIDUAL,
            EntrantType.TEAM,
            EntrantType.BUSINESS,
            EntrantType.NONPROFIT,
            EntrantType.INDIGENOUS,
            EntrantType.ACADEMIC,
        }
    ),
    minimum_age=18,
    member_policy=MemberPolicy.ALL,
    prize_conditions=(
        PrizeCondition(
            text={
                "en": "Individuals must form a legal entity in Canada before receiving a prize.",
                "fr": "Les particuliers doivent constituer une personne morale au Canada.",
            },
            entrant_types=frozenset({EntrantType.INDIVIDUAL, EntrantType.TEAM}),
        ),
    ),
)
NASA = Rules(
    allowed_countries=frozenset({"US"}),
    minimum_age=18,
    member_policy=MemberPolicy.LEAD,
    recognition_for_others=True,
)


def team(
    *residences: str,
    kind: EntrantType = EntrantType.TEAM,
    org: str | None = None,
    ages: tuple[int | None, ...] | None = None,
) -> TeamProfile:
    ages = ages or tuple(30 for _ in residences)
    members = tuple(
        Member(residence=r, age=a, is_lead=(i == 0))
        for i, (r, a) in enumerate(zip(residences, ages, strict=True))
    )
    return TeamProfile(entrant_type=kind, members=members, organisation_country=org)


def codes(decision) -> set[str]:
    return {r.code for r in decision.reasons}


def test_canadian_team_is_eligible_for_csa_with_the_legal_entity_condition():
    decision = evaluate(team("CA", "CA-QC"), CSA)
    assert decision.status is Status.ELIGIBLE
    assert {"residence_ok", "age_ok", "entrant_type_ok"} <= codes(decision)
    assert len(decision.prize_conditions) == 1


def test_us_team_is_not_eligible_for_csa_and_eligible_for_nasa():
    us = team("US", "US")
    assert evaluate(us, CSA).status is Status.INELIGIBLE
    assert "residence_not_met" in codes(evaluate(us, CSA))
    assert evaluate(us, NASA).status is Status.ELIGIBLE


def test_team_from_germany_goes_to_nasa_for_recognition_only():
    options = route(team("DE", "DE"), [("csa", CSA), ("nasa", NASA)])
    assert [o.track_key for o in options] == ["nasa", "csa"]
    assert options[0].decision.status is Status.RECOGNITION
    assert options[1].decision.status is Status.INELIGIBLE


def test_mixed_team_follows_the_member_policy():
    mixed = team("US", "DE", "DE")  # the lead resides in the US
    assert evaluate(mixed, NASA).status is Status.ELIGIBLE  # lead policy
    majority = dataclasses.replace(NASA, member_policy=MemberPolicy.MAJORITY)
    assert evaluate(mixed, majority).status is Status.RECOGNITION
    assert evaluate(team("US", "US", "DE"), majority).status is Status.ELIGIBLE
    assert evaluate(team("CA", "US"), CSA).status is Status.INELIGIBLE  # all members


def test_organisations_must_be_established_in_the_jurisdiction():
    business = team("CA", kind=EntrantType.BUSINESS, org="US")
    decision = evaluate(business, CSA)
    assert decision.status is Status.INELIGIBLE
    assert "organisation_not_established" in codes(decision)
    assert evaluate(team("CA", kind=EntrantType.BUSINESS, org="CA"), CSA).status is Status.ELIGIBLE
    missing = evaluate(team("CA", kind=EntrantType.BUSINESS), CSA)
    assert "organisation_country_missing" in codes(missing)
    assert missing.status is Status.INELIGIBLE


def test_hard_requirements_exclude_even_from_recognition():
    assert evaluate(team("DE", ages=(16,)), NASA).status is Status.INELIGIBLE
    government = team("US", kind=EntrantType.GOVERNMENT, org="US")
    assert evaluate(government, CSA).status is Status.INELIGIBLE
    sanctioned = dataclasses.replace(NASA, excluded_countries=frozenset({"KP"}))
    decision = evaluate(team("KP"), sanctioned)
    assert decision.status is Status.INELIGIBLE
    assert "excluded_country" in codes(decision)


def test_team_size_limits_and_individuals():
    sized = dataclasses.replace(NASA, team_min=2, team_max=3)
    assert "team_too_small" in codes(evaluate(team("US"), sized))
    assert "team_too_large" in codes(evaluate(team("US", "US", "US", "US"), sized))
    assert "individual_alone" in codes(
        evaluate(team("US", "US", kind=EntrantType.INDIVIDUAL), NASA)
    )


def test_undeclared_age_is_not_assumed():
    decision = evaluate(team("US", ages=(None,)), NASA)
    assert decision.status is Status.INELIGIBLE
    assert "age_not_declared" in codes(decision)


def test_subdivision_rules():
    berlin = Rules(allowed_countries=frozenset({"DE-BE"}))
    assert evaluate(team("DE-BE"), berlin).status is Status.ELIGIBLE
    assert evaluate(team("DE-BY"), berlin).status is Status.INELIGIBLE
    assert evaluate(team("DE"), berlin).status is Status.INELIGIBLE
    germany = Rules(allowed_countries=frozenset({"DE"}))
    assert evaluate(team("DE-BY"), germany).status is Status.ELIGIBLE


def test_reasons_are_explained_in_the_users_language(app):
    decision = evaluate(team("DE", "DE"), NASA)
    with app.test_request_context():
        with force_locale("en"):
            english = [explain(r) for r in decision.reasons]
        with force_locale("fr"):
            french = [explain(r) for r in decision.reasons]
    assert any("United States" in s for s in english)
    assert any("États-Unis" in s for s in french)
    assert english != french


def test_an_unknown_reason_is_shown_by_its_code(app):
    with app.test_request_context():
        assert explain(Reason("from_a_newer_release", Severity.HARD)) == "from_a_newer_release"


def test_rules_round_trip_and_validation(app):
    with app.test_request_context():
        assert parse_rules(rules_to_data(CSA)) == CSA
        assert parse_rules(rules_to_data(NASA)) == NASA
        with pytest.raises(RulesError) as err:
            parse_rules({"allowed_countries": "CA, XX"})
        assert err.value.field == "allowed_countries" and "XX" in err.value.message
        with pytest.raises(RulesError) as err:
            parse_rules({"team_min": 3, "team_max": 2})
        assert err.value.field == "team_max"
        with pytest.raises(RulesError) as err:
            parse_rules({"allowed_countries": ["CA"], "excluded_countries": ["ca"]})
        assert err.value.field == "excluded_countries"
        with pytest.raises(RulesError):
            parse_rules({"minimum_age": "eighteen"})
        with pytest.raises(RulesError):
            parse_rules({"entrant_types": ["pirates"]})
        assert parse_rules({"allowed_countries": "ca us-ny"}).allowed_countries == {"CA", "US-NY"}


# --- properties ---------------------------------------------------------------------------

COUNTRIES = ["CA", "US", "DE", "FR", "GB", "KP", "CA-QC", "US-NY", "DE-BE"]
regions = st.frozensets(st.sampled_from(COUNTRIES), max_size=4)
entrant_types = st.sampled_from(list(EntrantType))

rules_strategy = st.builds(
    Rules,
    allowed_countries=regions,
    excluded_countries=regions,
    entrant_types=st.frozensets(entrant_types, min_size=1),
    establishment_countries=regions,
    team_min=st.integers(1, 4),
    team_max=st.one_of(st.none(), st.integers(1, 6)),
    minimum_age=st.one_of(st.none(), st.integers(0, 21)),
    member_policy=st.sampled_from(list(MemberPolicy)),
    recognition_for_others=st.booleans(),
)
members_strategy = st.lists(
    st.builds(
        Member,
        residence=st.sampled_from(COUNTRIES),
        age=st.one_of(st.none(), st.integers(10, 80)),
    ),
    min_size=0,
    max_size=6,
)


@st.composite
def teams(draw):
    kind = draw(entrant_types)
    members = draw(members_strategy)
    if members:
        lead = draw(st.integers(0, len(members) - 1))
        members = [dataclasses.replace(m, is_lead=(i == lead)) for i, m in enumerate(members)]
    org = draw(st.one_of(st.none(), st.sampled_from(COUNTRIES)))
    return TeamProfile(entrant_type=kind, members=tuple(members), organisation_country=org)


PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(teams(), rules_strategy)
def test_status_follows_from_the_reasons(t, r):
    decision = evaluate(t, r)
    severities = {reason.severity for reason in decision.reasons}
    if Severity.HARD in severities:
        assert decision.status is Status.INELIGIBLE
    elif Severity.JURISDICTION in severities:
        expected = Status.RECOGNITION if r.recognition_for_others else Status.INELIGIBLE
        assert decision.status is expected
    else:
        assert decision.status is Status.ELIGIBLE
    # Not eligible always comes with at least one reason saying why.
    if decision.status is not Status.ELIGIBLE:
        assert decision.blocking_reasons
    assert evaluate(t, r) == decision  # deterministic


@PROPERTY
@given(teams(), rules_strategy)
def test_opening_recognition_never_makes_a_decision_worse(t, r):
    closed = evaluate(t, dataclasses.replace(r, recognition_for_others=False)).status
    opened = evaluate(t, dataclasses.replace(r, recognition_for_others=True)).status
    order = {Status.ELIGIBLE: 0, Status.RECOGNITION: 1, Status.INELIGIBLE: 2}
    assert order[opened] <= order[closed]


@PROPERTY
@given(teams(), rules_strategy)
def test_relaxing_rules_never_makes_a_decision_worse(t, r):
    order = {Status.ELIGIBLE: 0, Status.RECOGNITION: 1, Status.INELIGIBLE: 2}
    before = order[evaluate(t, r).status]
    relaxed = dataclasses.replace(
        r,
        excluded_countries=frozenset(),
        allowed_countries=frozenset(),
        establishment_countries=frozenset(),
        minimum_age=None,
    )
    assert order[evaluate(t, relaxed).status] <= before


@PROPERTY
@given(teams(), rules_strategy, st.randoms(use_true_random=False))
def test_member_order_does_not_matter(t, r, rnd):
    members = list(t.members)
    rnd.shuffle(members)
    shuffled = dataclasses.replace(t, members=tuple(members))
    assert evaluate(shuffled, r).status is evaluate(t, r).status


@PROPERTY
@given(teams())
def test_open_rules_accept_every_well_formed_team(t):
    well_formed = t.members and (
        t.entrant_type is not EntrantType.INDIVIDUAL or len(t.members) == 1
    )
    has_org = (
        t.entrant_type
        not in {
            EntrantType.BUSINESS,
            EntrantType.NONPROFIT,
            EntrantType.INDIGENOUS,
            EntrantType.ACADEMIC,
            EntrantType.GOVERNMENT,
        }
        or t.organisation_country
    )
    if well_formed and has_org:
        assert evaluate(t, Rules()).status is Status.ELIGIBLE


@PROPERTY
@given(teams(), st.lists(rules_strategy, min_size=1, max_size=4))
def test_routing_puts_the_best_track_first(t, rules):
    options = route(t, list(enumerate(rules)))
    order = {Status.ELIGIBLE: 0, Status.RECOGNITION: 1, Status.INELIGIBLE: 2}
    ranks = [order[o.decision.status] for o in options]
    assert ranks == sorted(ranks)
    assert sorted(o.track_key for o in options) == list(range(len(rules)))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(teams(), rules_strategy)
def test_every_reason_has_an_explanation_in_both_languages(app, t, r):
    with app.test_request_context():
        for lang in ("en", "fr"):
            with force_locale(lang):
                for reason in evaluate(t, r).reasons:
                    text = explain(reason)
                    assert text and text != reason.code
