"""Conflicts of interest: declared by judges, recorded by admins, detected by the system.

Detected: the judge is on the team; the judge's organisation is the team's; the judge's
email domain is a team member's, unless it is a public mail provider. Every conflict is a row
(one per person, team and source) and the database refuses an active assignment for a
conflicted pair, so recording a conflict first ends any such assignment. In a blind stage the
judge's queue then looks as it did (``anonymity``): the conflict never shows them which anonymous
submission was the team's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, update

from competitions.accounts.models import User
from competitions.challenges.models import Challenge
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry, Team, TeamMember
from competitions.judging import anonymity, permissions
from competitions.judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    EndReason,
    Judge,
    Panel,
)
from competitions.submissions.models import Submission

# Addresses at these providers say nothing about where someone works.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.fr",
        "live.com",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.fr",
        "yahoo.ca",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "fastmail.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "wanadoo.fr",
        "videotron.ca",
        "sympatico.ca",
        "rogers.com",
        "shaw.ca",
        "qq.com",
        "163.com",
        "example.com",
        "example.org",
        "example.net",
    }
)


def email_domain(email: str) -> str | None:
    """The address's domain, or None for public mail providers."""
    domain = email.rpartition("@")[2].strip().casefold().rstrip(".")
    if not domain or domain in PUBLIC_MAIL_DOMAINS:
        return None
    return domain


def _org(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


@dataclass(frozen=True)
class _TeamFacts:
    id: int
    organisation: str
    members: frozenset[int]
    domains: frozenset[str]


def _teams_of(challenge_id: int, team_ids: set[int] | None = None) -> list[_TeamFacts]:
    query = (
        select(Team.id, Team.organisation_name, TeamMember.user_id, User.email_normalized)
        .join(Entry, Entry.team_id == Team.id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(User, User.id == TeamMember.user_id)
        .where(Entry.challenge_id == challenge_id)
    )
    if team_ids is not None:
        query = query.where(Team.id.in_(team_ids))
    orgs: dict[int, str] = {}
    members: dict[int, set[int]] = defaultdict(set)
    domains: dict[int, set[str]] = defaultdict(set)
    for team_id, organisation, user_id, email in db.session.execute(query):
        orgs[team_id] = _org(organisation)
        members[team_id].add(user_id)
        domain = email_domain(email)
        if domain:
            domains[team_id].add(domain)
    return [
        _TeamFacts(t, orgs[t], frozenset(members[t]), frozenset(domains[t])) for t in sorted(orgs)
    ]


@dataclass(frozen=True)
class _JudgeFacts:
    user_id: int
    organisations: frozenset[str]  # their own (detected)
    declared: frozenset[str]  # declared conflicts with organisations
    domain: str | None


def _judges_of(challenge_id: int, user_ids: set[int] | None = None) -> list[_JudgeFacts]:
    query = (
        select(Judge.user_id, Judge.organisation, Judge.conflict_organisations, User.email)
        .join(Panel, Panel.id == Judge.panel_id)
        .join(User, User.id == Judge.user_id)
        .where(Panel.challenge_id == challenge_id, Judge.removed_at.is_(None))
    )
    if user_ids is not None:
        query = query.where(Judge.user_id.in_(user_ids))
    orgs: dict[int, set[str]] = defaultdict(set)
    declared: dict[int, set[str]] = defaultdict(set)
    domain: dict[int, str | None] = {}
    for user_id, organisation, conflict_orgs, email in db.session.execute(query):
        if _org(organisation):
            orgs[user_id].add(_org(organisation))
        declared[user_id].update(_org(o) for o in conflict_orgs or () if _org(o))
        domain[user_id] = email_domain(email)
    return [
        _JudgeFacts(u, frozenset(orgs[u]), frozenset(declared[u]), domain[u])
        for u in sorted(domain)
    ]


def _detect(judges: list[_JudgeFacts], teams: list[_TeamFacts]) -> set[tuple[int, int, str]]:
    """(user, team, source) for every detected or organisation-declared conflict."""
    by_member: dict[int, list[int]] = defaultdict(list)
    by_org: dict[str, list[int]] = defaultdict(list)
    by_domain: dict[str, list[int]] = defaultdict(list)
    for t in teams:
        for u in t.members:
            by_member[u].append(t.id)
        if t.organisation:
            by_org[t.organisation].append(t.id)
        for d in t.domains:
            by_domain[d].append(t.id)
    found: set[tuple[int, int, str]] = set()
    for j in judges:
        found.update((j.user_id, t, ConflictSource.MEMBER.value) for t in by_member[j.user_id])
        for org in j.organisations:
            found.update((j.user_id, t, ConflictSource.ORGANISATION.value) for t in by_org[org])
        for org in j.declared:
            found.update((j.user_id, t, ConflictSource.DECLARED.value) for t in by_org[org])
        if j.domain:
            found.update(
                (j.user_id, t, ConflictSource.EMAIL_DOMAIN.value) for t in by_domain[j.domain]
            )
    return found


_DETECTED_REASONS = {
    ConflictSource.MEMBER.value: "member of the team",
    ConflictSource.ORGANISATION.value: "same organisation",
    ConflictSource.DECLARED.value: "declared conflict with the team's organisation",
    ConflictSource.EMAIL_DOMAIN.value: "same email domain",
}


def _record(challenge_id: int, pairs: set[tuple[int, int, str]], actor_id: int | None) -> int:
    """Write the conflicts not yet recorded, ending active assignments of those pairs first."""
    if not pairs:
        return 0
    # Any challenge's: a conflict is between a person and a team (unique per source).
    existing = {
        (u, t, s)
        for u, t, s in db.session.execute(
            select(Conflict.user_id, Conflict.team_id, Conflict.source).where(
                Conflict.user_id.in_({u for u, _t, _s in pairs})
            )
        )
    }
    new = sorted(pairs - existing)
    if not new:
        return 0
    ended = _end_assignments(
        {(u, t) for u, t, _s in new}, EndReason.CONFLICT, _("conflict of interest recorded")
    )
    for user_id, team_id, source in new:
        db.session.add(
            Conflict(
                challenge_id=challenge_id,
                user_id=user_id,
                team_id=team_id,
                source=source,
                reason=_DETECTED_REASONS.get(source, ""),
                created_by_id=actor_id,
            )
        )
    db.session.flush()
    anonymity.after_conflict(ended)
    return len(new)


def _end_assignments(pairs: set[tuple[int, int]], reason: EndReason, note: str) -> list[int]:
    """End the active assignments of these (user, team) pairs. Returns their ids."""
    if not pairs:
        return []
    users = {u for u, _t in pairs}
    rows = db.session.execute(
        select(Assignment.id, Assignment.user_id, Entry.team_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .where(Assignment.user_id.in_(users), Assignment.ended_at.is_(None))
    ).all()
    ids = [a for a, u, t in rows if (u, t) in pairs]
    if ids:
        db.session.flush()
        db.session.execute(
            update(Assignment)
            .where(Assignment.id.in_(ids))
            .values(ended_at=clock.now(), end_reason=reason.value, end_note=note),
            execution_options={"synchronize_session": False},
        )
        db.session.expire_all()
    return ids


def detect_for_challenge(challenge: Challenge) -> int:
    """Detect conflicts between every active judge and every team entered in the challenge.
    Returns the number of new conflicts recorded."""
    return _record(challenge.id, _detect(_judges_of(challenge.id), _teams_of(challenge.id)), None)


def detect_for_judge(judge: Judge) -> int:
    challenge_id = judge.panel.challenge_id
    return _record(
        challenge_id,
        _detect(_judges_of(challenge_id, {judge.user_id}), _teams_of(challenge_id)),
        None,
    )


def detect_for_team(challenge_id: int, team_id: int) -> int:
    return _record(
        challenge_id, _detect(_judges_of(challenge_id), _teams_of(challenge_id, {team_id})), None
    )


def conflicted_pairs(user_ids: set[int]) -> set[tuple[int, int]]:
    """Every recorded (user, team) conflict of these people — whichever challenge recorded it:
    a conflict is between a person and a team, and the database applies it everywhere."""
    if not user_ids:
        return set()
    return {
        (u, t)
        for u, t in db.session.execute(
            select(Conflict.user_id, Conflict.team_id).where(Conflict.user_id.in_(user_ids))
        )
    }


def is_conflicted(challenge_id: int, user_id: int, team_id: int) -> bool:
    """Recorded, or detected now (e.g. the judge joined the team a minute ago)."""
    recorded = db.session.scalar(
        select(Conflict.id).where(Conflict.user_id == user_id, Conflict.team_id == team_id)
    )
    if recorded is not None:
        return True
    detected = _detect(_judges_of(challenge_id, {user_id}), _teams_of(challenge_id, {team_id}))
    if detected:
        _record(challenge_id, detected, None)
        return True
    return False


def declare(actor: Actor, challenge: Challenge, team: Team, reason: str) -> Conflict:
    """A judge declares a conflict with a team of the challenge."""
    user = actor.user
    if user is None or not _sits_on(challenge, user.id):
        raise PermissionDenied(_("Only the challenge's judges declare conflicts."))
    if not _team_in(challenge, team.id):
        raise DomainError(_("This team has not entered the challenge."))
    reason = (reason or "").strip()[:1000]
    conflict, new = _add(
        challenge, user.id, team, ConflictSource.DECLARED, reason, user.id, _("conflict declared")
    )
    if new:
        audit.record(actor, "judging.conflict_declared", obj=conflict, after={"reason": reason})
    return conflict


def chosen_team(team_id: int | None) -> Team:
    """The team picked in a judge's conflict form."""
    team = db.session.get(Team, team_id or 0)
    if team is None:
        raise DomainError(_("Choose a team."))
    return team


def record_on_panel(
    actor: Actor,
    challenge: Challenge,
    panel: Panel,
    judge_id: int | None,
    team_id: int | None,
    reason: str,
) -> Conflict:
    """An admin records a conflict between a judge of the panel and a team (by their ids, as
    picked in the panel page's form)."""
    judge = db.session.get(Judge, judge_id or 0)
    team = db.session.get(Team, team_id or 0)
    if judge is None or judge.panel_id != panel.id or team is None:
        raise DomainError(_("Choose a judge of this panel and a team."))
    return record_by_admin(actor, challenge, judge, team, reason)


def record_by_admin(
    actor: Actor, challenge: Challenge, judge: Judge, team: Team, reason: str
) -> Conflict:
    """A track admin records a conflict they know of (e.g. a former employer)."""
    if not permissions.can_manage_panel(actor.user, judge.panel, challenge):
        raise PermissionDenied(_("Only the panel's agency admins can record a conflict."))
    reason = (reason or "").strip()[:1000]
    if not reason:
        raise DomainError(_("Say why they are conflicted."), field="reason")
    conflict, new = _add(
        challenge, judge.user_id, team, ConflictSource.ADMIN, reason, actor.user_id, reason
    )
    if new:
        agency_id = permissions.panel_agency(judge.panel, challenge)
        after = {"reason": reason}
        audit.record(
            actor, "judging.conflict_recorded", obj=conflict, agency_id=agency_id, after=after
        )
    return conflict


def _add(
    challenge: Challenge,
    user_id: int,
    team: Team,
    source: ConflictSource,
    reason: str,
    created_by_id: int | None,
    end_note: str,
) -> tuple[Conflict, bool]:
    """The person's conflict with the team from this source: the one already recorded, or a new
    one (their active assignments with the team end first, with ``end_note``). True when new."""
    existing = db.session.scalar(
        select(Conflict).where(
            Conflict.user_id == user_id,
            Conflict.team_id == team.id,
            Conflict.source == source.value,
        )
    )
    if existing is not None:
        return existing, False
    ended = _end_assignments({(user_id, team.id)}, EndReason.CONFLICT, end_note)
    conflict = Conflict(
        challenge_id=challenge.id,
        user_id=user_id,
        team_id=team.id,
        source=source.value,
        reason=reason,
        created_by_id=created_by_id,
    )
    db.session.add(conflict)
    db.session.flush()
    anonymity.after_conflict(ended)
    return conflict, True


def recuse(actor: Actor, assignment: Assignment, reason: str) -> None:
    """The judge steps back from an assigned submission, saying why; it becomes a conflict."""
    if not permissions.can_score(actor.user, assignment):
        raise PermissionDenied(_("This is not one of your assignments."))
    reason = (reason or "").strip()[:1000]
    if not reason:
        raise DomainError(_("Say briefly why you step back."), field="reason")
    team_id = assignment.submission.entry.team_id
    challenge_id = assignment.submission.entry.challenge_id
    assignment_id = assignment.id
    # Every active assignment with this team ends (another round's too): the conflict is with
    # the team.
    _end_assignments({(assignment.user_id, team_id)}, EndReason.RECUSED, reason)
    db.session.add(
        Conflict(
            challenge_id=challenge_id,
            user_id=assignment.user_id,
            team_id=team_id,
            source=ConflictSource.RECUSED.value,
            reason=reason,
            created_by_id=actor.user_id,
        )
    )
    db.session.flush()
    audit.record(
        actor,
        "judging.recused",
        object_type="assignment",
        object_id=assignment_id,
        agency_id=assignment.submission.entry.track.agency_id,
        after={"reason": reason},
    )


def _sits_on(challenge: Challenge, user_id: int) -> bool:
    return (
        db.session.scalar(
            select(Judge.id)
            .join(Panel, Panel.id == Judge.panel_id)
            .where(
                Panel.challenge_id == challenge.id,
                Judge.user_id == user_id,
                Judge.removed_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def _team_in(challenge: Challenge, team_id: int) -> bool:
    return (
        db.session.scalar(
            select(Entry.id)
            .where(Entry.challenge_id == challenge.id, Entry.team_id == team_id)
            .limit(1)
        )
        is not None
    )


def teams_of_challenge(challenge: Challenge) -> list[Team]:
    """The teams a judge may declare a conflict with (names only; no link to submissions)."""
    return list(
        db.session.scalars(
            select(Team)
            .join(Entry, Entry.team_id == Team.id)
            .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None))
            .order_by(Team.name)
            .distinct()
        )
    )


def conflicts_of(challenge: Challenge, user_id: int | None = None) -> list[Conflict]:
    query = select(Conflict).where(Conflict.challenge_id == challenge.id)
    if user_id is not None:
        query = query.where(Conflict.user_id == user_id)
    return list(db.session.scalars(query.order_by(Conflict.created_at, Conflict.id)))
