"""Panels of judges: invitations to judge (sent by the panel's agency admins, answered by the
invitee), removal, and conflicts the admins record."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Track
from competitions.core.i18n import current_language
from competitions.core.invitation_page import invitation_page
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.core.web import attempt, current_actor, flash_errors, found, require
from competitions.judging import bp, conflicts, panels, permissions
from competitions.judging.forms import AdminConflictForm, InviteJudgeForm, JudgeProfileForm
from competitions.judging.models import Conflict, JudgeInvitation, Panel
from competitions.judging.views.pages import back, judging_challenge

SHARED_PANEL = "shared"  # the shared panel's key in URLs; a track panel's is the track's slug


def _panel_track(challenge: Challenge, key: str) -> Track | None:
    """The track of a panel's URL key (None for the shared panel)."""
    return None if key == SHARED_PANEL else challenge_services.get_track(challenge, key)


def managed_panel(challenge: Challenge, panel_row: Panel) -> Panel:
    """A panel whose judges, invitations and conflicts are changed: by its agency's admins."""
    require(
        permissions.can_manage_panel(current_user, panel_row, challenge),
        panel_row,
        agency_id=permissions.panel_agency(panel_row, challenge),
    )
    return panel_row


def _key(panel_row: Panel) -> str:
    return panel_row.track.slug if panel_row.track is not None else SHARED_PANEL


@bp.signed_in("/challenges/<slug>/judging/panels/<key>", methods=["GET", "POST"])
def panel(slug: str, key: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    track = _panel_track(challenge, key)
    agency_id = track.agency_id if track is not None else challenge.lead_agency_id
    # The shared panel judges every track's submissions: each partner sees who is on it.
    can_view = permissions.can_view_agency_judging(current_user, agency_id) or (
        track is None and permissions.can_view_judging(current_user, challenge)
    )
    require(can_view, challenge, agency_id=agency_id)
    can_manage = permissions.can_manage_agency_judging(current_user, agency_id)
    form = InviteJudgeForm()
    if request.method == "GET":
        return _panel_page(challenge, key, track, form, can_manage)
    require(can_manage, challenge, agency_id=agency_id)
    if form.validate_on_submit():
        with attempt(form) as done:
            panel_row = panels.panel_for(challenge, track)
            inv = panels.invite(current_actor(), challenge, panel_row, form.email.data or "")
        if done:
            flash(_("An invitation was sent to %(email)s.", email=inv.email), "success")
            return back("judging.panel", slug=slug, key=key)
    return _panel_page(challenge, key, track, form, can_manage, 400)


def _visible_conflicts(challenge: Challenge, judge_users: set[int]) -> list[Conflict]:
    """The panel's judges' conflicts with teams of the tracks this user follows (a partner
    looking at the shared panel does not see the names of other agencies' teams)."""
    tracks = {t.id for t in challenge.tracks if permissions.can_view_track_judging(current_user, t)}
    return [
        c
        for c in conflicts.conflicts_of(challenge)
        if c.user_id in judge_users
        and any(e.track_id in tracks for e in c.team.entries if e.challenge_id == challenge.id)
    ]


def _panel_page(
    challenge: Challenge,
    key: str,
    track: Track | None,
    form: InviteJudgeForm,
    can_manage: bool,
    status: int = 200,
) -> ResponseReturnValue:
    existing = panels.find_panel(challenge, track)
    judges = panels.active_judges(existing) if existing else []
    lang = current_language()
    conflict_form = AdminConflictForm(formdata=None)
    conflict_form.judge.choices = [
        SelectChoice(j.id, j.user.display_name or j.user.email) for j in judges
    ]
    conflict_form.team.choices = [
        SelectChoice(t.id, t.name) for t in conflicts.teams_of_challenge(challenge)
    ]
    judge_users = {j.user_id for j in judges}
    return render_template(
        "judging/panel.html",
        challenge=challenge,
        key=key,
        track=track,
        title=_("Panel of %(track)s", track=track.name_in(lang))
        if track
        else _("Shared panel (all tracks)"),
        judges=judges,
        invitations=panels.open_invitations(existing) if existing else [],
        conflicts=_visible_conflicts(challenge, judge_users),
        form=form,
        conflict_form=conflict_form,
        can_manage=can_manage,
        lang=lang,
    ), status


@bp.signed_in("/challenges/<slug>/judging/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    inv = panels.get_invitation(challenge, invitation_id)
    managed_panel(challenge, inv.panel)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The invitation was withdrawn."), category="info"):
            panels.revoke(current_actor(), challenge, inv)
    return back("judging.panel", slug=slug, key=_key(inv.panel))


@bp.signed_in("/challenges/<slug>/judging/judges/<int:judge_id>/remove", methods=["POST"])
def remove_judge(slug: str, judge_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    judge = panels.get_judge(challenge, judge_id)
    managed_panel(challenge, judge.panel)
    if ConfirmForm().validate_on_submit():
        with attempt() as done:
            ended = panels.remove(current_actor(), challenge, judge)
        if done:
            name = judge.user.display_name or judge.user.email
            flash(
                ngettext(
                    "%(name)s is off the panel; %(num)d assignment ended.",
                    "%(name)s is off the panel; %(num)d assignments ended.",
                    ended,
                    name=name,
                ),
                "info",
            )
    return back("judging.panel", slug=slug, key=_key(judge.panel))


@bp.signed_in("/challenges/<slug>/judging/panels/<key>/conflicts", methods=["POST"])
def record_conflict(slug: str, key: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    panel_row = managed_panel(
        challenge, found(panels.find_panel(challenge, _panel_track(challenge, key)))
    )
    form = AdminConflictForm()
    if form.validate_on_submit():
        with attempt(success=_("The conflict was recorded.")):
            conflicts.record_on_panel(
                current_actor(),
                challenge,
                panel_row,
                form.judge.data,
                form.team.data,
                form.reason.data or "",
            )
    else:
        flash_errors(form)
    return back("judging.panel", slug=slug, key=key)


@bp.route("/judging/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    form = JudgeProfileForm()
    lang = current_language()

    def accept(inv: JudgeInvitation) -> tuple[str, str]:
        judge = panels.accept(current_actor(), token, *form.values())
        slug = judge.panel.challenge.slug
        return _("Welcome to the panel."), url_for("judging.profile", slug=slug)

    return invitation_page(
        panels.INVITATIONS,
        token,
        form,
        "judging/invitation.html",
        accept,
        lang=lang,
        panel_name=panels.panel_name,
    )
