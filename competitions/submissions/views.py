"""The submission form of a round, autosave, receipts, file downloads, and admin settings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import permissions as challenge_permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Round
from competitions.challenges.timeline import LocalTimeError, WindowState, to_utc
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import current_actor, deny, form_error, send_attachment
from competitions.entries import permissions as entry_permissions
from competitions.entries import services as entry_services
from competitions.entries.models import Entry
from competitions.submissions import bp, services
from competitions.submissions.fields import display_answer
from competitions.submissions.forms import (
    ExtensionForm,
    FormDefinitionForm,
    answers_from,
    build_form_class,
)
from competitions.submissions.models import SubmissionFile

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


def _entry_and_round(entry_id: int, round_id: int) -> tuple[Entry, Round]:
    try:
        entry = entry_services.get_entry(entry_id)
    except NotFound:
        abort(404)
    if not entry_permissions.can_view_entry(current_user, entry):
        deny(entry)
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.challenge_id != entry.challenge_id:
        abort(404)
    return entry, round_


def _uploads(fields: list[Any]) -> list[services.Upload]:
    uploads = []
    for f in fields:
        if f.type != "file":
            continue
        for storage in request.files.getlist(f.key):
            if storage and storage.filename:
                uploads.append(services.Upload(f.key, storage.stream, storage.filename))
    return uploads


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def edit(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry, round_ = _entry_and_round(entry_id, round_id)
    lang = current_language()
    fields = services.fields_of(round_)
    form_class = build_form_class(fields, lang)
    is_member = entry_permissions.is_member(current_user, entry.team)
    status = 200
    if request.method != "POST":
        submission = services.submission_for(entry, round_)
        form = form_class(data=(submission.draft if submission else {}))
    else:
        if not is_member:
            deny(entry)
        form = form_class()
        if form.validate_on_submit():
            actor = current_actor()
            entry_id, round_id = entry.id, round_.id
            submitting = request.form.get("action") == "submit"
            try:
                submission = services.save_draft(
                    actor, entry, round_, answers_from(form, fields), _uploads(fields)
                )
                db.session.flush()
            except services.FileTooLarge as err:
                db.session.rollback()
                form_error(form, err)
                status = 413  # the page says which file and the limit
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                if not submitting:
                    db.session.commit()
                    flash(_("Draft saved."), "success")
                    target = url_for("submissions.edit", entry_id=entry_id, round_id=round_id)
                    return redirect(target)
                # The final submission in a SAVEPOINT: if it is refused (late, incomplete),
                # only it is undone and the draft saved above is still committed.
                savepoint = db.session.begin_nested()
                try:
                    version = services.submit(actor, entry, round_)
                    savepoint.commit()
                    number = version.number
                    db.session.commit()
                except services.IncompleteSubmission as err:
                    savepoint.rollback()
                    db.session.commit()
                    form.form_errors.append(err.message)
                    for key, message in err.problems.items():
                        field = getattr(form, key, None)
                        if field is not None:
                            field.errors = [*list(field.errors or []), message]
                        else:
                            form.form_errors.append(message)
                except DomainError as err:
                    savepoint.rollback()
                    db.session.commit()
                    form_error(form, err)
                else:
                    # The receipt page confirms it (no flash: the session is left unchanged).
                    return redirect(
                        url_for(
                            "submissions.receipt",
                            entry_id=entry_id,
                            round_id=round_id,
                            number=number,
                            submitted=1,
                        )
                    )
            submission = services.submission_for(entry, round_)
    deadline = services.deadline_for(entry, round_)
    return render_template(
        "submissions/form.html",
        entry=entry,
        round=round_,
        fields=fields,
        form=form,
        submission=submission,
        deadline=deadline,
        state=services.state_for(entry, round_),
        closed=WindowState.CLOSED,
        is_member=is_member,
        is_lead=entry_permissions.is_lead(current_user, entry.team),
        can_decide=entry_permissions.can_decide_eligibility(current_user, entry),
        extension=services.extension_of(entry, round_),
        extension_form=ExtensionForm(),
        confirm_form=ConfirmForm(),
        lang=lang,
        problems=services.field_problems(round_, submission.draft) if submission else {},
    ), status


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/autosave", methods=["POST"])
def autosave(entry_id: int, round_id: int) -> ResponseReturnValue:
    """Save typed text without a page load. Answers JSON; a lost session answers 401 and the
    page keeps the text in the browser until the user signs in again."""
    if not current_user.is_authenticated:
        return jsonify(status="signed_out"), 401
    entry, round_ = _entry_and_round(entry_id, round_id)
    if not entry_permissions.is_member(current_user, entry.team):
        deny(entry)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return jsonify(status="invalid"), 400
    fields = services.fields_of(round_)
    known = {f.key for f in fields if f.type != "file"}
    answers = {
        k: v
        for k, v in payload["answers"].items()
        if k in known and isinstance(v, str | bool | list)
    }
    try:
        submission = services.save_draft(current_actor(), entry, round_, answers, [])
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return jsonify(status="refused", message=err.message), 409
    saved = submission.draft_saved_at
    return jsonify(status="saved", saved_at=saved.isoformat() if saved else None)


@bp.route(
    "/entries/<int:entry_id>/rounds/<int:round_id>/files/<int:file_id>/remove", methods=["POST"]
)
@login_required
def remove_file(entry_id: int, round_id: int, file_id: int) -> ResponseReturnValue:
    entry, round_ = _entry_and_round(entry_id, round_id)
    if not entry_permissions.is_member(current_user, entry.team):
        deny(entry)
    submission = services.submission_for(entry, round_)
    if submission is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_draft_file(current_actor(), submission, file_id)
        except NotFound:
            abort(404)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The file was removed from the draft."), "info")
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/withdraw", methods=["POST"])
@login_required
def withdraw(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry, round_ = _entry_and_round(entry_id, round_id)
    if not entry_permissions.is_lead(current_user, entry.team):
        deny(entry)
    if ConfirmForm().validate_on_submit():
        try:
            services.withdraw_submission(current_actor(), entry, round_)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(
                _("The submission was withdrawn. You can submit again until the deadline."), "info"
            )
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/versions/<int:number>")
@login_required
def receipt(entry_id: int, round_id: int, number: int) -> ResponseReturnValue:
    entry, round_ = _entry_and_round(entry_id, round_id)
    try:
        version = services.get_version(entry, round_, number)
    except NotFound:
        abort(404)
    return render_template(
        "submissions/receipt.html",
        entry=entry,
        round=round_,
        version=version,
        fields=services.fields_of(round_),
        lang=current_language(),
        latest=services.latest_number(version.submission),
        display_answer=display_answer,
        just_submitted=request.args.get("submitted") == "1",
    )


@bp.route("/files/<int:file_id>")
@login_required
def download(file_id: int) -> ResponseReturnValue:
    try:
        record: SubmissionFile = services.get_file(file_id)
    except NotFound:
        abort(404)
    if not entry_permissions.can_view_entry(current_user, record.submission.entry):
        deny(record.submission.entry)
    try:
        handle = services.open_file(record)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_attachment(handle, record.content_type, record.filename)


@bp.route("/entries/<int:entry_id>/rounds/<int:round_id>/extension", methods=["POST"])
@login_required
def extension(entry_id: int, round_id: int) -> ResponseReturnValue:
    entry, round_ = _entry_and_round(entry_id, round_id)
    if not entry_permissions.can_decide_eligibility(current_user, entry):
        deny(entry, agency_id=entry.track.agency_id)
    form = ExtensionForm()
    if form.validate_on_submit():
        try:
            local = datetime.fromisoformat(form.until.data or "")
            until = to_utc(local, entry.track.timezone)
            services.grant_extension(current_actor(), entry, round_, until, form.reason.data or "")
        except ValueError as err:
            db.session.rollback()
            message = (
                str(err)
                if isinstance(err, LocalTimeError)
                else _("Enter a date and time like 2025-07-30 17:00.")
            )
            flash(message, "danger")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The extension was granted."), "success")
    return redirect(url_for("submissions.edit", entry_id=entry.id, round_id=round_.id))


@bp.route("/challenges/<slug>/manage/rounds/<int:round_id>/form", methods=["GET", "POST"])
@login_required
def define(slug: str, round_id: int) -> ResponseReturnValue:
    try:
        challenge = challenge_services.get_challenge(slug)
        round_ = challenge_services.get_round(challenge, round_id)
    except NotFound:
        abort(404)
    if not challenge_permissions.can_manage_challenge(current_user, challenge):
        deny(challenge, agency_id=challenge.lead_agency_id)
    form = FormDefinitionForm()
    if request.method == "GET":
        form.definition.data = json.dumps(round_.form_fields or [], ensure_ascii=False, indent=2)
    if form.validate_on_submit():
        try:
            definition = json.loads(form.definition.data or "[]")
        except json.JSONDecodeError as exc:
            form.definition.errors = [
                _(
                    "This is not valid JSON (line %(line)d, column %(col)d).",
                    line=exc.lineno,
                    col=exc.colno,
                )
            ]
        else:
            try:
                services.define_form(current_actor(), round_, definition)
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                db.session.commit()
                flash(_("The submission form was saved."), "success")
                return redirect(url_for("challenges.console", slug=challenge.slug) + "#timeline")
    return render_template(
        "submissions/define.html",
        form=form,
        challenge=challenge,
        round=round_,
        example=json.dumps(EXAMPLE, ensure_ascii=False, indent=2),
        lang=current_language(),
    )
