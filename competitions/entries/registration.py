"""Registration of a team into a track of a published challenge.

Registration evaluates the track's rules on the team as it is (members' residence and declared
ages, entrant type, organisation country), stores the decision with its reasons, records the
accepted terms version (with time and address) and the attestations. Exclusivity ("may not
enter more than one track of this challenge") is enforced by unique constraints on the entry
and on each person it stands for, not only here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from competitions.accounts.models import User
from competitions.challenges.eligibility import (
    Status,
    evaluate,
    explain,
    route,
)
from competitions.challenges.models import Challenge, TermsVersion, Track
from competitions.challenges.services import current_terms, get_challenge, tracks_with_rules
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.entries import decisions, permissions, teams
from competitions.entries.models import Entry, EntryMember, Team


def registration_window(challenge: Challenge) -> tuple[datetime | None, datetime | None]:
    """Registration runs in the first round's registration window, or until its deadline."""
    if not challenge.rounds:
        return None, None
    first = min(challenge.rounds, key=lambda r: r.position)
    return first.registration_opens, first.registration_closes or first.submission_deadline


def published_challenge(slug: str) -> Challenge:
    """The challenge entrants register in: a draft one is not found."""
    challenge = get_challenge(slug)
    if not challenge.is_published:
        raise NotFound(_("No such challenge."))
    return challenge


def registration_problem(challenge: Challenge, now: datetime) -> str | None:
    if not challenge.is_published:
        return _("This challenge is not open yet.")
    opens, closes = registration_window(challenge)
    if closes is None:
        return _("Registration is not open yet.")
    if opens is not None and now < opens:
        return _("Registration has not opened yet.")
    if now > closes:
        return _("Registration is closed.")
    return None


def options_for(team: Team, challenge: Challenge) -> list[Any]:
    """Every track's decision for this team, best first (see ``eligibility.route``)."""
    return route(decisions.profile_of(team), tracks_with_rules(challenge))


def entries_in(team: Team, challenge: Challenge) -> list[Entry]:
    return [e for e in team.active_entries if e.challenge_id == challenge.id]


def register(
    actor: Actor,
    team: Team,
    track: Track,
    terms_version_id: int,
    attested: list[int],
) -> Entry:
    """Register ``team`` into ``track`` (the lead acts). Raises ``DomainError`` with a reason."""
    teams.require_lead(actor, team)
    challenge = track.challenge
    now = clock.now()
    terms = _check_registration(team, track, terms_version_id, attested, now)
    decision = evaluate(decisions.profile_of(team), decisions.rules_of(track))
    if decision.status is Status.INELIGIBLE:
        why = " ".join(explain(r) for r in decision.blocking_reasons)
        raise DomainError(_("Your team cannot enter this track. %(why)s", why=why))
    key = challenge.id if challenge.is_exclusive else None
    entry = Entry(
        team=team,
        track=track,
        challenge_id=challenge.id,
        exclusive_challenge_id=key,
        eligibility=decision.status.value,
        eligibility_reasons=decisions.reasons_to_data(decision),
        eligibility_evaluated_at=now,
        terms_version_id=terms.id,
        terms_accepted_at=now,
        terms_accepted_ip=actor.ip,
        terms_accepted_by_id=actor.user_id,
        attestations=track.attestations_in(_lang_of(actor)),
        registered_at=now,
    )
    entry.members = [
        EntryMember(user_id=m.user_id, exclusive_challenge_id=key) for m in team.members
    ]
    db.session.add(entry)
    teams.flush_entry_members(
        Conflict(
            _(
                "Your team, or someone in it, is already registered in this challenge, and its "
                "tracks allow only one entry per person."
            )
        )
    )
    audit.record(
        actor,
        "entry.registered",
        obj=entry,
        agency_id=track.agency_id,
        after={
            "track": track.slug,
            "eligibility": entry.eligibility,
            "terms_version": terms.version,
        },
    )
    from competitions.webhooks import events as webhook_events

    webhook_events.entry_registered(entry)
    return entry


def _check_registration(
    team: Team, track: Track, terms_version_id: int, attested: list[int], now: datetime
) -> TermsVersion:
    """What must hold before the team's eligibility is evaluated: registration is open, the
    terms read are the current ones, every statement is confirmed, the team is not already
    in this track (or, when entrants may enter only one, in another). The terms accepted."""
    challenge = track.challenge
    problem = registration_problem(challenge, now)
    if problem:
        raise DomainError(problem)
    terms = current_terms(track)
    if terms is None:
        raise DomainError(_("This track has no terms yet."))
    if terms.id != terms_version_id:
        raise DomainError(
            _(
                "The terms changed while you were reading them. Read version %(n)d and accept it.",
                n=terms.version,
            ),
            field="accept_terms",
        )
    statements = track.attestations_in(current_language())
    if sorted(set(attested)) != list(range(len(statements))):
        raise DomainError(_("Confirm every statement to register."), field="attestations")
    if any(e.track_id == track.id for e in team.active_entries):
        raise Conflict(_("Your team is already registered in this track."))
    if challenge.is_exclusive and entries_in(team, challenge):
        raise Conflict(
            _(
                "Your team is already registered in another track of this challenge, and entrants "
                "may enter only one."
            )
        )
    return terms


def _lang_of(actor: Actor) -> str:
    user = actor.user
    return user.preferred_language if isinstance(user, User) else "en"


def accept_new_terms(actor: Actor, entry: Entry, terms_version_id: int, accepted: bool) -> None:
    """The team lead accepts the track's terms after they changed (a new version: e.g. an
    answer in the Q&A changed the rules); the entry then records that version."""
    if not permissions.is_lead(actor.user, entry.team):
        raise NotFound(_("No such entry."))
    terms = current_terms(entry.track)
    if terms is None or terms.id == entry.terms_version_id:
        raise DomainError(_("Your entry already accepted the current terms."))
    if terms.id != terms_version_id:
        raise DomainError(
            _(
                "The terms changed while you were reading them. Read version %(n)d and accept it.",
                n=terms.version,
            ),
            field="accept_terms",
        )
    if not accepted:
        raise DomainError(_("Tick the box to accept the new terms."), field="accept_terms")
    before = entry.terms_version.version
    entry.terms_version_id = terms.id
    entry.terms_accepted_at = clock.now()
    audit.record(
        actor,
        "entry.terms_accepted",
        obj=entry,
        agency_id=entry.track.agency_id,
        before={"terms_version": before},
        after={"terms_version": terms.version},
    )
