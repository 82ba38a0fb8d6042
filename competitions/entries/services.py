"""Entries once registered: the look-up every entry page starts from, withdrawal, and the
track's list of entries (filtered by status and eligibility).

The rest of the package's services: ``teams``, ``team_invitations``, ``registration`` and
``decisions`` (eligibility).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload, lazyload, load_only, with_expression

from competitions.accounts.models import User
from competitions.challenges.eligibility import Status
from competitions.challenges.models import Challenge, TermsVersion, Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import must_exist
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries import teams
from competitions.entries.models import Entry, Team, TeamMember


class EntryStatus(enum.StrEnum):
    """Which entries a list shows (``track_entries_query``): active, withdrawn, or all."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    ALL = "all"


@functools.cache
def _entry_options(page: bool) -> tuple[Any, ...]:
    # Built once: building loader options costs about as much as running a query. With its
    # team's members in the same statement: every permission check reads them; and its track's
    # challenge, which every page of an entry names (its trail), without the long texts.
    members = joinedload(Entry.team).joinedload(Team.members)
    if page:
        members = members.joinedload(TeamMember.user).load_only(User.id, User.display_name)
    track = joinedload(Entry.track)
    return (
        members,
        track.defer(Track.description),
        track.joinedload(Track.challenge).defer(Challenge.summary),
        track.joinedload(Track.challenge).defer(Challenge.description),
        track.joinedload(Track.challenge).defer(Challenge.search_text),
    )


def get_entry(entry_id: int) -> Entry:
    """The entry with its team's members and its track's challenge, in one statement."""
    entry = db.session.get(Entry, entry_id, options=_entry_options(False))
    return must_exist(entry, _("No such entry."))


def get_entry_to_show(entry_id: int) -> Entry:
    """``get_entry`` for the entry's page, which names its members but reads nothing else of
    their accounts (a member's own account, signed in, is loaded whole already)."""
    entry = db.session.get(Entry, entry_id, options=_entry_options(True))
    return must_exist(entry, _("No such entry."))


def terms_versions(track: Track) -> list[Any]:
    """The track's terms, oldest first, as (id, version) rows: what an entry's page names,
    without every version's text."""
    return list(
        db.session.execute(
            select(TermsVersion.id, TermsVersion.version)
            .where(TermsVersion.track_id == track.id)
            .order_by(TermsVersion.version)
        )
    )


#: What other packages do, in the same transaction, when an entry is withdrawn (judging ends
#: its submissions' assignments): registered by them, so that entries imports none of them.
ON_WITHDRAWN: list[Callable[[Entry], object]] = []


def withdraw(actor: Actor, entry: Entry) -> None:
    teams.require_lead(actor, entry.team)
    if entry.withdrawn_at is not None:
        return
    entry.withdrawn_at = clock.now()
    entry.exclusive_challenge_id = None
    entry.members.clear()
    for then in ON_WITHDRAWN:
        then(entry)
    audit.record(actor, "entry.withdrawn", obj=entry, agency_id=entry.track.agency_id)


def listed_track(slug: str, track_slug: str) -> tuple[Challenge, Track]:
    """The track whose entries are listed, with its challenge and the challenge's other tracks
    (its breadcrumbs read them): not the rounds, milestones and prizes ``get_challenge`` loads
    for the challenge's own pages, nor the challenge's long texts."""
    challenge = db.session.scalar(
        select(Challenge)
        .where(Challenge.slug == slug)
        .options(defer(Challenge.summary), defer(Challenge.description))
    )
    challenge = must_exist(challenge, _("No such challenge."))
    track = next((t for t in challenge.tracks if t.slug == track_slug), None)
    return challenge, must_exist(track, _("No such track."))


def entries_page_query(track: Track, status: str | None, eligibility: str | None) -> Any:
    """``track_entries_query`` with only the columns a page of the list shows (the stored
    reasons and statements are JSON, decoded per row otherwise), and each team's number of
    members (``Entry.team_size``)."""
    team_size = (
        select(func.count(TeamMember.id))
        .where(TeamMember.team_id == Entry.team_id)
        .correlate(Entry)
        .scalar_subquery()
    )
    return track_entries_query(track, status, eligibility).options(
        with_expression(Entry.team_size, team_size),
        load_only(
            Entry.team_id,
            Entry.track_id,
            Entry.eligibility,
            Entry.override,
            Entry.registered_at,
        ),
        joinedload(Entry.team).load_only(Team.name, Team.entrant_type),
    )


def track_entries_query(
    track: Track, status: str | None = None, eligibility: str | None = None
) -> Any:
    # Every entry's track is ``track`` (already loaded): not joined again on every row, where
    # its and its agency's JSON columns would be parsed once per entry.
    # The list shows each team's number of members (``entries_page_query``), not the members and
    # their accounts.
    stmt = (
        select(Entry)
        .where(Entry.track_id == track.id)
        .order_by(Entry.registered_at.desc())
        .options(lazyload(Entry.track), joinedload(Entry.team).lazyload(Team.members))
    )
    if status == EntryStatus.ACTIVE:
        stmt = stmt.where(Entry.withdrawn_at.is_(None))
    elif status == EntryStatus.WITHDRAWN:
        stmt = stmt.where(Entry.withdrawn_at.is_not(None))
    if eligibility in {s.value for s in Status}:
        stmt = stmt.where(
            (Entry.override == eligibility)
            | (Entry.override.is_(None) & (Entry.eligibility == eligibility))
        )
    return stmt
