"""Follow a challenge, confirm from the email, manage or stop it from any email's link."""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from competitions.challenges.models import Challenge
from competitions.core.extensions import csrf, limiter
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.core.web import attempt, current_actor
from competitions.outreach import bp, services
from competitions.outreach.forms import FollowForm, PreferencesForm
from competitions.outreach.models import Announcement


def _follow_limit() -> str:
    return str(current_app.config["RATELIMIT_FOLLOW"])


@bp.route("/challenges/<slug>/follow", methods=["GET", "POST"])
@limiter.limit(_follow_limit, methods=["POST"])
def follow(slug: str) -> ResponseReturnValue:
    challenge = services.published_challenge(slug)
    form = FollowForm()
    if request.method == "GET":
        form.language.data = current_language()
    elif form.validate_on_submit():
        with attempt(form) as done:
            services.follow(
                current_actor(), challenge, form.email.data or "", form.language.data or ""
            )
        if done:
            return render_template(
                "outreach/check_inbox.html",
                challenge=challenge,
                email=form.email.data,
            )
    return render_template("outreach/follow.html", challenge=challenge, form=form), (
        400 if form.errors else 200
    )


def _link_problem(message: str, status: int) -> ResponseReturnValue:
    return render_template("outreach/link_problem.html", message=message), status


@bp.route("/follow/<token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    """GET only shows a button: mail scanners open links, and must not confirm for anyone."""
    try:
        sub = services.from_token(token, current_app.config["SUBSCRIPTION_CONFIRM_MAX_AGE"])
    except services.LinkExpired as err:
        return _link_problem(err.message, 410)
    form = PreferencesForm()
    if request.method == "POST" and form.validate_on_submit():
        with attempt(form, success=_("Done: you now follow this challenge.")) as done:
            services.confirm(current_actor(), token)
        if done:
            return redirect(url_for("outreach.preferences", token=token))
        if done.error is not None:
            return _link_problem(done.error.message, 409)
    return render_template("outreach/confirm.html", sub=sub, form=form)


@bp.route("/subscriptions/<token>", methods=["GET", "POST"])
def preferences(token: str) -> ResponseReturnValue:
    sub = services.from_token(token)
    form = PreferencesForm()
    if request.method == "GET":
        form.language.data = sub.language
    elif form.validate_on_submit():
        with attempt(form, success=_("Your preferences are saved.")) as done:
            services.set_language(current_actor(), sub, form.language.data or "")
        if done:
            return redirect(url_for("outreach.preferences", token=token))
    return render_template("outreach/preferences.html", sub=sub, form=form, token=token)


@bp.route("/subscriptions/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the credential; mail clients POST here (RFC 8058)
def unsubscribe(token: str) -> ResponseReturnValue:
    sub = services.from_token(token)
    if request.method == "POST":
        with attempt():
            services.unsubscribe(current_actor(), sub)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204  # a mail client's one-click request: nobody reads a page
        return render_template("outreach/unsubscribed.html", sub=sub)
    return render_template("outreach/unsubscribe.html", sub=sub, token=token)


@bp.app_template_global()
def public_announcements(challenge: Challenge, limit: int = 3) -> list[Announcement]:
    """For the challenge page (which does not depend on this package)."""
    from competitions.outreach.announcements import public_for

    return public_for(challenge, limit)


@bp.route("/challenges/<slug>/announcements.atom")
def announcements_feed(slug: str) -> ResponseReturnValue:
    from competitions.outreach.announcements import public_for

    challenge = services.published_challenge(slug)
    items = public_for(challenge, 50)
    lang = current_language()
    body = render_template(
        "outreach/announcements.atom.xml",
        challenge=challenge,
        items=items,
        lang=lang,
        feed_url=external_url("outreach.announcements_feed", slug=slug),
        page_url=external_url("challenges.challenge_page", slug=slug),
        updated=items[0].release_at if items else challenge.published_at,
    )
    return Response(body, mimetype="application/atom+xml")
