"""The judge's workspace: their rounds and queue, "score the next least-reviewed", the review
page (scoring, with autosave), recusal, flags, the submission's files, their judge profile and
declared conflicts."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core import clock, json_input
from competitions.core.extensions import db
from competitions.core.text import plain_number
from competitions.core.translate import gettext as _
from competitions.core.web import (
    attempt,
    commit_for_page,
    current_actor,
    flash_errors,
    found,
    guard,
    refusal_json,
    require,
    send_attachment,
)
from competitions.judging import (
    anonymity,
    assignments,
    bp,
    conflicts,
    flags,
    panels,
    permissions,
    reviews,
    rubrics,
)
from competitions.judging.forms import (
    DeclareConflictForm,
    FlagForm,
    JudgeProfileForm,
    RecuseForm,
    score_form,
    typed_scores,
)
from competitions.judging.models import (
    Assignment,
    Judge,
    ReviewProgress,
    ReviewStatus,
    Rubric,
)
from competitions.judging.views.pages import back, requested_stage
from competitions.submissions import services as submission_services
from competitions.submissions.fields import display_answer


def my_assignment(assignment_id: int) -> Assignment:
    """An assignment the signed-in judge scores."""
    return guard(assignments.get_assignment(assignment_id), permissions.can_score)


def my_seats(slug: str) -> tuple[Challenge, list[Judge]]:
    """The signed-in judge's seats on the challenge's panels (none: refused)."""
    challenge = challenge_services.get_challenge(slug)
    seats = panels.judge_seats(current_user, challenge)
    require(bool(seats), challenge)
    return challenge, seats


@bp.signed_in("/judging")
def home() -> ResponseReturnValue:
    return render_template(
        "judging/home.html",
        rounds=reviews.my_rounds(current_user.id),
    )


@bp.signed_in("/judging/rounds/<int:round_id>")
def queue(round_id: int) -> ResponseReturnValue:
    round_, seats = reviews.judged_round_and_seats(current_user, round_id)
    rows = reviews.queue(current_user.id, round_)
    stages = {r.stage: r for r in rubrics.stages_of(round_)}
    commit_for_page()  # the first stage's rubric may have been created
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
        done=sum(1 for r in rows if r.status == ReviewProgress.SUBMITTED),
        open=clock.now() <= round_.judging_closes,
    )


@bp.signed_in("/judging/rounds/<int:round_id>/submissions/<int:number>")
def numbered(round_id: int, number: int) -> ResponseReturnValue:
    """The queue's link to a submission: by the judge's own number (``anonymity``), so that
    the queue page names no assignment or submission."""
    round_ = reviews.judged_round(current_user, round_id)
    a = anonymity.slot(current_user.id, round_.id, number)
    return redirect(url_for("judging.review", assignment_id=a.id))


@bp.signed_in("/judging/rounds/<int:round_id>/next", methods=["POST"])
def take_next(round_id: int) -> ResponseReturnValue:
    round_ = reviews.judged_round(current_user, round_id)
    if not ConfirmForm().validate_on_submit():
        return back("judging.queue", round_id=round_id)
    with attempt() as done:
        stage = requested_stage(round_).stage
        a = assignments.take_next(current_actor(), round_.challenge, round_, stage)
    if not done:
        return back("judging.queue", round_id=round_id)
    if a is None:
        flash(_("Every submission you may review is already yours or fully reviewed."), "info")
        return back("judging.queue", round_id=round_id)
    return back("judging.review", assignment_id=a.id)


@bp.signed_in("/judging/assignments/<int:assignment_id>", methods=["GET", "POST"])
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
        saved = reviews.save_review(current_actor(), a, typed, *comments, submit=submit)
    if not done:
        values = {k: v for k, v in typed.items() if v}
        return _review_page(a, stage, form, (values, comments), status=400)
    flash(
        _("Your review is submitted. You can still change it until judging closes.")
        if saved.status == ReviewStatus.SUBMITTED
        else _("Your draft review is saved."),
        "success",
    )
    if submit:
        return back("judging.queue", round_id=a.round_id)
    return back("judging.review", assignment_id=a.id)


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
        values = {c: plain_number(v) for c, v in existing.score_map().items()} if existing else {}
        comments = (existing.comment_to_team, existing.comment_to_admins) if existing else ("", "")
        typed = values, comments
    round_ = a.submission.round
    version = reviews.counting_version(a.submission)
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
    ), status


@bp.route("/judging/assignments/<int:assignment_id>/autosave", methods=["POST"])
def autosave(assignment_id: int) -> ResponseReturnValue:
    """Save typed scores and comments as a draft without a page load (the page's script posts
    JSON, as for submission drafts). A lost session answers 401; the browser keeps the text.
    A refusal answers JSON too, so the service's error is not flashed: 400 with a message per
    field for scores or comments the form would refuse alike, 409 when the review cannot
    change (judging closed)."""
    if not current_user.is_authenticated:
        return jsonify(status="signed_out"), 401
    a = my_assignment(assignment_id)
    stage = rubrics.get_stage(a.submission.round, a.stage)
    payload = json_input.request_json()
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict):
        return jsonify(status="invalid"), 400
    with attempt(quiet=True) as done:  # checked by the service exactly as the form's
        reviews.save_review(
            current_actor(),
            a,
            typed_scores(answers, stage),
            answers.get("comment_to_team", ""),
            answers.get("comment_to_admins", ""),
            submit=False,
        )
    if done.error is not None:
        return refusal_json(done.error)
    return jsonify(status="saved", saved_at=clock.now().isoformat())


@bp.signed_in("/judging/assignments/<int:assignment_id>/recuse", methods=["POST"])
def recuse(assignment_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    round_id = a.round_id
    form = RecuseForm()
    if form.validate_on_submit():
        stepped_back = _("You stepped back from this submission.")
        with attempt(success=stepped_back, category="info") as done:
            conflicts.recuse(current_actor(), a, form.reason.data or "")
        if done:
            return back("judging.queue", round_id=round_id)
    else:
        flash_errors(form)
    return back("judging.review", assignment_id=assignment_id)


@bp.signed_in("/judging/assignments/<int:assignment_id>/flag", methods=["POST"])
def flag(assignment_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    form = FlagForm()
    if form.validate_on_submit():
        with attempt(success=_("The track's admins will see your concern.")):
            flags.flag(current_actor(), a, form.kind.data or "", form.note.data or "")
    else:
        flash_errors(form)
    return back("judging.review", assignment_id=assignment_id)


@bp.signed_in("/judging/assignments/<int:assignment_id>/files/<int:file_id>")
def file(assignment_id: int, file_id: int) -> ResponseReturnValue:
    a = my_assignment(assignment_id)
    version = reviews.counting_version(a.submission)
    record = found(next((f for f in (version.files if version else []) if f.id == file_id), None))
    handle = submission_services.open_file(record)  # NotFound when the file is missing
    return send_attachment(handle, record.content_type, reviews.file_name_for_judge(a, record))


@bp.signed_in("/challenges/<slug>/judging/me", methods=["GET", "POST"])
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
            return back("judging.profile", slug=slug)
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
    ), status


@bp.signed_in("/challenges/<slug>/judging/me/conflicts", methods=["POST"])
def declare_conflict(slug: str) -> ResponseReturnValue:
    challenge, _seats = my_seats(slug)
    form = DeclareConflictForm()
    if form.validate_on_submit():
        recorded = _("Your conflict was recorded: that team will not be assigned to you.")
        with attempt(success=recorded):
            team = conflicts.chosen_team(form.team.data)
            conflicts.declare(current_actor(), challenge, team, form.reason.data or "")
    return back("judging.profile", slug=slug)
