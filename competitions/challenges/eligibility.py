"""Eligibility rules as data, and the one pure function that evaluates a team against a track.

``evaluate(team, rules)`` has no side effects and touches neither the database nor Flask: it
returns a ``Decision`` (eligible / eligible for recognition only / not eligible) with
``Reason`` codes. Each kind of rule has its own check (``CHECKS``, in the order the reasons
are listed); ``explain(reason)`` turns a code into a sentence in the current language
(``EXPLANATIONS``, one entry per code).

How a decision is reached:

* **Hard requirements** (entrant type, team size, minimum age, excluded countries, a missing
  organisation country): failing one makes the team *not eligible* for this track.
* **Jurisdiction requirements** (where members reside, per the member policy, and where an
  organisation is established): failing one makes the team *eligible for recognition only*
  when the track lets people from elsewhere take part without prize money, otherwise
  *not eligible*.
* Otherwise the team is *eligible*; prize conditions that apply to its entrant type (e.g.
  "individuals must form a legal entity in Canada before receiving a prize") are attached.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from competitions.core.i18n import country_name, is_valid_country, is_valid_jurisdiction
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.translate import ngettext


class EntrantType(enum.StrEnum):
    INDIVIDUAL = "individual"
    TEAM = "team"  # a team of individuals, not an organisation
    BUSINESS = "business"
    NONPROFIT = "nonprofit"
    INDIGENOUS = "indigenous"
    ACADEMIC = "academic"
    GOVERNMENT = "government"


ORGANISATIONS = frozenset(
    {
        EntrantType.BUSINESS,
        EntrantType.NONPROFIT,
        EntrantType.INDIGENOUS,
        EntrantType.ACADEMIC,
        EntrantType.GOVERNMENT,
    }
)


class MemberPolicy(enum.StrEnum):
    ALL = "all"  # every member resides in an allowed country
    LEAD = "lead"  # the team lead does
    MAJORITY = "majority"  # more than half of the members do


class Status(enum.StrEnum):
    ELIGIBLE = "eligible"
    RECOGNITION = "recognition_only"
    INELIGIBLE = "not_eligible"


STATUS_ORDER = {Status.ELIGIBLE: 0, Status.RECOGNITION: 1, Status.INELIGIBLE: 2}


class Severity(enum.StrEnum):
    OK = "ok"  # a requirement that is met (explains *why* a team is eligible)
    JURISDICTION = "jurisdiction"  # failing it may still allow recognition
    HARD = "hard"  # failing it excludes the team from the track


@dataclass(frozen=True)
class PrizeCondition:
    """A condition on receiving a prize (not on taking part), per entrant type."""

    text: Mapping[str, str]  # language -> text
    entrant_types: frozenset[EntrantType] = frozenset()  # empty = every type

    def applies_to(self, entrant_type: EntrantType) -> bool:
        return not self.entrant_types or entrant_type in self.entrant_types


@dataclass(frozen=True)
class Rules:
    allowed_countries: frozenset[str] = frozenset()  # empty: residents of anywhere
    excluded_countries: frozenset[str] = frozenset()
    entrant_types: frozenset[EntrantType] = frozenset(EntrantType)
    # Where organisations must be established; empty: the allowed countries.
    establishment_countries: frozenset[str] = frozenset()
    team_min: int = 1
    team_max: int | None = None
    minimum_age: int | None = None
    member_policy: MemberPolicy = MemberPolicy.ALL
    recognition_for_others: bool = False
    exclusive: bool = True  # may not enter more than one track of the challenge
    prize_conditions: tuple[PrizeCondition, ...] = ()


@dataclass(frozen=True)
class Member:
    residence: str  # ISO 3166-1 alpha-2, or an ISO 3166-2 subdivision such as "CA-QC"
    age: int | None = None  # declared age; None when not declared
    is_lead: bool = False


@dataclass(frozen=True)
class TeamProfile:
    entrant_type: EntrantType
    members: tuple[Member, ...]
    organisation_country: str | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    severity: Severity
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.severity is not Severity.OK


@dataclass(frozen=True)
class Decision:
    status: Status
    reasons: tuple[Reason, ...]
    prize_conditions: tuple[PrizeCondition, ...] = ()

    @property
    def blocking_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.blocking)


def in_region(residence: str, regions: Iterable[str]) -> bool:
    """``residence`` lies in one of ``regions``: a country covers its subdivisions."""
    country = residence.split("-", 1)[0]
    return any(region in (residence, country) for region in regions)


def _lead(members: Sequence[Member]) -> Member:
    return next((m for m in members if m.is_lead), members[0])


def _reason(code: str, severity: Severity, **params: Any) -> Reason:
    return Reason(code, severity, params)


# --- one check per kind of rule: each gives the reasons it finds -----------------------------


def _check_entrant_type(team: TeamProfile, rules: Rules) -> list[Reason]:
    kind = team.entrant_type.value
    if team.entrant_type in rules.entrant_types:
        return [_reason("entrant_type_ok", Severity.OK, entrant_type=kind)]
    return [_reason("entrant_type_not_allowed", Severity.HARD, entrant_type=kind)]


def _check_team_size(team: TeamProfile, rules: Rules) -> list[Reason]:
    size = len(team.members)
    if size == 0:
        return [_reason("no_members", Severity.HARD)]
    if team.entrant_type is EntrantType.INDIVIDUAL and size != 1:
        return [_reason("individual_alone", Severity.HARD, size=size)]
    if size < rules.team_min:
        return [_reason("team_too_small", Severity.HARD, size=size, minimum=rules.team_min)]
    if rules.team_max is not None and size > rules.team_max:
        return [_reason("team_too_large", Severity.HARD, size=size, maximum=rules.team_max)]
    return [_reason("team_size_ok", Severity.OK, size=size)]


def _check_age(team: TeamProfile, rules: Rules) -> list[Reason]:
    minimum = rules.minimum_age
    if minimum is None or not team.members:
        return []
    undeclared = sum(1 for m in team.members if m.age is None)
    too_young = sum(1 for m in team.members if m.age is not None and m.age < minimum)
    reasons = []
    if undeclared:
        reasons.append(
            _reason("age_not_declared", Severity.HARD, count=undeclared, minimum=minimum)
        )
    if too_young:
        reasons.append(
            _reason("members_too_young", Severity.HARD, count=too_young, minimum=minimum)
        )
    return reasons or [_reason("age_ok", Severity.OK, minimum=minimum)]


def _check_excluded(team: TeamProfile, rules: Rules) -> list[Reason]:
    """Nobody from an excluded country may take part, not even for recognition."""
    if not rules.excluded_countries:
        return []
    places = [m.residence for m in team.members]
    if team.organisation_country:
        places.append(team.organisation_country)
    excluded = {p for p in places if in_region(p, rules.excluded_countries)}
    if not excluded:
        return []
    return [_reason("excluded_country", Severity.HARD, countries=tuple(sorted(excluded)))]


def _residence_met(members: Sequence[Member], rules: Rules, inside: int) -> bool:
    if rules.member_policy is MemberPolicy.ALL:
        return inside == len(members)
    if rules.member_policy is MemberPolicy.LEAD:
        return in_region(_lead(members).residence, rules.allowed_countries)
    return 2 * inside > len(members)


def _check_residence(team: TeamProfile, rules: Rules) -> list[Reason]:
    """Where members reside, per the member policy."""
    members = team.members
    if not rules.allowed_countries or not members:
        return []
    inside = sum(1 for m in members if in_region(m.residence, rules.allowed_countries))
    met = _residence_met(members, rules, inside)
    return [
        _reason(
            "residence_ok" if met else "residence_not_met",
            Severity.OK if met else Severity.JURISDICTION,
            policy=rules.member_policy.value,
            inside=inside,
            size=len(members),
            countries=tuple(sorted(rules.allowed_countries)),
        )
    ]


def _check_establishment(team: TeamProfile, rules: Rules) -> list[Reason]:
    """Where an organisation is established."""
    if team.entrant_type not in ORGANISATIONS:
        return []
    where = rules.establishment_countries or rules.allowed_countries
    country = team.organisation_country
    if not country:
        return [_reason("organisation_country_missing", Severity.HARD)]
    if not where:
        return []
    if not in_region(country, where):
        return [
            _reason(
                "organisation_not_established",
                Severity.JURISDICTION,
                country=country,
                countries=tuple(sorted(where)),
            )
        ]
    return [_reason("organisation_established", Severity.OK, country=country)]


# The checks, in the order their reasons are listed.
CHECKS: tuple[Callable[[TeamProfile, Rules], list[Reason]], ...] = (
    _check_entrant_type,
    _check_team_size,
    _check_age,
    _check_excluded,
    _check_residence,
    _check_establishment,
)


def _status(reasons: Sequence[Reason], rules: Rules) -> Status:
    severities = {r.severity for r in reasons}
    if Severity.HARD in severities:
        return Status.INELIGIBLE
    if Severity.JURISDICTION in severities:
        return Status.RECOGNITION if rules.recognition_for_others else Status.INELIGIBLE
    return Status.ELIGIBLE


def evaluate(team: TeamProfile, rules: Rules) -> Decision:
    """Evaluate ``team`` against a track's ``rules`` (pure: same inputs, same decision)."""
    reasons = [reason for check in CHECKS for reason in check(team, rules)]
    status = _status(reasons, rules)
    if status is Status.RECOGNITION:
        reasons.append(_reason("recognition_only", Severity.OK))
    conditions: tuple[PrizeCondition, ...] = ()
    if status is Status.ELIGIBLE:
        conditions = tuple(c for c in rules.prize_conditions if c.applies_to(team.entrant_type))
    return Decision(status, tuple(reasons), conditions)


@dataclass(frozen=True)
class RouteOption:
    track_key: Any
    decision: Decision


def route(team: TeamProfile, tracks: Iterable[tuple[Any, Rules]]) -> list[RouteOption]:
    """Every track's decision, best first (eligible, then recognition only, then not eligible).

    The first option is the track the team belongs in, unless every option is not eligible.
    Ties keep the given track order (the challenge's order of tracks).
    """
    options = [RouteOption(key, evaluate(team, rules)) for key, rules in tracks]
    return sorted(options, key=lambda o: STATUS_ORDER[o.decision.status])


# --- rules as data: validation ----------------------------------------------------------


class RulesError(ValueError):
    """Invalid rules; ``field`` names the rule, ``message`` is translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _regions(value: Any, field_name: str) -> frozenset[str]:
    if value in (None, ""):
        return frozenset()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    codes = {str(v).strip().upper() for v in items if str(v).strip()}
    bad = sorted(c for c in codes if not is_valid_jurisdiction(c))
    if bad:
        raise RulesError(
            field_name,
            _("Unknown ISO 3166 code(s): %(codes)s.", codes=", ".join(bad)),
        )
    return frozenset(codes)


def _int(value: Any, field_name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise RulesError(field_name, _("Enter a whole number.")) from exc
    if not low <= number <= high:
        raise RulesError(
            field_name, _("Enter a number from %(low)d to %(high)d.", low=low, high=high)
        )
    return number


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Validate rules stored as JSON (or posted by a form). Raises ``RulesError``."""
    allowed = _regions(data.get("allowed_countries"), "allowed_countries")
    excluded = _regions(data.get("excluded_countries"), "excluded_countries")
    overlap = sorted(allowed & excluded)
    if overlap:
        raise RulesError(
            "excluded_countries",
            _(
                "A country cannot be both allowed and excluded: %(codes)s.",
                codes=", ".join(overlap),
            ),
        )
    establishment = _regions(data.get("establishment_countries"), "establishment_countries")
    raw_types = data.get("entrant_types")
    if raw_types is None:
        types = frozenset(EntrantType)
    else:
        try:
            types = frozenset(EntrantType(t) for t in raw_types)
        except ValueError as exc:
            raise RulesError("entrant_types", _("Unknown entrant type.")) from exc
        if not types:
            raise RulesError("entrant_types", _("Allow at least one type of entrant."))
    team_min = _int(data.get("team_min"), "team_min", 1, 1000) or 1
    team_max = _int(data.get("team_max"), "team_max", 1, 1000)
    if team_max is not None and team_max < team_min:
        raise RulesError(
            "team_max",
            _("The largest team size must be at least the smallest (%(n)d).", n=team_min),
        )
    minimum_age = _int(data.get("minimum_age"), "minimum_age", 0, 120)
    try:
        policy = MemberPolicy(data.get("member_policy") or MemberPolicy.ALL)
    except ValueError as exc:
        raise RulesError(
            "member_policy", _("Choose all members, the lead, or a majority.")
        ) from exc
    conditions = []
    for raw in data.get("prize_conditions") or ():
        text = {str(k): str(v).strip() for k, v in (raw.get("text") or {}).items() if v}
        if not text:
            continue
        try:
            applies = frozenset(EntrantType(t) for t in raw.get("entrant_types") or ())
        except ValueError as exc:
            raise RulesError("prize_conditions", _("Unknown entrant type.")) from exc
        conditions.append(PrizeCondition(text=text, entrant_types=applies))
    return Rules(
        allowed_countries=allowed,
        excluded_countries=excluded,
        entrant_types=types,
        establishment_countries=establishment,
        team_min=team_min,
        team_max=team_max,
        minimum_age=minimum_age,
        member_policy=policy,
        recognition_for_others=bool(data.get("recognition_for_others")),
        exclusive=bool(data.get("exclusive", True)),
        prize_conditions=tuple(conditions),
    )


def rules_or_none(data: Mapping[str, Any] | None) -> Rules | None:
    """The rules a track stores, or None while they do not parse (it is being set up)."""
    try:
        return parse_rules(data or {})
    except RulesError:
        return None


def rules_to_data(rules: Rules) -> dict[str, Any]:
    """The JSON form stored on a track (round-trips through ``parse_rules``)."""
    return {
        "allowed_countries": sorted(rules.allowed_countries),
        "excluded_countries": sorted(rules.excluded_countries),
        "entrant_types": sorted(t.value for t in rules.entrant_types),
        "establishment_countries": sorted(rules.establishment_countries),
        "team_min": rules.team_min,
        "team_max": rules.team_max,
        "minimum_age": rules.minimum_age,
        "member_policy": rules.member_policy.value,
        "recognition_for_others": rules.recognition_for_others,
        "exclusive": rules.exclusive,
        "prize_conditions": [
            {"text": dict(c.text), "entrant_types": sorted(t.value for t in c.entrant_types)}
            for c in rules.prize_conditions
        ],
    }


# --- explanations in the user's language --------------------------------------------------


# Lazy: only the label asked for is translated (the comparison table asks for many).
_ENTRANT_TYPE_LABELS = {
    EntrantType.INDIVIDUAL: _l("an individual"),
    EntrantType.TEAM: _l("a team of individuals"),
    EntrantType.BUSINESS: _l("a business"),
    EntrantType.NONPROFIT: _l("a not-for-profit organisation"),
    EntrantType.INDIGENOUS: _l("an Indigenous organisation"),
    EntrantType.ACADEMIC: _l("an academic institution"),
    EntrantType.GOVERNMENT: _l("a government body"),
}


def entrant_type_label(value: str) -> str:
    try:
        return str(_ENTRANT_TYPE_LABELS[EntrantType(value)])
    except ValueError:
        return value


def _places(codes: Iterable[str]) -> str:
    return ", ".join(country_name(c) for c in codes)


def _residence_ok(p: Mapping[str, Any]) -> str:
    places = _places(p["countries"])
    if p["policy"] == MemberPolicy.LEAD:
        return _("The team lead resides in %(places)s.", places=places)
    if p["policy"] == MemberPolicy.MAJORITY:
        return _(
            "A majority of members (%(inside)d of %(n)d) reside in %(places)s.",
            inside=p["inside"],
            n=p["size"],
            places=places,
        )
    return _("Every member resides in %(places)s.", places=places)


def _residence_not_met(p: Mapping[str, Any]) -> str:
    places = _places(p["countries"])
    if p["policy"] == MemberPolicy.LEAD:
        return _("Prizes need the team lead to reside in %(places)s.", places=places)
    if p["policy"] == MemberPolicy.MAJORITY:
        return _(
            "Prizes need a majority of members to reside in %(places)s; %(inside)d of %(n)d do.",
            places=places,
            inside=p["inside"],
            n=p["size"],
        )
    return _(
        "Prizes need every member to reside in %(places)s; %(inside)d of %(n)d do.",
        places=places,
        inside=p["inside"],
        n=p["size"],
    )


# One sentence per reason code, from the reason's parameters (translated when called).
EXPLANATIONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "entrant_type_ok": lambda p: _(
        "Entries from %(kind)s are accepted.", kind=entrant_type_label(p["entrant_type"])
    ),
    "entrant_type_not_allowed": lambda p: _(
        "This track does not accept entries from %(kind)s.",
        kind=entrant_type_label(p["entrant_type"]),
    ),
    "no_members": lambda p: _("The team has no members yet."),
    "individual_alone": lambda p: _(
        "An individual entry has exactly one member; this one has %(n)d.", n=p["size"]
    ),
    "team_too_small": lambda p: _(
        "Teams need at least %(min)d members; yours has %(n)d.", min=p["minimum"], n=p["size"]
    ),
    "team_too_large": lambda p: _(
        "Teams can have at most %(max)d members; yours has %(n)d.", max=p["maximum"], n=p["size"]
    ),
    "team_size_ok": lambda p: ngettext(
        "The team size (%(num)d member) is allowed.",
        "The team size (%(num)d members) is allowed.",
        p["size"],
    ),
    "age_not_declared": lambda p: ngettext(
        "%(num)d member has not declared being at least %(min)d years old.",
        "%(num)d members have not declared being at least %(min)d years old.",
        p["count"],
        min=p["minimum"],
    ),
    "members_too_young": lambda p: ngettext(
        "%(num)d member is younger than %(min)d.",
        "%(num)d members are younger than %(min)d.",
        p["count"],
        min=p["minimum"],
    ),
    "age_ok": lambda p: _("Every member is at least %(min)d years old.", min=p["minimum"]),
    "excluded_country": lambda p: _(
        "People and organisations from %(places)s cannot take part in this track.",
        places=_places(p["countries"]),
    ),
    "residence_ok": _residence_ok,
    "residence_not_met": _residence_not_met,
    "organisation_country_missing": lambda p: _(
        "Say in which country the organisation is established."
    ),
    "organisation_not_established": lambda p: _(
        "Prizes need the organisation to be established in %(places)s, not %(country)s.",
        places=_places(p["countries"]),
        country=country_name(p["country"]),
    ),
    "organisation_established": lambda p: _(
        "The organisation is established in %(country)s.", country=country_name(p["country"])
    ),
    "recognition_only": lambda p: _(
        "This track welcomes entrants from elsewhere for recognition, without prize money."
    ),
}


def explain(reason: Reason) -> str:
    """One sentence, in the current language, for ``reason`` (its code when unknown)."""
    sentence = EXPLANATIONS.get(reason.code)
    return sentence(reason.params) if sentence else reason.code


def status_label(status: Status | str) -> str:
    return {
        Status.ELIGIBLE: _("Eligible"),
        Status.RECOGNITION: _("Eligible for recognition only"),
        Status.INELIGIBLE: _("Not eligible"),
    }[Status(status)]


def condition_text(condition: PrizeCondition, lang: str, fallback: Sequence[str]) -> str:
    for code in (lang, *fallback):
        if condition.text.get(code):
            return condition.text[code]
    return next(iter(condition.text.values()), "")


__all__ = [
    "ORGANISATIONS",
    "Decision",
    "EntrantType",
    "Member",
    "MemberPolicy",
    "PrizeCondition",
    "Reason",
    "RouteOption",
    "Rules",
    "RulesError",
    "Severity",
    "Status",
    "TeamProfile",
    "condition_text",
    "entrant_type_label",
    "evaluate",
    "explain",
    "in_region",
    "is_valid_country",
    "parse_rules",
    "route",
    "rules_to_data",
    "status_label",
]
