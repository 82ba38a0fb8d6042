"""Team pages, registration into a track, entry pages and the track's list of entries."""

from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.eligibility import (
    EntrantType,
    Status,
    entrant_type_label,
    explain,
    rules_or_none,
    status_label,
)
from competitions.core import clock, invitations
from competitions.core.errors import DomainError
from competitions.core.i18n import current_language
from competitions.core.invitation_console import send_invitation, withdraw_invitation
from competitions.core.invitation_page import invitation_page
from competitions.core.params import db_id, paginate
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.core.web import attempt, current_actor, flash_errors, guard, require
from competitions.entries import (
    bp,
    decisions,
    documents,
    permissions,
    registration,
    services,
    team_invitations,
    teams,
)
from competitions.entries.forms import (
    DocumentReviewForm,
    EligibilityDecisionForm,
    InviteMemberForm,
    JoinForm,
    MemberProfileFields,
    NewTermsForm,
    RegisterForm,
    TeamEditForm,
    TeamForm,
)
from competitions.entries.models import Team, TeamInvitation

PAGE_SIZE = 50


def _team_data(form: TeamForm | TeamEditForm) -> teams.TeamData:
    return teams.TeamData(
        name=form.name.data or "",
        entrant_type=form.entrant_type.data or "",
        organisation_name=form.organisation_name.data,
        organisation_country=form.organisation_country.data,
    )


# --- teams ----------------------------------------------------------------------------------


@bp.signed_in("/teams/")
def my_teams() -> ResponseReturnValue:
    return render_template("entries/my_teams.html", teams=teams.my_teams(current_user))


@bp.signed_in("/teams/new", methods=["GET", "POST"])
def create_team() -> ResponseReturnValue:
    form = TeamForm()
    if request.method == "GET":
        form.residence.data = current_user.country
        form.entrant_type.data = EntrantType.TEAM.value
    if form.validate_on_submit():
        created = _("Team created. Invite its members, then register it in a challenge.")
        with attempt(form, success=created) as done:
            team = teams.create_team(
                current_actor(),
                _team_data(form),
                form.residence.data or "",
                form.declared_age.data,
            )
        if done:
            nxt = request.args.get("challenge")
            if nxt:
                return redirect(url_for("entries.register", slug=nxt, team=team.id))
            return redirect(url_for("entries.team", team_id=team.id))
    return render_template("entries/team_new.html", form=form)


@bp.signed_in("/teams/<int:team_id>")
def team(team_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.can_view_team)
    me = team.member_of(current_user.id)
    profile_form = MemberProfileFields(prefix="me")
    if me is not None:
        profile_form.residence.data = me.residence
        profile_form.declared_age.data = me.declared_age
    is_lead = permissions.is_lead(current_user, team)
    return render_template(
        "entries/team.html",
        team=team,
        me=me,
        is_lead=is_lead,
        invitations=team_invitations.open_invitations(team) if is_lead else [],
        invite_form=InviteMemberForm(),
        profile_form=profile_form,
        confirm_form=ConfirmForm(),
        status_label=status_label,
        kind=entrant_type_label(team.entrant_type),
    )


@bp.signed_in("/teams/<int:team_id>/edit", methods=["GET", "POST"])
def edit_team(team_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.is_lead)
    form = TeamEditForm(obj=team)
    if form.validate_on_submit():
        with attempt(form, success=_("The team was saved.")) as done:
            teams.update_team(current_actor(), team, _team_data(form))
        if done:
            return redirect(url_for("entries.team", team_id=team.id))
    return render_template("entries/team_edit.html", form=form, team=team)


def _back_to(team: Team) -> ResponseReturnValue:
    return redirect(url_for("entries.team", team_id=team.id))


@bp.signed_in("/teams/<int:team_id>/me", methods=["POST"])
def update_me(team_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.is_member)
    form = MemberProfileFields(prefix="me")
    if form.validate_on_submit():
        with attempt(success=_("Your details were saved.")):
            teams.update_my_profile(
                current_actor(), team, form.residence.data or "", form.declared_age.data
            )
    else:
        flash_errors(form)
    return _back_to(team)


@bp.signed_in("/teams/<int:team_id>/invite", methods=["POST"])
def invite(team_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.is_lead)
    invite = partial(team_invitations.invite_member, current_actor(), team)
    send_invitation(InviteMemberForm(), invite)
    return _back_to(team)


@bp.signed_in("/teams/<int:team_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(team_id: int, invitation_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.is_lead)
    inv = invitations.get_open(team_invitations.INVITATIONS, team.id, invitation_id)
    revoke = partial(team_invitations.revoke_invitation, current_actor(), team, inv)
    withdraw_invitation(ConfirmForm(), inv, revoke)
    return _back_to(team)


@bp.signed_in("/teams/<int:team_id>/members/<int:member_id>/remove", methods=["POST"])
def remove_member(team_id: int, member_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.can_view_team)
    member = teams.get_member(team, member_id)
    leaving = member.user_id == current_user.id
    require(leaving or permissions.is_lead(current_user, team), team)
    if ConfirmForm().validate_on_submit():
        name = member.user.display_name
        with attempt() as done:
            teams.remove_member(current_actor(), team, member)
        if done and leaving:
            flash(_("You left the team %(team)s.", team=team.name), "info")
            return redirect(url_for("entries.my_teams"))
        if done:
            flash(_("%(name)s was removed from the team.", name=name), "info")
    return _back_to(team)


@bp.signed_in("/teams/<int:team_id>/members/<int:member_id>/lead", methods=["POST"])
def transfer_lead(team_id: int, member_id: int) -> ResponseReturnValue:
    team = guard(teams.get_team(team_id), permissions.is_lead)
    member = teams.get_member(team, member_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("%(name)s now leads the team.", name=member.user.display_name)):
            teams.transfer_lead(current_actor(), team, member)
    return _back_to(team)


@bp.route("/team-invitations/<token>", methods=["GET", "POST"])
def team_invitation(token: str) -> ResponseReturnValue:
    form = JoinForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.residence.data = current_user.country

    def accept(inv: TeamInvitation) -> tuple[str, str]:
        team = team_invitations.accept_invitation(
            current_actor(), token, form.residence.data or "", form.declared_age.data
        )
        joined = _("You joined the team %(team)s.", team=team.name)
        return joined, url_for("entries.team", team_id=team.id)

    return invitation_page(
        team_invitations.INVITATIONS, token, form, "entries/team_invitation.html", accept
    )


# --- registration ---------------------------------------------------------------------------


@bp.signed_in("/challenges/<slug>/register", methods=["GET", "POST"])
def register(slug: str) -> ResponseReturnValue:
    challenge = registration.published_challenge(slug)
    lang = current_language()
    led = [t for t in teams.my_teams(current_user) if permissions.is_lead(current_user, t)]
    form = RegisterForm()
    form.team.choices = [(t.id, t.name) for t in led]
    team_id = form.team.data if request.method == "POST" else request.args.get("team", type=db_id)
    team = next((t for t in led if t.id == team_id), led[0] if len(led) == 1 else None)
    problem = registration.registration_problem(challenge, clock.now())
    if request.method == "POST" and team is not None and form.validate_on_submit():
        track = challenge_services.get_track(challenge, form.track.data or "")
        with attempt(form) as done:
            if not form.accept_terms.data:
                raise DomainError(
                    _("Accept the terms and conditions to register."), field="accept_terms"
                )
            entry = registration.register(
                current_actor(),
                team,
                track,
                int(form.terms_version.data or 0),
                list(form.attestations.data or []),
            )
        if done:
            flash(_("Your team is registered in %(track)s.", track=track.name_in(lang)), "success")
            return redirect(url_for("entries.entry", entry_id=entry.id))
    options = registration.options_for(team, challenge) if team is not None else []
    return render_template(
        "entries/register.html",
        challenge=challenge,
        teams=led,
        team=team,
        options=options,
        existing=registration.entries_in(team, challenge) if team is not None else [],
        terms={t.id: challenge_services.current_terms(t) for t in challenge.tracks},
        form=form,
        problem=problem,
        lang=lang,
        explain=explain,
        status_label=status_label,
        not_eligible=Status.INELIGIBLE,
        eligible=Status.ELIGIBLE,
        recognition=Status.RECOGNITION,
    )


@bp.signed_in("/entries/<int:entry_id>")
def entry(entry_id: int) -> ResponseReturnValue:
    entry = guard(services.get_entry_to_show(entry_id), permissions.can_view_entry)
    can_decide = permissions.can_decide_eligibility(current_user, entry)
    is_lead = permissions.is_lead(current_user, entry.team)
    slots = documents.slots_for(entry)
    terms = services.terms_versions(entry.track)
    current_terms = terms[-1] if terms else None
    new_terms = current_terms is not None and current_terms.id != entry.terms_version_id
    # Only the forms the page shows (each costs a CSRF token and its fields).
    decision_form = EligibilityDecisionForm() if can_decide else None
    if decision_form is not None:
        decision_form.decision.data = entry.override or ""
    challenge = entry.track.challenge
    return render_template(
        "entries/entry.html",
        entry=entry,
        slots=slots,
        doc_counts=documents.summary(slots),
        doc_status=documents.STATUS_LABELS,
        may_upload=documents.may_upload,
        can_see=permissions.can_view_document,
        review_form=DocumentReviewForm() if can_decide and slots else None,
        reasons=decisions.explain_entry(entry),
        conditions=decisions.prize_conditions(entry),
        is_lead=is_lead,
        can_decide=can_decide,
        decision_form=decision_form,
        confirm_form=ConfirmForm() if slots else None,
        terms_form=NewTermsForm(formdata=None) if new_terms and is_lead else None,
        current_terms=current_terms,
        accepted_terms=next((t for t in terms if t.id == entry.terms_version_id), None)
        or entry.terms_version,
        status_label=status_label,
        released_rounds={
            r.id for r in challenge.rounds if challenge.is_published and r.results_at <= clock.now()
        },
    )


@bp.signed_in("/entries/<int:entry_id>/terms", methods=["POST"])
def accept_terms(entry_id: int) -> ResponseReturnValue:
    """The team lead accepts the track's new terms (they changed after registration)."""
    entry = guard(services.get_entry(entry_id), permissions.can_view_entry)
    require(permissions.is_lead(current_user, entry.team), entry)
    form = NewTermsForm()
    if form.validate_on_submit():
        raw = form.terms_version.data or ""
        version = int(raw) if raw.isdigit() and len(raw) < 12 else 0
        with attempt(success=_("Thank you: your entry accepted the new terms.")):
            registration.accept_new_terms(
                current_actor(), entry, version, bool(form.accept_terms.data)
            )
    return redirect(url_for("entries.entry", entry_id=entry.id, _anchor="terms"))


@bp.signed_in("/entries/<int:entry_id>/withdraw", methods=["POST"])
def withdraw(entry_id: int) -> ResponseReturnValue:
    entry = guard(services.get_entry(entry_id), permissions.can_view_entry)
    require(permissions.is_lead(current_user, entry.team), entry)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The entry was withdrawn."), category="info"):
            services.withdraw(current_actor(), entry)
    return redirect(url_for("entries.entry", entry_id=entry.id))


@bp.signed_in("/entries/<int:entry_id>/eligibility", methods=["POST"])
def decide(entry_id: int) -> ResponseReturnValue:
    entry = guard(services.get_entry(entry_id), permissions.can_view_entry)
    guard(entry, permissions.can_decide_eligibility, agency_id=entry.track.agency_id)
    form = EligibilityDecisionForm()
    if form.validate_on_submit():
        with attempt(success=_("The eligibility decision was recorded.")):
            decisions.decide_eligibility(
                current_actor(), entry, form.decision.data or "", form.reason.data or ""
            )
    else:
        flash_errors(form)
    return redirect(url_for("entries.entry", entry_id=entry.id))


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/entries")
def track_entries(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge, track = services.listed_track(slug, track_slug)
    guard(track, permissions.can_list_entries)
    status = request.args.get("status", services.EntryStatus.ACTIVE)
    eligibility = request.args.get("eligibility", "")
    page = paginate(
        services.entries_page_query(track, status, eligibility), PAGE_SIZE, max_per_page=200
    )
    rules = rules_or_none(track.rules)
    lang = current_language()
    # Each row's labels come from a few values: translated once each, not once per row.
    return render_template(
        "entries/track_entries.html",
        challenge=challenge,
        track=track,
        page=page,
        conditions={e.id: decisions.prize_conditions(e, rules, lang) for e in page.items},
        documents=documents.current_documents([e.id for e in page.items]),
        members_label={
            n: ngettext("%(num)d member", "%(num)d members", n)
            for n in {e.team_size or 0 for e in page.items}
        },
        status_labels={s.value: status_label(s) for s in Status},
        doc_status=documents.STATUS_LABELS,
        status=status,
        eligibility=eligibility,
        status_label=status_label,
    )
