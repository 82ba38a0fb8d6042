"""Challenge pages: the public directory, challenge and track pages, calendar and feed, and
the consoles where the lead agency and each partner agency configure their parts."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.forms import ConfirmForm
from competitions.agencies import services as agency_services
from competitions.agencies.permissions import can_view_agency_console
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
    RulesError,
    TeamProfile,
    condition_text,
    explain,
    parse_rules,
    route,
    status_label,
)
from competitions.challenges.forms import (
    AcceptPartnerForm,
    ChallengeForm,
    EligibilityCheckForm,
    MilestoneForm,
    NextEditionForm,
    PartnerInviteForm,
    PrizeForm,
    RoundForm,
    RulesForm,
    TermsForm,
    TextsForm,
    TrackForm,
    fill_per_language,
    local_naive,
    per_language,
)
from competitions.challenges.models import ROUND_INSTANTS, Challenge, Milestone, TermsVersion, Track
from competitions.challenges.timeline import INSTANT_LABELS, LocalTimeError, to_utc
from competitions.challenges.timeline_svg import Bar, Lane, draw
from competitions.core import clock
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import current_language, is_valid_timezone
from competitions.core.page_cache import cached_public_page
from competitions.core.urls import external_url
from competitions.core.web import attempt, current_actor, flash_errors, found, guard, require

PAGE_SIZE = 20


# --- public pages -------------------------------------------------------------------------


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
    stmt = directory_query(filters, now)
    if mine:
        # Eligibility is computed in Python from each track's rules (bounded by the page).
        items = [c for c in db.session.scalars(stmt) if can_enter(current_user, c)]
        page_number = max(request.args.get("page", 1, type=int) or 1, 1)
        total = len(items)
        items = items[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    else:
        page = db.paginate(stmt, per_page=PAGE_SIZE, error_out=False, count=True)
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
        options = []
        for track in challenge.tracks:
            try:
                options.append((track, parse_rules(track.rules or {})))
            except RulesError:
                continue
        routing = route(profile, options)
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
        changes=services.timeline_changes(challenge) if challenge.is_published else [],
        can_manage=permissions.can_manage_challenge(current_user, challenge),
        can_console=permissions.can_view_console(current_user, challenge),
        instant_labels=INSTANT_LABELS,
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>")
@cached_public_page
def track_page(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_visible_challenge(current_user, slug)
    track = services.get_track(challenge, track_slug)
    lang = current_language()
    try:
        rules = parse_rules(track.rules or {})
    except RulesError:
        rules = None
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
    wanted = request.args.get("version", type=int)
    shown: TermsVersion | None = versions[-1] if versions else None
    if wanted:
        shown = found(next((v for v in versions if v.version == wanted), None))
    return render_template(
        "challenges/terms.html",
        challenge=challenge,
        track=track,
        versions=versions,
        shown=shown,
        lang=current_language(),
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
        lang=current_language(),
        feed_url=external_url("challenges.feed"),
        site_url=external_url("challenges.directory"),
        updated=max((c.published_at for c in challenges if c.published_at), default=clock.now()),
        page_url=lambda c: external_url("challenges.challenge_page", slug=c.slug),
    )
    return Response(body, mimetype="application/atom+xml")


# --- creating and managing a challenge (lead agency) ---------------------------------------


def _texts(form: ChallengeForm | TextsForm) -> services.Texts:
    return services.Texts(
        per_language(form, "title"),
        per_language(form, "summary"),
        per_language(form, "description"),
    )


@bp.route("/agencies/<slug>/challenges/new", methods=["GET", "POST"])
@login_required
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


@bp.route("/agencies/<slug>/challenges")
@login_required
def agency_challenges(slug: str) -> ResponseReturnValue:
    agency = guard(agency_services.get_agency(slug), can_view_agency_console)
    return render_template(
        "challenges/manage/agency_challenges.html",
        agency=agency,
        challenges=services.agency_challenges(agency),
        can_create=permissions.can_create_challenge(current_user, agency.id),
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/manage")
@login_required
def console(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    can_manage = permissions.can_manage_challenge(current_user, challenge)
    return render_template(
        "challenges/manage/console.html",
        challenge=challenge,
        lang=current_language(),
        can_manage=can_manage,
        editable={t.id for t in permissions.editable_tracks(current_user, challenge)},
        can_ready={t.id for t in challenge.tracks if permissions.can_mark_ready(current_user, t)},
        problems={t.id: services.readiness_problems(t) for t in challenge.tracks},
        publication_problems=services.publication_problems(challenge),
        invitations=services.open_partner_invitations(challenge) if can_manage else [],
        invite_form=PartnerInviteForm(),
        confirm_form=ConfirmForm(),
        changes=services.timeline_changes(challenge),
    )


@bp.route("/challenges/<slug>/manage/details", methods=["GET", "POST"])
@login_required
def details(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    form = TextsForm()
    if request.method == "GET":
        for prefix in ("title", "summary", "description"):
            fill_per_language(form, prefix, getattr(challenge, prefix))
    if form.validate_on_submit():
        with attempt(form, success=_("The challenge's texts were saved.")) as done:
            services.update_texts(current_actor(), challenge, _texts(form))
        if done:
            return redirect(url_for("challenges.console", slug=challenge.slug))
    return render_template(
        "challenges/manage/details.html", form=form, challenge=challenge, lang=current_language()
    )


@bp.route("/challenges/<slug>/manage/partners", methods=["POST"])
@login_required
def invite_partner(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    form = PartnerInviteForm()
    if form.validate_on_submit():
        with attempt() as done:
            inv = services.invite_partner(current_actor(), challenge, form.email.data or "")
        if done:
            flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
    else:
        flash_errors(form)
    return redirect(url_for("challenges.console", slug=challenge.slug) + "#partners")


@bp.route("/challenges/<slug>/manage/partners/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_partner(slug: str, invitation_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    inv = services.get_open_partner_invitation(challenge, invitation_id)
    if ConfirmForm().validate_on_submit():
        withdrawn = _("The invitation to %(email)s was withdrawn.", email=inv.email)
        with attempt(success=withdrawn, category="info"):
            services.revoke_partner_invitation(current_actor(), inv)
    return redirect(url_for("challenges.console", slug=challenge.slug) + "#partners")


def _partner_invitation_problem(inv: Any, choices: list[Any]) -> str | None:
    """Why the signed-in user cannot answer the invitation, if they cannot."""
    if current_user.email_normalized != inv.email_normalized:
        return _(
            "This invitation was sent to %(email)s. Sign in with that address to accept it.",
            email=inv.email,
        )
    if not choices:
        return _(
            "You do not administer an agency that could join this challenge. Ask a "
            "platform administrator to create your agency, or its administrator to "
            "invite you."
        )
    return None


def _answer_partner_invitation(
    token: str, inv: Any, form: AcceptPartnerForm
) -> ResponseReturnValue | None:
    """Decline, or accept with the chosen agency; ``None`` when the form is shown again."""
    if request.form.get("answer") == "decline":
        with attempt(form, success=_("You declined the invitation."), category="info") as done:
            services.decline_partner_invitation(current_actor(), token)
        return redirect(url_for("core.home")) if done else None
    added = _("Your agency's track was added. Configure it and mark it ready.")
    with attempt(form, success=added) as done:
        track = services.accept_partner_invitation(current_actor(), token, form.agency.data or 0)
    if not done:
        return None
    return redirect(
        url_for("challenges.edit_track", slug=inv.challenge.slug, track_slug=track.slug)
    )


@bp.route("/partner-invitations/<token>", methods=["GET", "POST"])
def partner_invitation(token: str) -> ResponseReturnValue:
    try:
        inv = services.partner_invitation_from_token(token)
    except DomainError as err:
        return render_template("accounts/link_problem.html", message=err.message), 400
    if not current_user.is_authenticated:
        flash(_("Sign in with %(email)s to answer this invitation.", email=inv.email), "info")
        return redirect(url_for("accounts.login", next=request.path))
    form = AcceptPartnerForm()
    choices = services.agencies_that_can_join(current_user, inv.challenge)
    form.agency.choices = [(a.id, a.name) for a in choices]
    problem = _partner_invitation_problem(inv, choices)
    if request.method == "POST" and form.validate_on_submit() and problem is None:
        try:
            answered = _answer_partner_invitation(token, inv, form)
        except PermissionDenied as err:
            answered, problem = None, err.message
        if answered is not None:
            return answered
    return render_template(
        "challenges/manage/partner_invitation.html",
        invitation=inv,
        form=form,
        problem=problem,
        lang=current_language(),
    )


# --- the shared timeline -----------------------------------------------------------------


def _instants_from(form: RoundForm | MilestoneForm, fields: tuple[str, ...]) -> dict[str, Any]:
    zone = form.timezone.data or "UTC"
    if not is_valid_timezone(zone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(form, name).data
        try:
            out[name] = to_utc(value, zone) if value is not None else None
        except LocalTimeError as err:
            raise DomainError(str(err), field=name) from err
    return out


def _timeline_url(challenge: Challenge) -> str:
    return url_for("challenges.console", slug=challenge.slug) + "#timeline"


@bp.route("/challenges/<slug>/manage/rounds/new", methods=["GET", "POST"])
@bp.route("/challenges/<slug>/manage/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def edit_round(slug: str, round_id: int | None = None) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    existing = services.get_round(challenge, round_id) if round_id is not None else None
    form = RoundForm()
    if request.method == "GET":
        form.timezone.data = challenge.timezone
        if existing is not None:
            fill_per_language(form, "name", existing.name)
            for name in ROUND_INSTANTS:
                getattr(form, name).data = local_naive(getattr(existing, name), challenge.timezone)
    if form.validate_on_submit():
        with attempt(form, success=_("The round was saved.")) as done:
            services.save_round(
                current_actor(),
                challenge,
                existing,
                services.RoundData(
                    per_language(form, "name"), _instants_from(form, ROUND_INSTANTS)
                ),
                form.reason.data,
            )
        if done:
            return redirect(_timeline_url(challenge))
    return render_template(
        "challenges/manage/round.html",
        form=form,
        challenge=challenge,
        existing=existing,
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/manage/rounds/<int:round_id>/delete", methods=["POST"])
@login_required
def delete_round(slug: str, round_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    target = services.get_round(challenge, round_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The round was deleted."), category="info"):
            services.delete_round(current_actor(), challenge, target)
    return redirect(_timeline_url(challenge))


def _fill_milestone_form(form: MilestoneForm, existing: Milestone | None, zone: str) -> None:
    form.timezone.data = zone
    if existing is not None:
        fill_per_language(form, "name", existing.name)
        for name in ("starts_at", "ends_at"):
            getattr(form, name).data = local_naive(getattr(existing, name), zone)
        form.url.data = existing.url


@bp.route("/challenges/<slug>/manage/milestones/new", methods=["GET", "POST"])
@bp.route("/challenges/<slug>/manage/milestones/<int:milestone_id>", methods=["GET", "POST"])
@login_required
def edit_milestone(slug: str, milestone_id: int | None = None) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    existing = services.get_milestone(challenge, milestone_id) if milestone_id is not None else None
    track: Track | None
    if existing is not None:
        track = existing.track
    else:
        track_slug = request.args.get("track")
        track = services.get_track(challenge, track_slug) if track_slug else None
    require(
        permissions.can_edit_milestones(current_user, challenge, track),
        existing or challenge,
        agency_id=track.agency_id if track else None,
    )
    form = MilestoneForm()
    if request.method == "GET":
        _fill_milestone_form(form, existing, track.timezone if track else challenge.timezone)
    if form.validate_on_submit():
        with attempt(form, success=_("The milestone was saved.")) as done:
            instants = _instants_from(form, ("starts_at", "ends_at"))
            data = services.MilestoneData(
                per_language(form, "name"),
                instants["starts_at"],
                instants["ends_at"],
                form.url.data,
            )
            services.save_milestone(
                current_actor(), challenge, existing, track, data, form.reason.data
            )
        if done:
            return redirect(_timeline_url(challenge))
    return render_template(
        "challenges/manage/milestone.html",
        form=form,
        challenge=challenge,
        existing=existing,
        track=track,
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/manage/milestones/<int:milestone_id>/delete", methods=["POST"])
@login_required
def delete_milestone(slug: str, milestone_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    target = services.get_milestone(challenge, milestone_id)
    require(
        permissions.can_edit_milestones(current_user, challenge, target.track),
        target,
        agency_id=target.track.agency_id if target.track else None,
    )
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The milestone was deleted."), category="info"):
            services.delete_milestone(current_actor(), challenge, target)
    return redirect(_timeline_url(challenge))


@bp.route("/challenges/<slug>/manage/publish", methods=["POST"])
@login_required
def publish(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The challenge is published.")) as done:
            services.publish(current_actor(), challenge)
        if done:
            return redirect(url_for("challenges.challenge_page", slug=challenge.slug))
    return redirect(url_for("challenges.console", slug=challenge.slug))


@bp.route("/challenges/<slug>/manage/next-edition", methods=["GET", "POST"])
@login_required
def next_edition(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    form = NextEditionForm()
    if request.method == "GET":
        form.slug.data = f"{challenge.slug}-{challenge.edition + 1}"
    if form.validate_on_submit():
        with attempt(form, success=_("The next edition was created as a draft.")) as done:
            copy = services.launch_next_edition(
                current_actor(), challenge, form.slug.data or "", form.offset_days.data or 0
            )
        if done:
            return redirect(url_for("challenges.console", slug=copy.slug))
    return render_template(
        "challenges/manage/next_edition.html",
        form=form,
        challenge=challenge,
        lang=current_language(),
    )


# --- a track (its own agency) ---------------------------------------------------------------


def _track_url(track: Track, anchor: str = "") -> str:
    return (
        url_for("challenges.edit_track", slug=track.challenge.slug, track_slug=track.slug) + anchor
    )


def _fill_track_form(form: TrackForm, track: Track) -> None:
    fill_per_language(form, "name", track.name)
    fill_per_language(form, "description", track.description)
    fill_per_language(
        form, "attestations", {k: "\n".join(v) for k, v in (track.attestations or {}).items()}
    )
    form.languages.data = list(track.languages)
    form.contact_email.data = track.contact_email
    form.timezone.data = track.timezone


@bp.route("/challenges/<slug>/tracks/<track_slug>/manage", methods=["GET", "POST"])
@login_required
def edit_track(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_edit_track)
    form = TrackForm()
    if request.method == "GET":
        _fill_track_form(form, track)
    if form.validate_on_submit():
        settings = services.TrackSettings(
            name=per_language(form, "name"),
            description=per_language(form, "description"),
            languages=list(form.languages.data or []),
            contact_email=form.contact_email.data,
            timezone=form.timezone.data or "",
            attestations=per_language(form, "attestations"),
        )
        with attempt(form, success=_("The track's settings were saved.")) as done:
            services.update_track(current_actor(), track, settings)
        if done:
            return redirect(_track_url(track))
    return render_template(
        "challenges/manage/track.html",
        form=form,
        challenge=challenge,
        track=track,
        lang=current_language(),
        problems=services.readiness_problems(track),
        can_ready=permissions.can_mark_ready(current_user, track),
        confirm_form=ConfirmForm(),
        terms=services.current_terms(track),
    )


def _fill_rules_form(form: RulesForm, rules: dict[str, Any]) -> None:
    form.allowed_countries.data = " ".join(rules.get("allowed_countries") or [])
    form.excluded_countries.data = " ".join(rules.get("excluded_countries") or [])
    form.establishment_countries.data = " ".join(rules.get("establishment_countries") or [])
    form.entrant_types.data = list(rules.get("entrant_types") or [t.value for t in EntrantType])
    form.team_min.data = rules.get("team_min") or 1
    form.team_max.data = rules.get("team_max")
    form.minimum_age.data = rules.get("minimum_age")
    form.member_policy.data = rules.get("member_policy") or "all"
    form.recognition_for_others.data = bool(rules.get("recognition_for_others"))
    form.exclusive.data = bool(rules.get("exclusive", True))
    first = (rules.get("prize_conditions") or [{}])[0]
    fill_per_language(form, "condition", first.get("text") or {})
    form.condition_types.data = list(first.get("entrant_types") or [])


def _rules_data(form: RulesForm) -> dict[str, Any]:
    return {
        "allowed_countries": form.allowed_countries.data,
        "excluded_countries": form.excluded_countries.data,
        "establishment_countries": form.establishment_countries.data,
        "entrant_types": list(form.entrant_types.data or []),
        "team_min": form.team_min.data,
        "team_max": form.team_max.data,
        "minimum_age": form.minimum_age.data,
        "member_policy": form.member_policy.data,
        "recognition_for_others": form.recognition_for_others.data,
        "exclusive": form.exclusive.data,
        "prize_conditions": [
            {
                "text": per_language(form, "condition"),
                "entrant_types": list(form.condition_types.data or []),
            }
        ],
    }


@bp.route("/challenges/<slug>/tracks/<track_slug>/manage/rules", methods=["GET", "POST"])
@login_required
def edit_rules(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_edit_track)
    form = RulesForm()
    if request.method == "GET":
        _fill_rules_form(form, track.rules or {})
    if form.validate_on_submit():
        with attempt(form, success=_("The eligibility rules were saved.")) as done:
            services.update_rules(current_actor(), track, _rules_data(form))
        if done:
            return redirect(_track_url(track))
    return render_template(
        "challenges/manage/rules.html",
        form=form,
        challenge=challenge,
        track=track,
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>/manage/prizes/new", methods=["GET", "POST"])
@bp.route(
    "/challenges/<slug>/tracks/<track_slug>/manage/prizes/<int:prize_id>",
    methods=["GET", "POST"],
)
@login_required
def edit_prize(slug: str, track_slug: str, prize_id: int | None = None) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_edit_track)
    prize = services.get_prize(track, prize_id) if prize_id is not None else None
    form = PrizeForm()
    if request.method == "GET" and prize is not None:
        fill_per_language(form, "label", prize.label)
        fill_per_language(form, "condition", prize.condition)
        form.amount.data, form.currency.data = str(prize.amount), prize.currency
        form.count.data = prize.count
    if form.validate_on_submit():
        data = services.PrizeData(
            per_language(form, "label"),
            form.amount.data or "",
            form.currency.data or "",
            form.count.data or 0,
            per_language(form, "condition"),
        )
        with attempt(form, success=_("The prize was saved.")) as done:
            services.save_prize(current_actor(), track, prize, data)
        if done:
            return redirect(_track_url(track, "#prizes"))
    return render_template(
        "challenges/manage/prize.html",
        form=form,
        challenge=challenge,
        track=track,
        prize=prize,
        lang=current_language(),
    )


@bp.route(
    "/challenges/<slug>/tracks/<track_slug>/manage/prizes/<int:prize_id>/delete",
    methods=["POST"],
)
@login_required
def delete_prize(slug: str, track_slug: str, prize_id: int) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_edit_track)
    prize = services.get_prize(track, prize_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The prize was deleted."), category="info"):
            services.delete_prize(current_actor(), track, prize)
    return redirect(_track_url(track, "#prizes"))


@bp.route("/challenges/<slug>/tracks/<track_slug>/manage/terms", methods=["GET", "POST"])
@login_required
def edit_terms(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_edit_track)
    form = TermsForm()
    current = services.current_terms(track)
    if request.method == "GET" and current is not None:
        fill_per_language(form, "body", current.body)
    if form.validate_on_submit():
        with attempt(form) as done:
            version = services.publish_terms(current_actor(), track, per_language(form, "body"))
        if done:
            if version is None:
                flash(_("The terms did not change; no new version was made."), "info")
            else:
                flash(_("Version %(n)d of the terms is published.", n=version.version), "success")
            return redirect(_track_url(track))
    return render_template(
        "challenges/manage/terms.html",
        form=form,
        challenge=challenge,
        track=track,
        current=current,
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>/manage/ready", methods=["POST"])
@login_required
def mark_ready(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = services.get_challenge(slug)
    track = guard(services.get_track(challenge, track_slug), permissions.can_mark_ready)
    if ConfirmForm().validate_on_submit():
        ready = request.form.get("ready", "1") == "1"
        marked = _("The track is marked ready.") if ready else _("The track is back in draft.")
        with attempt(success=marked):
            services.mark_ready(current_actor(), track, ready)
    return redirect(_track_url(track))
