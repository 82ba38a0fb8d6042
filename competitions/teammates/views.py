"""The teammates board of a challenge (signed-in people only), one's own post, contact
requests and their answers, and the agencies' moderation."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.challenges import services as challenge_services
from competitions.challenges.eligibility import status_label
from competitions.challenges.models import Challenge
from competitions.challenges.permissions import can_view_console
from competitions.core.extensions import limiter
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, flash_errors, require
from competitions.entries.forms import InviteMemberForm
from competitions.entries.permissions import is_lead
from competitions.entries.teams import my_teams
from competitions.teammates import bp, services
from competitions.teammates.forms import AnswerContactForm, ContactForm, HideForm, PostForm


def _challenge(slug: str) -> Challenge:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    require(challenge.is_published, challenge)
    return challenge


def _board_url(challenge: Challenge, anchor: str | None = None) -> str:
    return url_for("teammates.board", slug=challenge.slug, _anchor=anchor)


@bp.signed_in("/challenges/<slug>/teammates")
def board(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    moderator = can_view_console(current_user, challenge)
    return render_template(
        "teammates/board.html",
        challenge=challenge,
        posts=services.board(challenge),
        mine=services.my_post(current_user, challenge),
        contact_form=ContactForm(formdata=None),
        hide_form=HideForm(formdata=None) if moderator else None,
        reports=services.reports_by_post(challenge) if moderator else {},
    )


@bp.signed_in("/challenges/<slug>/teammates/mine", methods=["GET", "POST"])
def my_post(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    lang = current_language()
    form = PostForm()
    form.track.choices = [SelectChoice("", _("Any track"))] + [
        SelectChoice(t.slug, t.name_in(lang)) for t in challenge.tracks
    ]
    post = services.my_post(current_user, challenge)
    if request.method == "GET":
        if post is not None:
            form.kind.data, form.offers.data, form.seeks.data = post.kind, post.offers, post.seeks
            form.residence.data = post.residence
            form.declared_age.data = post.declared_age
            form.track.data = post.track.slug if post.track else ""
        else:
            form.residence.data = current_user.country
    if form.validate_on_submit():
        data = services.PostData(
            form.kind.data or "",
            form.offers.data or "",
            form.seeks.data or "",
            form.residence.data or "",
            form.track.data or "",
            form.declared_age.data,
        )
        with attempt(form, success=_("Your post is on the board.")) as done:
            services.save_post(current_actor(), challenge, data)
        if done:
            return redirect(_board_url(challenge))
    return render_template("teammates/post.html", challenge=challenge, form=form, post=post), (
        400 if form.errors else 200
    )


@bp.signed_in("/challenges/<slug>/teammates/mine/withdraw", methods=["POST"])
def withdraw(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    if HideForm().validate_on_submit():
        with attempt(success=_("Your post is off the board.")):
            services.withdraw_post(current_actor(), challenge)
    return redirect(_board_url(challenge))


def _contact_limit() -> str:
    return str(current_app.config["RATELIMIT_CONTACT"])


@bp.signed_in("/challenges/<slug>/teammates/<int:post_id>/contact", methods=["POST"])
@limiter.limit(_contact_limit)
def contact(slug: str, post_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    post = services.get_post(challenge, post_id)
    form = ContactForm()
    if form.validate_on_submit():
        with attempt(success=_("Your request is sent. You will see their answer here.")):
            services.request_contact(current_actor(), post, form.message.data or "")
    else:
        flash_errors(form)
    return redirect(url_for("teammates.contacts", slug=challenge.slug))


@bp.signed_in("/challenges/<slug>/teammates/contacts")
def contacts(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    return render_template(
        "teammates/contacts.html",
        challenge=challenge,
        contacts=services.contacts(current_user, challenge),
        led=[t for t in my_teams(current_user) if is_lead(current_user, t)],
        status_label=status_label,
        answer_form=AnswerContactForm(formdata=None),
        invite_form=InviteMemberForm(formdata=None),
    )


@bp.signed_in("/challenges/<slug>/teammates/contacts/<int:request_id>", methods=["POST"])
def answer(slug: str, request_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    req = services.get_request(challenge, request_id)
    form = AnswerContactForm()
    if form.validate_on_submit():
        accept = form.accept.data == "yes"
        message = _("Accepted: you now see each other's address.") if accept else _("Declined.")
        with attempt(success=message):
            services.answer_request(current_actor(), req, accept)
    return redirect(url_for("teammates.contacts", slug=challenge.slug))


@bp.signed_in("/challenges/<slug>/teammates/<int:post_id>/hide", methods=["POST"])
def hide(slug: str, post_id: int) -> ResponseReturnValue:
    challenge = challenge_services.get_challenge(slug)
    require(can_view_console(current_user, challenge), challenge)
    post = services.get_post(challenge, post_id)
    form = HideForm()
    if form.validate_on_submit():
        with attempt(success=_("The post is hidden from the board.")):
            services.hide_post(current_actor(), post, form.reason.data or "")
    return redirect(_board_url(challenge))


@bp.signed_in("/challenges/<slug>/teammates/<int:post_id>/report", methods=["POST"])
@limiter.limit(_contact_limit)
def report(slug: str, post_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    post = services.get_post(challenge, post_id)
    form = HideForm()
    if form.validate_on_submit():
        with attempt(success=_("Thank you: the agencies will look at this post.")):
            services.report_post(current_actor(), post, form.reason.data or "")
    return redirect(_board_url(challenge))
