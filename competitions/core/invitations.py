"""One lifecycle for every invitation: to an agency, to partner in a challenge, to a team, to
judge on a panel.

An invitation is sent to an email address and carries a signed link naming the row and its
nonce. It is *open* until it is resolved — accepted, declined (by the addressee) or revoked
(by whoever may invite) — and it expires ``INVITATION_MAX_AGE`` after it was last sent.
Re-inviting the same address re-sends the open invitation with a new nonce, which voids the
links sent before; at most one invitation per address and owner is open (a partial unique
index). Only the signed-in holder of the invited address may answer it.

Each domain keeps its own table (the ``Invitation`` mixin: the same columns and rules) and
describes itself with an ``InvitationKind``; the services below do the common steps and the
domain adds only what accepting means to it (a membership, a track, a team member, a seat on
a panel), its permission checks and its email.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from competitions.core import audit, clock, tokens
from competitions.core.actor import Actor
from competitions.core.db import UTCDateTime
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Resolution(enum.StrEnum):
    """How an invitation was closed (stored; ``expired`` is computed, never stored)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


RESOLUTIONS = tuple(r.value for r in Resolution)


class Invitation:
    """The columns every invitation table has (mixed into each domain's model)."""

    id: Mapped[int]
    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320))
    # Re-sending replaces the nonce, which invalidates links sent earlier.
    nonce: Mapped[str] = mapped_column(sa.String(64), default=tokens.new_nonce)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A closed invitation has a resolution (accepted | declined | revoked), when, and by whom.
    resolution: Mapped[str | None] = mapped_column(sa.String(16))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    @property
    def status(self) -> InvitationStatus:
        if self.resolution is not None:
            return InvitationStatus(self.resolution)
        if self.expires_at <= clock.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING

    def close(self, resolution: Resolution, by_user_id: int | None) -> None:
        self.resolution, self.resolved_at = resolution.value, clock.now()
        self.resolved_by_id = by_user_id


def invitation_rules(table: str, owner: str) -> tuple[Any, ...]:
    """The constraints of an invitation table whose owner (agency, challenge, team, panel) is
    the column ``owner``: a known resolution, with its time, and one open invitation per
    address and owner."""
    unresolved = sa.text("resolution IS NULL")
    return (
        sa.CheckConstraint(
            f"resolution IS NULL OR resolution IN {RESOLUTIONS!r}", name="resolution_valid"
        ),
        sa.CheckConstraint(
            "(resolution IS NULL) = (resolved_at IS NULL)", name="resolution_has_time"
        ),
        sa.Index(
            f"uq_{table}_open",
            owner,
            "email_normalized",
            unique=True,
            sqlite_where=unresolved,
            postgresql_where=unresolved,
        ),
    )


class WrongAddressee(DomainError):
    """The signed-in person is not the one invited (the page says so and offers to sign in
    with the invited address)."""


Inv = TypeVar("Inv", bound=Invitation)


@dataclass(frozen=True)
class InvitationKind(Generic[Inv]):
    """What differs from one kind of invitation to another.

    Its audit events are ``<audit>_sent``, ``_resent``, ``_revoked`` and ``_declined`` (what
    accepting means is the domain's own event). Its links are signed for the table's name, so
    a link to one kind of invitation never opens another.
    """

    model: type[Inv]
    endpoint: str  # the page a link opens, e.g. "agencies.invitation"
    owner: str  # the column naming what it is an invitation to, e.g. "agency_id"
    expired_message: str  # lazily translated: whom to ask for a new one
    audit: str  # the prefix of its audit actions, e.g. "agency.invitation"
    # The agency whose audit log records the invitation's events.
    audit_agency: Callable[[Any], int | None] = lambda inv: None

    @property
    def purpose(self) -> str:
        """The signing salt of its links: "agency-invitation" for ``agency_invitation``."""
        return str(self.model.__tablename__).replace("_", "-")  # type: ignore[attr-defined]

    def action(self, step: str) -> str:
        return f"{self.audit}_{step}"

    def column(self, name: str) -> Any:
        return getattr(self.model, name)

    def token(self, inv: Inv) -> str:
        """The signed token of the invitation's link (a new nonce voids older ones)."""
        return tokens.invitation_token(self.purpose, inv)

    def link(self, inv: Inv) -> str:
        return external_url(self.endpoint, token=self.token(inv))


def _open(kind: InvitationKind[Inv], owner_id: int) -> sa.Select[Inv]:
    return sa.select(kind.model).where(
        kind.column(kind.owner) == owner_id, kind.column("resolution").is_(None)
    )


def open_invitations(kind: InvitationKind[Inv], owner_id: int) -> list[Inv]:
    """Unresolved invitations (expired ones included: they can be re-sent or revoked),
    oldest first."""
    return list(db.session.scalars(_open(kind, owner_id).order_by(kind.column("created_at"))))


def find_open(kind: InvitationKind[Inv], owner_id: int, normalized: str) -> Inv | None:
    """The open (unresolved) invitation of this address to the owner, if there is one."""
    same_address = kind.column("email_normalized") == normalized
    return db.session.scalar(_open(kind, owner_id).where(same_address))


def get(kind: InvitationKind[Inv], owner_id: int, invitation_id: int) -> Inv:
    inv = db.session.get(kind.model, invitation_id)
    if inv is None or getattr(inv, kind.owner) != owner_id:
        raise NotFound(_("No such invitation."))
    return inv


def get_open(kind: InvitationKind[Inv], owner_id: int, invitation_id: int) -> Inv:
    """One of the owner's unresolved invitations (``NotFound`` for any other)."""
    inv = get(kind, owner_id, invitation_id)
    if inv.resolution is not None:
        raise NotFound(_("No such invitation."))
    return inv


def issue(
    actor: Actor,
    kind: InvitationKind[Inv],
    owner_id: int,
    email: tuple[str, str],
    *,
    role: str | None = None,
    values: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Inv, bool]:
    """Send (or re-send, with a fresh link) the invitation of ``email`` — the address as
    typed and normalized — to the owner; flushed and audited. True when it is new.
    ``values`` are set on the row (and audited), ``details`` only audited.

    The caller has checked that ``actor`` may invite, and sends the email with
    ``kind.link(inv)``.
    """
    display, normalized = email
    inv = find_open(kind, owner_id, normalized)
    created = inv is None
    if inv is None:
        inv = kind.model()
        inv.email, inv.email_normalized = display, normalized
        setattr(inv, kind.owner, owner_id)
    now = clock.now()
    inv.nonce, inv.invited_by_id = tokens.new_nonce(), actor.user_id
    inv.sent_at = now
    inv.expires_at = now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    for name, value in (values or {}).items():
        setattr(inv, name, value)
    db.session.add(inv)  # complete before any flush can write it
    db.session.flush()
    audit.record(
        actor,
        kind.action("sent" if created else "resent"),
        obj=inv,
        agency_id=kind.audit_agency(inv),
        role=role,
        after={"email": display, **(values or {}), **(details or {})},
    )
    return inv, created


def revoke(actor: Actor, kind: InvitationKind[Inv], inv: Inv, *, role: str | None = None) -> None:
    """Withdraw an open invitation (the caller has checked that ``actor`` may)."""
    if inv.resolution is not None:
        raise Conflict(_("This invitation is already closed."))
    inv.close(Resolution.REVOKED, actor.user_id)
    audit.record(
        actor, kind.action("revoked"), obj=inv, agency_id=kind.audit_agency(inv), role=role
    )


def from_token(kind: InvitationKind[Inv], token: str) -> Inv:
    """The open invitation a link points to, or a ``DomainError`` saying why it is unusable."""
    expired = str(kind.expired_message)
    inv = tokens.invitation_from_token(kind.purpose, token, kind.model, expired)
    status = inv.status
    if status == InvitationStatus.EXPIRED:
        raise DomainError(expired)
    if status != InvitationStatus.PENDING:
        raise DomainError(_("This invitation has already been used or was withdrawn."))
    return inv


def addressee(actor: Actor, inv: Invitation) -> Any:
    """The signed-in user, who must hold the invited address (``WrongAddressee`` otherwise)."""
    user = actor.user
    if user is None:
        raise WrongAddressee(_("Sign in to answer this invitation."))
    if getattr(user, "email_normalized", None) != inv.email_normalized:
        raise WrongAddressee(
            _(
                "This invitation was sent to %(invited)s, but you are signed in as %(you)s. "
                "Sign in with the invited address to answer it.",
                invited=inv.email,
                you=user.email,
            )
        )
    return user


R = TypeVar("R")


def accept(
    actor: Actor, kind: InvitationKind[Inv], token: str, effect: Callable[[Inv, Any], R]
) -> R:
    """Check the link and its addressee, apply the domain's ``effect(inv, user)`` — what
    accepting means to it, with its own checks and audit event — then close the invitation as
    accepted. Following the emailed link proves the address: an unverified account is
    verified."""
    inv = from_token(kind, token)
    user = addressee(actor, inv)
    result = effect(inv, user)
    if getattr(user, "email_verified_at", True) is None:
        user.email_verified_at = clock.now()
    inv.close(Resolution.ACCEPTED, user.id)
    return result


def decline(actor: Actor, kind: InvitationKind[Inv], token: str) -> Inv:
    inv = from_token(kind, token)
    user = addressee(actor, inv)
    inv.close(Resolution.DECLINED, user.id)
    audit.record(actor, kind.action("declined"), obj=inv, agency_id=kind.audit_agency(inv))
    return inv
