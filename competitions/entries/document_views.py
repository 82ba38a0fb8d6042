"""Eligibility documents: a track's list of required documents, uploads from the entry page,
review by the track's admins, downloads."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.core.forms import per_language
from competitions.core.params import db_id
from competitions.core.translate import gettext as _
from competitions.core.web import (
    attempt,
    current_actor,
    flash_errors,
    guard,
    require,
    send_attachment,
)
from competitions.entries import bp, documents, permissions, services
from competitions.entries.forms import DocumentReviewForm, RequirementForm


@bp.app_template_global()
def can_manage_documents(user: object, agency_id: int) -> bool:
    """For the challenge console: the "Documents" link is for the track agency's admins."""
    return permissions.can_manage_documents(user, agency_id)


def _requirement_data(form: RequirementForm) -> documents.RequirementData:
    return documents.RequirementData(
        label=per_language(form, "label"),
        help=per_language(form, "help"),
        scope=form.scope.data or "",
        file_types=list(form.file_types.data or []),
        max_size_mb=form.max_size_mb.data or 0,
    )


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/documents", methods=["GET", "POST"])
def requirements(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = challenge_services.get_challenge(slug)
    track = challenge_services.get_track(challenge, track_slug)
    require(permissions.can_manage_documents(current_user, track.agency_id), track)
    form = RequirementForm(content_languages=track.languages)
    if form.validate_on_submit():
        added = _("The document was added to what this track asks for.")
        with attempt(form, success=added) as done:
            documents.add_requirement(current_actor(), track, _requirement_data(form))
        if done:
            return redirect(url_for("entries.requirements", slug=slug, track_slug=track_slug))
    return render_template(
        "entries/requirements.html",
        challenge=challenge,
        track=track,
        requirements=documents.requirements_of(track),
        scope_labels=documents.SCOPE_LABELS,
        form=form,
        confirm_form=ConfirmForm(),
    ), (200 if request.method == "GET" or not form.errors else 400)


@bp.signed_in(
    "/challenges/<slug>/tracks/<track_slug>/documents/<int:requirement_id>/retire",
    methods=["POST"],
)
def retire_requirement(slug: str, track_slug: str, requirement_id: int) -> ResponseReturnValue:
    challenge = challenge_services.get_challenge(slug)
    track = challenge_services.get_track(challenge, track_slug)
    require(permissions.can_manage_documents(current_user, track.agency_id), track)
    requirement = documents.get_requirement(track, requirement_id)
    if ConfirmForm().validate_on_submit():
        retired = _("The track no longer asks for this document.")
        with attempt(success=retired, category="info"):
            documents.retire_requirement(current_actor(), requirement)
    return redirect(url_for("entries.requirements", slug=slug, track_slug=track_slug))


def _entry_page(entry_id: int) -> ResponseReturnValue:
    return redirect(url_for("entries.entry", entry_id=entry_id) + "#documents", code=303)


@bp.signed_in("/entries/<int:entry_id>/documents", methods=["POST"])
def upload_document(entry_id: int) -> ResponseReturnValue:
    entry = services.get_entry(entry_id)
    require(permissions.is_member(current_user, entry.team), entry)
    upload = request.files.get("file")
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired: please try again."), "danger")
    elif upload is None or not upload.filename:
        flash(_("Choose a file to send."), "danger")
    else:
        with attempt(success=_("The document was sent; the track will review it.")):
            documents.upload(
                current_actor(),
                entry,
                request.form.get("requirement", type=db_id) or 0,
                request.form.get("subject", ""),
                upload.stream,
                upload.filename,
            )
    return _entry_page(entry.id)


@bp.signed_in("/entries/<int:entry_id>/documents/<int:document_id>/review", methods=["POST"])
def review_document(entry_id: int, document_id: int) -> ResponseReturnValue:
    document = documents.get_entry_document(entry_id, document_id)
    entry = document.entry
    guard(entry, permissions.can_decide_eligibility, agency_id=entry.track.agency_id)
    form = DocumentReviewForm()
    if form.validate_on_submit():
        with attempt(success=_("The decision on the document was recorded.")):
            documents.review(
                current_actor(), document, form.decision.data or "", form.reason.data or ""
            )
    else:
        flash_errors(form)
    return _entry_page(entry.id)


@bp.signed_in("/documents/<int:document_id>")
def download_document(document_id: int) -> ResponseReturnValue:
    document = documents.get_document(document_id)
    require(
        permissions.can_view_document(current_user, document.entry, document.member_id),
        document.entry,
    )
    handle = documents.open_document(document)
    return send_attachment(handle, document.content_type, document.filename)
