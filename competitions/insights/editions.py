"""Edition comparison: edition N of a challenge against N-1 (``previous_edition_id``), per
track — the same partner agency's track in both — with its entrants, funnel, cost per outcome
and, once surveys exist, their scores.

Figures are those of ``cost_report`` (the same definitions, the same queries, once per edition).
The change of a count is the difference and its percentage of the previous value; the change of
an amount is given only when both editions report in the same currency.

**Survey scores hook.** The surveys package registers a provider with
``register_survey_scores(provider)``: ``provider(challenge)`` answers, per track id, rows of
``(label, score)`` (a ``Decimal`` or ``None`` when too few answered). Rows of either edition are
matched by label. Without a provider, the page says that surveys are not available."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from competitions.challenges.models import Challenge, Track
from competitions.core.i18n import format_money, format_number
from competitions.core.translate import gettext as _
from competitions.insights import cost_report, costs, permissions

SurveyScores = Callable[[Challenge], Mapping[int, Sequence[tuple[str, Decimal | None]]]]
SURVEY_SCORES: list[SurveyScores] = []


def register_survey_scores(provider: SurveyScores) -> None:
    """Add the survey scores of each track to the comparison (the surveys package calls it)."""
    if provider not in SURVEY_SCORES:
        SURVEY_SCORES.append(provider)


@dataclass(frozen=True)
class Value:
    text: str
    number: Decimal | None
    currency: str = ""


NONE = Value("—", None)


@dataclass(frozen=True)
class Row:
    label: str
    current: Value
    previous: Value
    change: str


@dataclass(frozen=True)
class TrackComparison:
    track: Track
    previous_track: Track | None
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Comparison:
    challenge: Challenge
    previous: Challenge | None
    previous_hidden: bool
    tracks: tuple[TrackComparison, ...]
    surveys: bool  # a survey provider is registered


def _count(n: int) -> Value:
    return Value(format_number(n), Decimal(n))


def _money(amount: Decimal | None, currency: str) -> Value:
    if amount is None:
        return NONE
    return Value(format_money(amount, currency), amount, currency)


def _score(score: Decimal | float | None) -> Value:
    return NONE if score is None else Value(format_number(score), Decimal(str(score)))


MINUS = "\u2212"


def _sign(value: Decimal) -> str:
    return "+" if value > 0 else MINUS if value < 0 else "\u00b1"


def change(current: Value, previous: Value) -> str:
    """ "+12 (+30 %)", "-50.00 EUR" (a minus sign), or "—" when it cannot be said."""
    if current.number is None or previous.number is None or current.currency != previous.currency:
        return "—"
    diff = current.number - previous.number
    sign = _sign(diff)
    shown = (
        format_money(abs(diff), current.currency) if current.currency else format_number(abs(diff))
    )
    if previous.number == 0:
        return f"{sign}{shown}"
    percent = (diff / previous.number * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{sign}{shown} ({_sign(percent)}{abs(percent)} %)"


def _figures(
    challenge: Challenge,
) -> tuple[costs.CostReport, dict[int, tuple[costs.Outcomes, int]], dict[int, Any]]:
    figures = cost_report.edition_figures(challenge)
    report = cost_report.report_of(challenge, figures, challenge.tracks)
    surveys: dict[int, Any] = {}
    for provider in SURVEY_SCORES:
        for track_id, rows in provider(challenge).items():
            surveys.setdefault(track_id, []).extend(rows)
    return report, cost_report.track_outcomes(challenge, figures), surveys


def _values(
    track: Track | None,
    report: costs.CostReport | None,
    outcomes: Mapping[int, tuple[costs.Outcomes, int]],
    surveys: Mapping[int, Any],
) -> dict[str, Value]:
    if track is None or report is None:
        return {}
    partner = next((p for p in report.partners if p.key == str(track.agency_id)), None)
    done, submitted = outcomes[track.id]
    found = {
        "registered": _count(done.registered),
        "submitted": _count(submitted),
        "eligible": _count(done.eligible),
        "finalists": _count(done.finalists),
        "winners": _count(done.winners),
    }
    if partner is not None:
        found["countries"] = _count(partner.countries)
        found["first_time"] = _count(partner.first_time)
        found["total"] = _money(partner.total.amount, partner.total.currency)
        for outcome in costs.OUTCOMES:
            found[f"per_{outcome}"] = _money(partner.ratio(outcome).value, partner.total.currency)
    for label, score in surveys.get(track.id, ()):
        found[f"survey:{label}"] = _score(score)
    return found


def _labels() -> list[tuple[str, str]]:
    return [
        ("registered", _("Registered teams")),
        ("submitted", _("Submitted to the first round")),
        ("eligible", _("Eligible submissions")),
        ("finalists", _("Finalists")),
        ("winners", _("Winners")),
        ("countries", _("Countries of entrants")),
        ("first_time", _("First-time entrants")),
        ("total", _("Total cost")),
        *((f"per_{o}", cost_report.cost_per_label(o)) for o in costs.OUTCOMES),
    ]


def compare(user: Any, challenge: Challenge, lang: str) -> Comparison:
    """The viewer's tracks (as on the insights page), each against the same agency's track of
    the previous edition, when the viewer may see that edition's figures."""
    previous = cost_report.previous_of(challenge)
    hidden = previous is not None and not permissions.can_view_costs(user, previous)
    if hidden:
        previous = None
    report, outcomes, surveys = _figures(challenge)
    if previous is not None:
        p_report, p_outcomes, p_surveys = _figures(previous)
    else:
        p_report, p_outcomes, p_surveys = None, {}, {}
    rows_for = []
    for track in permissions.visible_tracks(user, challenge):
        before = previous.track_of(track.agency_id) if previous is not None else None
        now = _values(track, report, outcomes, surveys)
        then = _values(before, p_report, p_outcomes, p_surveys)
        labels = _labels()
        survey_keys = sorted({k for k in (*now, *then) if k.startswith("survey:")})
        labels += [(k, _("Survey: %(question)s", question=k[7:])) for k in survey_keys]
        rows = tuple(
            Row(
                label,
                now.get(key, NONE),
                then.get(key, NONE),
                change(now.get(key, NONE), then.get(key, NONE)),
            )
            for key, label in labels
        )
        rows_for.append(TrackComparison(track, before, rows))
    return Comparison(challenge, previous, hidden, tuple(rows_for), bool(SURVEY_SCORES))
