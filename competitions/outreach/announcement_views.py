"""Announcements of a challenge: list, compose, preview, test, schedule or send, cancel,
watch the delivery."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges import services as challenge_services
from competitions.challenges.forms import local_naive
from competitions.challenges.models import Challenge
from competitions.challenges.timeline import LocalTimeError, to_utc
from competitions.core import clock
from competitions.core.errors import DomainError
from competitions.core.forms import per_language
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard, require
from competitions.outreach import announcements, bp, notices, permissions
from competitions.outreach.forms import (
    AUDIENCE_LABELS,
    AnnouncementForm,
    NoticeSettingsForm,
    ScheduleForm,
)
from competitions.outreach.models import Announcement, AnnouncementStatus, NoticeKind


def _challenge(slug: str) -> Challenge:
    return guard(challenge_services.get_challenge(slug), permissions.can_list)


def _announcement(slug: str, announcement_id: int) -> tuple[Challenge, Announcement]:
    challenge = _challenge(slug)
    return challenge, guard(announcements.get(challenge, announcement_id), permissions.can_view)


def _scopes(challenge: Challenge) -> list[tuple[str, str]]:
    lang = current_language()
    scopes = []
    if permissions.can_compose(current_user, challenge, None):
        scopes.append(("", _("The whole challenge (all agencies)")))
    for t in permissions.composable_tracks(current_user, challenge):
        scopes.append((t.slug, t.name_in(lang)))
    return scopes


def _form(challenge: Challenge) -> AnnouncementForm:
    form = AnnouncementForm(content_languages=challenge.declared_languages)
    form.scope.choices = _scopes(challenge)
    lang = current_language()
    form.round_id.choices = [(r.id, r.name_in(lang)) for r in challenge.rounds]
    return form


def _draft(form: AnnouncementForm) -> announcements.Draft:
    return announcements.Draft(
        subject=per_language(form, "subject"),
        body=per_language(form, "body"),
        audiences=list(form.audiences.data or []),
        round_id=form.round_id.data,
    )


def _hours(minutes: list[int]) -> str:
    return ", ".join(f"{m / 60:g}" for m in minutes)


@bp.signed_in("/challenges/<slug>/announcements")
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
        progress={
            a.id: announcements.progress(a)
            for a in items
            if a.status == AnnouncementStatus.RELEASED
        },
        can_compose=permissions.can_compose_any(current_user, challenge),
        can_set_notices=permissions.can_set_notices(current_user, challenge),
        notice_form=notice_form,
        notice_schedule=notices.schedule_of(challenge),
    )


@bp.signed_in("/challenges/<slug>/notices", methods=["POST"])
def notice_settings(slug: str) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_set_notices)
    form = NoticeSettingsForm(prefix="notices")
    if form.validate_on_submit():
        with attempt(success=_("The reminders are saved.")):
            notices.set_hours(
                current_actor(), challenge, form.hours.data or "", form.judging_hours.data or ""
            )
    return redirect(url_for("outreach.announcement_list", slug=slug) + "#reminders")


@bp.signed_in("/challenges/<slug>/announcements/new", methods=["GET", "POST"])
def announcement_new(slug: str) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_compose_any)
    form = _form(challenge)
    if form.validate_on_submit():
        saved = _("Draft saved: preview it, test it, then schedule or send it.")
        with attempt(form, success=saved) as done:
            actor = current_actor()
            track = announcements.scope_track(actor, challenge, form.scope.data or "")
            ann = announcements.create(actor, challenge, track, _draft(form))
        if done:
            return redirect(url_for("outreach.announcement", slug=slug, announcement_id=ann.id))
    return render_template("outreach/announcement_form.html", challenge=challenge, form=form), (
        400 if form.errors else 200
    )


def _release_at(form: ScheduleForm) -> datetime:
    """The release instant typed in the form, as wall-clock time in the zone chosen."""
    if not form.validate_on_submit():
        # Said once, by the DomainError on its field (not also by the field's own errors).
        if form.release_at.errors:
            message, form.release_at.errors = str(form.release_at.errors[0]), []
            raise DomainError(message, "release_at")
        form.timezone.errors = []
        raise DomainError(_("Select a time zone from the list."), "timezone")
    if form.release_at.data is None:
        raise DomainError(_("Give the instant of the release."), "release_at")
    try:
        return to_utc(form.release_at.data, form.timezone.data or "UTC")
    except LocalTimeError as err:
        raise DomainError(str(err), "release_at") from err


def _act(action: str, ann: Announcement, form: ScheduleForm) -> str:
    """Do one of the announcement page's actions; answer the message that says it is done."""
    if action == "schedule":
        announcements.schedule(current_actor(), ann, _release_at(form))
        return _("Scheduled: every track's audience gets it at the same instant.")
    if action == "send":
        announcements.send_now(current_actor(), ann)
        return _("Released: the emails are on their way.")
    if action == "cancel":
        announcements.cancel(current_actor(), ann)
        return _("Cancelled: nobody will receive it.")
    if action == "test":
        announcements.test_send(current_actor(), ann, current_language())
        return _("A test copy is on its way to you.")
    abort(400)


@bp.signed_in("/challenges/<slug>/announcements/<int:announcement_id>", methods=["GET", "POST"])
def announcement(slug: str, announcement_id: int) -> ResponseReturnValue:
    challenge, ann = _announcement(slug, announcement_id)
    schedule_form = ScheduleForm(prefix="schedule")
    if request.method == "GET":
        schedule_form.timezone.data = ann.track.timezone if ann.track else challenge.timezone
        schedule_form.release_at.data = local_naive(ann.release_at, schedule_form.timezone.data)  # type: ignore[assignment]
    status = 200
    if request.method == "POST":
        require(permissions.can_act(current_user, ann), ann)
        with attempt(schedule_form) as done:
            message = _act(request.form.get("action", ""), ann, schedule_form)
        if done:
            flash(message, "success")
            return redirect(url_for("outreach.announcement", slug=slug, announcement_id=ann.id))
        status = 400
    return render_template(
        "outreach/announcement.html",
        challenge=challenge,
        ann=ann,
        previews=[(code, announcements.render(ann, code, ann.track)) for code in ann.subject],
        audience_label=", ".join(str(AUDIENCE_LABELS.get(a, a)) for a in ann.audiences),
        audience_size=len(announcements.recipients(ann))
        if ann.status != AnnouncementStatus.RELEASED
        else None,
        round=announcements.round_of(ann),
        progress=announcements.progress(ann),
        failures=announcements.failures(ann),
        can_act=permissions.can_act(current_user, ann),
        schedule_form=schedule_form,
        now=clock.now(),
    ), status


@bp.signed_in("/challenges/<slug>/announcements/<int:announcement_id>/progress.json")
def announcement_progress(slug: str, announcement_id: int) -> ResponseReturnValue:
    ann = _announcement(slug, announcement_id)[1]
    return jsonify(status=ann.status, recipients=ann.recipients, **announcements.progress(ann))
