"""The submission form of a round, autosave, receipts, file downloads, and admin settings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import permissions as challenge_permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Round
from competitions.challenges.timeline import LocalTimeError, WindowState, to_utc
from competitions.core import json_input
from competitions.core.errors import DomainError, Unavailable
from competitions.core.forms import BaseForm
from competitions.core.i18n import current_language, is_valid_timezone
from competitions.core.translate import gettext as _
from competitions.core.web import (
    attempt,
    current_actor,
    flash_errors,
    form_error,
    found,
    guard,
    refusal_json,
    require,
    send_attachment,
)
from competitions.entries import permissions as entry_permissions
from competitions.entries import services as entry_services
from competitions.entries.models import Entry
from competitions.submissions import bp, deadlines, services
from competitions.submissions.fields import FieldType, display_answer
from competitions.submissions.forms import (
    ExtensionForm,
    FormDefinitionForm,
    answers_from,
    build_form_class,
)
from competitions.submissions.models import Submission

EXAMPLE = [
    {
        "key": "summary",
        "type": "long_text",
        "label": {"en": "Summary", "fr": "Résumé"},
        "required": True,
        "max_words": 300,
    },
    {
        "key": "team_size",
        "type": "number",
        "label": {"en": "People working on it", "fr": "Personnes qui y travaillent"},
        "min": 1,
        "max": 50,
    },
    {
        "key": "report",
        "type": "file",
        "label": {"en": "Design report", "fr": "Rapport"},
        "file_types": ["pdf"],
        "max_size_mb": 20,
        "max_files": 1,
        "required": True,
    },
    {
        "key": "original",
        "type": "attestation",
        "label": {"en": "This is our own work.", "fr": "C'est notre propre travail."},
        "required": True,
    },
]


def _uploads(fields: list[Any]) -> list[services.Upload]:
    uploads = []
    for f in fields:
        if f.type != FieldType.FILE:
            continue
        for storage in request.files.getlist(f.key):
            if storage and storage.filename:
                uploads.append(services.Upload(f.key, storage.stream, storage.filename))
    return uploads


@bp.signed_in("/entries/<int:entry_id>/rounds/<int:round_id>", methods=["GET", "POST"])
def edit(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    fields = services.fields_of(round_)
    form_class = build_form_class(fields, current_language())
    if request.method != "POST":
        submission = services.submission_for(entry, round_)
        draft = services.showable_draft(round_, submission.draft or {}) if submission else {}
        form = form_class(data=draft)
        return _form_page(entry, round_, fields, form, submission)
    require(entry_permissions.is_member(current_user, entry.team), entry)
    form, status = form_class(), 200
    if form.validate_on_submit():
        submitting = request.form.get("action") == "submit"
        with attempt(form) as done:  # the one commit: the draft, and the version if accepted
            outcome = services.save_and_submit(
                current_actor(),
                entry,
                round_,
                answers_from(form, fields),
                _uploads(fields),
                submitting=submitting,
            )
        if not done:  # nothing saved; a file too large answers 413 (the page says which)
            status = _refusal_status(done.error)
        elif isinstance(outcome, services.Refused):
            form_error(form, outcome.error)
        else:
            return _saved(outcome, entry_id, round_id)
    return _form_page(entry, round_, fields, form, services.submission_for(entry, round_), status)


def _refusal_status(error: Exception | None) -> int:
    """413 for a file too large, 503 when the storage failed (try again), else 200."""
    if isinstance(error, services.FileTooLarge):
        return 413
    return 503 if isinstance(error, Unavailable) else 200


def _saved(
    outcome: services.DraftSaved | services.Submitted, entry_id: int, round_id: int
) -> ResponseReturnValue:
    if isinstance(outcome, services.Submitted):
        # The receipt page confirms it (no flash: the session is left unchanged).
        receipt = url_for(
            "submissions.receipt",
            entry_id=entry_id,
            round_id=round_id,
            number=outcome.number,
            submitted=1,
        )
        return redirect(receipt)
    flash(_("Draft saved."), "success")
    return redirect(url_for("submissions.edit", entry_id=entry_id, round_id=round_id))


def _form_page(
    entry: Entry,
    round_: Round,
    fields: list[Any],
    form: BaseForm,
    submission: Submission | None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "submissions/form.html",
        entry=entry,
        round=round_,
        fields=fields,
        form=form,
        submission=submission,
        deadline=deadlines.deadline_for(entry, round_),
        state=deadlines.state_for(entry, round_),
        closed=WindowState.CLOSED,
        is_member=entry_permissions.is_member(current_user, entry.team),
        is_lead=entry_permissions.is_lead(current_user, entry.team),
        can_decide=entry_permissions.can_decide_eligibility(current_user, entry),
        extension=deadlines.extension_of(entry, round_),
        extension_form=ExtensionForm(timezone=entry.track.timezone),
        confirm_form=ConfirmForm(),
        problems=services.field_problems(round_, submission.draft) if submission else {},
    ), status


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/autosave", methods=["POST"])
def autosave(entry_id: int, round_id: int) -> ResponseReturnValue:
    """Save typed text without a page load. Answers JSON; a lost session answers 401 and the
    page keeps the text in the browser until the user signs in again. Answers the form would
    refuse are refused alike: 400 with a message per field, nothing saved."""
    if not current_user.is_authenticated:
        return jsonify(status="signed_out"), 401
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    require(entry_permissions.is_member(current_user, entry.team), entry)
    payload = json_input.request_json()
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return jsonify(status="invalid"), 400
    # Checked by the service exactly as the form's answers are (file fields are not sent).
    fields = services.fields_of(round_)
    known = {f.key for f in fields if f.type != FieldType.FILE}
    answers = {k: v for k, v in payload["answers"].items() if k in known}
    with attempt(quiet=True) as done:
        submission = services.save_draft(current_actor(), entry, round_, answers, [])
    if done.error is not None:
        return refusal_json(done.error)
    saved = submission.draft_saved_at
    return jsonify(status="saved", saved_at=saved.isoformat() if saved else None)


@bp.signed_in(
    "/entries/<int:entry_id>/rounds/<int:round_id>/files/<int:file_id>/remove", methods=["POST"]
)
def remove_file(entry_id: int, round_id: int, file_id: int) -> ResponseReturnValue:
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    require(entry_permissions.is_member(current_user, entry.team), entry)
    submission = found(services.submission_for(entry, round_))
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The file was removed from the draft."), category="info"):
            services.remove_draft_file(current_actor(), submission, file_id)
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


@bp.signed_in("/entries/<int:entry_id>/rounds/<int:round_id>/withdraw", methods=["POST"])
def withdraw(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    require(entry_permissions.is_lead(current_user, entry.team), entry)
    if ConfirmForm().validate_on_submit():
        withdrawn = _("The submission was withdrawn. You can submit again until the deadline.")
        with attempt(success=withdrawn, category="info"):
            services.withdraw_submission(current_actor(), entry, round_)
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


@bp.signed_in("/entries/<int:entry_id>/rounds/<int:round_id>/versions/<int:number>")
def receipt(entry_id: int, round_id: int, number: int) -> ResponseReturnValue:
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    version = services.get_version(entry, round_, number)
    return render_template(
        "submissions/receipt.html",
        entry=entry,
        round=round_,
        version=version,
        fields=services.fields_of(round_),
        latest=services.latest_number(version.submission),
        display_answer=display_answer,
        just_submitted=request.args.get("submitted") == "1",
    )


@bp.signed_in("/files/<int:file_id>")
def download(file_id: int) -> ResponseReturnValue:
    record = services.get_file(file_id)
    entry = record.submission.entry
    require(entry_permissions.can_view_entry(current_user, entry), entry)
    return send_attachment(services.open_file(record), record.content_type, record.filename)


def _until(form: ExtensionForm, legal_zone: str) -> datetime:
    """The new deadline, typed in the chosen zone (the track's legal time by default), in UTC."""
    zone = form.timezone.data or legal_zone
    if not is_valid_timezone(zone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    if form.until.data is None:
        raise DomainError(_("Enter a date and time like 2025-07-30 17:00."), field="until")
    try:
        return to_utc(form.until.data, zone)
    except LocalTimeError as err:
        raise DomainError(str(err), field="until") from err


@bp.signed_in("/entries/<int:entry_id>/rounds/<int:round_id>/extension", methods=["POST"])
def extension(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry = guard(entry_services.get_entry(entry_id), entry_permissions.can_view_entry)
    round_ = services.get_round(entry, round_id)
    guard(entry, entry_permissions.can_decide_eligibility, agency_id=entry.track.agency_id)
    form = ExtensionForm()
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        with attempt(success=_("The extension was granted.")):
            until = _until(form, entry.track.timezone)
            deadlines.grant_extension(current_actor(), entry, round_, until, form.reason.data or "")
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


def _definition(form: FormDefinitionForm) -> Any:
    """The form definition as data, from the JSON typed in."""
    try:
        return json_input.load(form.definition.data or "[]")
    except json_input.JSONInputError as exc:
        raise DomainError(exc.message, field="definition") from exc


@bp.signed_in("/challenges/<slug>/manage/rounds/<int:round_id>/form/json", methods=["GET", "POST"])
def define_json(slug: str, round_id: int) -> ResponseReturnValue:
    """Advanced: the whole form as JSON, for import (the builder is ``builder_views``)."""
    challenge = challenge_services.get_challenge(slug)
    round_ = challenge_services.get_round(challenge, round_id)
    require(challenge_permissions.can_manage_challenge(current_user, challenge), challenge)
    form = FormDefinitionForm()
    if request.method == "GET":
        form.definition.data = json.dumps(round_.form_fields or [], ensure_ascii=False, indent=2)
    if form.validate_on_submit():
        with attempt(form, success=_("The submission form was saved.")) as done:
            services.define_form(current_actor(), round_, _definition(form))
        if done:
            return redirect(url_for("submissions.define", slug=challenge.slug, round_id=round_.id))
    return render_template(
        "submissions/define.html",
        form=form,
        challenge=challenge,
        round=round_,
        example=json.dumps(EXAMPLE, ensure_ascii=False, indent=2),
    )
