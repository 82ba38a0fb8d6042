"""Agency pages: the public directory, each agency's console, members, invitations, audit."""

from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.accounts.permissions import can_view_audit_log
from competitions.agencies import bp, permissions, services
from competitions.agencies.forms import AgencyForm, AuditFilterForm, InviteForm, LogoForm, RoleForm
from competitions.agencies.models import Agency, AgencyInvitation
from competitions.core import audit
from competitions.core.audit_words import audit_changes, label_fields
from competitions.core.invitation_console import withdraw_invitation
from competitions.core.invitation_page import invitation_page
from competitions.core.params import paginate
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard, require


def _is_field(value: object) -> bool:
    return hasattr(value, "field_class") and bool(getattr(value, "args", ()))


def _data(form: AgencyForm) -> services.AgencyData:
    return services.AgencyData(
        name=form.name.data or "",
        slug=form.slug.data or "",
        jurisdiction=form.jurisdiction.data or "",
        timezone=form.timezone.data or "",
        languages=list(form.languages.data or []),
        short_name=form.short_name.data,
        website=form.website.data,
        require_mfa=bool(form.require_mfa.data),
    )


# --- public ---------------------------------------------------------------------------------


@bp.route("/agencies/")
def directory() -> ResponseReturnValue:
    return render_template("agencies/directory.html", agencies=services.list_agencies())


@bp.route("/agencies/<slug>")
def public_profile(slug: str) -> ResponseReturnValue:
    return render_template("agencies/profile.html", agency=services.get_agency(slug))


@bp.route("/agencies/<slug>/logo")
def logo(slug: str) -> ResponseReturnValue:
    agency = services.get_agency(slug)
    fh = services.open_logo(agency)
    resp = send_file(
        fh,
        mimetype=agency.logo_mime or "application/octet-stream",
        max_age=3600,
        etag=agency.logo_key or False,
    )
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# --- console (members of the agency) --------------------------------------------------------


@bp.signed_in("/agencies/<slug>/console")
def console(slug: str) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_view_agency_console)
    return _console_page(agency, InviteForm())


def _console_page(
    agency: Agency, invite_form: InviteForm, status: int = 200
) -> ResponseReturnValue:
    can_manage = permissions.can_manage_agency(current_user, agency)
    return render_template(
        "agencies/console.html",
        agency=agency,
        members=services.members(agency),
        invitations=services.open_invitations(agency) if can_manage else [],
        invite_form=invite_form,
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
        can_manage=can_manage,
    ), status


@bp.signed_in("/agencies/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    form = AgencyForm(obj=agency)
    logo_form = LogoForm(prefix="logo")
    identity_locked = not permissions.can_edit_identity(current_user, agency)
    if identity_locked:
        form.slug.render_kw = {**(form.slug.render_kw or {}), "readonly": True}
        form.jurisdiction.render_kw = {**(form.jurisdiction.render_kw or {}), "disabled": True}
        if not form.jurisdiction.raw_data:  # a disabled select is not sent: it stays as is
            form.jurisdiction.data = agency.jurisdiction
    if form.validate_on_submit():
        with attempt(form, success=_("The agency's settings were saved.")) as done:
            services.update_agency(current_actor(), agency, _data(form))
        if done:
            return redirect(url_for("agencies.settings", slug=agency.slug))
    return render_template(
        "agencies/settings.html",
        agency=agency,
        form=form,
        logo_form=logo_form,
        confirm_form=ConfirmForm(),
        identity_locked=identity_locked,
    )


@bp.signed_in("/agencies/<slug>/logo", methods=["POST"])
def upload_logo(slug: str) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    form = LogoForm(prefix="logo")
    if form.validate_on_submit():
        upload = form.logo.data
        if not upload or not getattr(upload, "filename", ""):
            flash(_("Choose an image file to upload."), "danger")
        else:
            with attempt(success=_("The logo was updated.")):
                services.set_logo(current_actor(), agency, upload.stream)
    return redirect(url_for("agencies.settings", slug=agency.slug))


@bp.signed_in("/agencies/<slug>/logo/remove", methods=["POST"])
def remove_logo(slug: str) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The logo was removed."), category="info"):
            services.remove_logo(current_actor(), agency)
    return redirect(url_for("agencies.settings", slug=agency.slug))


@bp.signed_in("/agencies/<slug>/members/invite", methods=["POST"])
def invite(slug: str) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    form = InviteForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            inv = services.invite_member(
                current_actor(), agency, form.email.data or "", form.role.data or ""
            )
        if done:
            flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
            return redirect(url_for("agencies.console", slug=agency.slug))
    return _console_page(agency, form, 400)


@bp.signed_in("/agencies/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    inv = services.get_invitation(agency, invitation_id)
    revoke = partial(services.revoke_invitation, current_actor(), inv)
    withdraw_invitation(ConfirmForm(), inv, revoke)
    return redirect(url_for("agencies.console", slug=agency.slug))


@bp.signed_in("/agencies/<slug>/members/<int:membership_id>/role", methods=["POST"])
def change_role(slug: str, membership_id: int) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_manage_agency)
    membership = services.get_membership(agency, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        changed = _("The role of %(name)s was changed.", name=membership.user.display_name)
        with attempt(success=changed):
            services.change_role(current_actor(), membership, form.role.data or "")
    return redirect(url_for("agencies.console", slug=agency.slug))


@bp.signed_in("/agencies/<slug>/members/<int:membership_id>/remove", methods=["POST"])
def remove_member(slug: str, membership_id: int) -> ResponseReturnValue:
    agency = guard(services.get_agency(slug), permissions.can_view_agency_console)
    membership = services.get_membership(agency, membership_id)
    is_self = membership.user_id == current_user.id
    require(
        is_self or permissions.can_manage_agency(current_user, agency),
        membership,
        agency_id=agency.id,
    )
    if ConfirmForm().validate_on_submit():
        name = membership.user.display_name
        with attempt() as done:
            services.remove_member(current_actor(), membership)
        if done and is_self:
            flash(_("You left %(agency)s.", agency=agency.name), "info")
            return redirect(url_for("core.home"))
        if done:
            flash(_("%(name)s was removed from the agency.", name=name), "info")
    return redirect(url_for("agencies.console", slug=agency.slug))


@bp.signed_in("/agencies/<slug>/audit")
def agency_audit(slug: str) -> ResponseReturnValue:
    return _audit_page(guard(services.get_agency(slug), permissions.can_view_agency_audit))


# --- invitations (addressee) ----------------------------------------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    def accept(inv: AgencyInvitation) -> tuple[str, str]:
        membership = services.accept_invitation(current_actor(), token)
        agency = membership.agency
        joined = _("You joined %(agency)s.", agency=agency.name)
        return joined, url_for("agencies.console", slug=agency.slug)

    return invitation_page(
        services.INVITATIONS, token, ConfirmForm(), "agencies/invitation.html", accept
    )


# --- platform administration ----------------------------------------------------------------


@bp.signed_in("/admin/")
def admin_home() -> ResponseReturnValue:
    require(permissions.can_create_agency(current_user))
    return render_template(
        "admin/home.html",
        agencies=services.list_agencies(),
        without_admin={a.id for a in services.agencies_needing_admin_notice()},
    )


@bp.signed_in("/admin/agencies/new", methods=["GET", "POST"])
def create_agency() -> ResponseReturnValue:
    require(permissions.can_create_agency(current_user))
    form = AgencyForm()
    if request.method == "GET":
        form.languages.data = ["en"]
        form.timezone.data = "UTC"
    if form.validate_on_submit():
        with attempt(form) as done:
            agency = services.create_agency(current_actor(), _data(form))
        if done:
            flash(
                _(
                    "Agency %(name)s created. Invite its first administrator below.",
                    name=agency.name,
                ),
                "success",
            )
            return redirect(url_for("agencies.console", slug=agency.slug))
    return render_template("admin/agency_new.html", form=form)


@bp.signed_in("/admin/audit")
def platform_audit() -> ResponseReturnValue:
    require(can_view_audit_log(current_user))
    return _audit_page(None)


# The audit log names an agency's fields as its settings page does.
label_fields({name: field.args[0] for name, field in vars(AgencyForm).items() if _is_field(field)})
bp.add_app_template_global(audit_changes, "audit_changes")


def _audit_page(agency: Agency | None) -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    form.validate()
    stmt = audit.events_query(
        agency_id=agency.id if agency else None,
        action=form.action.data or None,
        actor=form.actor.data or None,
    )
    page = paginate(stmt, current_app.config["AUDIT_PAGE_SIZE"], max_per_page=200)
    return render_template("admin/audit.html", agency=agency, page=page, form=form)
