"""The teammates board: posting, contact requests through Tandem, and what tracks two people
could enter together (the eligibility evaluator, before the team exists).

Nothing leaves the board but what its poster wrote. A contact request is mailed to the poster
without the requester's address; once the poster accepts, each sees the other's address and
may invite the other into a team (``entries.team_invitations``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from competitions.challenges.eligibility import (
    ORGANISATIONS,
    EntrantType,
    Member,
    RouteOption,
    TeamProfile,
    route,
)
from competitions.challenges.models import Challenge
from competitions.challenges.permissions import participates
from competitions.challenges.services import tracks_with_rules
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.text import text_block
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries.models import Entry, Team, TeamMember, TeamRole
from competitions.entries.teams import check_member_profile
from competitions.outreach.services import LazyFormat
from competitions.teammates.models import (
    BoardPost,
    ContactRequest,
    ContactStatus,
    PostKind,
    PostReport,
)

MAX_TEXT = 1000
MAX_MESSAGE = 1000


@dataclass(frozen=True)
class PostData:
    kind: str
    offers: str
    seeks: str
    residence: str
    track_slug: str
    declared_age: int | None = None


def board(challenge: Challenge) -> list[BoardPost]:
    """The posts everyone signed in reads (hidden ones left out), newest first."""
    return list(
        db.session.scalars(
            select(BoardPost)
            .where(BoardPost.challenge_id == challenge.id, BoardPost.hidden_at.is_(None))
            .options(selectinload(BoardPost.user), selectinload(BoardPost.track))
            .order_by(BoardPost.id.desc())
        )
    )


def my_post(user: Any, challenge: Challenge) -> BoardPost | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(BoardPost).where(
            BoardPost.challenge_id == challenge.id, BoardPost.user_id == user.id
        )
    )


def get_post(challenge: Challenge, post_id: int) -> BoardPost:
    post = db.session.get(BoardPost, post_id)
    if post is None or post.challenge_id != challenge.id:
        raise NotFound(_("No such post."))
    return post


def _text(value: str, field: str, missing: str) -> str:
    text = text_block(value)
    if not text:
        raise DomainError(missing, field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep it under %(n)d characters.", n=MAX_TEXT), field=field)
    return text


def save_post(actor: Actor, challenge: Challenge, data: PostData) -> BoardPost:
    """Put (or update) the actor's post on the challenge's board: by posting they agree that
    signed-in people read it, with their display name."""
    if actor.user is None or not challenge.is_published:
        raise NotFound(_("No such challenge."))
    kind = data.kind if data.kind in {k.value for k in PostKind} else PostKind.INDIVIDUAL.value
    residence, age = check_member_profile(data.residence, data.declared_age)
    track = None
    if data.track_slug:
        track = next((t for t in challenge.tracks if t.slug == data.track_slug), None)
        if track is None:
            raise DomainError(_("Choose one of the challenge's tracks."), field="track")
    post = my_post(actor.user, challenge)
    if post is None:
        post = BoardPost(challenge_id=challenge.id, user_id=actor.user_id)
        db.session.add(post)
    post.kind = kind
    post.offers = _text(data.offers, "offers", _("Say what you offer."))
    post.seeks = _text(data.seeks, "seeks", _("Say what you look for."))
    post.residence = residence
    post.declared_age = age
    post.track = track
    db.session.flush()
    audit.record(actor, "board.posted", obj=post, after={"kind": kind, "residence": residence})
    return post


def withdraw_post(actor: Actor, challenge: Challenge) -> None:
    post = my_post(actor.user, challenge)
    if post is not None:
        audit.record(actor, "board.withdrawn", obj=post)
        db.session.delete(post)


def hide_post(actor: Actor, post: BoardPost, reason: str) -> None:
    """Moderation by an agency taking part: the post leaves the board, with a reason."""
    if not participates(actor.user, post.challenge) and not getattr(
        actor.user, "is_platform_admin", False
    ):
        raise PermissionDenied("not an agency of this challenge")
    text = text_block(reason)
    if not text:
        raise DomainError(_("Give a reason."), field="reason")
    post.hidden_at = clock.now()
    post.hidden_reason = text[:MAX_TEXT]
    audit.record(actor, "board.hidden", obj=post, after={"reason": post.hidden_reason})


def request_contact(actor: Actor, post: BoardPost, message: str) -> ContactRequest:
    """Ask to be put in touch with ``post``'s author: the actor needs a post of their own on
    the board (what they offer and where they live is what the other reads)."""
    mine = my_post(actor.user, post.challenge)
    if mine is None:
        raise DomainError(_("Put your own post on the board first: it is what they will read."))
    if mine.id == post.id:
        raise DomainError(_("This is your own post."))
    if post.hidden_at is not None:
        raise NotFound(_("No such post."))
    text = text_block(message)[:MAX_MESSAGE]
    if not text:
        raise DomainError(_("Write a short message."), field="message")
    existing = db.session.scalar(
        select(ContactRequest).where(
            ContactRequest.post_id == post.id, ContactRequest.from_post_id == mine.id
        )
    )
    if existing is not None:
        raise Conflict(_("You already asked to be put in touch with this person."))
    req = ContactRequest(post=post, from_post=mine, message=text)
    db.session.add(req)
    db.session.flush()
    audit.record(actor, "board.contact_requested", obj=req)
    _mail(
        post,
        _l("Someone on the board of %(title)s would like to team up"),
        "teammates/contact_request",
        message=text,
        offers=mine.offers,
        seeks=mine.seeks,
    )
    return req


def _mail(to_post: BoardPost, subject: Any, template: str, **context: Any) -> None:
    user = to_post.user
    lang = user.preferred_language
    title = to_post.challenge.title_in(lang)
    mail.send_after_commit(
        mail.render_mail(
            template,
            user.email,
            lang,
            LazyFormat(subject, title=title),
            title=title,
            link=external_url("teammates.contacts", slug=to_post.challenge.slug),
            **context,
        )
    )


def get_request(challenge: Challenge, request_id: int) -> ContactRequest:
    req = db.session.get(ContactRequest, request_id)
    if req is None or req.post.challenge_id != challenge.id:
        raise NotFound(_("No such contact request."))
    return req


def answer_request(actor: Actor, req: ContactRequest, accept: bool) -> None:
    """The poster accepts (both see each other's address) or declines."""
    if actor.user is None or req.post.user_id != actor.user_id:
        raise PermissionDenied("not the poster")
    if req.status != ContactStatus.PENDING:
        raise DomainError(_("You already answered this request."))
    req.status = (ContactStatus.ACCEPTED if accept else ContactStatus.DECLINED).value
    req.answered_at = clock.now()
    audit.record(actor, "board.contact_answered", obj=req, after={"status": req.status})
    if accept:
        _mail(
            req.from_post,
            _l("Your contact request on the board of %(title)s was accepted"),
            "teammates/contact_accepted",
        )


@dataclass(frozen=True)
class Contact:
    request: ContactRequest
    other: BoardPost  # the other person's post
    received: bool
    options: list[RouteOption]  # the tracks the two of them could enter together, best first


def contacts(user: Any, challenge: Challenge) -> list[Contact]:
    """The requests the user sent and received on this board, with, for accepted ones, the
    tracks the two of them could enter together."""
    mine = my_post(user, challenge)
    if mine is None:
        return []
    rows = db.session.scalars(
        select(ContactRequest)
        .where(or_(ContactRequest.post_id == mine.id, ContactRequest.from_post_id == mine.id))
        .order_by(ContactRequest.id.desc())
    )
    tracks = tracks_with_rules(challenge)
    found = []
    for req in rows:
        received = req.post_id == mine.id
        other = req.from_post if received else req.post
        options: list[RouteOption] = []
        if req.status == ContactStatus.ACCEPTED:
            options = together(mine, other, tracks)
        found.append(Contact(req, other, received, options))
    return found


def together(a: BoardPost, b: BoardPost, tracks: Any) -> list[RouteOption]:
    """The evaluator's decision for each track, for the team the two posters would form: a
    team's post brings the members of the team it speaks for (``team_of``), an individual
    themself; the first team (else the first poster) leads."""
    teams = [t for t in (team_of(a), team_of(b)) if t is not None]
    members: list[Member] = []
    for post in (a, b):
        team = team_of(post)
        if team is not None:
            members += [
                Member(residence=m.residence, age=m.declared_age, is_lead=False)
                for m in team.members
            ]
        else:
            members.append(Member(residence=post.residence, age=post.declared_age))
    members[0] = replace(members[0], is_lead=True)
    organisation = next((t for t in teams if t.entrant_type in ORGANISATIONS), None)
    profile = TeamProfile(
        entrant_type=EntrantType(organisation.entrant_type) if organisation else EntrantType.TEAM,
        members=tuple(members),
        organisation_country=organisation.organisation_country if organisation else None,
    )
    return route(profile, tracks)


def team_of(post: BoardPost) -> Team | None:
    """For a team's post: the team it speaks for, the newest its poster leads that has not
    entered the challenge yet (the one looking for members); none for an individual."""
    if post.kind != PostKind.TEAM:
        return None
    entered = select(Entry.team_id).where(
        Entry.challenge_id == post.challenge_id, Entry.withdrawn_at.is_(None)
    )
    return db.session.scalar(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            TeamMember.user_id == post.user_id,
            TeamMember.role == TeamRole.LEAD,
            Team.id.not_in(entered),
        )
        .order_by(Team.id.desc())
        .limit(1)
    )


def report_post(actor: Actor, post: BoardPost, reason: str) -> PostReport:
    """Report a post to the agencies of the challenge (they may hide it)."""
    if actor.user is None or post.hidden_at is not None:
        raise NotFound(_("No such post."))
    text = text_block(reason)[:MAX_TEXT]
    if not text:
        raise DomainError(_("Give a reason."), field="reason")
    row = PostReport(post=post, reporter_id=actor.user_id, reason=text)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "board.reported", obj=row, after={"reason": text})
    return row


def reports_by_post(challenge: Challenge) -> dict[int, list[PostReport]]:
    """The reports on the board's visible posts, for the agencies' eyes."""
    rows = db.session.scalars(
        select(PostReport)
        .join(BoardPost, BoardPost.id == PostReport.post_id)
        .where(BoardPost.challenge_id == challenge.id, BoardPost.hidden_at.is_(None))
        .order_by(PostReport.id)
    )
    found: dict[int, list[PostReport]] = {}
    for row in rows:
        found.setdefault(row.post_id, []).append(row)
    return found
