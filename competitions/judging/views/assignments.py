"""Assignments, for the track's admins: the track's submissions and their judges, automatic and
manual assignment, ending an assignment, and the judges' flags."""

from __future__ import annotations

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.core.web import attempt, current_actor, found, require
from competitions.judging import assignments as assignment_services
from competitions.judging import bp, flags, panels, permissions, rubrics
from competitions.judging.forms import AssignForm
from competitions.judging.models import Assignment, Flag
from competitions.judging.views.pages import (
    assignable_track,
    back,
    judging_challenge,
    judging_round,
    requested_stage,
)


def managed_assignment(challenge: Challenge, assignment_id: int) -> Assignment:
    """An assignment the track's admins end (or whose flags they handle)."""
    a = assignment_services.get_assignment(assignment_id, challenge)
    track = a.submission.entry.track
    require(permissions.can_assign(current_user, track), a, agency_id=track.agency_id)
    return a


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/assignments")
def assignments(slug: str, round_id: int, track_slug: str) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    stage = requested_stage(round_)
    db.session.commit()
    rows = assignment_services.track_overview(round_, track, stage.stage)
    seats = assignment_services.seats_for(challenge, track, stage.panel_scope)
    assign_form = AssignForm(formdata=None)
    assign_form.judge.choices = [
        SelectChoice(j.id, j.user.display_name or j.user.email) for j in seats
    ]
    return render_template(
        "judging/assignments.html",
        challenge=challenge,
        round=round_,
        track=track,
        rubric=stage,
        stages=rubrics.stages_of(round_),
        rows=rows,
        statuses=assignment_services.review_statuses([a.id for r in rows for a in r.assignments]),
        assign_form=assign_form,
        seats=seats,
        flags=flags.flags_of(round_, track),
        can_assign_all=permissions.can_assign_challenge(current_user, challenge),
    )


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/assign", methods=["POST"])
def auto_assign(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track_slug = request.form.get("track", "")
    track = challenge_services.get_track(challenge, track_slug) if track_slug else None
    if track is not None:
        require(permissions.can_assign(current_user, track), round_, agency_id=track.agency_id)
    else:
        require(
            permissions.can_assign_challenge(current_user, challenge),
            round_,
            agency_id=challenge.lead_agency_id,
        )
    stage = requested_stage(round_).stage
    if ConfirmForm().validate_on_submit():
        with attempt() as done:
            outcome = assignment_services.auto_assign(
                current_actor(), challenge, round_, track, stage
            )
        if done:
            _flash_auto_assigned(outcome)
    if track is None:
        return back("judging.console", slug=slug)
    return back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track.slug, stage=stage
    )


def _flash_auto_assigned(outcome: assignment_services.AutoResult) -> None:
    flash(
        _(
            "Assignments added: %(added)d; kept: %(kept)d; ended: %(ended)d.",
            added=outcome.added,
            kept=outcome.kept,
            ended=outcome.ended,
        ),
        "success",
    )
    if outcome.shortfall and not outcome.judges:
        flash(_("There are no judges on this panel yet: invite judges, then assign."), "warning")
    elif outcome.shortfall:
        flash(
            ngettext(
                "%(num)d submission could not get enough judges without a conflict: "
                "invite more judges or lower the number of reviews.",
                "%(num)d submissions could not get enough judges without a conflict: "
                "invite more judges or lower the number of reviews.",
                len(outcome.shortfall),
            ),
            "warning",
        )


@bp.signed_in(
    "/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/submissions/"
    "<int:submission_id>/assign",
    methods=["POST"],
)
def assign(slug: str, round_id: int, track_slug: str, submission_id: int) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    submission = assignment_services.get_submission(round_, submission_id, track)
    stage = requested_stage(round_).stage
    form = AssignForm()
    if form.validate_on_submit():
        if not form.judge.data:
            flash(_("Choose a judge."), "danger")
        else:
            judge = panels.get_judge(challenge, form.judge.data)
            with attempt(success=_("The judge was assigned.")):
                assignment_services.assign_manually(current_actor(), submission, judge, stage)
    return back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track_slug, stage=stage
    )


def _back_to_assignments(slug: str, a: Assignment) -> ResponseReturnValue:
    return back(
        "judging.assignments",
        slug=slug,
        round_id=a.round_id,
        track_slug=a.submission.entry.track.slug,
        stage=a.stage,
    )


@bp.signed_in(
    "/challenges/<slug>/judging/assignments/<int:assignment_id>/unassign", methods=["POST"]
)
def unassign(slug: str, assignment_id: int) -> ResponseReturnValue:
    a = managed_assignment(judging_challenge(slug), assignment_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The assignment ended."), category="info"):
            assignment_services.unassign(current_actor(), a)
    return _back_to_assignments(slug, a)


@bp.signed_in("/challenges/<slug>/judging/flags/<int:flag_id>/resolve", methods=["POST"])
def resolve_flag(slug: str, flag_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    row = found(db.session.get(Flag, flag_id))
    a = managed_assignment(challenge, row.assignment_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The flag is marked as handled."), category="info"):
            flags.resolve_flag(current_actor(), row, request.form.get("note", ""))
    return _back_to_assignments(slug, a)
