"""Creating a challenge, its console, its texts, and its partners: the lead agency invites
partner agencies, whose admins answer the invitation by adding their agency's track."""

from __future__ import annotations

from functools import partial

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.agencies import services as agency_services
from competitions.agencies.permissions import can_view_agency_console
from competitions.challenges import bp, permissions, services, setup
from competitions.challenges.forms import (
    AcceptPartnerForm,
    ChallengeForm,
    PartnerInviteForm,
    TextsForm,
)
from competitions.challenges.models import Challenge, PartnerInvitation
from competitions.challenges.services import partners as partner_services
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import invitations
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import current_language
from competitions.core.invitation_console import send_invitation, withdraw_invitation
from competitions.core.invitation_page import invitation_page
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard, require


def _texts(form: ChallengeForm | TextsForm, challenge: Challenge | None = None) -> services.Texts:
    """The texts of the form, over those stored in languages it does not show."""
    return services.Texts(
        *(
            per_language(form, prefix, getattr(challenge, prefix, None))
            for prefix in ("title", "summary", "description")
        )
    )


@bp.signed_in("/agencies/<slug>/challenges/new", methods=["GET", "POST"])
def create(slug: str) -> ResponseReturnValue:
    agency = agency_services.get_agency(slug)
    require(permissions.can_create_challenge(current_user, agency.id), agency)
    form = ChallengeForm()
    if request.method == "GET":
        form.timezone.data = agency.timezone
    if form.validate_on_submit():
        created = _("Challenge created as a draft. Invite partner agencies and build the timeline.")
        with attempt(form, success=created) as done:
            challenge = services.create_challenge(
                current_actor(), agency, form.slug.data or "", _texts(form), form.timezone.data
            )
        if done:
            return redirect(url_for("challenges.console", slug=challenge.slug))
    return render_template("challenges/manage/new.html", form=form, agency=agency)


@bp.signed_in("/agencies/<slug>/challenges")
def agency_challenges(slug: str) -> ResponseReturnValue:
    agency = guard(agency_services.get_agency(slug), can_view_agency_console)
    return render_template(
        "challenges/manage/agency_challenges.html",
        agency=agency,
        challenges=services.agency_challenges(agency),
        can_create=permissions.can_create_challenge(current_user, agency.id),
    )


@bp.signed_in("/challenges/<slug>/manage")
def console(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    can_manage = permissions.can_manage_challenge(current_user, challenge)
    setup_steps = setup.steps(challenge)
    return render_template(
        "challenges/manage/console.html",
        challenge=challenge,
        can_manage=can_manage,
        editable={t.id for t in permissions.editable_tracks(current_user, challenge)},
        can_ready={t.id for t in challenge.tracks if permissions.can_mark_ready(current_user, t)},
        problems={t.id: track_services.readiness_problems(t) for t in challenge.tracks},
        publication_problems=services.publication_problems(challenge),
        setup_steps=setup_steps,
        next_step=setup.next_for(setup_steps, current_user),
        invitations=partner_services.open_partner_invitations(challenge) if can_manage else [],
        invite_form=PartnerInviteForm(),
        confirm_form=ConfirmForm(),
        changes=[
            (change, timeline_services.change_subject(change, current_language()))
            for change in timeline_services.timeline_changes(challenge)
        ],
    )


@bp.signed_in("/challenges/<slug>/manage/details", methods=["GET", "POST"])
def details(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    form = TextsForm(content_languages=challenge.declared_languages)
    if request.method == "GET":
        for prefix in ("title", "summary", "description"):
            fill_per_language(form, prefix, getattr(challenge, prefix))
    if form.validate_on_submit():
        with attempt(form, success=_("The challenge's texts were saved.")) as done:
            services.update_texts(current_actor(), challenge, _texts(form, challenge))
        if done:
            return redirect(url_for("challenges.console", slug=challenge.slug))
    return render_template("challenges/manage/details.html", form=form, challenge=challenge)


@bp.signed_in("/challenges/<slug>/manage/partners", methods=["POST"])
def invite_partner(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    invite = partial(partner_services.invite_partner, current_actor(), challenge)
    send_invitation(PartnerInviteForm(), invite)
    return redirect(url_for("challenges.console", slug=challenge.slug) + "#partners")


@bp.signed_in("/challenges/<slug>/manage/partners/<int:invitation_id>/revoke", methods=["POST"])
def revoke_partner(slug: str, invitation_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    inv = invitations.get_open(partner_services.INVITATIONS, challenge.id, invitation_id)
    revoke = partial(partner_services.revoke_partner_invitation, current_actor(), inv)
    withdraw_invitation(ConfirmForm(), inv, revoke)
    return redirect(url_for("challenges.console", slug=challenge.slug) + "#partners")


@bp.route("/partner-invitations/<token>", methods=["GET", "POST"])
def partner_invitation(token: str) -> ResponseReturnValue:
    form = AcceptPartnerForm()

    def prepare(inv: PartnerInvitation) -> str | None:
        choices = partner_services.agencies_that_can_join(current_user, inv.challenge)
        form.agency.choices = [(a.id, a.name) for a in choices]
        if choices:
            return None
        return _(
            "You do not administer an agency that could join this challenge. Ask a "
            "platform administrator to create your agency, or its administrator to "
            "invite you."
        )

    def accept(inv: PartnerInvitation) -> tuple[str, str]:
        track = partner_services.accept_partner_invitation(
            current_actor(), token, form.agency.data or 0
        )
        added = _("Your agency's track was added. Configure it and mark it ready.")
        return added, url_for(
            "challenges.edit_track", slug=inv.challenge.slug, track_slug=track.slug
        )

    return invitation_page(
        partner_services.INVITATIONS,
        token,
        form,
        "challenges/manage/partner_invitation.html",
        accept,
        prepare=prepare,
    )
