"""The public pages of challenges: the directory, a challenge's page (with the
eligibility check), a track's page and its terms, the calendar and the Atom feed."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.agencies import services as agency_services
from competitions.challenges import bp, permissions, services
from competitions.challenges.calendar import challenge_calendar
from competitions.challenges.comparison import comparison_rows
from competitions.challenges.directory import (
    DirectoryFilters,
    Phase,
    can_enter,
    challenge_phase,
    directory_query,
    next_deadline,
)
from competitions.challenges.eligibility import (
    EntrantType,
    Member,
    TeamProfile,
    condition_text,
    explain,
    route,
    rules_or_none,
    status_label,
)
from competitions.challenges.forms import EligibilityCheckForm
from competitions.challenges.models import Challenge, TermsVersion
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.timeline import INSTANT_LABELS
from competitions.challenges.timeline_svg import Bar, Lane, draw
from competitions.core import clock, params
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.page_cache import cached_public_page
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.core.web import found

PAGE_SIZE = 20


@bp.route("/challenges/")
@cached_public_page
def directory() -> ResponseReturnValue:
    now = clock.now()
    phase_arg = request.args.get("status", "")
    phase = Phase(phase_arg) if phase_arg in Phase.__members__.values() else None
    agency_slug = request.args.get("agency", "")
    agencies = agency_services.agency_choices()
    agency = next((a for a in agencies if a.slug == agency_slug), None)
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    filters = DirectoryFilters(
        phase=phase,
        agency_id=agency.id if agency else None,
        query=request.args.get("q", "")[:200],
    )
    stmt = directory_query(filters, now, lead_agency=False, rules=mine)
    if mine:
        # Eligibility is computed in Python from each track's rules (bounded by the page).
        items = [c for c in db.session.scalars(stmt) if can_enter(current_user, c)]
        page_number = request.args.get("page", 1, type=params.page_number)
        total = len(items)
        items = items[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    else:
        page = params.paginate(stmt, PAGE_SIZE)
        items, total, page_number, pages = list(page.items), page.total or 0, page.page, page.pages
    return render_template(
        "challenges/directory.html",
        items=items,
        total=total,
        page_number=page_number,
        pages=pages,
        agencies=agencies,
        selected_agency=agency,
        phase=phase,
        mine=mine,
        query=filters.query,
        now=now,
        phase_of=challenge_phase,
        next_deadline=next_deadline,
    )


def _timeline_lanes(challenge: Challenge, lang: str) -> list[Lane]:
    lanes = []
    for r in challenge.rounds:
        bars = []
        if r.registration_opens and r.registration_closes:
            bars.append(Bar(r.registration_opens, r.registration_closes, "registration"))
        bars.append(Bar(r.submission_opens, r.submission_deadline, "submission"))
        bars.append(Bar(r.submission_deadline, r.judging_closes, "judging"))
        lanes.append(
            Lane(r.name_in(lang), bars, [(r.results_at, str(INSTANT_LABELS["results_at"]))])
        )
    shared = [m for m in challenge.milestones if m.track_id is None]
    if shared:
        lanes.append(
            Lane(_("Milestones"), [], [(m.starts_at, m.name.get(lang) or "") for m in shared])
        )
    return lanes


def _check_form_profile(form: EligibilityCheckForm) -> TeamProfile | None:
    members: list[Member] = []
    for row in form.members.entries:
        residence = (row.form.residence.data or "").strip()
        if residence:
            members.append(Member(residence=residence, age=row.form.age.data, is_lead=not members))
    if not members:
        return None
    try:
        kind = EntrantType(form.entrant_type.data)
    except ValueError:
        kind = EntrantType.TEAM
    return TeamProfile(
        entrant_type=kind,
        members=tuple(members),
        organisation_country=form.organisation_country.data or None,
    )


@bp.route("/challenges/<slug>")
@cached_public_page
def challenge_page(slug: str) -> ResponseReturnValue:
    challenge = services.get_visible_challenge(current_user, slug)
    lang, now = current_language(), clock.now()
    check = EligibilityCheckForm(request.args, meta={"csrf": False})
    routing = None
    profile = _check_form_profile(check) if "entrant_type" in request.args else None
    if profile is not None:
        routing = route(profile, services.tracks_with_rules(challenge))
    upcoming = next_deadline(challenge, now)
    return render_template(
        "challenges/challenge.html",
        challenge=challenge,
        lang=lang,
        now=now,
        phase=challenge_phase(challenge, now),
        next_round=upcoming,
        rows=comparison_rows(list(challenge.tracks), lang),
        timeline_svg=draw(
            _timeline_lanes(challenge, lang),
            now,
            lang,
            _("Timeline of %(title)s", title=challenge.title_in(lang)),
        ),
        check=check,
        routing=routing,
        explain=explain,
        status_label=status_label,
        # A query only when the challenge's statement says the timeline changed.
        changes=timeline_services.timeline_changes(challenge)
        if challenge.is_published and challenge.timeline_changed is not False
        else [],
        can_manage=permissions.can_manage_challenge(current_user, challenge),
        can_console=permissions.can_view_console(current_user, challenge),
        instant_labels=INSTANT_LABELS,
        with_terms=services.tracks_with_terms(challenge),
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>")
@cached_public_page
def track_page(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_visible_challenge(current_user, slug)
    track = services.get_track(challenge, track_slug)
    lang = current_language()
    rules = rules_or_none(track.rules)
    return render_template(
        "challenges/track.html",
        challenge=challenge,
        track=track,
        lang=lang,
        rules=rules,
        rows=comparison_rows([track], lang),
        conditions=[condition_text(c, lang, track.languages) for c in rules.prize_conditions]
        if rules
        else [],
        milestones=[m for m in challenge.milestones if m.track_id in (None, track.id)],
        terms=services.current_terms(track),
        can_edit=permissions.can_edit_track(current_user, track),
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>/terms")
def terms_page(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_visible_challenge(current_user, slug)
    track = services.get_track(challenge, track_slug)
    versions = track.terms_versions
    wanted = request.args.get("version", type=params.db_id)
    shown: TermsVersion | None = versions[-1] if versions else None
    if wanted:
        shown = found(next((v for v in versions if v.version == wanted), None))
    return render_template(
        "challenges/terms.html",
        challenge=challenge,
        track=track,
        versions=versions,
        shown=shown,
    )


@bp.route("/challenges/<slug>/calendar.ics")
def calendar(slug: str) -> ResponseReturnValue:
    challenge = services.get_visible_challenge(current_user, slug)
    body = challenge_calendar(
        challenge,
        current_language(),
        current_app.config["BASE_URL"],
        external_url("challenges.challenge_page", slug=challenge.slug),
        clock.now(),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{challenge.slug}.ics"'},
    )


@bp.route("/challenges/feed.atom")
def feed() -> ResponseReturnValue:
    challenges = list(
        db.session.scalars(directory_query(DirectoryFilters(), clock.now()).limit(50))
    )
    body = render_template(
        "challenges/feed.atom.xml",
        challenges=challenges,
        feed_url=external_url("challenges.feed"),
        site_url=external_url("challenges.directory"),
        updated=max((c.published_at for c in challenges if c.published_at), default=clock.now()),
        page_url=lambda c: external_url("challenges.challenge_page", slug=c.slug),
    )
    return Response(body, mimetype="application/atom+xml")
