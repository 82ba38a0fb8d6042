"""The form builder's pages: a round's fields listed with a preview as entrants see it, a
page per field (add, edit), moving and removing, and JSON export. For the challenge's lead
admins, like the JSON page (``views.define_json``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import permissions as challenge_permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round
from competitions.core.errors import NotFound
from competitions.core.languages import content_languages
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, require
from competitions.submissions import bp, services
from competitions.submissions.builder import (
    TYPE_NAMES,
    FieldSettingsForm,
    FieldTypeForm,
    RemoveFieldForm,
    index_of,
    moved,
    options_action,
    preview_fields,
    settings_form_class,
    with_field,
)
from competitions.submissions.fields import FieldType
from competitions.submissions.forms import build_form_class

BASE = "/challenges/<slug>/manage/rounds/<int:round_id>/form"


def managed_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """A round whose form is changed: by the challenge's lead admins."""
    challenge = challenge_services.get_challenge(slug)
    round_ = challenge_services.get_round(challenge, round_id)
    require(challenge_permissions.can_manage_challenge(current_user, challenge), challenge)
    return challenge, round_


def _data(round_: Round) -> list[dict[str, Any]]:
    return [dict(item) for item in round_.form_fields or []]


def _field(round_: Round, key: str) -> tuple[int, dict[str, Any]]:
    data = _data(round_)
    index = index_of(data, key)
    if index is None:
        raise NotFound(_("No such field."))
    return index, data[index]


def _to_builder(challenge: Challenge, round_: Round) -> ResponseReturnValue:
    return redirect(url_for("submissions.define", slug=challenge.slug, round_id=round_.id))


@bp.signed_in(BASE)
def define(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    fields = services.fields_of(round_)
    preview_lang = request.args.get("preview", "")
    if preview_lang not in challenge.languages:
        preview_lang = challenge.languages[0]
    preview = build_form_class(fields, preview_lang)(
        formdata=None, prefix="preview", meta={"csrf": False}
    )
    return render_template(
        "submissions/builder.html",
        challenge=challenge,
        round=round_,
        fields=fields,
        type_names=TYPE_NAMES,
        preview=preview,
        preview_lang=preview_lang,
    )


@bp.signed_in(f"{BASE}/export.json")
def export_form(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    body = json.dumps(round_.form_fields or [], ensure_ascii=False, indent=2)
    name = f"{challenge.slug}-round-{round_.id}-form.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _settings_page(
    challenge: Challenge, round_: Round, form: FieldSettingsForm, key: str | None, status: int
) -> ResponseReturnValue:
    return render_template(
        "submissions/builder_field.html",
        challenge=challenge,
        round=round_,
        form=form,
        key=key,
        type_name=TYPE_NAMES[form.kind],
        langs=challenge.languages,
        preview=preview_fields(form, key, challenge.languages),
    ), status


def _save(
    challenge: Challenge, round_: Round, form: FieldSettingsForm, key: str | None
) -> ResponseReturnValue:
    """Validate the settings, then define the form with the field added or replaced; with
    ``action=preview`` (the button without JavaScript, the live preview with it), only show
    the page again with the preview of what was typed, saving nothing."""
    if request.form.get("action") == "preview":
        form.validate()
        return _settings_page(challenge, round_, form, key, 200)
    if options_action(form, request.form.get("action", "save")) or not form.validate():
        status = 200 if request.form.get("action", "save") != "save" else 400
        return _settings_page(challenge, round_, form, key, status)
    if key is not None:
        _field(round_, key)  # NotFound when it is gone
    data = with_field(_data(round_), form, key)
    message = _("The field was added.") if key is None else _("The field was saved.")
    with attempt(form, success=message) as done:
        services.define_form(current_actor(), round_, data)
    if done:
        return _to_builder(challenge, round_)
    return _settings_page(challenge, round_, form, key, 400)


@bp.signed_in(f"{BASE}/fields/new", methods=["GET", "POST"])
def add_field(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    chosen = FieldTypeForm(request.args)
    if "type" not in request.args or not chosen.validate():
        return render_template(
            "submissions/builder_type.html", challenge=challenge, round=round_, form=chosen
        ), (400 if "type" in request.args else 200)
    form_class = settings_form_class(
        FieldType(chosen.type.data), list(content_languages(challenge.declared_languages))
    )
    if request.method == "GET":
        form = form_class(formdata=None)
        form.fill({})
        return _settings_page(challenge, round_, form, None, 200)
    return _save(challenge, round_, form_class(), None)


@bp.signed_in(f"{BASE}/fields/<field_key>", methods=["GET", "POST"])
def edit_field(slug: str, round_id: int, field_key: str) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    _index, item = _field(round_, field_key)
    form_class = settings_form_class(
        FieldType(item["type"]), list(content_languages(challenge.declared_languages))
    )
    if request.method == "GET":
        form = form_class(formdata=None)
        form.fill(item)
        return _settings_page(challenge, round_, form, field_key, 200)
    return _save(challenge, round_, form_class(), field_key)


@bp.signed_in(f"{BASE}/fields/<field_key>/move", methods=["POST"])
def move_field(slug: str, round_id: int, field_key: str) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    index, _item = _field(round_, field_key)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        with attempt(success=_("The field was moved."), category="info"):
            services.define_form(current_actor(), round_, moved(_data(round_), index, offset))
    return _to_builder(challenge, round_)


@bp.signed_in(f"{BASE}/fields/<field_key>/remove", methods=["GET", "POST"])
def remove_field(slug: str, round_id: int, field_key: str) -> ResponseReturnValue:
    challenge, round_ = managed_round(slug, round_id)
    index, _item = _field(round_, field_key)
    form = RemoveFieldForm()
    if request.method == "POST" and form.validate_on_submit():
        data = _data(round_)
        del data[index]
        with attempt(success=_("The field was removed."), category="info"):
            services.define_form(current_actor(), round_, data)
        return _to_builder(challenge, round_)
    return render_template(
        "submissions/builder_remove.html",
        challenge=challenge,
        round=round_,
        form=form,
        key=field_key,
        field=services.fields_of(round_)[index],
    )
