"""Follow a challenge, confirm from the email, manage or stop it from any email's link."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import csrf, db, limiter
from competitions.core.i18n import current_language
from competitions.core.urls import external_url
from competitions.core.web import current_actor, form_error
from competitions.outreach import bp, services
from competitions.outreach.forms import FollowForm, PreferencesForm
from competitions.outreach.models import Announcement, Subscription


def _follow_limit() -> str:
    return str(current_app.config["RATELIMIT_FOLLOW"])


@bp.route("/challenges/<slug>/follow", methods=["GET", "POST"])
@limiter.limit(_follow_limit, methods=["POST"])
def follow(slug: str) -> ResponseReturnValue:
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    if not challenge.is_published:
        abort(404)
    form = FollowForm()
    if request.method == "GET":
        form.language.data = current_language()
    elif form.validate_on_submit():
        try:
            services.follow(
                current_actor(), challenge, form.email.data or "", form.language.data or ""
            )
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            return render_template(
                "outreach/check_inbox.html",
                challenge=challenge,
                email=form.email.data,
                lang=current_language(),
            )
    return render_template(
        "outreach/follow.html", challenge=challenge, form=form, lang=current_language()
    ), (400 if form.errors else 200)


def _subscription(token: str) -> Subscription:
    try:
        return services.from_token(token)
    except NotFound:
        abort(404)


@bp.route("/follow/<token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    """GET only shows a button: mail scanners open links, and must not confirm for anyone."""
    lang = current_language()
    try:
        sub = services.from_token(token, current_app.config["SUBSCRIPTION_CONFIRM_MAX_AGE"])
    except NotFound:
        abort(404)
    except DomainError as err:
        return render_template("outreach/link_problem.html", message=err.message, lang=lang), 410
    form = PreferencesForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.confirm(current_actor(), token)
        except DomainError as err:
            db.session.rollback()
            return render_template(
                "outreach/link_problem.html", message=err.message, lang=lang
            ), 409
        db.session.commit()
        flash(_("Done: you now follow this challenge."), "success")
        return redirect(url_for("outreach.preferences", token=token))
    return render_template("outreach/confirm.html", sub=sub, form=form, lang=lang)


@bp.route("/subscriptions/<token>", methods=["GET", "POST"])
def preferences(token: str) -> ResponseReturnValue:
    sub = _subscription(token)
    form = PreferencesForm()
    if request.method == "GET":
        form.language.data = sub.language
    elif form.validate_on_submit():
        try:
            services.set_language(current_actor(), sub, form.language.data or "")
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("outreach.preferences", token=token))
    return render_template(
        "outreach/preferences.html", sub=sub, form=form, token=token, lang=current_language()
    )


@bp.route("/subscriptions/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the credential; mail clients POST here (RFC 8058)
def unsubscribe(token: str) -> ResponseReturnValue:
    sub = _subscription(token)
    if request.method == "POST":
        services.unsubscribe(current_actor(), sub)
        db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204  # a mail client's one-click request: nobody reads a page
        return render_template("outreach/unsubscribed.html", sub=sub, lang=current_language())
    return render_template(
        "outreach/unsubscribe.html", sub=sub, token=token, lang=current_language()
    )


@bp.app_template_global()
def public_announcements(challenge: Challenge, limit: int = 3) -> list[Announcement]:
    """For the challenge page (which does not depend on this package)."""
    from competitions.outreach.announcements import public_for

    return public_for(challenge, limit)


@bp.route("/challenges/<slug>/announcements.atom")
def announcements_feed(slug: str) -> ResponseReturnValue:
    from competitions.outreach.announcements import public_for

    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    if not challenge.is_published:
        abort(404)
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
