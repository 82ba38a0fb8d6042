"""The shared timeline on the console: rounds (lead agency) and milestones (shared ones by
the lead agency, a track's local ones by that track's agency)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import bp, permissions, services
from competitions.challenges.forms import (
    MilestoneForm,
    RoundForm,
    local_naive,
)
from competitions.challenges.models import ROUND_INSTANTS, Challenge, Milestone, Track
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.timeline import LocalTimeError, to_utc
from competitions.core.errors import DomainError
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import is_valid_timezone
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard, require


def _instants_from(form: RoundForm | MilestoneForm, fields: tuple[str, ...]) -> dict[str, Any]:
    zone = form.timezone.data or "UTC"
    if not is_valid_timezone(zone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(form, name).data
        try:
            out[name] = to_utc(value, zone) if value is not None else None
        except LocalTimeError as err:
            raise DomainError(str(err), field=name) from err
    return out


def _timeline_url(challenge: Challenge) -> str:
    return url_for("challenges.console", slug=challenge.slug) + "#timeline"


@bp.signed_in("/challenges/<slug>/manage/rounds/new", methods=["GET", "POST"])
@bp.signed_in("/challenges/<slug>/manage/rounds/<int:round_id>", methods=["GET", "POST"])
def edit_round(slug: str, round_id: int | None = None) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    existing = services.get_round(challenge, round_id) if round_id is not None else None
    form = RoundForm(content_languages=challenge.declared_languages)
    if request.method == "GET":
        form.timezone.data = challenge.timezone
        if existing is not None:
            fill_per_language(form, "name", existing.name)
            for name in ROUND_INSTANTS:
                getattr(form, name).data = local_naive(getattr(existing, name), challenge.timezone)
    if form.validate_on_submit():
        with attempt(form, success=_("The round was saved.")) as done:
            timeline_services.save_round(
                current_actor(),
                challenge,
                existing,
                timeline_services.RoundData(
                    per_language(form, "name", existing.name if existing else None),
                    _instants_from(form, ROUND_INSTANTS),
                ),
                form.reason.data,
            )
        if done:
            return redirect(_timeline_url(challenge))
    return render_template(
        "challenges/manage/round.html",
        form=form,
        challenge=challenge,
        existing=existing,
    )


@bp.signed_in("/challenges/<slug>/manage/rounds/<int:round_id>/delete", methods=["POST"])
def delete_round(slug: str, round_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    target = services.get_round(challenge, round_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The round was deleted."), category="info"):
            timeline_services.delete_round(current_actor(), challenge, target)
    return redirect(_timeline_url(challenge))


def _require_milestone_editor(challenge: Challenge, track: Track | None, obj: object) -> None:
    """Shared milestones are the lead agency's, a track's are its agency's (whose log shows a
    refusal)."""
    allowed = permissions.can_edit_milestones(current_user, challenge, track)
    require(allowed, obj, agency_id=track.agency_id if track else None)


def _fill_milestone_form(form: MilestoneForm, existing: Milestone | None, zone: str) -> None:
    form.timezone.data = zone
    if existing is not None:
        fill_per_language(form, "name", existing.name)
        for name in ("starts_at", "ends_at"):
            getattr(form, name).data = local_naive(getattr(existing, name), zone)
        form.url.data = existing.url


@bp.signed_in("/challenges/<slug>/manage/milestones/new", methods=["GET", "POST"])
@bp.signed_in("/challenges/<slug>/manage/milestones/<int:milestone_id>", methods=["GET", "POST"])
def edit_milestone(slug: str, milestone_id: int | None = None) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    existing = (
        timeline_services.get_milestone(challenge, milestone_id)
        if milestone_id is not None
        else None
    )
    track: Track | None
    if existing is not None:
        track = existing.track
    else:
        track_slug = request.args.get("track")
        track = services.get_track(challenge, track_slug) if track_slug else None
    _require_milestone_editor(challenge, track, existing or challenge)
    form = MilestoneForm(
        content_languages=track.languages if track else challenge.declared_languages
    )
    if request.method == "GET":
        _fill_milestone_form(form, existing, track.timezone if track else challenge.timezone)
    if form.validate_on_submit():
        with attempt(form, success=_("The milestone was saved.")) as done:
            instants = _instants_from(form, ("starts_at", "ends_at"))
            data = timeline_services.MilestoneData(
                per_language(form, "name", existing.name if existing else None),
                instants["starts_at"],
                instants["ends_at"],
                form.url.data,
            )
            timeline_services.save_milestone(
                current_actor(), challenge, existing, track, data, form.reason.data
            )
        if done:
            return redirect(_timeline_url(challenge))
    return render_template(
        "challenges/manage/milestone.html",
        form=form,
        challenge=challenge,
        existing=existing,
        track=track,
    )


@bp.signed_in("/challenges/<slug>/manage/milestones/<int:milestone_id>/delete", methods=["POST"])
def delete_milestone(slug: str, milestone_id: int) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_view_console)
    target = timeline_services.get_milestone(challenge, milestone_id)
    _require_milestone_editor(challenge, target.track, target)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The milestone was deleted."), category="info"):
            timeline_services.delete_milestone(current_actor(), challenge, target)
    return redirect(_timeline_url(challenge))
