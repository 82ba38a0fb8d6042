"""Survey pages: a challenge's surveys, writing one (its questions with the round form
builder), sending and reminding, the results, and the page where people answer."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.challenges.timeline import LocalTimeError, to_utc
from competitions.core.errors import DomainError, NotFound
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import current_language, format_number
from competitions.core.languages import content_languages
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.core.web import attempt, current_actor, guard, require
from competitions.insights import svg
from competitions.outreach.forms import ScheduleForm
from competitions.submissions.builder import (
    TYPE_NAMES,
    FieldSettingsForm,
    RemoveFieldForm,
    index_of,
    moved,
    options_action,
    preview_fields,
    settings_form_class,
    with_field,
)
from competitions.submissions.fields import FieldType
from competitions.submissions.forms import answers_from, build_form_class
from competitions.surveys import bp, permissions, results, sending, services
from competitions.surveys.forms import (
    AUDIENCE_LABELS,
    SendForm,
    SurveyFieldTypeForm,
    SurveyForm,
)
from competitions.surveys.models import Segment, Survey, SurveyStatus

BASE = "/challenges/<slug>/surveys"
ONE = f"{BASE}/<int:survey_id>"


def _challenge(slug: str) -> Challenge:
    return guard(challenge_services.get_challenge(slug), permissions.can_list)


def _survey(slug: str, survey_id: int) -> tuple[Challenge, Survey]:
    challenge = _challenge(slug)
    return challenge, guard(services.get(challenge, survey_id), permissions.can_view)


def _managed(slug: str, survey_id: int) -> tuple[Challenge, Survey]:
    challenge, survey = _survey(slug, survey_id)
    require(permissions.can_manage(current_user, survey), survey)
    return challenge, survey


class Sent(Exception):
    """A change to the questions of a survey already sent: back to its page, with a word."""

    def __init__(self, response: ResponseReturnValue) -> None:
        self.response = response


@bp.errorhandler(Sent)
def _sent(err: Sent) -> ResponseReturnValue:
    return err.response


def _draft(slug: str, survey_id: int) -> tuple[Challenge, Survey]:
    """A survey whose questions are edited: by its managers, while it is a draft."""
    challenge, survey = _managed(slug, survey_id)
    if survey.status != SurveyStatus.DRAFT:
        flash(_("The survey was sent: its questions can no longer change."), "info")
        raise Sent(_to_survey(challenge, survey))
    return challenge, survey


def _to_survey(challenge: Challenge, survey: Survey) -> ResponseReturnValue:
    return redirect(url_for("surveys.survey", slug=challenge.slug, survey_id=survey.id))


@bp.signed_in(BASE)
def survey_list(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    return render_template(
        "surveys/list.html",
        challenge=challenge,
        surveys=services.for_challenge(current_user, challenge),
        can_create=permissions.can_compose_any(current_user, challenge),
    )


def _scopes(challenge: Challenge) -> list[tuple[str, str]]:
    lang = current_language()
    scopes = []
    if permissions.can_compose(current_user, challenge, None):
        scopes.append(("", _("The whole challenge (every track)")))
    for t in challenge.tracks:
        if permissions.can_compose(current_user, challenge, t):
            scopes.append((t.slug, t.name_in(lang)))
    return scopes


def _round_choices(form: SurveyForm, challenge: Challenge) -> None:
    lang = current_language()
    form.round_id.choices = [("", _("At the end of the challenge"))] + [
        (str(r.id), _("After %(round)s", round=r.name_in(lang))) for r in challenge.rounds
    ]


def _languages(challenge: Challenge, survey: Survey | None) -> list[str]:
    """A track's survey speaks its track's languages, a challenge's those of every track."""
    track = survey.track if survey is not None else None
    return list(track.languages) if track is not None else challenge.declared_languages


def _survey_data(form: SurveyForm, survey: Survey | None = None) -> services.SurveyData:
    return services.SurveyData(
        title=per_language(form, "title", survey.title if survey else None),
        intro=per_language(form, "intro", survey.intro if survey else None),
        audiences=list(form.audiences.data or []),
        anonymous=form.anonymous.data == "yes",
        round_id=form.round_id.data,
    )


@bp.signed_in(f"{BASE}/new", methods=["GET", "POST"])
def new_survey(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    require(permissions.can_compose_any(current_user, challenge), challenge)
    form = SurveyForm(content_languages=challenge.declared_languages)
    form.scope.choices = _scopes(challenge)
    _round_choices(form, challenge)
    if request.method == "GET":
        form.audiences.data = ["entrants"]
    if form.validate_on_submit():
        scope = form.scope.data or ""
        track = next((t for t in challenge.tracks if t.slug == scope), None)
        with attempt(form, success=_("The survey was created. Now add its questions.")) as done:
            if scope not in {value for value, _label in form.scope.choices or []}:
                raise DomainError(_("Choose whose people are asked."), "scope")
            survey = services.create(current_actor(), challenge, track, _survey_data(form))
        if done:
            return _to_survey(challenge, survey)
    status = 400 if request.method == "POST" else 200
    return render_template("surveys/new.html", challenge=challenge, form=form), status


@bp.signed_in(f"{ONE}/settings", methods=["GET", "POST"])
def edit_survey(slug: str, survey_id: int) -> ResponseReturnValue:
    """A draft's title, introduction, round, audience and anonymity (not whose it is)."""
    challenge, survey = _draft(slug, survey_id)
    form = SurveyForm(content_languages=_languages(challenge, survey))
    del form.scope
    _round_choices(form, challenge)
    if request.method == "GET":
        fill_per_language(form, "title", survey.title)
        fill_per_language(form, "intro", survey.intro)
        form.audiences.data = list(survey.audiences)
        form.anonymous.data = "yes" if survey.anonymous else "no"
        form.round_id.data = survey.round_id
    if form.validate_on_submit():
        with attempt(form, success=_("The survey's settings were saved.")) as done:
            services.update(current_actor(), survey, _survey_data(form, survey))
        if done:
            return _to_survey(challenge, survey)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "surveys/new.html", challenge=challenge, form=form, survey=survey
    ), status


@bp.signed_in(ONE)
def survey(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _survey(slug, survey_id)
    return _survey_page(challenge, survey, SendForm(formdata=None), _schedule_form(survey), 200)


def _schedule_form(survey: Survey, formdata: Any = None) -> ScheduleForm:
    form = ScheduleForm(prefix="schedule", formdata=formdata)
    if formdata is None:
        form.timezone.data = survey.track.timezone if survey.track else survey.challenge.timezone
    return form


def _survey_page(
    challenge: Challenge,
    survey: Survey,
    send_form: SendForm,
    schedule_form: ScheduleForm,
    status: int,
) -> ResponseReturnValue:
    lang = current_language()
    fields = services.fields_of(survey)
    preview = build_form_class(fields, lang)(formdata=None, prefix="preview", meta={"csrf": False})
    return render_template(
        "surveys/survey.html",
        challenge=challenge,
        survey=survey,
        fields=fields,
        type_names=TYPE_NAMES,
        preview=preview,
        audience_labels=AUDIENCE_LABELS,
        can_manage=permissions.can_manage(current_user, survey),
        send_form=send_form,
        schedule_form=schedule_form,
        invited=len(sending.audience(survey)) if survey.status == SurveyStatus.DRAFT else None,
        why_fields=services.why_fields(),
    ), status


@bp.signed_in(f"{ONE}/send", methods=["POST"])
def send(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _managed(slug, survey_id)
    send_form = SendForm()
    schedule_form = _schedule_form(survey, request.form)
    action = request.form.get("action", "send")
    if send_form.validate():
        days, remind = int(send_form.days_open.data or 0), send_form.remind_after.data
        target = schedule_form if action == "schedule" else send_form
        with attempt(target) as done:
            if action == "schedule":
                sending.schedule(current_actor(), survey, _opens_at(schedule_form), days, remind)
                message = _("Scheduled: the invitations go at the instant you chose.")
            else:
                written = sending.send_now(current_actor(), survey, days, remind)
                message = ngettext(
                    "Sent: %(n)s invitation is on its way.",
                    "Sent: %(n)s invitations are on their way.",
                    written,
                    n=format_number(written),
                )
        if done:
            flash(message, "success")
            return _to_survey(challenge, survey)
    return _survey_page(challenge, survey, send_form, schedule_form, 400)


def _opens_at(form: ScheduleForm) -> datetime:
    if not form.validate():
        if form.release_at.errors:
            message, form.release_at.errors = str(form.release_at.errors[0]), []
            raise DomainError(message, "release_at")
        form.timezone.errors = []
        raise DomainError(_("Select a time zone from the list."), "timezone")
    if form.release_at.data is None:
        raise DomainError(_("Give the instant the invitations go."), "release_at")
    try:
        return to_utc(form.release_at.data, form.timezone.data or "UTC")
    except LocalTimeError as err:
        raise DomainError(str(err), "release_at") from err


@bp.signed_in(f"{ONE}/remind", methods=["POST"])
def remind(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _managed(slug, survey_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The reminder is on its way to those who have not answered.")):
            sending.remind(current_actor(), survey)
    return _to_survey(challenge, survey)


@bp.signed_in(f"{ONE}/close", methods=["POST"])
def close(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _managed(slug, survey_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The survey is closed."), category="info"):
            sending.close(current_actor(), survey)
    return _to_survey(challenge, survey)


# --- the questions (the round form builder's forms) -----------------------------------------


def _data(survey: Survey) -> list[dict[str, Any]]:
    return [dict(item) for item in survey.form_fields or []]


def _field(survey: Survey, key: str) -> tuple[int, dict[str, Any]]:
    data = _data(survey)
    index = index_of(data, key)
    if index is None:
        raise NotFound(_("No such question."))
    return index, data[index]


def _field_page(
    challenge: Challenge, survey: Survey, form: FieldSettingsForm, key: str | None, status: int
) -> ResponseReturnValue:
    return render_template(
        "surveys/field.html",
        challenge=challenge,
        survey=survey,
        form=form,
        key=key,
        type_name=TYPE_NAMES[form.kind],
        langs=challenge.languages,
        preview=preview_fields(form, key, challenge.languages),
    ), status


def _save(
    challenge: Challenge, survey: Survey, form: FieldSettingsForm, key: str | None
) -> ResponseReturnValue:
    if request.form.get("action") == "preview":
        form.validate()
        return _field_page(challenge, survey, form, key, 200)
    if options_action(form, request.form.get("action", "save")) or not form.validate():
        status = 200 if request.form.get("action", "save") != "save" else 400
        return _field_page(challenge, survey, form, key, status)
    if key is not None:
        _field(survey, key)  # NotFound when it is gone
    data = with_field(_data(survey), form, key, frozenset(services.RESERVED_KEYS))
    message = _("The question was added.") if key is None else _("The question was saved.")
    with attempt(form, success=message) as done:
        services.define_fields(current_actor(), survey, data)
    if done:
        return _to_survey(challenge, survey)
    return _field_page(challenge, survey, form, key, 400)


@bp.signed_in(f"{ONE}/questions/new", methods=["GET", "POST"])
def add_field(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _draft(slug, survey_id)
    chosen = SurveyFieldTypeForm(request.args)
    if "type" not in request.args or not chosen.validate():
        return render_template(
            "surveys/field_type.html", challenge=challenge, survey=survey, form=chosen
        ), (400 if "type" in request.args else 200)
    form_class = settings_form_class(
        FieldType(chosen.type.data), list(content_languages(challenge.declared_languages))
    )
    if request.method == "GET":
        form = form_class(formdata=None)
        form.fill({})
        return _field_page(challenge, survey, form, None, 200)
    return _save(challenge, survey, form_class(), None)


@bp.signed_in(f"{ONE}/questions/<field_key>", methods=["GET", "POST"])
def edit_field(slug: str, survey_id: int, field_key: str) -> ResponseReturnValue:
    challenge, survey = _draft(slug, survey_id)
    _index, item = _field(survey, field_key)
    form_class = settings_form_class(
        FieldType(item["type"]), list(content_languages(challenge.declared_languages))
    )
    if request.method == "GET":
        form = form_class(formdata=None)
        form.fill(item)
        return _field_page(challenge, survey, form, field_key, 200)
    return _save(challenge, survey, form_class(), field_key)


@bp.signed_in(f"{ONE}/questions/<field_key>/move", methods=["POST"])
def move_field(slug: str, survey_id: int, field_key: str) -> ResponseReturnValue:
    challenge, survey = _draft(slug, survey_id)
    index, _item = _field(survey, field_key)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        with attempt(success=_("The question was moved."), category="info"):
            services.define_fields(current_actor(), survey, moved(_data(survey), index, offset))
    return _to_survey(challenge, survey)


@bp.signed_in(f"{ONE}/questions/<field_key>/remove", methods=["GET", "POST"])
def remove_field(slug: str, survey_id: int, field_key: str) -> ResponseReturnValue:
    challenge, survey = _draft(slug, survey_id)
    index, _item = _field(survey, field_key)
    form = RemoveFieldForm()
    if request.method == "POST" and form.validate_on_submit():
        data = _data(survey)
        del data[index]
        with attempt(success=_("The question was removed."), category="info"):
            services.define_fields(current_actor(), survey, data)
        return _to_survey(challenge, survey)
    return render_template(
        "surveys/field_remove.html",
        challenge=challenge,
        survey=survey,
        form=form,
        key=field_key,
        field=services.fields_of(survey)[index],
    )


# --- results --------------------------------------------------------------------------------


@bp.signed_in(f"{ONE}/results")
def survey_results(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _survey(slug, survey_id)
    lang = current_language()
    number = functools.cache(format_number)
    return render_template(
        "surveys/results.html",
        challenge=challenge,
        survey=survey,
        results=results.results_for(current_user, survey, lang),
        draw=lambda chart: svg.draw(chart, number),
        number=number,
        min_group=results.MIN_GROUP,
    )


@bp.signed_in(f"{ONE}/results.csv")
def results_csv(slug: str, survey_id: int) -> ResponseReturnValue:
    challenge, survey = _survey(slug, survey_id)
    lang = current_language()
    found = results.results_for(current_user, survey, lang)
    return Response(
        "".join(results.results_csv(found, lang)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{challenge.slug}-survey-{survey.id}-results.csv"'
            )
        },
    )


# --- answering ------------------------------------------------------------------------------


@bp.signed_in("/surveys/<int:survey_id>", methods=["GET", "POST"])
def answer(survey_id: int) -> ResponseReturnValue:
    survey = services.get_any(survey_id)
    invitee = services.invitee_of(survey, current_user)
    require(invitee is not None and survey.status != SurveyStatus.DRAFT, survey)
    assert invitee is not None
    lang = current_language()
    fields = services.form_for(survey, invitee.segment)
    answered = services.has_answered(survey, current_user)
    form = build_form_class(fields, lang)()
    status = 200
    if request.method == "POST" and not answered and form.validate_on_submit():
        with attempt(form) as done:
            services.answer(current_actor(), survey, answers_from(form, fields))
        if done:
            return redirect(url_for("surveys.answer", survey_id=survey.id, thanks=1))
        status = 400
    elif request.method == "POST":
        status = 400 if not answered else 409
    return render_template(
        "surveys/answer.html",
        survey=survey,
        form=form,
        fields=fields,
        answered=answered,
        is_open=survey.is_open(),
        thanks=bool(request.args.get("thanks")),
        why_keys=services.RESERVED_KEYS,
        not_submitted=invitee.segment == Segment.NOT_SUBMITTED,
    ), status
