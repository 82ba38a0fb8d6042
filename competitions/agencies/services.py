"""Agency services: create and configure agencies, invite and manage their members.

Each service checks authorization itself (the rules in ``permissions.py``), so web, CLI and
API callers cannot forget it, and raises ``NotFound`` for another agency's objects.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only

from competitions.accounts.models import User
from competitions.accounts.services import check_email, find_by_email
from competitions.agencies import permissions
from competitions.agencies.models import Agency, AgencyInvitation, Membership, Role
from competitions.core import audit, invitations, mail
from competitions.core.actor import Actor
from competitions.core.after_commit import run_after_commit
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied, must_exist
from competitions.core.extensions import db
from competitions.core.i18n import is_valid_jurisdiction, is_valid_timezone, languages
from competitions.core.storage import TooLarge, get_storage, sniff_image
from competitions.core.text import one_line, required_line
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l

log = logging.getLogger(__name__)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "admin", "api", "static", "invitations"})


@dataclass(frozen=True)
class AgencyData:
    """What an agency's settings page edits: its columns of the same names."""

    name: str
    slug: str
    jurisdiction: str
    timezone: str
    languages: list[str]
    short_name: str | None = None
    website: str | None = None
    require_mfa: bool = False


def _check(data: AgencyData) -> AgencyData:
    name = required_line(
        data.name,
        "name",
        200,
        _("Enter the agency's name."),
        _("The name must be 200 characters or fewer."),
    )
    slug = data.slug.strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise DomainError(
            _(
                "Use 1 to 64 lower-case letters, digits and hyphens, not starting or ending "
                "with a hyphen (for example: csa or new-york)."
            ),
            field="slug",
        )
    jurisdiction = data.jurisdiction.strip().upper()
    if not is_valid_jurisdiction(jurisdiction):
        raise DomainError(
            _(
                "%(code)s is not an ISO 3166 country or subdivision. Choose one from the list.",
                code=jurisdiction or "—",
            ),
            field="jurisdiction",
        )
    if not is_valid_timezone(data.timezone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    langs = [code for code in languages() if code in set(data.languages)]
    if not langs:
        raise DomainError(_("Select at least one language."), field="languages")
    website = one_line(data.website) or None
    if website and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", website):
        raise DomainError(_("Enter a web address starting with https://."), field="website")
    short = one_line(data.short_name) or None
    if short and len(short) > 40:
        raise DomainError(_("The short name must be 40 characters or fewer."), field="short_name")
    return AgencyData(
        name, slug, jurisdiction, data.timezone, langs, short, website, data.require_mfa
    )


def get_agency(slug: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    return must_exist(agency, _("No such agency."))


def list_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(func.lower(Agency.name))))


def agency_choices() -> list[Agency]:
    """Agencies by name, with only what a filter or a link needs."""
    return list(
        db.session.scalars(
            select(Agency)
            .options(load_only(Agency.slug, Agency.name, Agency.short_name))
            .order_by(func.lower(Agency.name))
        )
    )


def create_agency(actor: Actor, data: AgencyData) -> Agency:
    if not permissions.can_create_agency(actor.user):
        raise PermissionDenied(_("Only platform administrators can create agencies."))
    data = _check(data)
    if db.session.scalar(select(Agency.id).where(Agency.slug == data.slug)) is not None:
        raise Conflict(_("Another agency already uses this short address."), field="slug")
    agency = Agency(**asdict(data))
    return audit.created(actor, "agency.created", agency, after=agency.snapshot())


def record_in(actor: Actor, agency: Agency, action: str, obj: Any, **change: Any) -> None:
    """Audit ``action`` on ``obj`` in ``agency``'s log, with the actor's role there."""
    role = permissions.role_in(actor.user, agency)
    audit.record(actor, action, obj=obj, agency_id=agency.id, role=role, **change)


def _require_manage(actor: Actor, agency: Agency) -> None:
    if not permissions.can_manage_agency(actor.user, agency):
        raise NotFound(_("No such agency."))


def update_agency(actor: Actor, agency: Agency, data: AgencyData) -> None:
    _require_manage(actor, agency)
    data = _check(data)
    identity_changed = (data.slug, data.jurisdiction) != (agency.slug, agency.jurisdiction)
    if identity_changed and not permissions.can_edit_identity(actor.user, agency):
        # The admin may edit the agency, only not these fields: a message on the form.
        raise DomainError(
            _("Only platform administrators can change an agency's address or jurisdiction."),
            field="slug" if data.slug != agency.slug else "jurisdiction",
        )
    if data.slug != agency.slug and db.session.scalar(
        select(Agency.id).where(Agency.slug == data.slug)
    ):
        raise Conflict(_("Another agency already uses this short address."), field="slug")
    before = agency.snapshot()
    agency.name, agency.slug, agency.short_name = data.name, data.slug, data.short_name
    agency.jurisdiction, agency.timezone = data.jurisdiction, data.timezone
    agency.languages, agency.website = data.languages, data.website
    agency.require_mfa = data.require_mfa
    after = agency.snapshot()
    if after != before:
        record_in(actor, agency, "agency.updated", agency, before=before, after=after)


def set_logo(actor: Actor, agency: Agency, stream: IO[bytes]) -> None:
    """Store a PNG, JPEG or WebP logo (checked by content, capped in size)."""
    _require_manage(actor, agency)
    head = stream.read(16)
    mime = sniff_image(head)
    if mime is None:
        raise DomainError(_("The logo must be a PNG, JPEG or WebP image."), field="logo")
    limit = current_app.config["LOGO_MAX_BYTES"]
    storage = get_storage()

    class _Prefixed:
        def __init__(self) -> None:
            self.head: bytes | None = head

        def read(self, n: int = -1) -> bytes:
            if self.head is not None:
                out, self.head = self.head, None
                return out
            return stream.read(n)

    try:
        stored = storage.save(_Prefixed(), limit)  # type: ignore[arg-type]
    except TooLarge as exc:
        raise DomainError(
            _("The logo must be %(kb)d KB or smaller.", kb=limit // 1024), field="logo"
        ) from exc
    old = agency.logo_key
    agency.logo_key, agency.logo_mime = stored.key, mime
    if old:
        run_after_commit(lambda: storage.delete(old))
    after = {"logo": stored.key, "sha256": stored.sha256, "size": stored.size}
    record_in(actor, agency, "agency.logo_changed", agency, before={"logo": old}, after=after)


def open_logo(agency: Agency) -> IO[bytes]:
    """The agency's logo file (``NotFound`` when it has none, or its file is missing)."""
    if not agency.logo_key:
        raise NotFound(_("No logo."))
    try:
        return get_storage().open(agency.logo_key)
    except (FileNotFoundError, ValueError) as exc:
        log.error("logo file missing for agency %s: %s", agency.slug, agency.logo_key)
        raise NotFound(_("No logo.")) from exc


def remove_logo(actor: Actor, agency: Agency) -> None:
    _require_manage(actor, agency)
    if agency.logo_key is None:
        return
    record_in(actor, agency, "agency.logo_removed", agency, before={"logo": agency.logo_key})
    old, storage = agency.logo_key, get_storage()
    run_after_commit(lambda: storage.delete(old))
    agency.logo_key = agency.logo_mime = None


# --- members and invitations -------------------------------------------------------------


def members(agency: Agency) -> list[Membership]:
    """Administrators first, then by name; users loaded in the same query."""
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.agency_id == agency.id)
        .options(joinedload(Membership.user))
    )
    return sorted(rows, key=lambda m: (m.role != Role.ADMIN, m.user.display_name.casefold()))


INVITATIONS = invitations.InvitationKind(
    model=AgencyInvitation,
    endpoint="agencies.invitation",
    owner="agency_id",
    expired_message=_l("This invitation has expired. Ask the agency to send a new one."),
    audit="agency.invitation",
    audit_agency=lambda inv: inv.agency_id,
)


def _send_invitation(actor: Actor, inv: AgencyInvitation, lang: str) -> None:
    inviter = actor.user.email if actor.user is not None else None
    mail.send_after_commit(
        mail.render_mail(
            "agencies/invitation",
            inv.email,
            lang,
            _l("You are invited to join %(agency)s on Tandem", agency=inv.agency.name),
            invitation=inv,
            inviter=inviter,
            link=INVITATIONS.link(inv),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        ),
    )


def _check_role(role: str) -> str:
    if role not in (Role.ADMIN, Role.STAFF):
        raise DomainError(_("Choose a role: administrator or staff."), field="role")
    return role


def invite_member(actor: Actor, agency: Agency, email: str, role: str) -> AgencyInvitation:
    """Invite ``email`` to the agency; re-sends (with a fresh link) an open invitation."""
    _require_manage(actor, agency)
    role = _check_role(role)
    display, normalized = check_email(email)
    existing_user = find_by_email(normalized)
    if existing_user is not None and permissions.membership_of(existing_user, agency):
        raise Conflict(
            _("%(email)s is already a member of this agency.", email=display), field="email"
        )
    inv, _created = invitations.issue(
        actor,
        INVITATIONS,
        agency.id,
        (display, normalized),
        role=permissions.role_in(actor.user, agency),
        values={"role": role},
    )
    lang = existing_user.preferred_language if existing_user else (agency.languages or ["en"])[0]
    _send_invitation(actor, inv, lang)
    return inv


def open_invitations(agency: Agency) -> list[AgencyInvitation]:
    return invitations.open_invitations(INVITATIONS, agency.id)


def get_invitation(agency: Agency, invitation_id: int) -> AgencyInvitation:
    return invitations.get(INVITATIONS, agency.id, invitation_id)


def revoke_invitation(actor: Actor, inv: AgencyInvitation) -> None:
    _require_manage(actor, inv.agency)
    invitations.revoke(actor, INVITATIONS, inv, role=permissions.role_in(actor.user, inv.agency))


def accept_invitation(actor: Actor, token: str) -> Membership:
    """Join the agency with the invitation's role (a member already keeps their role)."""

    def join(inv: AgencyInvitation, user: User) -> Membership:
        membership = permissions.membership_of(user, inv.agency)
        if membership is None:
            membership = Membership(user=user, agency=inv.agency, role=inv.role)
            db.session.add(membership)
        db.session.flush()
        audit.record(
            actor,
            "agency.invitation_accepted",
            obj=inv,
            agency_id=inv.agency_id,
            role=f"agency_{membership.role}",
            after={"role": membership.role},
        )
        return membership

    return invitations.accept(actor, INVITATIONS, token, join)


def decline_invitation(actor: Actor, token: str) -> AgencyInvitation:
    return invitations.decline(actor, INVITATIONS, token)


def get_membership(agency: Agency, membership_id: int) -> Membership:
    m = db.session.get(Membership, membership_id)
    if m is None or m.agency_id != agency.id:
        raise NotFound(_("No such member."))
    return m


def _admin_count(agency: Agency) -> int:
    """Administrators of ``agency``, counted under a lock on the agency row (PostgreSQL) so
    two admins demoting each other at once cannot leave the agency without one."""
    db.session.execute(select(Agency.id).where(Agency.id == agency.id).with_for_update())
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.agency_id == agency.id, Membership.role == Role.ADMIN)
        )
        or 0
    )


def _keep_an_admin(agency: Agency, membership: Membership) -> None:
    """An agency keeps at least one administrator: its last one can neither step down nor
    leave."""
    if membership.role == Role.ADMIN and _admin_count(agency) <= 1:
        raise Conflict(
            _(
                "An agency needs at least one administrator. Make someone else an administrator "
                "first."
            )
        )


def change_role(actor: Actor, membership: Membership, role: str) -> None:
    agency = membership.agency
    _require_manage(actor, agency)
    role = _check_role(role)
    if membership.role == role:
        return
    _keep_an_admin(agency, membership)
    before = {"role": membership.role}
    membership.role = role
    after = {"role": role}
    record_in(actor, agency, "agency.member_role_changed", membership, before=before, after=after)


def remove_member(actor: Actor, membership: Membership) -> None:
    agency = membership.agency
    is_self = membership.user_id == actor.user_id
    if not is_self:
        _require_manage(actor, agency)
    _keep_an_admin(agency, membership)
    action = "agency.member_left" if is_self else "agency.member_removed"
    before = {"email": membership.user.email, "role": membership.role}
    record_in(actor, agency, action, membership, before=before)
    db.session.delete(membership)
    db.session.flush()
    # Keep the loaded collections truthful for permission checks later in this request.
    db.session.expire(membership.user, ["memberships"])
    db.session.expire(agency, ["memberships"])


def agencies_needing_admin_notice() -> list[Agency]:
    """Agencies without any administrator (shown to platform admins)."""
    admins = select(Membership.agency_id).where(Membership.role == Role.ADMIN)
    return list(db.session.scalars(select(Agency).where(Agency.id.not_in(admins))))
