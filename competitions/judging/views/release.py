"""Releasing a round's results as an action of the lead agency's admins: now, or at an instant
typed in a chosen zone (both move the round's results instant through the timeline service),
and a preview of what each audience will see at the release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, render_template
from flask.typing import ResponseReturnValue

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import permissions as challenge_permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round, Track
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.timeline import LocalTimeError, to_utc
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.i18n import current_language, format_instant, is_valid_timezone
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard
from competitions.entries import services as entry_services
from competitions.entries.models import Entry
from competitions.judging import advancement as advancement_service
from competitions.judging import audiences, bp
from competitions.judging import results as result_service
from competitions.judging.advancement import Feedback
from competitions.judging.forms import ReleaseForm
from competitions.judging.models import Advancement
from competitions.judging.results import SubmissionResult
from competitions.judging.views.pages import back
from competitions.judging.views.results import release_form, results_page


def _releasable_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """The round whose results the lead agency's admins release (404 for anyone else)."""
    challenge = guard(
        challenge_services.get_challenge(slug), challenge_permissions.can_manage_challenge
    )
    return challenge, challenge_services.get_round(challenge, round_id)


def _scheduled_at(form: ReleaseForm) -> datetime:
    """The instant typed in the form, as wall-clock time in the zone chosen."""
    if not form.validate():
        if form.csrf_token.errors if hasattr(form, "csrf_token") else False:
            raise DomainError(_("The form has expired: try again."))
        if form.results_at.errors:
            message, form.results_at.errors = str(form.results_at.errors[0]), []
            raise DomainError(message, "results_at")
        form.timezone.errors = []
        raise DomainError(_("Select a time zone from the list."), "timezone")
    zone = form.timezone.data or "UTC"
    if form.results_at.data is None:
        raise DomainError(_("Give the instant of the release."), "results_at")
    if not is_valid_timezone(zone):
        raise DomainError(_("Select a time zone from the list."), "timezone")
    try:
        return to_utc(form.results_at.data, zone)
    except LocalTimeError as err:
        raise DomainError(str(err), "results_at") from err


def _release(slug: str, round_id: int, scheduled: bool) -> ResponseReturnValue:
    challenge, round_ = _releasable_round(slug, round_id)
    form = ReleaseForm()
    success = _("The results are released: every track's audience sees them now.")
    reason = _("The results are released now.")
    with attempt(form) as done:
        at = _scheduled_at(form) if scheduled else None
        if not scheduled and not ConfirmForm().validate_on_submit():
            raise DomainError(_("The form has expired: try again."))
        if at is not None:
            success = _("The release is scheduled: every track's audience gets the results then.")
            reason = _(
                "The results are released on %(when)s.",
                when=format_instant(at, challenge.timezone),
            )
        timeline_services.release_results(current_actor(), challenge, round_, at, reason)
    if done:
        flash(success, "success")
        return back("judging.results", slug=slug, round_id=round_id)
    if not scheduled:
        # The panel shows the instant as it stands, with the refusal.
        errors = form.form_errors + form.results_at.errors
        form = release_form(challenge, round_)
        form.results_at.errors = errors
    return results_page(challenge, round_, form, 400)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/release", methods=["POST"])
def release_now(slug: str, round_id: int) -> ResponseReturnValue:
    """Release the round's results now, for every track at once."""
    return _release(slug, round_id, scheduled=False)


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/release/schedule", methods=["POST"])
def schedule_release(slug: str, round_id: int) -> ResponseReturnValue:
    """Release the round's results at an instant given in a chosen zone."""
    return _release(slug, round_id, scheduled=True)


@dataclass(frozen=True)
class TrackPreview:
    """What one track's audiences see at the release: the winners the public reads, and one
    sample team's feedback page (the first ranked, or the first entry without a rank)."""

    track: Track
    winners: list[tuple[Advancement, str, SubmissionResult | None]]
    entry: Entry | None
    feedback: Feedback | None


def _track_preview(round_: Round, track: Track, items: list[SubmissionResult]) -> TrackPreview:
    ranked = sorted(items, key=lambda i: (i.rank_track is None, i.rank_track or 0))
    entry = entry_services.get_entry(ranked[0].entry_id) if ranked else None
    return TrackPreview(
        track=track,
        winners=list(advancement_service.winners(round_, track)),
        entry=entry,
        feedback=advancement_service.feedback(entry, round_) if entry is not None else None,
    )


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/release/preview")
def release_preview(slug: str, round_id: int) -> ResponseReturnValue:
    """What each audience will see at the release, for the lead agency's admins only."""
    challenge, round_ = _releasable_round(slug, round_id)
    data = result_service.results_of(round_)
    tracks = [_track_preview(round_, t, data.of_track(t.id)) for t in challenge.tracks]
    judges = len(audiences.seated_judges(challenge.id))
    db.session.commit()
    return render_template(
        "judging/release_preview.html",
        challenge=challenge,
        round=round_,
        tracks=tracks,
        judges=judges,
        released=result_service.released(round_),
        lang=current_language(),
    )
