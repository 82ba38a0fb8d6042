"""A round's review stages and their rubrics: criteria, judging settings, stages, and the
audited reset that unlocks a rubric. For the challenge's lead admins; the agencies see them."""

from __future__ import annotations

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges.models import Challenge, Round
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.core.web import attempt, current_actor, flash_errors, require
from competitions.judging import bp, permissions, rubrics
from competitions.judging.forms import CriterionForm, ResetForm, SettingsForm, StageForm
from competitions.judging.models import Criterion, Rubric
from competitions.judging.views.pages import back, judging_round, requested_stage


def editable_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """A round whose stages and rubrics are changed: by the challenge's lead admins."""
    challenge, round_ = judging_round(slug, round_id)
    require(
        permissions.can_edit_rubric(current_user, challenge),
        round_,
        agency_id=challenge.lead_agency_id,
    )
    return challenge, round_


def editable_stage(slug: str, round_id: int) -> tuple[Challenge, Round, Rubric]:
    """The review stage a form is about (``?stage=``), with its round, for the lead admins."""
    challenge, round_ = editable_round(slug, round_id)
    return challenge, round_, requested_stage(round_)


def editable_criterion(
    slug: str, round_id: int, criterion_id: int
) -> tuple[Challenge, Round, Rubric, Criterion]:
    """A criterion of the requested stage's rubric, with its round, for the lead admins."""
    challenge, round_, stage = editable_stage(slug, round_id)
    return challenge, round_, stage, rubrics.get_criterion(stage, criterion_id)


def _rubric_page(
    challenge: Challenge,
    round_: Round,
    settings_form: SettingsForm | None = None,
    criterion_form: CriterionForm | None = None,
    status: int = 200,
    stage_form: StageForm | None = None,
) -> ResponseReturnValue:
    stage = requested_stage(round_)
    langs = challenge.declared_languages
    db.session.commit()  # the rubric row, created on first view
    return render_template(
        "judging/rubric.html",
        challenge=challenge,
        round=round_,
        rubric=stage,
        settings_form=settings_form or SettingsForm(formdata=None, obj=stage),
        criterion_form=criterion_form or CriterionForm(formdata=None, content_languages=langs),
        reset_form=ResetForm(formdata=None),
        stage_form=stage_form or StageForm.of(stage, langs),
        stages=rubrics.stages_of(round_),
        can_edit=permissions.can_edit_rubric(current_user, challenge),
    ), status


def _back_to_rubric(challenge: Challenge, round_: Round, stage: Rubric) -> ResponseReturnValue:
    return back("judging.rubric", slug=challenge.slug, round_id=round_.id, stage=stage.stage)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
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


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/rubric/criteria", methods=["POST"])
def add_criterion(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_, stage = editable_stage(slug, round_id)
    form = CriterionForm(content_languages=challenge.declared_languages)
    if form.validate_on_submit():
        with attempt(form, success=_("The criterion was added.")) as done:
            rubrics.add_criterion(current_actor(), challenge, stage, form.criterion_data())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    return _rubric_page(challenge, round_, criterion_form=form, status=400)


@bp.signed_in(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>",
    methods=["GET", "POST"],
)
def edit_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_, stage, criterion = editable_criterion(slug, round_id, criterion_id)
    if request.method == "GET":
        form = CriterionForm.of(criterion, challenge.declared_languages)
    else:
        form = CriterionForm(content_languages=challenge.declared_languages)
        if form.validate_on_submit():
            with attempt(form, success=_("The criterion was saved.")) as done:
                rubrics.update_criterion(
                    current_actor(), challenge, criterion, form.criterion_data(criterion)
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
    ), (200 if request.method == "GET" else 400)


@bp.signed_in(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/remove",
    methods=["GET", "POST"],
)
def remove_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    """Asks first (a page, so it works without JavaScript); only a post that says
    ``confirm=yes`` removes the criterion."""
    challenge, round_, stage, criterion = editable_criterion(slug, round_id, criterion_id)
    if ConfirmForm().validate_on_submit() and request.form.get("confirm") == "yes":
        with attempt(success=_("The criterion was removed."), category="info"):
            rubrics.remove_criterion(current_actor(), challenge, criterion)
        return _back_to_rubric(challenge, round_, stage)
    return render_template(
        "judging/criterion_remove.html",
        challenge=challenge,
        round=round_,
        criterion=criterion,
        rubric=stage,
    )


@bp.signed_in(
    "/challenges/<slug>/rounds/<int:round_id>/rubric/criteria/<int:criterion_id>/move",
    methods=["POST"],
)
def move_criterion(slug: str, round_id: int, criterion_id: int) -> ResponseReturnValue:
    challenge, round_, stage, criterion = editable_criterion(slug, round_id, criterion_id)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        with attempt():
            rubrics.move_criterion(current_actor(), challenge, criterion, offset)
    return _back_to_rubric(challenge, round_, stage)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/rubric/reset", methods=["POST"])
def reset_rubric(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_, stage = editable_stage(slug, round_id)
    form = ResetForm()
    if form.validate_on_submit():
        with attempt() as done:
            cleared = rubrics.reset(current_actor(), challenge, stage, form.reason.data or "")
        if done:
            flash(
                ngettext(
                    "The rubric is unlocked; %(num)d review went back to drafts.",
                    "The rubric is unlocked; %(num)d reviews went back to drafts.",
                    cleared,
                ),
                "warning",
            )
    else:
        flash_errors(form)
    return _back_to_rubric(challenge, round_, stage)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/stages", methods=["POST"])
def add_stage(slug: str, round_id: int) -> ResponseReturnValue:
    """A new last review stage of the round (e.g. a jury after the technical review)."""
    challenge, round_ = editable_round(slug, round_id)
    form = StageForm(content_languages=challenge.declared_languages)
    if form.validate_on_submit():
        added = _("The stage was added: give it its criteria.")
        with attempt(success=added) as done:
            stage = rubrics.add_stage(current_actor(), challenge, round_, *form.values())
        if done:
            return _back_to_rubric(challenge, round_, stage)
    else:
        flash_errors(form)
    return back("judging.console", slug=slug)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/stage", methods=["POST"])
def edit_stage(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_, stage = editable_stage(slug, round_id)
    form = StageForm(content_languages=challenge.declared_languages)
    if form.validate_on_submit():
        with attempt(form, success=_("The stage was saved.")) as done:
            rubrics.update_stage(current_actor(), challenge, stage, *form.values(stage))
        if done:
            return _back_to_rubric(challenge, round_, stage)
    return _rubric_page(challenge, round_, stage_form=form, status=400)
