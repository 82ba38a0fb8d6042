"""Open formats: the sitemap and robots.txt, the JSON-LD the public page templates embed,
and each user's personal calendar feed with its page under the account."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from competitions.agencies.models import Agency
from competitions.challenges.models import Challenge, Track
from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.core.web import attempt, current_actor
from competitions.formats import bp, calendar_feeds, personal_calendar, sitemap, structured_data

# --- JSON-LD for the page templates ----------------------------------------------------------

_ENDPOINTS = {
    "challenge": lambda c: external_url("challenges.challenge_page", slug=c.slug),
    "track": lambda t: external_url(
        "challenges.track_page", slug=t.challenge.slug, track_slug=t.slug
    ),
    "agency": lambda a: external_url("agencies.public_profile", slug=a.slug),
    "logo": lambda a: external_url("agencies.logo", slug=a.slug),
}


def _url_of(kind: str, obj: Any) -> str:
    return str(_ENDPOINTS[kind](obj))


@bp.app_template_global()
def challenge_json_ld(challenge: Challenge) -> Markup:
    """The challenge's Event, or nothing for a draft (its page is seen by its agencies only)."""
    if not challenge.is_published:
        return Markup("")
    data = structured_data.challenge_event(challenge, current_language(), _url_of)
    return structured_data.as_script_text(data)


@bp.app_template_global()
def track_json_ld(track: Track) -> Markup:
    if not track.challenge.is_published:
        return Markup("")
    return structured_data.as_script_text(
        structured_data.track_event(track, current_language(), _url_of)
    )


@bp.app_template_global()
def agency_json_ld(agency: Agency) -> Markup:
    return structured_data.as_script_text(structured_data.agency_organization(agency, _url_of))


# --- sitemap and robots ----------------------------------------------------------------------


@bp.route("/sitemap.xml")
def sitemap_xml() -> ResponseReturnValue:
    pages = sitemap.public_pages(clock.now())
    body = render_template(
        "formats/sitemap.xml",
        urls=[(external_url(p.endpoint, **p.values), p.lastmod) for p in pages],
    )
    return Response(body, mimetype="application/xml", headers={"Cache-Control": "max-age=600"})


@bp.route("/robots.txt")
def robots_txt() -> ResponseReturnValue:
    body = render_template("formats/robots.txt", sitemap_url=external_url("formats.sitemap_xml"))
    return Response(body, mimetype="text/plain", headers={"Cache-Control": "max-age=3600"})


# --- the personal calendar feed --------------------------------------------------------------


@bp.route("/calendar/<token>.ics")
def personal_feed(token: str) -> ResponseReturnValue:
    """Authorized by the secret in the address alone (calendar apps send no cookie)."""
    feed = calendar_feeds.usable(token)
    if feed is None:
        abort(404)
    now = clock.now()
    body = personal_calendar.personal_calendar(
        feed.user,
        current_app.config["BASE_URL"],
        lambda c: external_url("challenges.challenge_page", slug=c.slug),
        now,
    )
    if calendar_feeds.touch(feed, now):
        db.session.commit()
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="tandem.ics"',
            "Cache-Control": "private, no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


def _feed_url(secret: str) -> str:
    return external_url("formats.personal_feed", token=secret)


@bp.signed_in("/account/calendar", methods=["GET", "POST"])
def account_calendar() -> ResponseReturnValue:
    """The feed's state; POST makes a new address (shown on this answer only)."""
    user = current_user._get_current_object()
    issued = None
    if request.method == "POST":
        with attempt() as done:
            issued = calendar_feeds.issue(current_actor(), user)
        if not done:
            issued = None
    return render_template(
        "formats/calendar.html",
        feed=calendar_feeds.feed_of(user),
        issued=issued,
        feed_url=_feed_url(issued.secret) if issued else None,
    )


@bp.signed_in("/account/calendar/revoke", methods=["POST"])
def revoke_calendar() -> ResponseReturnValue:
    user = current_user._get_current_object()
    with attempt() as done:
        existed = calendar_feeds.revoke(current_actor(), user)
    if done and existed:
        flash(_("Your calendar feed is turned off: its address no longer works."), "info")
    return redirect(url_for("formats.account_calendar"))
