"""Eligibility documents: a track's list of required documents, uploads from the entry page,
review by the track's admins, downloads."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Track
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import current_actor, deny, form_error, send_attachment
from competitions.entries import bp, documents, permissions, services
from competitions.entries.forms import DocumentReviewForm, RequirementForm


@bp.app_template_global()
def can_manage_documents(user: object, agency_id: int) -> bool:
    """For the challenge console: the "Documents" link is for the track agency's admins."""
    return permissions.can_manage_documents(user, agency_id)


def _track(slug: str, track_slug: str) -> tuple[Challenge, Track]:
    try:
        challenge = challenge_services.get_challenge(slug)
        track: Track = challenge_services.get_track(challenge, track_slug)
    except NotFound:
        abort(404)
    if not permissions.can_manage_documents(current_user, track.agency_id):
        deny(track, agency_id=track.agency_id)
    return challenge, track


@bp.route("/challenges/<slug>/tracks/<track_slug>/documents", methods=["GET", "POST"])
@login_required
def requirements(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge, track = _track(slug, track_slug)
    form = RequirementForm()
    if form.validate_on_submit():
        data = documents.RequirementData(
            label={"en": form.label_en.data or "", "fr": form.label_fr.data or ""},
            help={"en": form.help_en.data or "", "fr": form.help_fr.data or ""},
            scope=form.scope.data or "",
            file_types=list(form.file_types.data or []),
            max_size_mb=form.max_size_mb.data or 0,
        )
        try:
            documents.add_requirement(current_actor(), track, data)
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The document was added to what this track asks for."), "success")
            return redirect(url_for("entries.requirements", slug=slug, track_slug=track_slug))
    return render_template(
        "entries/requirements.html",
        challenge=challenge,
        track=track,
        requirements=documents.requirements_of(track),
        scope_labels=documents.SCOPE_LABELS,
        form=form,
        confirm_form=ConfirmForm(),
        lang=current_language(),
    ), (200 if request.method == "GET" or not form.errors else 400)


@bp.route(
    "/challenges/<slug>/tracks/<track_slug>/documents/<int:requirement_id>/retire",
    methods=["POST"],
)
@login_required
def retire_requirement(slug: str, track_slug: str, requirement_id: int) -> ResponseReturnValue:
    _challenge, track = _track(slug, track_slug)
    try:
        requirement = documents.get_requirement(track, requirement_id)
    except NotFound:
        abort(404)
    if ConfirmForm().validate_on_submit():
        documents.retire_requirement(current_actor(), requirement)
        db.session.commit()
        flash(_("The track no longer asks for this document."), "info")
    return redirect(url_for("entries.requirements", slug=slug, track_slug=track_slug))


def _entry_page(entry_id: int) -> ResponseReturnValue:
    return redirect(url_for("entries.entry", entry_id=entry_id) + "#documents", code=303)


@bp.route("/entries/<int:entry_id>/documents", methods=["POST"])
@login_required
def upload_document(entry_id: int) -> ResponseReturnValue:
    try:
        entry = services.get_entry(entry_id)
    except NotFound:
        abort(404)
    if not permissions.is_member(current_user, entry.team):
        deny(entry)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired: please try again."), "danger")
        return _entry_page(entry.id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file to send."), "danger")
        return _entry_page(entry.id)
    try:
        documents.upload(
            current_actor(),
            entry,
            request.form.get("requirement", type=int) or 0,
            request.form.get("subject", ""),
            upload.stream,
            upload.filename,
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("The document was sent; the track will review it."), "success")
    return _entry_page(entry.id)


@bp.route("/entries/<int:entry_id>/documents/<int:document_id>/review", methods=["POST"])
@login_required
def review_document(entry_id: int, document_id: int) -> ResponseReturnValue:
    try:
        document = documents.get_document(document_id)
    except NotFound:
        abort(404)
    entry = document.entry
    if entry.id != entry_id:
        abort(404)
    if not permissions.can_decide_eligibility(current_user, entry):
        deny(entry, agency_id=entry.track.agency_id)
    form = DocumentReviewForm()
    if form.validate_on_submit():
        try:
            documents.review(
                current_actor(), document, form.decision.data or "", form.reason.data or ""
            )
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The decision on the document was recorded."), "success")
    else:
        for message in form.reason.errors:
            flash(str(message), "danger")
    return _entry_page(entry.id)


@bp.route("/documents/<int:document_id>")
@login_required
def download_document(document_id: int) -> ResponseReturnValue:
    try:
        document = documents.get_document(document_id)
    except NotFound:
        abort(404)
    if not permissions.can_view_document(current_user, document.entry, document.member_id):
        deny(document.entry)
    try:
        handle = documents.open_document(document)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_attachment(handle, document.content_type, document.filename)
