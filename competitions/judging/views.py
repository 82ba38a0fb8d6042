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
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.accounts.models import User
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, clock
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import current_actor, deny, form_error, send_attachment
from competitions.entries import permissions as entry_permissions
from competitions.entries.models import Entry
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
)
from competitions.judging.models import Assignment, Criterion, Flag, Judge, JudgeInvitation, Panel
from competitions.submissions import services as submission_services
from competitions.submissions.fields import display_answer


@bp.app_template_global()
def can_view_judging(user: object, challenge: Challenge) -> bool:
    return permissions.can_view_judging(user, challenge)


def _challenge(slug: str) -> Challenge:
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    if not permissions.can_view_judging(current_user, challenge):
        deny(challenge, agency_id=challenge.lead_agency_id)
    return challenge


def _round(challenge: Challenge, round_id: int) -> Round:
    try:
        return rubrics.get_round(challenge, round_id)
    except NotFound:
        abort(404)


def _stage_number() -> int:
    """The review stage a page or form is about (``?stage=``; the first by default)."""
    raw = request.values.get("stage", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= rubrics.MAX_STAGES else 1


def _stage(round_: Round, number: int | None = None) -> Any:
    try:
        return rubrics.get_stage(round_, number or _stage_number())
    except NotFound:
        abort(404)


def _track(challenge: Challenge, track_slug: str) -> Track:
    try:
        track: Track = challenge_services.get_track(challenge, track_slug)
    except NotFound:
        abort(404)
    return track


def _back(endpoint: str, **values: Any) -> ResponseReturnValue:
    return redirect(url_for(endpoint, **values), code=303)


# --- console ----------------------------------------------------------------------------------


@bp.route("/challenges/<slug>/judging")
@login_required
def console(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    lang = current_language()
    panel_keys: list[tuple[str, str]] = [
        (t.slug, _("Panel of %(track)s", track=t.name_in(lang)))
        for t in challenge.tracks
        if permissions.can_view_track_judging(current_user, t)
    ]
    if permissions.can_edit_rubric(current_user, challenge) or any(
        permissions.can_view_track_judging(current_user, t) for t in challenge.tracks
    ):
        panel_keys.append(("shared", _("Shared panel (all tracks)")))
    stages = {r.id: rubrics.stages_of(r) for r in challenge.rounds}
    db.session.commit()  # first stages, created on first view
    return render_template(
        "judging/console.html",
        challenge=challenge,
        stages=stages,
        stage_form=StageForm(formdata=None),
        panel_keys=panel_keys,
        tracks=[t for t in challenge.tracks if permissions.can_view_track_judging(current_user, t)],
        can_edit=permissions.can_edit_rubric(current_user, challenge),
        lang=lang,
    )


def _rubric_page(
    challenge: Challenge,
    round_: Round,
    settings_form: SettingsForm | None = None,
    criterion_form: CriterionForm | None = None,
    status: int = 200,
    stage_form: StageForm | None = None,
) -> ResponseReturnValue:
    rubric = _stage(round_)
    if stage_form is None:
        stage_form = StageForm(
            formdata=None,
            name_en=rubric.name.get("en", ""),
            name_fr=rubric.name.get("fr", ""),
            panel_scope=rubric.panel_scope,
        )
    if settings_form is None:
        settings_form = SettingsForm(
            formdata=None,
            reviews_per_submission=rubric.reviews_per_submission,
            blind=rubric.blind,
            cross_track=rubric.cross_track,
            min_reviews=rubric.min_reviews,
            seed=rubric.seed,
        )
    db.session.commit()  # the rubric row, created on first view
    return render_template(
        "judging/rubric.html",
        challenge=challenge,
        round=round_,
        rubric=rubric,
        settings_form=settings_form,
        criterion_form=criterion_form or CriterionForm(formdata=None),
        reset_form=ResetForm(formdata=None),
        stage_form=stage_form,
        stages=rubrics.stages_of(round_),
        can_edit=permissions.can_edit_rubric(current_user, challenge),
        lang=current_language(),
    ), status


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
@login_required
def rubric(slug: str, round_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    if request.method == "GET":
        return _rubric_page(challenge, round_)
    if not permissions.can_edit_rubric(current_user, challenge):
        deny(round_, agency_id=challenge.lead_agency_id)
    form = SettingsForm()
    if form.validate_on_submit():
        rubric_row = _stage(round_)
        try:
            rubrics.save_settings(
                current_actor(),
                challenge,
                rubric_row,
                rubrics.Settings(
                    reviews_per_submission=form.reviews_per_submission.data or 0,
                    blind=bool(form.blind.data),
                    cross_track=bool(form.cross_track.data),
                    min_reviews=form.min_reviews.data or 0,
                    seed=form.seed.data or 0,
                ),
            )
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The judging settings were saved."), "success")
            return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)
    return _rubric_page(challenge, round_, settings_form=form, status=400)


def _descriptors(form: CriterionForm) -> dict[str, dict[str, str]]:
    """Lines "level: text" per language → {level: {lang: text}}."""
    out: dict[str, dict[str, str]] = {}
    for lang, raw in (("en", form.descriptors_en.data), ("fr", form.descriptors_fr.data)):
        for line in (raw or "").splitlines():
            level, sep, text = line.partition(":")
            if not sep or not text.strip():
                if line.strip():
                    raise DomainError(
                        _("Write each descriptor as “score: meaning”."), field=f"descriptors_{lang}"
                    )
                continue
            out.setdefault(level.strip(), {})[lang] = text.strip()
    return out


def _criterion_data(form: CriterionForm) -> rubrics.CriterionData:
    return rubrics.CriterionData(
        title={"en": form.title_en.data or "", "fr": form.title_fr.data or ""},
        guidance={"en": form.guidance_en.data or "", "fr": form.guidance_fr.data or ""},
        weight=form.weight.data,
        scale_min=form.scale_min.data,
        scale_max=form.scale_max.data,
        step=form.step.data,
        descriptors=_descriptors(form),
    )


def _editable_rubric(slug: str, round_id: int) -> tuple[Challenge, Round, Any]:
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    if not permissions.can_edit_rubric(current_user, challenge):
        deny(round_, agency_id=challenge.lead_agency_id)
    return challenge, round_, _stage(round_)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric/criteria", methods=["POST"])
@login_required
def add_criterion(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_, rubric_row = _editable_rubric(slug, round_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            rubrics.add_criterion(current_actor(), challenge, rubric_row, _criterion_data(form))
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The criterion was added."), "success")
            return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)
    return _rubric_page(challenge, round_, criterion_form=form, status=400)


def _criterion(rubric_row: Any, criterion_id: int) -> Criterion:
    try:
        return rubrics.get_criterion(rubric_row, criterion_id)
    except NotFound:
        abort(404)


def _descriptor_text(criterion: Criterion, lang: str) -> str:
    return "\n".join(
        f"{level}: {texts[lang]}" for level, texts in criterion.descriptors.items() if lang in texts
    )


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>",
    methods=["GET", "POST"],
)
@login_required
def edit_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_, rubric_row = _editable_rubric(slug, round_id)
    criterion = _criterion(rubric_row, criterion_id)
    if request.method == "GET":
        form = CriterionForm(
            formdata=None,
            title_en=criterion.title.get("en", ""),
            title_fr=criterion.title.get("fr", ""),
            guidance_en=criterion.guidance.get("en", ""),
            guidance_fr=criterion.guidance.get("fr", ""),
            weight=str(criterion.weight),
            scale_min=str(criterion.scale_min),
            scale_max=str(criterion.scale_max),
            step=str(criterion.step),
            descriptors_en=_descriptor_text(criterion, "en"),
            descriptors_fr=_descriptor_text(criterion, "fr"),
        )
    else:
        form = CriterionForm()
        if form.validate_on_submit():
            try:
                rubrics.update_criterion(
                    current_actor(), challenge, criterion, _criterion_data(form)
                )
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                db.session.commit()
                flash(_("The criterion was saved."), "success")
                return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)
    return render_template(
        "judging/criterion.html",
        challenge=challenge,
        round=round_,
        criterion=criterion,
        rubric=rubric_row,
        form=form,
        locked=rubric_row.locked_at is not None,
        lang=current_language(),
    ), (200 if request.method == "GET" else 400)


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/remove",
    methods=["POST"],
)
@login_required
def remove_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, _r, rubric_row = _editable_rubric(slug, round_id)
    criterion = _criterion(rubric_row, criterion_id)
    if ConfirmForm().validate_on_submit():
        try:
            rubrics.remove_criterion(current_actor(), challenge, criterion)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The criterion was removed."), "info")
    return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/move",
    methods=["POST"],
)
@login_required
def move_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, _r, rubric_row = _editable_rubric(slug, round_id)
    criterion = _criterion(rubric_row, criterion_id)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        try:
            rubrics.move_criterion(current_actor(), challenge, criterion, offset)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
    return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/rubric/reset", methods=["POST"])
@login_required
def reset_rubric(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, _r, rubric_row = _editable_rubric(slug, round_id)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            cleared = rubrics.reset(current_actor(), challenge, rubric_row, form.reason.data or "")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(
                _("The rubric is unlocked; %(n)d reviews went back to drafts.", n=cleared),
                "warning",
            )
    else:
        for message in form.reason.errors:
            flash(str(message), "danger")
    return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)


def _stage_values(form: StageForm) -> tuple[dict[str, str], str]:
    return (
        {"en": form.name_en.data or "", "fr": form.name_fr.data or ""},
        form.panel_scope.data or "",
    )


@bp.route("/challenges/<slug>/rounds/<int:round_id>/stages", methods=["POST"])
@login_required
def add_stage(slug: str, round_id: int) -> ResponseReturnValue:
    """A new last review stage of the round (e.g. a jury after the technical review)."""
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    if not permissions.can_edit_rubric(current_user, challenge):
        deny(round_, agency_id=challenge.lead_agency_id)
    form = StageForm()
    if form.validate_on_submit():
        try:
            row = rubrics.add_stage(current_actor(), challenge, round_, *_stage_values(form))
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The stage was added: give it its criteria."), "success")
            return _back("judging.rubric", slug=slug, round_id=round_id, stage=row.stage)
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return _back("judging.console", slug=slug)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/stage", methods=["POST"])
@login_required
def edit_stage(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_, rubric_row = _editable_rubric(slug, round_id)
    form = StageForm()
    if form.validate_on_submit():
        try:
            rubrics.update_stage(current_actor(), challenge, rubric_row, *_stage_values(form))
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The stage was saved."), "success")
            return _back("judging.rubric", slug=slug, round_id=round_id, stage=rubric_row.stage)
    return _rubric_page(challenge, round_, stage_form=form, status=400)


# --- panels -----------------------------------------------------------------------------------


def _panel_scope(challenge: Challenge, key: str) -> Track | None:
    return None if key == "shared" else _track(challenge, key)


@bp.route("/challenges/<slug>/judging/panels/<key>", methods=["GET", "POST"])
@login_required
def panel(slug: str, key: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    track = _panel_scope(challenge, key)
    agency_id = track.agency_id if track is not None else challenge.lead_agency_id
    if not permissions.can_view_agency_judging(current_user, agency_id):
        deny(challenge, agency_id=agency_id)
    can_manage = permissions.can_manage_agency_judging(current_user, agency_id)
    form = InviteJudgeForm()
    status = 200
    if request.method == "POST":
        if not can_manage:
            deny(challenge, agency_id=agency_id)
        if form.validate_on_submit():
            try:
                row = panels.panel_for(challenge, track)
                inv = panels.invite(current_actor(), challenge, row, form.email.data or "")
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                db.session.commit()
                flash(_("An invitation was sent to %(email)s.", email=inv.email), "success")
                return _back("judging.panel", slug=slug, key=key)
        status = 400
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
        conflicts=[
            c for c in conflicts.conflicts_of(challenge) if c.user_id in {j.user_id for j in judges}
        ],
        form=form,
        conflict_form=conflict_form,
        can_manage=can_manage,
        lang=lang,
    ), status


def _manageable_panel(challenge: Challenge, panel_row: Panel) -> None:
    if not permissions.can_manage_panel(current_user, panel_row, challenge):
        deny(panel_row, agency_id=permissions.panel_agency(panel_row, challenge))


def _key(panel_row: Panel) -> str:
    return panel_row.track.slug if panel_row.track is not None else "shared"


@bp.route("/challenges/<slug>/judging/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    inv = db.session.get(JudgeInvitation, invitation_id)
    if inv is None or inv.panel.challenge_id != challenge.id:
        abort(404)
    _manageable_panel(challenge, inv.panel)
    if ConfirmForm().validate_on_submit():
        panels.revoke(current_actor(), challenge, inv)
        db.session.commit()
        flash(_("The invitation was withdrawn."), "info")
    return _back("judging.panel", slug=slug, key=_key(inv.panel))


def _judge(challenge: Challenge, judge_id: int) -> Judge:
    judge = db.session.get(Judge, judge_id)
    if judge is None or judge.panel.challenge_id != challenge.id:
        abort(404)
    return judge


@bp.route("/challenges/<slug>/judging/judges/<int:judge_id>/remove", methods=["POST"])
@login_required
def remove_judge(slug: str, judge_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    judge = _judge(challenge, judge_id)
    _manageable_panel(challenge, judge.panel)
    if ConfirmForm().validate_on_submit():
        ended = panels.remove(current_actor(), challenge, judge)
        db.session.commit()
        flash(
            _(
                "%(name)s is off the panel; %(n)d assignments ended.",
                name=judge.user.display_name or judge.user.email,
                n=ended,
            ),
            "info",
        )
    return _back("judging.panel", slug=slug, key=_key(judge.panel))


@bp.route("/challenges/<slug>/judging/panels/<key>/conflicts", methods=["POST"])
@login_required
def record_conflict(slug: str, key: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    track = _panel_scope(challenge, key)
    existing = panels.find_panel(challenge, track)
    if existing is None:
        abort(404)
    _manageable_panel(challenge, existing)
    form = AdminConflictForm()
    if form.validate_on_submit():
        judge = db.session.get(Judge, form.judge.data)
        from competitions.entries.models import Team

        team = db.session.get(Team, form.team.data)
        if judge is None or judge.panel_id != existing.id or team is None:
            flash(_("Choose a judge of this panel and a team."), "danger")
        else:
            try:
                conflicts.record_by_admin(
                    current_actor(), challenge, judge, team, form.reason.data or ""
                )
            except DomainError as err:
                db.session.rollback()
                flash(err.message, "danger")
            else:
                db.session.commit()
                flash(_("The conflict was recorded."), "success")
    else:
        for message in form.reason.errors:
            flash(str(message), "danger")
    return _back("judging.panel", slug=slug, key=key)


@bp.route("/judging/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str) -> ResponseReturnValue:
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
                return redirect(
                    url_for("judging.profile", slug=judge.panel.challenge.slug), code=303
                )
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
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    track = _track(challenge, track_slug)
    if not permissions.can_assign(current_user, track):
        deny(track, agency_id=track.agency_id)
    rubrics.stages_of(round_)
    rubric_row = _stage(round_)
    db.session.commit()
    rows = services.track_overview(round_, track, rubric_row.stage)
    statuses = services.review_statuses([a.id for r in rows for a in r.assignments])
    seats = services._seats(challenge, track, rubric_row.panel_scope)
    assign_form = AssignForm(formdata=None)
    assign_form.judge.choices = [
        SelectChoice(j.id, j.user.display_name or j.user.email) for j in seats
    ]
    return render_template(
        "judging/assignments.html",
        challenge=challenge,
        round=round_,
        track=track,
        rubric=rubric_row,
        stages=rubrics.stages_of(round_),
        rows=rows,
        statuses=statuses,
        assign_form=assign_form,
        seats=seats,
        flags=services.flags_of(round_, track),
        can_assign_all=permissions.can_assign_challenge(current_user, challenge),
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/rounds/<int:round_id>/assign", methods=["POST"])
@login_required
def auto_assign(slug: str, round_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    track_slug = request.form.get("track", "")
    track = _track(challenge, track_slug) if track_slug else None
    allowed = (
        permissions.can_assign(current_user, track)
        if track is not None
        else permissions.can_assign_challenge(current_user, challenge)
    )
    if not allowed:
        deny(round_, agency_id=track.agency_id if track else challenge.lead_agency_id)
    stage = _stage(round_).stage
    if ConfirmForm().validate_on_submit():
        try:
            outcome = services.auto_assign(current_actor(), challenge, round_, track, stage)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
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
    if track is None:
        return _back("judging.console", slug=slug)
    return _back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track.slug, stage=stage
    )


@bp.route(
    "/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/submissions/"
    "<int:submission_id>/assign",
    methods=["POST"],
)
@login_required
def assign(slug: str, round_id: int, track_slug: str, submission_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    round_ = _round(challenge, round_id)
    track = _track(challenge, track_slug)
    if not permissions.can_assign(current_user, track):
        deny(track, agency_id=track.agency_id)
    try:
        submission = services.get_submission(round_, submission_id)
    except NotFound:
        abort(404)
    if submission.entry.track_id != track.id:
        abort(404)
    stage = _stage(round_).stage
    form = AssignForm()
    if form.validate_on_submit() and not form.judge.data:
        flash(_("Choose a judge."), "danger")
    elif form.validate_on_submit():
        judge = _judge(challenge, form.judge.data or 0)
        try:
            services.assign_manually(current_actor(), submission, judge, stage)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The judge was assigned."), "success")
    return _back(
        "judging.assignments", slug=slug, round_id=round_id, track_slug=track_slug, stage=stage
    )


def _admin_assignment(challenge: Challenge, assignment_id: int) -> Assignment:
    try:
        a = services.get_assignment(assignment_id)
    except NotFound:
        abort(404)
    if a.submission.entry.challenge_id != challenge.id:
        abort(404)
    if not permissions.can_assign(current_user, a.submission.entry.track):
        deny(a, agency_id=a.submission.entry.track.agency_id)
    return a


@bp.route("/challenges/<slug>/judging/assignments/<int:assignment_id>/unassign", methods=["POST"])
@login_required
def unassign(slug: str, assignment_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    a = _admin_assignment(challenge, assignment_id)
    if ConfirmForm().validate_on_submit():
        services.unassign(current_actor(), a)
        db.session.commit()
        flash(_("The assignment ended."), "info")
    return _back(
        "judging.assignments",
        slug=slug,
        round_id=a.round_id,
        track_slug=a.submission.entry.track.slug,
        stage=a.stage,
    )


@bp.route("/challenges/<slug>/judging/flags/<int:flag_id>/resolve", methods=["POST"])
@login_required
def resolve_flag(slug: str, flag_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    row = db.session.get(Flag, flag_id)
    if row is None:
        abort(404)
    a = _admin_assignment(challenge, row.assignment_id)
    if ConfirmForm().validate_on_submit():
        services.resolve_flag(current_actor(), row, request.form.get("note", ""))
        db.session.commit()
        flash(_("The flag is marked as handled."), "info")
    return _back(
        "judging.assignments",
        slug=slug,
        round_id=a.round_id,
        track_slug=a.submission.entry.track.slug,
        stage=a.stage,
    )


# --- the judge's workspace -----------------------------------------------------------------------


@bp.route("/judging")
@login_required
def home() -> ResponseReturnValue:
    return render_template(
        "judging/home.html",
        rounds=services.my_rounds(current_user.id),
        lang=current_language(),
    )


def _judge_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or not panels.judge_seats(current_user, round_.challenge):
        abort(404)
    return round_


@bp.route("/judging/rounds/<int:round_id>")
@login_required
def queue(round_id: int) -> ResponseReturnValue:
    round_ = _judge_round(round_id)
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
    round_ = _judge_round(round_id)
    if not ConfirmForm().validate_on_submit():
        return _back("judging.queue", round_id=round_id)
    try:
        a = services.take_next(current_actor(), round_.challenge, round_, _stage(round_).stage)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back("judging.queue", round_id=round_id)
    db.session.commit()
    if a is None:
        flash(_("Every submission you may review is already yours or fully reviewed."), "info")
        return _back("judging.queue", round_id=round_id)
    return _back("judging.review", assignment_id=a.id)


def _my_assignment(assignment_id: int) -> Assignment:
    try:
        a = services.get_assignment(assignment_id)
    except NotFound:
        abort(404)
    if not permissions.can_score(current_user, a):
        deny(a)
    return a


def _scores_from(form: Any, rubric_row: Any) -> dict[int, str]:
    return {c.id: form.get(f"c{c.id}", "") for c in rubric_row.criteria}


@bp.route("/judging/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def review(assignment_id: int) -> ResponseReturnValue:
    a = _my_assignment(assignment_id)
    round_ = a.submission.round
    rubric_row = _stage(round_, a.stage)
    errors: dict[str, str] = {}
    form_errors: list[str] = []
    existing = a.review
    values = (
        {c_id: str(v.normalize()) for c_id, v in existing.score_map().items()} if existing else {}
    )
    comments = (existing.comment_to_team, existing.comment_to_admins) if existing else ("", "")
    status = 200
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            form_errors.append(_("The form expired: please try again."))
            status = 400
        else:
            typed = _scores_from(request.form, rubric_row)
            values = {k: v for k, v in typed.items() if v}
            comments = (
                request.form.get("comment_to_team", ""),
                request.form.get("comment_to_admins", ""),
            )
            try:
                saved = services.save_review(
                    current_actor(),
                    a,
                    typed,
                    comments[0],
                    comments[1],
                    submit="submit" in request.form,
                )
            except DomainError as err:
                db.session.rollback()
                if err.field:
                    errors[err.field] = err.message
                else:
                    form_errors.append(err.message)
                status = 400
            else:
                db.session.commit()
                flash(
                    _("Your review is submitted. You can still change it until judging closes.")
                    if saved.status == "submitted"
                    else _("Your draft review is saved."),
                    "success",
                )
                if "submit" in request.form:
                    return _back("judging.queue", round_id=round_.id)
                return _back("judging.review", assignment_id=a.id)
    version = services.counting_version(a.submission)
    db.session.commit()
    return render_template(
        "judging/review.html",
        a=a,
        round=round_,
        challenge=round_.challenge,
        rubric=rubric_row,
        version=version,
        display_answer=display_answer,
        fields=submission_services.fields_of(round_),
        values=values,
        comments=comments,
        errors=errors,
        form_errors=form_errors,
        review=existing,
        recuse_form=RecuseForm(formdata=None),
        flag_form=FlagForm(formdata=None),
        open=clock.now() <= round_.judging_closes,
        lang=current_language(),
    ), status


@bp.route("/judging/assignments/<int:assignment_id>/autosave", methods=["POST"])
def autosave(assignment_id: int) -> ResponseReturnValue:
    """Save typed scores and comments as a draft without a page load (the page's script posts
    JSON, as for submission drafts). A lost session answers 401; the browser keeps the text."""
    if not current_user.is_authenticated:
        return jsonify(status="signed_out"), 401
    a = _my_assignment(assignment_id)
    rubric_row = _stage(a.submission.round, a.stage)
    payload = request.get_json(silent=True)
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict):
        return jsonify(status="invalid"), 400
    texts = {k: v for k, v in answers.items() if isinstance(v, str)}
    try:
        services.save_review(
            current_actor(),
            a,
            _scores_from(texts, rubric_row),
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
    a = _my_assignment(assignment_id)
    round_id = a.round_id
    form = RecuseForm()
    if form.validate_on_submit():
        try:
            conflicts.recuse(current_actor(), a, form.reason.data or "")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("You stepped back from this submission."), "info")
            return _back("judging.queue", round_id=round_id)
    else:
        for message in form.reason.errors:
            flash(str(message), "danger")
    return _back("judging.review", assignment_id=assignment_id)


@bp.route("/judging/assignments/<int:assignment_id>/flag", methods=["POST"])
@login_required
def flag(assignment_id: int) -> ResponseReturnValue:
    a = _my_assignment(assignment_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag(current_actor(), a, form.kind.data or "", form.note.data or "")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The track's admins will see your concern."), "success")
    else:
        for message in form.note.errors:
            flash(str(message), "danger")
    return _back("judging.review", assignment_id=assignment_id)


@bp.route("/judging/assignments/<int:assignment_id>/files/<int:file_id>")
@login_required
def file(assignment_id: int, file_id: int) -> ResponseReturnValue:
    a = _my_assignment(assignment_id)
    version = services.counting_version(a.submission)
    record = next((f for f in (version.files if version else []) if f.id == file_id), None)
    if record is None:
        abort(404)
    rubric_row = rubrics.rubric_for(a.submission.round, a.stage, create=False)
    name = record.filename
    if rubric_row is not None and rubric_row.blind:
        ext = name.rpartition(".")[2] if "." in name else "bin"
        name = f"submission-{a.submission_id}-{record.field_key}-{record.id}.{ext[:10]}"
    try:
        handle = submission_services.open_file(record)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_attachment(handle, record.content_type, name)


@bp.route("/challenges/<slug>/judging/me", methods=["GET", "POST"])
@login_required
def profile(slug: str) -> ResponseReturnValue:
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    seats = panels.judge_seats(current_user, challenge)
    if not seats:
        deny(challenge)
    form = JudgeProfileForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                for seat in seats:
                    panels.update_profile(current_actor(), seat, *form.values())
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                db.session.commit()
                flash(_("Your judge profile was saved."), "success")
                return _back("judging.profile", slug=slug)
        status = 400
    else:
        first = seats[0]
        form = JudgeProfileForm(
            formdata=None,
            organisation=first.organisation,
            expertise=", ".join(first.expertise),
            conflicts="\n".join(first.conflict_organisations),
        )
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
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    if not panels.judge_seats(current_user, challenge):
        deny(challenge)
    form = DeclareConflictForm()
    if form.validate_on_submit():
        from competitions.entries.models import Team

        team = db.session.get(Team, form.team.data or 0)
        try:
            if team is None:
                raise DomainError(_("Choose a team."))
            conflicts.declare(current_actor(), challenge, team, form.reason.data or "")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(
                _("Your conflict was recorded: that team will not be assigned to you."), "success"
            )
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


def _results_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    challenge = _challenge(slug)
    return challenge, _round(challenge, round_id)


@bp.route("/challenges/<slug>/rounds/<int:round_id>/results")
@login_required
def results(slug: str, round_id: int) -> ResponseReturnValue:
    """The round's results for the agencies, before and after the release: comparable across
    tracks; judges' leniency only for the panels the viewer runs."""
    challenge, round_ = _results_round(slug, round_id)
    stage = _stage(round_)
    data = result_service.results_of(round_, stage.stage)
    db.session.commit()
    lang = current_language()
    visible_panels = {
        p.id
        for p in db.session.scalars(select(Panel).where(Panel.challenge_id == challenge.id))
        if permissions.can_view_agency_judging(current_user, permissions.panel_agency(p, challenge))
    }
    decided: dict[int, bool] = {}
    for t in challenge.tracks:
        decided.update(
            {
                e: a.advancing
                for e, a in result_service.advancement_of(round_, t, stage.stage).items()
            }
        )
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({row["user_id"] for row in data["leniency"]}))
        )
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
        users=users,
        decided=decided,
        released=result_service.released(round_),
        explanation=normalization.explanation(lang),
        can_advance={t.id: permissions.can_assign(current_user, t) for t in challenge.tracks},
        lang=lang,
    )


@bp.route("/challenges/<slug>/rounds/<int:round_id>/results.csv")
@login_required
def results_csv(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = _results_round(slug, round_id)
    stage = _stage(round_).stage
    audit.record(
        current_actor(),
        "judging.scores_exported",
        obj=round_,
        object_type="round",
        agency_id=challenge.lead_agency_id,
        after={"stage": stage},
    )
    db.session.commit()
    user_id = current_user.id
    challenge_id, rid = challenge.id, round_.id

    def stream() -> Any:
        # A fresh lookup inside the stream: the request's objects are gone once it returns.
        from competitions.accounts.models import User as UserModel

        user = db.session.get(UserModel, user_id)
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
    challenge, round_ = _results_round(slug, round_id)
    track = _track(challenge, track_slug)
    if not permissions.can_assign(current_user, track):
        deny(track, agency_id=track.agency_id)
    stage = _stage(round_)
    data = result_service.results_of(round_, stage.stage)
    items = [i for i in data["items"] if i["track_id"] == track.id]
    form = AdvancementForm(formdata=request.form if request.method == "POST" else None)
    existing = result_service.advancement_of(round_, track, stage.stage)
    chosen = {e for e, a in existing.items() if a.advancing}
    status = 200
    if request.method == "POST":
        if not form.validate():
            status = 400
        elif "confirm" in request.form:
            picked = {int(v) for v in request.form.getlist("entry") if v.isdigit()}
            try:
                yes, no = result_service.decide(
                    current_actor(),
                    round_,
                    track,
                    form.method.data or "manual",
                    picked,
                    stage.stage,
                )
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
                status = 400
            else:
                db.session.commit()
                flash(
                    _(
                        "Decision recorded: %(yes)d advancing, %(no)d not advancing.",
                        yes=yes,
                        no=no,
                    ),
                    "success",
                )
                return _back("judging.results", slug=slug, round_id=round_id, stage=stage.stage)
        else:  # preview what the rule selects
            try:
                chosen = set(
                    result_service.select_advancing(
                        items,
                        form.method.data or "",
                        form.n.data,
                        None if form.threshold.data is None else float(form.threshold.data),
                    )
                )
            except DomainError as err:
                form_error(form, err)
                status = 400
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


def _public_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """Results pages: public from the round's results instant, the same for every track;
    before it (or for a draft challenge) they exist only for the agencies taking part."""
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    round_ = _round(challenge, round_id)
    insider = permissions.can_view_judging(current_user, challenge)
    if not insider and not (challenge.is_published and result_service.released(round_)):
        abort(404)
    return challenge, round_


@bp.route("/challenges/<slug>/rounds/<int:round_id>/winners")
def winners(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = _public_round(slug, round_id)
    per_track = [(t, result_service.winners(round_, t)) for t in challenge.tracks]
    db.session.commit()
    return render_template(
        "judging/winners.html",
        challenge=challenge,
        round=round_,
        per_track=per_track,
        released=result_service.released(round_),
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/tracks/<track_slug>/rounds/<int:round_id>/winners")
def track_winners(slug: str, track_slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = _public_round(slug, round_id)
    track = _track(challenge, track_slug)
    rows = result_service.winners(round_, track)
    db.session.commit()
    return render_template(
        "judging/winners.html",
        challenge=challenge,
        round=round_,
        per_track=[(track, rows)],
        released=result_service.released(round_),
        lang=current_language(),
    )


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/feedback")
@login_required
def feedback(entry_id: int, round_id: int) -> ResponseReturnValue:
    """A team's outcome in a round and the judges' comments to it, from the release instant;
    the track's agency sees the page before, to check what the team will read."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not entry_permissions.can_view_entry(current_user, entry):
        abort(404)
    challenge = entry.track.challenge
    round_ = _round(challenge, round_id)
    released = challenge.is_published and result_service.released(round_)
    if not released and not permissions.can_view_track_judging(current_user, entry.track):
        abort(404)
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
