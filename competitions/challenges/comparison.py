"""The rules comparison table: one row per aspect, one column per track (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.challenges.eligibility import (
    EntrantType,
    MemberPolicy,
    Rules,
    condition_text,
    entrant_type_label,
    rules_or_none,
)
from competitions.challenges.models import Track
from competitions.core.i18n import country_name
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[str]


def _places(codes: frozenset[str]) -> str:
    if not codes:
        return _("Anywhere")
    return ", ".join(sorted(country_name(c) for c in codes))


def _types(rules: Rules) -> str:
    if rules.entrant_types == frozenset(EntrantType):
        return _("Everyone")
    return "; ".join(entrant_type_label(t.value) for t in EntrantType if t in rules.entrant_types)


def _policy(rules: Rules) -> str:
    return {
        MemberPolicy.ALL: _("Every member"),
        MemberPolicy.LEAD: _("The team lead"),
        MemberPolicy.MAJORITY: _("A majority of members"),
    }[rules.member_policy]


def _size(rules: Rules) -> str:
    if rules.team_max is None:
        return ngettext("%(num)d or more", "%(num)d or more", rules.team_min)
    if rules.team_max == rules.team_min:
        return str(rules.team_min)
    return _("%(low)d to %(high)d", low=rules.team_min, high=rules.team_max)


def comparison_rows(tracks: list[Track], lang: str) -> list[Row]:
    parsed = [rules_or_none(track.rules) for track in tracks]

    def row(label: str, render: object) -> Row:
        cells = [render(r) if r is not None else _("Not set") for r in parsed]  # type: ignore[operator]
        return Row(label, cells)

    return [
        row(_("Prizes for residents of"), lambda r: _places(r.allowed_countries)),
        row(_("Which members must reside there"), _policy),
        row(_("Who may enter"), _types),
        row(
            _("Organisations established in"),
            lambda r: _places(r.establishment_countries or r.allowed_countries),
        ),
        row(_("Team size"), _size),
        row(
            _("Minimum age"),
            lambda r: str(r.minimum_age) if r.minimum_age is not None else _("None"),
        ),
        row(
            _("Entrants from elsewhere"),
            lambda r: (
                _("Welcome, for recognition without prize money")
                if r.recognition_for_others
                else _("Not accepted")
            ),
        ),
        row(
            _("Excluded"),
            lambda r: _places(r.excluded_countries) if r.excluded_countries else _("None"),
        ),
        row(
            _("Several tracks"),
            lambda r: _("One track only") if r.exclusive else _("Allowed"),
        ),
        Row(
            _("Conditions on receiving a prize"),
            [
                " ".join(condition_text(c, lang, t.languages) for c in r.prize_conditions)
                or _("None")
                if r is not None
                else _("Not set")
                for r, t in zip(parsed, tracks, strict=True)
            ],
        ),
    ]
