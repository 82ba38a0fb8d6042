"""Eligibility decisions of entries: evaluated on the team, stored with their reasons,
followed as the team changes, frozen at the first final submission, overridden by track admins.

The rules themselves are evaluated by ``challenges.eligibility`` (plain data in and out); this
module turns a team into what the evaluator reads (``profile_of``), keeps each active entry's
decision in step with its team (``recheck_entries``) — refusing, once the decision is frozen,
a change that would make the entry less eligible — and applies the tracks' team sizes.
"""

from __future__ import annotations

from typing import Any

from competitions.challenges.eligibility import (
    STATUS_ORDER,
    Decision,
    EntrantType,
    Member,
    Reason,
    RulesError,
    Severity,
    Status,
    TeamProfile,
    evaluate,
    explain,
    parse_rules,
    rules_or_none,
)
from competitions.challenges.models import Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.entries import permissions
from competitions.entries.models import Entry, Team, TeamMember, TeamRole


def profile_of(team: Team, members: list[TeamMember] | None = None) -> TeamProfile:
    """The team as the eligibility evaluator sees it."""
    people = team.members if members is None else members
    return TeamProfile(
        entrant_type=EntrantType(team.entrant_type),
        members=tuple(
            Member(residence=m.residence, age=m.declared_age, is_lead=m.role == TeamRole.LEAD)
            for m in people
        ),
        organisation_country=team.organisation_country,
    )


def reasons_to_data(decision: Decision) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "severity": r.severity.value, "params": _plain(dict(r.params))}
        for r in decision.reasons
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def reasons_from_data(data: list[dict[str, Any]]) -> list[Reason]:
    return [Reason(r["code"], Severity(r["severity"]), r.get("params") or {}) for r in data]


def explain_entry(entry: Entry) -> list[tuple[bool, str]]:
    """(blocking?, sentence) for each stored reason, in the current language."""
    return [(r.blocking, explain(r)) for r in reasons_from_data(entry.eligibility_reasons)]


def prize_conditions(entry: Entry, rules: Any = None, lang: str | None = None) -> list[str]:
    """What an eligible entry must still do to receive a prize (e.g. "form a legal entity in
    Canada"), in ``lang`` (default: the current language); ``rules``: the track's, when already
    parsed."""
    if entry.effective_eligibility != Status.ELIGIBLE:
        return []
    rules = rules if rules is not None else rules_or_none(entry.track.rules)
    if rules is None:
        return []
    lang = lang or current_language()
    return [
        c.text.get(lang) or next(iter(c.text.values()), "")
        for c in rules.prize_conditions
        if c.applies_to(EntrantType(entry.team.entrant_type))
    ]


def rules_of(track: Track) -> Any:
    try:
        return parse_rules(track.rules or {})
    except RulesError as exc:
        raise DomainError(_("This track's rules are being fixed; try again later.")) from exc


def _worse(new: str, old: str) -> bool:
    return STATUS_ORDER[Status(new)] > STATUS_ORDER[Status(old)]


def recheck_entries(team: Team, members: list[TeamMember], change: str) -> None:
    """Re-evaluate the team's active entries as the team would be after ``change``.

    Before the first final submission the stored decision simply follows the team. Once it is
    frozen, a change that would make the entry less eligible is refused, with the reasons.
    """
    profile = profile_of(team, members)
    now = clock.now()
    for entry in team.active_entries:
        decision = evaluate(profile, rules_of(entry.track))
        if entry.eligibility_frozen_at is not None and (
            decision.status is Status.INELIGIBLE or _worse(decision.status, entry.eligibility)
        ):
            why = " ".join(explain(r) for r in decision.blocking_reasons)
            raise DomainError(
                _(
                    "%(change)s would make your entry in %(track)s no longer eligible, and its "
                    "eligibility is fixed since your first submission. %(why)s",
                    change=change,
                    track=entry.track.name_in(current_language()),
                    why=why,
                )
            )
        entry.eligibility = decision.status.value
        entry.eligibility_reasons = reasons_to_data(decision)
        entry.eligibility_evaluated_at = now


def check_team_size(team: Team, size: int) -> None:
    for entry in team.active_entries:
        rules = rules_of(entry.track)
        if rules.team_max is not None and size > rules.team_max:
            raise DomainError(
                _(
                    "Teams in %(track)s have at most %(n)d members.",
                    track=entry.track.name_in(current_language()),
                    n=rules.team_max,
                ),
                field="email",
            )


def check_team_minimum(team: Team, size: int) -> None:
    for entry in team.active_entries:
        rules = rules_of(entry.track)
        if size < rules.team_min and entry.eligibility_frozen_at is not None:
            raise DomainError(
                _(
                    "Teams in %(track)s need at least %(n)d members.",
                    track=entry.track.name_in(current_language()),
                    n=rules.team_min,
                )
            )


def freeze_eligibility(entry: Entry) -> None:
    """Fix the decision (called at the first final submission)."""
    if entry.eligibility_frozen_at is None:
        entry.eligibility_frozen_at = clock.now()


def decide_eligibility(actor: Actor, entry: Entry, decision: str, reason: str) -> None:
    """A track admin overrides the evaluator (or clears the override), with a reason."""
    if not permissions.can_decide_eligibility(actor.user, entry):
        raise NotFound(_("No such entry."))
    reason = (reason or "").strip()
    if decision not in ("", *(s.value for s in Status)):
        raise DomainError(_("Choose a decision."), field="decision")
    if not reason:
        raise DomainError(_("Give the reason for this decision."), field="reason")
    if len(reason) > 2000:
        raise DomainError(_("The reason must be 2,000 characters or fewer."), field="reason")
    before = {"override": entry.override, "reason": entry.override_reason}
    entry.override = decision or None
    entry.override_reason = reason if decision else None
    entry.override_by_id = actor.user_id if decision else None
    entry.override_at = clock.now() if decision else None
    audit.record(
        actor,
        "entry.eligibility_decided",
        obj=entry,
        agency_id=entry.track.agency_id,
        role="agency_admin" if not actor.is_platform_admin else "platform_admin",
        before=before,
        after={"override": entry.override, "reason": reason},
    )
