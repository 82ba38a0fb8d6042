"""The innovator's section of the home page (``core.home``): the teams they belong to and each
active entry with its next step (``next_step``): the round to submit to, with its deadline in
the user's zone and a countdown, or the next opening. At most ``ROWS`` teams and entries."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload, lazyload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from competitions.agencies.models import Agency
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.entries.models import Entry, Team, TeamMember
from competitions.submissions.next_step import next_steps


@section(order=10)
def my_entries(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    teams = list(db.session.scalars(_teams(), {"user_id": user.id}))
    if not teams:
        return None
    entries = list(db.session.scalars(_entries(), {"teams": [t.id for t in teams]}))
    _rounds_and_tracks(entries)
    steps = list(zip(entries, next_steps(entries), strict=True))
    return Section("submissions/_home_entries.html", {"teams": teams, "steps": steps})


# The statements are built once, the user and the teams bound at each call: building them,
# their loader options and their cache keys cost more than running them.


@functools.cache
def _teams() -> Any:
    return (
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == bindparam("user_id", type_=Integer))
        .order_by(Team.name)
        .limit(ROWS)
        # The section names the teams; their members (and accounts) are not shown.
        .options(load_only(Team.name), lazyload(Team.members))
    )


@functools.cache
def _entries() -> Any:
    return (
        select(Entry)
        .where(Entry.team_id.in_(bindparam("teams", expanding=True)), Entry.withdrawn_at.is_(None))
        .options(*_shown())
        .order_by(Entry.id.desc())
        .limit(ROWS)
    )


def _shown() -> tuple[Any, ...]:
    """The columns the section shows and ``next_steps`` reads, not whole rows: the entries'
    eligibility, the tracks' rules and terms, the challenges' texts and the rounds' forms are
    JSON documents that would be read and parsed for nothing."""
    track = joinedload(Entry.track)
    challenge = track.joinedload(Track.challenge)
    return (
        load_only(Entry.team_id, Entry.track_id, Entry.challenge_id, Entry.withdrawn_at),
        # Each entry's team is one of ``teams``, already loaded: not joined again.
        lazyload(Entry.team),
        track.load_only(Track.challenge_id, Track.agency_id, Track.name, Track.languages),
        # The agency's name is the track's name when the track has none in any language.
        track.joinedload(Track.agency).load_only(Agency.name),
        challenge.load_only(Challenge.slug, Challenge.title),
        challenge.lazyload(Challenge.lead_agency),
        # Rounds and tracks: read by ``_rounds_and_tracks``' own statements.
        challenge.lazyload(Challenge.rounds),
        challenge.lazyload(Challenge.tracks),
    )


def _rounds_and_tracks(entries: list[Entry]) -> None:
    """Give the entries' challenges their rounds (``next_steps``) and their tracks (whose
    languages are the challenge's: ``title_in``, ``Round.name_in``), one statement each: what
    ``selectinload`` would read, without building its statement at every call."""
    challenges = {e.track.challenge_id: e.track.challenge for e in entries}
    if not challenges:
        return
    ids = {"challenges": list(challenges)}
    rounds: dict[int, list[Round]] = {key: [] for key in challenges}
    for round_ in db.session.scalars(_rounds(), ids):
        rounds[round_.challenge_id].append(round_)
    tracks: dict[int, list[Track]] = {key: [] for key in challenges}
    for track in db.session.scalars(_tracks(), ids):
        tracks[track.challenge_id].append(track)
    for key, challenge in challenges.items():
        set_committed_value(challenge, "rounds", rounds[key])
        set_committed_value(challenge, "tracks", tracks[key])


@functools.cache
def _rounds() -> Any:
    return (
        select(Round)
        .where(Round.challenge_id.in_(bindparam("challenges", expanding=True)))
        .order_by(Round.challenge_id, Round.position)  # ``Challenge.rounds``' order
        .options(
            load_only(
                Round.challenge_id,
                Round.position,
                Round.name,
                Round.submission_opens,
                Round.submission_deadline,
            ),
            lazyload("*"),
        )
    )


@functools.cache
def _tracks() -> Any:
    return (
        select(Track)
        .where(Track.challenge_id.in_(bindparam("challenges", expanding=True)))
        .order_by(Track.challenge_id, Track.position)  # ``Challenge.tracks``' order
        .options(load_only(Track.challenge_id, Track.position, Track.languages), lazyload("*"))
    )
