"""Judging pages: the console (rubric, panels, assignments) for agencies; the workspace for
judges (queue, scoring, recusal, flags, files)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.accounts.models import User
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, clock
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import (
    attempt,
    current_actor,
    flash_errors,
    form_error,
    found,
    guard,
    require,
    send_attachment,
)
from competitions.entries import permissions as entry_permissions
from competitions.entries import services as entry_services
from competitions.judging import (
    bp,
    conflicts,
    normalization,
    panels,
    permissions,
    rubrics,
    services,
)
from competitions.judging import results as result_service
from competitions.judging.forms import (
    AdminConflictForm,
    AdvancementForm,
    AssignForm,
    CriterionForm,
    DeclareConflictForm,
    FlagForm,
    InviteJudgeForm,
    JudgeProfileForm,
    RecuseForm,
    ResetForm,
    SettingsForm,
    StageForm,
    score_form,
    typed_scores,
)
from competitions.judging.models import Assignment, Flag, Judge, Panel, Rubric
from competitions.submissions import services as submission_services
from competitions.submissions.fields import display_answer

SHARED_PANEL = "shared"  # the shared panel's key in URLs; a track panel's is the track's slug


@bp.app_template_global()
def can_view_judging(user: object, challenge: Challenge) -> bool:
    return permissions.can_view_judging(user, challenge)


# --- what a page is about, loaded and checked ---------------------------------------------------


def judging_challenge(slug: str) -> Challenge:
    """The challenge whose judging the page shows: for the members of its agencies."""
    return guard(challenge_services.get_challenge(slug), permissions.can_view_judging)


def judging_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    challenge = judging_challenge(slug)
    return challenge, challenge_services.get_round(challenge, round_id)


def editable_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """A round whose stages and rubrics are changed: by the challenge's lead admins."""
    challenge, round_ = judging_round(slug, round_id)
    require(
        permissions.can_edit_rubric(current_user, challenge),
        round_,
        agency_id=challenge.lead_agency_id,
    )
    return challenge, round_


def assignable_track(challenge: Challenge, track_slug: str) -> Track:
    """A track whose submissions are assigned and decided: by its agency's admins."""
    return guard(challenge_services.get_track(challenge, track_slug), permissions.can_assign)


def managed_assignment(challenge: Challenge, assignment_id: int) -> Assignment:
    """An assignment the track's admins end (or whose flags they handle)."""
    a = services.get_assignment(assignment_id, challenge)
    track = a.submission.entry.track
    require(permissions.can_assign(current_user, track), a, agency_id=track.agency_id)
    return a


def my_assignment(assignment_id: int) -> Assignment:
    """An assignment the signed-in judge scores."""
    return guard(services.get_assignment(assignment_id), permissions.can_score)


def my_seats(slug: str) -> tuple[Challenge, list[Judge]]:
    """The signed-in judge's seats on the challenge's panels (none: refused)."""
    challenge = challenge_services.get_challenge(slug)
    seats = panels.judge_seats(current_user, challenge)
    require(bool(seats), challenge)
    return challenge, seats


def requested_stage(round_: Round) -> Rubric:
    """The review stage a page or form is about (``?stage=``; the first by default)."""
    raw = request.values.get("stage", "1")
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= rubrics.MAX_STAGES else 1
    return rubrics.get_stage(round_, number)


def _panel_track(challenge: Challenge, key: str) -> Track | None:
    """The track of a panel's URL key (None for the shared panel)."""
    return None if key == SHARED_PANEL else challenge_services.get_track(challenge, key)


def _key(panel_row: Panel) -> str:
    return panel_row.track.slug if panel_row.track is not None else SHARED_PANEL


def _back(endpoint: str, **values: Any) -> ResponseReturnValue:
    return redirect(url_for(endpoint, **values), code=303)


# --- console ----------------------------------------------------------------------------------


@bp.route("/challenges/<slug>/judging")
@login_required
def console(slug: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    lang = current_language()
    tracks = [t for t in challenge.tracks if permissions.can_view_track_judging(current_user, t)]
    can_edit = permissions.can_edit_rubric(current_user, challenge)
    panel_keys = [(t.slug, _("Panel of %(track)s", track=t.name_in(lang))) for t in tracks]
    if can_edit or tracks:
        panel_keys.append((SHARED_PANEL, _("Shared panel (all tracks)")))
    stages = {r.id: rubrics.stages_of(r) for r in challenge.rounds}
    db.session.commit()  # first stages, created on first view
    return render_template(
        "judging/console.html",
        challenge=challenge,
        stages=stages,
        stage_form=StageForm(formdata=None),
        panel_keys=panel_keys,
        tracks=tracks,
        can_edit=can_edit,
        lang=lang,
    )


# --- rubric: stages, criteria, settings ---------------------------------------------------------


def _rubric_page(
    challenge: Challenge,
    round_: Round,
    settings_form: SettingsForm | None = None,
    criterion_form: CriterionForm | None = None,
    status: int = 200,
    stage_form: StageForm | None = None,
) -> ResponseReturnValue:
    stage = requested_stage(round_)
    db.session.commit()  # the rubric row, created on first view
    return render_template(
        "judging/rubric.html",
        challenge=challenge,
        round=round_,
        rubric=stage,
        settings_form=settings_form or SettingsForm(formdata=None, obj=stage),
        criterion_form=criterion_form or CriterionForm(formdata=None),
        reset_form=ResetForm(formdata=None),
        stage_form=stage_form or StageForm.of(stage),
        stages=rubrics.stages_of(round_),
        can_edit=permissions.can_edit_rubric(current_user, challenge),
        lang=current_language(),
    ), status


def _back_to_rubric(challenge: Challenge, round_: Round, stage: Rubric) -> ResponseReturnValue:
    return _back("judging.rubric", slug=challenge.slug, round_id=round_.id, stage=stage.stage)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
@login_required
def rubric(slug: str, round_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _rubric_page(*judging_round(slug, round_id))
    challenge, round_ = editable_round(slug, round_id)
    form = SettingsForm()
    if form.validate_on_submit():
        stage = requested_stage(round_)
        with attempt(form, success=_("The judging settings were saved.")) as done:
            rubrics.save_settings(current_actor(), challenge, stage, form.settings())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    return _rubric_page(challenge, round_, settings_form=form, status=400)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric/criteria", methods=["POST"])
@login_required
def add_criterion(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    form = CriterionForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The criterion was added.")) as done:
            rubrics.add_criterion(current_actor(), challenge, stage, form.criterion_data())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    return _rubric_page(challenge, round_, criterion_form=form, status=400)


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>",
    methods=["GET", "POST"],
)
@login_required
def edit_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    criterion = rubrics.get_criterion(stage, criterion_id)
    if request.method == "GET":
        form = CriterionForm.of(criterion)
    else:
        form = CriterionForm()
        if form.validate_on_submit():
            with attempt(form, success=_("The criterion was saved.")) as done:
                rubrics.update_criterion(
                    current_actor(), challenge, criterion, form.criterion_data()
                )
            if done:
                return _back_to_rubric(challenge, round_, stage)
    return render_template(
        "judging/criterion.html",
        challenge=challenge,
        round=round_,
        criterion=criterion,
        rubric=stage,
        form=form,
        locked=stage.locked_at is not None,
        lang=current_language(),
    ), (200 if request.method == "GET" else 400)


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/remove",
    methods=["POST"],
)
@login_required
def remove_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    criterion = rubrics.get_criterion(stage, criterion_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The criterion was removed."), category="info"):
            rubrics.remove_criterion(current_actor(), challenge, criterion)
    return _back_to_rubric(challenge, round_, stage)


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/move",
    methods=["POST"],
)
@login_required
def move_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    criterion = rubrics.get_criterion(stage, criterion_id)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        with attempt():
            rubrics.move_criterion(current_actor(), challenge, criterion, offset)
    return _back_to_rubric(challenge, round_, stage)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric/reset", methods=["POST"])
@login_required
def reset_rubric(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    form = ResetForm()
    if form.validate_on_submit():
        with attempt() as done:
            cleared = rubrics.reset(current_actor(), challenge, stage, form.reason.data or "")
        if done:
            flash(
                _("The rubric is unlocked; %(n)d reviews went back to drafts.", n=cleared),
                "warning",
            )
    else:
        flash_errors(form)
    return _back_to_rubric(challenge, round_, stage)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/stages", methods=["POST"])
@login_required
def add_stage(slug: str, round_id: int) -> ResponseReturnValue:
    """A new last review stage of the round (e.g. a jury after the technical review)."""
    challenge, round_ = editable_round(slug, round_id)
    form = StageForm()
    if form.validate_on_submit():
        added = _("The stage was added: give it its criteria.")
        with attempt(success=added) as done:
            stage = rubrics.add_stage(current_actor(), challenge, round_, *form.values())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    else:
        flash_errors(form)
    return _back("judging.console", slug=slug)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/stage", methods=["POST"])
@login_required
def edit_stage(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = editable_round(slug, round_id)
    stage = requested_stage(round_)
    form = StageForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The stage was saved.")) as done:
            rubrics.update_stage(current_actor(), challenge, stage, *form.values())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    return _rubric_page(challenge, round_, stage_form=form, status=400)


# --- panels -----------------------------------------------------------------------------------


@bp.route("/challenges/<slug>/judging/panels/<key>", methods=["GET", "POST"])
@login_required
def panel(slug: str, key: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    track = _panel_track(challenge, key)
    agency_id = track.agency_id if track is not None else challenge.lead_agency_id
    require(
        permissions.can_view_agency_judging(current_user, agency_id), challenge, agency_id=agency_id
    )
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
            return _back("judging.panel", slug=slug, key=key)
    return _panel_page(challenge, key, track, form, can_manage, 400)


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
        conflicts=[c for c in conflicts.conflicts_of(challenge) if c.user_id in judge_users],
        form=form,
        conflict_form=conflict_form,
        can_manage=can_manage,
        lang=lang,
    ), status


@bp.route("/challenges/<slug>/judging/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    inv = panels.get_invitation(challenge, invitation_id)
    require(permissions.can_manage_panel(current_user, inv.panel, challenge), inv.panel)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The invitation was withdrawn."), category="info"):
            panels.revoke(current_actor(), challenge, inv)
    return _back("judging.panel", slug=slug, key=_key(inv.panel))


@bp.route("/challenges/<slug>/judging/judges/<int:judge_id>/remove", methods=["POST"])
@login_required
def remove_judge(slug: str, judge_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    judge = panels.get_judge(challenge, judge_id)
    require(permissions.can_manage_panel(current_user, judge.panel, challenge), judge.panel)
    if ConfirmForm().validate_on_submit():
        with attempt() as done:
            ended = panels.remove(current_actor(), challenge, judge)
        if done:
            name = judge.user.display_name or judge.user.email
            flash(
                _("%(name)s is off the panel; %(n)d assignments ended.", name=name, n=ended), "info"
            )
    return _back("judging.panel", slug=slug, key=_key(judge.panel))


@bp.route("/challenges/<slug>/judging/panels/<key>/conflicts", methods=["POST"])
@login_required
def record_conflict(slug: str, key: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    panel_row = found(panels.find_panel(challenge, _panel_track(challenge, key)))
    require(permissions.can_manage_panel(current_user, panel_row, challenge), panel_row)
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
    return _back("judging.panel", slug=slug, key=key)


@bp.route("/judging/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str) -> ResponseReturnValue:
    # The addressee check is a PermissionDenied the page explains (not a 404): caught here.
    try:
        inv = panels.invitation_from_token(token)
    except DomainError as err:
        return render_template("judging/invitation.html", problem=err.message, inv=None), 400
    form = JudgeProfileForm()
    status = 200
    if request.method == "POST":
        actor = current_actor()
        if "decline" in request.form and ConfirmForm().validate_on_submit():
            try:
                panels.decline(actor, token)
            except DomainError as err:
                db.session.rollback()
                flash(err.message, "danger")
                return render_template(
                    "judging/invitation.html", problem=err.message, inv=None
                ), 403
            db.session.commit()
            flash(_("You declined the invitation."), "info")
            return redirect(url_for("core.index"))
        if form.validate_on_submit():
            try:
                judge = panels.accept(actor, token, *form.values())
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                db.session.commit()
                flash(_("Welcome to the panel."), "success")
                return _back("judging.profile", slug=judge.panel.challenge.slug)
        status = 400
    return render_template(
        "judging/invitation.html",
        inv=inv,
        problem=None,
        form=form,
        lang=current_language(),
        panel_label=panels.panel_name(inv.panel, current_language()),
    ), status


# --- assignments (track admins) -----------------------------------------------------------------


@bp.route("/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/assignments")
@login_required
def assignments(slug: str, round_id: int, track_slug: str) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    stage = requested_stage(round_)
    db.session.commit()
    rows = services.track_overview(round_, track, stage.stage)
    seats = services.seats_for(challenge, track, stage.panel_scope)
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
        statuses=services.review_statuses([a.id for r in rows for a in r.assignments]),
        assign_form=assign_form,
        seats=seats,
        flags=services.flags_of(round_, track),
        can_assign_all=permissions.can_assign_challenge(current_user, challenge),
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/rounds/<int:round_id>/assign", methods=["POST"])
@login_required
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
            outcome = services.auto_assign(current_actor(), challenge, round_, track, stage)
        if done:
            _flash_auto_assigned(outcome)
    if track is None:
        return _back("judging.console", slug=slug)
    return _back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track.slug, stage=stage
    )


def _flash_auto_assigned(outcome: services.AutoResult) -> None:
    flash(
        _(
            "%(added)d assignments added, %(kept)d kept, %(ended)d ended.",
            added=outcome.added,
            kept=outcome.kept,
            ended=outcome.ended,
        ),
        "success",
    )
    if outcome.shortfall:
        flash(
            _(
                "%(n)d submissions could not get enough judges without a conflict: "
                "invite more judges or lower the number of reviews.",
                n=len(outcome.shortfall),
            ),
            "warning",
        )


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/submissions/"
    "<int:submission_id>/assign",
    methods=["POST"],
)
@login_required
def assign(slug: str, round_id: int, track_slug: str, submission_id: int) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    submission = services.get_submission(round_, submission_id, track)
    stage = requested_stage(round_).stage
    form = AssignForm()
    if form.validate_on_submit():
        if not form.judge.data:
            flash(_("Choose a judge."), "danger")
        else:
            judge = panels.get_judge(challenge, form.judge.data)
            with attempt(success=_("The judge was assigned.")):
                services.assign_manually(current_actor(), submission, judge, stage)
    return _back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track_slug, stage=stage
    )


def _back_to_assignments(slug: str, a: Assignment) -> ResponseReturnValue:
    return _back(
        "judging.assignments",
        slug=slug,
        round_id=a.round_id,
        track_slug=a.submission.entry.track.slug,
        stage=a.stage,
    )


@bp.route("/challenges/<slug>/judging/assignments/<int:assignment_id>/unassign", methods=["POST"])
@login_required
def unassign(slug: str, assignment_id: int) -> ResponseReturnValue:
    a = managed_assignment(judging_challenge(slug), assignment_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The assignment ended."), category="info"):
            services.unassign(current_actor(), a)
    return _back_to_assignments(slug, a)


@bp.route("/challenges/<slug>/judging/flags/<int:flag_id>/resolve", methods=["POST"])
@login_required
def resolve_flag(slug: str, flag_id: int) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    row = found(db.session.get(Flag, flag_id))
    a = managed_assignment(challenge, row.assignment_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The flag is marked as handled."), category="info"):
            services.resolve_flag(current_actor(), row, request.form.get("note", ""))
    return _back_to_assignments(slug, a)


# --- the judge's workspace -----------------------------------------------------------------------


@bp.route("/judging")
@login_required
def home() -> ResponseReturnValue:
    return render_template(
        "judging/home.html",
        rounds=services.my_rounds(current_user.id),
        lang=current_language(),
    )


@bp.route("/judging/rounds/<int:round_id>")
@login_required
def queue(round_id: int) -> ResponseReturnValue:
    round_ = services.judged_round(current_user, round_id)
    rows = services.queue(current_user.id, round_)
    stages = {r.stage: r for r in rubrics.stages_of(round_)}
    seats = panels.judge_seats(current_user, round_.challenge)
    db.session.commit()
    return render_template(
        "judging/queue.html",
        round=round_,
        challenge=round_.challenge,
        rows=rows,
        stages=stages,
        # The stages whose panels include one of the judge's seats: they may take work there.
        my_stages=[
            st
            for st in stages.values()
            if any(rubrics.judges_stage(st, seat.panel) for seat in seats)
        ],
        done=sum(1 for r in rows if r.status == "submitted"),
        open=clock.now() <= round_.judging_closes,
        lang=current_language(),
    )


@bp.route("/judging/rounds/<int:round_id>/next", methods=["POST"])
@login_required
def take_next(round_id: int) -> ResponseReturnValue:
    round_ = services.judged_round(current_user, round_id)
    if not ConfirmForm().validate_on_submit():
        return _back("judging.queue", round_id=round_id)
    with attempt() as done:
        stage = requested_stage(round_).stage
        a = services.take_next(current_actor(), round_.challenge, round_, stage)
    if not done:
        return _back("judging.queue", round_id=round_id)
    if a is None:
        flash(_("Every submission you may review is already yours or fully reviewed."), "info")
        return _back("judging.queue", round_id=round_id)
    return _back("judging.review", assignment_id=a.id)


@bp.route("/judging/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def review(assignment_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    stage = rubrics.get_stage(a.submission.round, a.stage)
    form = score_form(stage)
    if request.method == "GET":
        return _review_page(a, stage, form)
    if not form.validate_on_submit():
        form.form_errors.append(_("The form expired: please try again."))
        return _review_page(a, stage, form, status=400)
    typed = typed_scores(form.data, stage)
    comments = (form.comment_to_team.data or "", form.comment_to_admins.data or "")
    submit = "submit" in request.form
    with attempt(form) as done:
        saved = services.save_review(current_actor(), a, typed, *comments, submit=submit)
    if not done:
        values = {k: v for k, v in typed.items() if v}
        return _review_page(a, stage, form, (values, comments), status=400)
    flash(
        _("Your review is submitted. You can still change it until judging closes.")
        if saved.status == "submitted"
        else _("Your draft review is saved."),
        "success",
    )
    if submit:
        return _back("judging.queue", round_id=a.round_id)
    return _back("judging.review", assignment_id=a.id)


def _review_page(
    a: Assignment,
    stage: Rubric,
    form: FlaskForm,
    typed: tuple[dict[int, str], tuple[str, str]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The submission and the scoring form: what the judge typed, else what is saved."""
    existing = a.review
    if typed is None:
        values = (
            {c: str(v.normalize()) for c, v in existing.score_map().items()} if existing else {}
        )
        comments = (existing.comment_to_team, existing.comment_to_admins) if existing else ("", "")
        typed = values, comments
    round_ = a.submission.round
    version = services.counting_version(a.submission)
    db.session.commit()
    return render_template(
        "judging/review.html",
        a=a,
        round=round_,
        challenge=round_.challenge,
        rubric=stage,
        version=version,
        display_answer=display_answer,
        fields=submission_services.fields_of(round_),
        values=typed[0],
        comments=typed[1],
        errors={key: messages[-1] for key, messages in form.errors.items() if key},
        form_errors=form.form_errors,
        review=existing,
        recuse_form=RecuseForm(formdata=None),
        flag_form=FlagForm(formdata=None),
        open=clock.now() <= round_.judging_closes,
        lang=current_language(),
    ), status


@bp.route("/judging/assignments/<int:assignment_id>/autosave", methods=["POST"])
def autosave(assignment_id: int) -> ResponseReturnValue:
    """Save typed scores and comments as a draft without a page load (the page's script posts
    JSON, as for submission drafts). A lost session answers 401; the browser keeps the text.
    A refusal answers JSON too (409), so the service's error is not flashed."""
    if not current_user.is_authenticated:
        return jsonify(status="signed_out"), 401
    a = my_assignment(assignment_id)
    stage = rubrics.get_stage(a.submission.round, a.stage)
    payload = request.get_json(silent=True)
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict):
        return jsonify(status="invalid"), 400
    texts = {k: v for k, v in answers.items() if isinstance(v, str)}
    try:
        services.save_review(
            current_actor(),
            a,
            typed_scores(texts, stage),
            texts.get("comment_to_team", ""),
            texts.get("comment_to_admins", ""),
            submit=False,
        )
    except DomainError as err:
        db.session.rollback()
        return jsonify(status="refused", message=err.message), 409
    db.session.commit()
    return jsonify(status="saved", saved_at=clock.now().isoformat())


@bp.route("/judging/assignments/<int:assignment_id>/recuse", methods=["POST"])
@login_required
def recuse(assignment_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    round_id = a.round_id
    form = RecuseForm()
    if form.validate_on_submit():
        stepped_back = _("You stepped back from this submission.")
        with attempt(success=stepped_back, category="info") as done:
            conflicts.recuse(current_actor(), a, form.reason.data or "")
        if done:
            return _back("judging.queue", round_id=round_id)
    else:
        flash_errors(form)
    return _back("judging.review", assignment_id=assignment_id)


@bp.route("/judging/assignments/<int:assignment_id>/flag", methods=["POST"])
@login_required
def flag(assignment_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    form = FlagForm()
    if form.validate_on_submit():
        with attempt(success=_("The track's admins will see your concern.")):
            services.flag(current_actor(), a, form.kind.data or "", form.note.data or "")
    else:
        flash_errors(form)
    return _back("judging.review", assignment_id=assignment_id)


@bp.route("/judging/assignments/<int:assignment_id>/files/<int:file_id>")
@login_required
def file(assignment_id: int, file_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    version = services.counting_version(a.submission)
    record = found(next((f for f in (version.files if version else []) if f.id == file_id), None))
    try:
        handle = submission_services.open_file(record)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_attachment(handle, record.content_type, services.file_name_for_judge(a, record))


@bp.route("/challenges/<slug>/judging/me", methods=["GET", "POST"])
@login_required
def profile(slug: str) -> ResponseReturnValue:
    challenge, seats = my_seats(slug)
    if request.method == "GET":
        form = JudgeProfileForm(
            formdata=None,
            organisation=seats[0].organisation,
            expertise=", ".join(seats[0].expertise),
            conflicts="\n".join(seats[0].conflict_organisations),
        )
        return _profile_page(challenge, seats, form)
    form = JudgeProfileForm()
    if form.validate_on_submit():
        with attempt(form, success=_("Your judge profile was saved.")) as done:
            for seat in seats:
                panels.update_profile(current_actor(), seat, *form.values())
        if done:
            return _back("judging.profile", slug=slug)
    return _profile_page(challenge, seats, form, 400)


def _profile_page(
    challenge: Challenge, seats: list[Judge], form: JudgeProfileForm, status: int = 200
) -> ResponseReturnValue:
    declare_form = DeclareConflictForm(formdata=None)
    declare_form.team.choices = [
        SelectChoice(t.id, t.name) for t in conflicts.teams_of_challenge(challenge)
    ]
    return render_template(
        "judging/profile.html",
        challenge=challenge,
        seats=seats,
        form=form,
        declare_form=declare_form,
        my_conflicts=conflicts.conflicts_of(challenge, current_user.id),
        lang=current_language(),
    ), status


@bp.route("/challenges/<slug>/judging/me/conflicts", methods=["POST"])
@login_required
def declare_conflict(slug: str) -> ResponseReturnValue:
    challenge, _seats = my_seats(slug)
    form = DeclareConflictForm()
    if form.validate_on_submit():
        recorded = _("Your conflict was recorded: that team will not be assigned to you.")
        with attempt(success=recorded):
            team = conflicts.chosen_team(form.team.data)
            conflicts.declare(current_actor(), challenge, team, form.reason.data or "")
    return _back("judging.profile", slug=slug)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "review_labels": {
            "new": _("Not started"),
            "draft": _("Draft"),
            "submitted": _("Submitted"),
        },
        "flag_labels": {
            "ineligible": _("Possibly ineligible"),
            "plagiarism": _("Possible plagiarism"),
            "other": _("Something else"),
        },
        "leniency_labels": {
            "lenient": _("lenient"),
            "severe": _("severe"),
            "typical": _("typical"),
        },
        "scope_labels": {
            "all": _("Each track's panel and the shared panel"),
            "tracks": _("Each track's own panel only"),
            "shared": _("The shared cross-track panel only"),
        },
        "conflict_sources": {
            "declared": _("declared by the judge"),
            "recused": _("judge stepped back"),
            "member": _("judge is on the team"),
            "organisation": _("same organisation"),
            "email_domain": _("same email domain"),
            "admin": _("recorded by an admin"),
        },
    }


# --- results, advancement, release ------------------------------------------------------------


@bp.route("/challenges/<slug>/rounds/<int:round_id>/results")
@login_required
def results(slug: str, round_id: int) -> ResponseReturnValue:
    """The round's results for the agencies, before and after the release: comparable across
    tracks; judges' leniency only for the panels the viewer runs."""
    challenge, round_ = judging_round(slug, round_id)
    stage = requested_stage(round_)
    data = result_service.results_of(round_, stage.stage)
    db.session.commit()
    lang = current_language()
    visible_panels = {
        p.id
        for p in panels.panels_of(challenge)
        if permissions.can_view_agency_judging(current_user, permissions.panel_agency(p, challenge))
    }
    return render_template(
        "judging/results.html",
        challenge=challenge,
        round=round_,
        stage=stage,
        stages=rubrics.stages_of(round_),
        data=data,
        by_track={
            t.id: [i for i in data["items"] if i["track_id"] == t.id] for t in challenge.tracks
        },
        leniency=[r for r in data["leniency"] if r["panel_id"] in visible_panels],
        outliers=data["outliers"] if visible_panels else [],
        users=result_service.judges_by_id({row["user_id"] for row in data["leniency"]}),
        decided=result_service.decisions(round_, challenge.tracks, stage.stage),
        released=result_service.released(round_),
        explanation=normalization.explanation(lang),
        can_advance={t.id: permissions.can_assign(current_user, t) for t in challenge.tracks},
        lang=lang,
    )


@bp.route("/challenges/<slug>/rounds/<int:round_id>/results.csv")
@login_required
def results_csv(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    stage = requested_stage(round_).stage
    audit.record(
        current_actor(),
        "judging.scores_exported",
        obj=round_,
        object_type="round",
        agency_id=challenge.lead_agency_id,
        after={"stage": stage},
    )
    db.session.commit()
    user_id, challenge_id, rid = current_user.id, challenge.id, round_.id

    def stream() -> Any:
        # A fresh lookup inside the stream: the request's objects are gone once it returns.
        user = db.session.get(User, user_id)
        ch = db.session.get(Challenge, challenge_id)
        r = db.session.get(Round, rid)
        assert user is not None and ch is not None and r is not None
        yield from result_service.scores_csv(user, ch, r, stage)
        db.session.commit()

    return Response(
        stream_with_context(stream()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{challenge.slug}-round-{rid}-stage-{stage}-scores.csv"'
            )
        },
    )


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/advancement",
    methods=["GET", "POST"],
)
@login_required
def advancement(slug: str, round_id: int, track_slug: str) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    stage = requested_stage(round_)
    data = result_service.results_of(round_, stage.stage)
    items = [i for i in data["items"] if i["track_id"] == track.id]
    form = AdvancementForm(formdata=request.form if request.method == "POST" else None)
    existing = result_service.advancement_of(round_, track, stage.stage)
    chosen = {e for e, a in existing.items() if a.advancing}
    if request.method == "GET":
        return _advancement_page(challenge, round_, track, stage, items, chosen, form)
    if not form.validate():
        return _advancement_page(challenge, round_, track, stage, items, chosen, form, 400)
    if "confirm" in request.form:
        picked = {int(v) for v in request.form.getlist("entry") if v.isdigit()}
        method = form.method.data or "manual"
        with attempt(form) as done:
            yes, no = result_service.decide(
                current_actor(), round_, track, method, picked, stage.stage
            )
        if done:
            flash(
                _("Decision recorded: %(yes)d advancing, %(no)d not advancing.", yes=yes, no=no),
                "success",
            )
            return _back("judging.results", slug=slug, round_id=round_id, stage=stage.stage)
        return _advancement_page(challenge, round_, track, stage, items, chosen, form, 400)
    # A preview of what the rule selects.
    threshold = None if form.threshold.data is None else float(form.threshold.data)
    with attempt(form) as done:
        chosen = set(
            result_service.select_advancing(items, form.method.data or "", form.n.data, threshold)
        )
    return _advancement_page(
        challenge, round_, track, stage, items, chosen, form, 200 if done else 400
    )


def _advancement_page(
    challenge: Challenge,
    round_: Round,
    track: Track,
    stage: Rubric,
    items: list[Any],
    chosen: set[int],
    form: AdvancementForm,
    status: int = 200,
) -> ResponseReturnValue:
    db.session.commit()
    return render_template(
        "judging/advancement.html",
        challenge=challenge,
        round=round_,
        track=track,
        stage=stage,
        last_stage=rubrics.last_stage(round_),
        items=sorted(items, key=lambda i: (i["rank_track"] is None, i["rank_track"] or 0)),
        chosen=chosen,
        form=form,
        lang=current_language(),
    ), status


def published_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """Results pages: public from the round's results instant, the same for every track;
    before it (or for a draft challenge) they exist only for the agencies taking part."""
    challenge = challenge_services.get_challenge(slug)
    round_ = challenge_services.get_round(challenge, round_id)
    public = challenge.is_published and result_service.released(round_)
    if not public and not permissions.can_view_judging(current_user, challenge):
        abort(404)  # not out yet: nothing to refuse
    return challenge, round_


@bp.route("/challenges/<slug>/rounds/<int:round_id>/winners")
def winners(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = published_round(slug, round_id)
    per_track = [(t, result_service.winners(round_, t)) for t in challenge.tracks]
    return _winners_page(challenge, round_, per_track)


@bp.route("/challenges/<slug>/tracks/<track_slug>/rounds/<int:round_id>/winners")
def track_winners(slug: str, track_slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = published_round(slug, round_id)
    track = challenge_services.get_track(challenge, track_slug)
    return _winners_page(challenge, round_, [(track, result_service.winners(round_, track))])


def _winners_page(challenge: Challenge, round_: Round, per_track: list[Any]) -> ResponseReturnValue:
    db.session.commit()
    return render_template(
        "judging/winners.html",
        challenge=challenge,
        round=round_,
        per_track=per_track,
        released=result_service.released(round_),
        lang=current_language(),
    )


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/feedback")
@login_required
def feedback(entry_id: int, round_id: int) -> ResponseReturnValue:
    """A team's outcome in a round and the judges' comments to it, from the release instant;
    the track's agency sees the page before, to check what the team will read."""
    entry = entry_services.get_entry(entry_id)
    if not entry_permissions.can_view_entry(current_user, entry):
        abort(404)  # as for an entry that does not exist
    challenge = entry.track.challenge
    round_ = challenge_services.get_round(challenge, round_id)
    released = challenge.is_published and result_service.released(round_)
    if not released and not permissions.can_view_track_judging(current_user, entry.track):
        abort(404)  # not out yet
    data = result_service.feedback(entry, round_)
    db.session.commit()
    return render_template(
        "judging/feedback.html",
        entry=entry,
        challenge=challenge,
        round=round_,
        feedback=data,
        released=released,
        lang=current_language(),
    )
