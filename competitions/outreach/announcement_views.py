"""Announcements of a challenge: list, compose, preview, test, schedule or send, cancel,
watch the delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core import clock
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import current_actor, deny, form_error
from competitions.outreach import announcements, bp, notices, permissions
from competitions.outreach.forms import (
    AUDIENCE_LABELS,
    AnnouncementForm,
    NoticeSettingsForm,
    ScheduleForm,
)
from competitions.outreach.models import Announcement, NoticeKind


def _challenge(slug: str) -> Challenge:
    try:
        challenge = challenge_services.get_challenge(slug)
    except NotFound:
        abort(404)
    if not permissions.can_list(current_user, challenge):
        deny(challenge, agency_id=challenge.lead_agency_id)
    return challenge


def _announcement(challenge: Challenge, announcement_id: int) -> Announcement:
    try:
        ann = announcements.get(challenge, announcement_id)
    except NotFound:
        abort(404)
    if not permissions.can_view(current_user, ann):
        deny(ann, agency_id=ann.agency_id)
    return ann


def _scopes(challenge: Challenge) -> list[tuple[str, str]]:
    lang = current_language()
    scopes = []
    if permissions.can_compose(current_user, challenge, None):
        scopes.append(("", _("The whole challenge (all agencies)")))
    for t in permissions.composable_tracks(current_user, challenge):
        scopes.append((t.slug, t.name_in(lang)))
    return scopes


def _form(challenge: Challenge) -> AnnouncementForm:
    form = AnnouncementForm()
    form.scope.choices = _scopes(challenge)
    lang = current_language()
    form.round_id.choices = [(r.id, r.name_in(lang)) for r in challenge.rounds]
    return form


def _draft(form: AnnouncementForm) -> announcements.Draft:
    return announcements.Draft(
        subject={"en": form.subject_en.data or "", "fr": form.subject_fr.data or ""},
        body={"en": form.body_en.data or "", "fr": form.body_fr.data or ""},
        audiences=list(form.audiences.data or []),
        round_id=form.round_id.data,
    )


def _hours(minutes: list[int]) -> str:
    return ", ".join(f"{m / 60:g}" for m in minutes)


@bp.route("/challenges/<slug>/announcements")
@login_required
def announcement_list(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    items = announcements.for_challenge(current_user, challenge)
    notice_form = NoticeSettingsForm(prefix="notices")
    notice_form.hours.data = _hours(notices.offsets_of(challenge))
    notice_form.judging_hours.data = _hours(notices.offsets_of(challenge, NoticeKind.JUDGING))
    return render_template(
        "outreach/announcements.html",
        challenge=challenge,
        items=items,
        progress={a.id: announcements.progress(a) for a in items if a.status == "released"},
        can_compose=bool(_scopes(challenge)),
        can_set_notices=permissions.can_compose(current_user, challenge, None),
        notice_form=notice_form,
        notice_schedule=notices.schedule_of(challenge),
        lang=current_language(),
    )


@bp.route("/challenges/<slug>/notices", methods=["POST"])
@login_required
def notice_settings(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    if not permissions.can_compose(current_user, challenge, None):
        deny(challenge, agency_id=challenge.lead_agency_id)
    form = NoticeSettingsForm(prefix="notices")
    if form.validate_on_submit():
        try:
            deadline = notices.parse_hours(form.hours.data or "")
            try:
                judging = notices.parse_hours(form.judging_hours.data or "")
            except DomainError as err:
                raise DomainError(err.message, "judging_hours") from err
            notices.set_offsets(current_actor(), challenge, deadline, judging)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(_("The reminders are saved."), "success")
    return redirect(url_for("outreach.announcement_list", slug=slug) + "#reminders")


@bp.route("/challenges/<slug>/announcements/new", methods=["GET", "POST"])
@login_required
def announcement_new(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    form = _form(challenge)
    if not form.scope.choices:
        deny(challenge, agency_id=challenge.lead_agency_id)
    if form.validate_on_submit():
        track = next((t for t in challenge.tracks if t.slug == form.scope.data), None)
        try:
            if form.scope.data and track is None:
                raise DomainError(_("Choose who it is from."), "scope")
            ann = announcements.create(current_actor(), challenge, track, _draft(form))
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("Draft saved: preview it, test it, then schedule or send it."), "success")
            return redirect(url_for("outreach.announcement", slug=slug, announcement_id=ann.id))
    return render_template(
        "outreach/announcement_form.html", challenge=challenge, form=form, lang=current_language()
    ), (400 if form.errors else 200)


@bp.route("/challenges/<slug>/announcements/<int:announcement_id>", methods=["GET", "POST"])
@login_required
def announcement(slug: str, announcement_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    ann = _announcement(challenge, announcement_id)
    schedule_form = ScheduleForm(prefix="schedule")
    status = 200
    if request.method == "POST":
        if not permissions.can_act(current_user, ann):
            deny(ann, agency_id=ann.agency_id)
        action = request.form.get("action", "")
        try:
            if action == "schedule":
                if not schedule_form.validate_on_submit():
                    raise DomainError(_("Give the instant of the release."), "release_at")
                try:
                    when = datetime.fromisoformat((schedule_form.release_at.data or "").strip())
                except ValueError as exc:
                    raise DomainError(
                        _("Enter a date and time like 2025-07-30 17:00."), "release_at"
                    ) from exc
                when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
                announcements.schedule(current_actor(), ann, when)
                message = _("Scheduled: every track's audience gets it at the same instant.")
            elif action == "send":
                announcements.send_now(current_actor(), ann)
                message = _("Released: the emails are on their way.")
            elif action == "cancel":
                announcements.cancel(current_actor(), ann)
                message = _("Cancelled: nobody will receive it.")
            elif action == "test":
                announcements.test_send(current_actor(), ann, current_language())
                message = _("A test copy is on its way to you.")
            else:
                abort(400)
        except DomainError as err:
            db.session.rollback()
            form_error(schedule_form, err)
            status = 400
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("outreach.announcement", slug=slug, announcement_id=ann.id))
    lang = current_language()
    langs = list(ann.subject)
    return render_template(
        "outreach/announcement.html",
        challenge=challenge,
        ann=ann,
        previews=[(code, announcements.render(ann, code, ann.track)) for code in langs],
        audience_label=", ".join(str(AUDIENCE_LABELS.get(a, a)) for a in ann.audiences),
        audience_size=len(announcements.recipients(ann)) if ann.status != "released" else None,
        round=announcements.round_of(ann),
        progress=announcements.progress(ann),
        failures=announcements.failures(ann),
        can_act=permissions.can_act(current_user, ann),
        schedule_form=schedule_form,
        now=clock.now(),
        lang=lang,
    ), status


@bp.route("/challenges/<slug>/announcements/<int:announcement_id>/progress.json")
@login_required
def announcement_progress(slug: str, announcement_id: int) -> ResponseReturnValue:
    challenge = _challenge(slug)
    ann = _announcement(challenge, announcement_id)
    return jsonify(status=ann.status, recipients=ann.recipients, **announcements.progress(ann))
