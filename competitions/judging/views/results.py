"""Results: the round's results for the agencies (and the scores' CSV), the track's decision of
who advances, the public winners from the release instant, and a team's feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.models import User
from competitions.challenges import permissions as challenge_permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.forms import local_naive
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.params import page_number
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor
from competitions.entries import permissions as entry_permissions
from competitions.entries import services as entry_services
from competitions.judging import advancement as advancement_service
from competitions.judging import bp, explanation, panels, permissions, refresh, rubrics
from competitions.judging import results as result_service
from competitions.judging.forms import AdvancementForm, ReleaseForm
from competitions.judging.models import Advancement, AdvancementMethod, Rubric
from competitions.judging.results import SubmissionResult
from competitions.judging.views.pages import assignable_track, back, judging_round, requested_stage


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/results")
def results(slug: str, round_id: int) -> ResponseReturnValue:
    """The round's results for the agencies, before and after the release: comparable across
    tracks; judges' leniency only for the panels the viewer runs."""
    challenge, round_ = judging_round(slug, round_id)
    return results_page(challenge, round_, release_form(challenge, round_))


def release_form(challenge: Challenge, round_: Round) -> ReleaseForm:
    """The release panel's form, showing the round's results instant in the challenge's zone."""
    form = ReleaseForm(formdata=None)
    form.timezone.data = challenge.timezone
    form.results_at.data = local_naive(round_.results_at, challenge.timezone)  # type: ignore[assignment]
    return form


def results_page(
    challenge: Challenge, round_: Round, form: ReleaseForm, status: int = 200
) -> ResponseReturnValue:
    """The results page, with the lead's release panel (``form``: its errors, after a post)."""
    stage = requested_stage(round_)
    # The kept summary and each track's page of rows: a view reads what it shows, not every
    # submission's result; a worker keeps them current (``judging.refresh``).
    summary = refresh.summary_for_page(round_, stage.stage)
    db.session.commit()
    lang = current_language()
    visible_panels = {
        p.id
        for p in panels.panels_of(challenge)
        if permissions.can_view_agency_judging(current_user, permissions.panel_agency(p, challenge))
    }
    by_track = track_pages(challenge.tracks, summary, request.args.to_dict())
    shown = {i.entry_id for page in by_track.values() for i in page.rows}
    return render_template(
        "judging/results.html",
        challenge=challenge,
        round=round_,
        stage=stage,
        stages=rubrics.stages_of(round_),
        by_track=by_track,
        lagging_since=summary.lagging_since,
        leniency=[r for r in summary.leniency if r.panel_id in visible_panels],
        outliers=summary.outliers if visible_panels else (),
        users=result_service.judges_by_id({row.user_id for row in summary.leniency}),
        decided=advancement_service.decisions_of_entries(round_, shown, stage.stage),
        released=result_service.released(round_),
        explanation=explanation.explanation(lang),
        can_advance={t.id: permissions.can_assign(current_user, t) for t in challenge.tracks},
        # The team's page (what it reads at the release) for the tracks the viewer runs.
        feedback_tracks={
            t.id for t in challenge.tracks if permissions.can_view_track_judging(current_user, t)
        },
        can_release=challenge_permissions.can_manage_challenge(current_user, challenge),
        release_form=form,
        lang=lang,
    ), status


# Rows of a track's results table per page: 10,000 submissions made a 2.5 MB page.
RESULTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class TrackPage:
    """One page of a track's results table (in rank order, unranked last) and its neighbours'
    query strings (None at either end)."""

    rows: list[SubmissionResult]
    page: int
    pages: int
    total: int
    previous_args: dict[str, str] | None
    next_args: dict[str, str] | None


def track_pages(
    tracks: list[Track], summary: result_service.Summary, args: dict[str, str]
) -> dict[int, TrackPage]:
    """Each track's page of results: the track's own ``page-<track id>`` argument picks it, so
    paging one table keeps the others where they are. One query for the counts, one per track
    for its page's rows."""
    counts = result_service.counts_by_track(summary)
    out: dict[int, TrackPage] = {}
    for track in tracks:
        key = f"page-{track.id}"
        total = counts.get(track.id, 0)
        pages = max(1, -(-total // RESULTS_PAGE_SIZE))
        try:
            page = min(page_number(args.get(key, "1")), pages)
        except ValueError:
            page = 1
        start = (page - 1) * RESULTS_PAGE_SIZE
        rows = (
            result_service.page_of_track(summary, track.id, start, RESULTS_PAGE_SIZE)
            if total
            else []
        )
        out[track.id] = TrackPage(
            rows=rows,
            page=page,
            pages=pages,
            total=total,
            previous_args={**args, key: str(page - 1)} if page > 1 else None,
            next_args={**args, key: str(page + 1)} if page < pages else None,
        )
    return out


@bp.signed_in("/challenges/<slug>/rounds/<int:round_id>/results.csv")
def results_csv(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    stage = requested_stage(round_).stage
    audit.record(
        current_actor(),
        "judging.scores_exported",
        obj=round_,
        object_type="round",
        agency_id=challenge.lead_agency_id,
        after={"stage": stage},
    )
    db.session.commit()
    user_id, challenge_id, rid = current_user.id, challenge.id, round_.id

    def stream() -> Any:
        # A fresh lookup inside the stream: the request's objects are gone once it returns.
        user = db.session.get(User, user_id)
        ch = db.session.get(Challenge, challenge_id)
        r = db.session.get(Round, rid)
        assert user is not None and ch is not None and r is not None
        yield from result_service.scores_csv(user, ch, r, stage)
        db.session.commit()

    return Response(
        stream_with_context(stream()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{challenge.slug}-round-{rid}-stage-{stage}-scores.csv"'
            )
        },
    )


@bp.signed_in(
    "/challenges/<slug>/rounds/<int:round_id>/tracks/<track_slug>/advancement",
    methods=["GET", "POST"],
)
def advancement(slug: str, round_id: int, track_slug: str) -> ResponseReturnValue:
    challenge, round_ = judging_round(slug, round_id)
    track = assignable_track(challenge, track_slug)
    stage = requested_stage(round_)
    items = result_service.of_track(round_, track.id, stage.stage)
    form = AdvancementForm(formdata=request.form if request.method == "POST" else None)
    existing = advancement_service.advancement_of(round_, track, stage.stage)
    chosen = {e for e, a in existing.items() if a.advancing}
    if request.method == "GET":
        return _advancement_page(challenge, round_, track, stage, items, chosen, form)
    if not form.validate():
        return _advancement_page(challenge, round_, track, stage, items, chosen, form, 400)
    if "confirm" in request.form:
        picked = {int(v) for v in request.form.getlist("entry") if v.isdigit()}
        method = form.method.data or AdvancementMethod.MANUAL
        with attempt(form) as done:
            yes, no = advancement_service.decide(
                current_actor(), round_, track, method, picked, stage.stage
            )
        if done:
            flash(
                _("Decision recorded: %(yes)d advancing, %(no)d not advancing.", yes=yes, no=no),
                "success",
            )
            return back("judging.results", slug=slug, round_id=round_id, stage=stage.stage)
        return _advancement_page(challenge, round_, track, stage, items, chosen, form, 400)
    # A preview of what the rule selects.
    threshold = None if form.threshold.data is None else float(form.threshold.data)
    with attempt(form) as done:
        chosen = set(
            advancement_service.select_advancing(
                items, form.method.data or "", form.n.data, threshold
            )
        )
    return _advancement_page(
        challenge, round_, track, stage, items, chosen, form, 200 if done else 400
    )


def _advancement_page(
    challenge: Challenge,
    round_: Round,
    track: Track,
    stage: Rubric,
    items: list[SubmissionResult],
    chosen: set[int],
    form: AdvancementForm,
    status: int = 200,
) -> ResponseReturnValue:
    db.session.commit()
    return render_template(
        "judging/advancement.html",
        challenge=challenge,
        round=round_,
        track=track,
        stage=stage,
        last_stage=rubrics.last_stage(round_),
        items=sorted(items, key=lambda i: (i.rank_track is None, i.rank_track or 0)),
        chosen=chosen,
        form=form,
    ), status


def published_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    """Results pages: public from the round's results instant, the same for every track;
    before it (or for a draft challenge) they exist only for the agencies taking part."""
    challenge = challenge_services.get_challenge(slug)
    round_ = challenge_services.get_round(challenge, round_id)
    public = challenge.is_published and result_service.released(round_)
    if not public and not permissions.can_view_judging(current_user, challenge):
        abort(404)  # not out yet: nothing to refuse
    return challenge, round_


@bp.route("/challenges/<slug>/rounds/<int:round_id>/winners")
def winners(slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = published_round(slug, round_id)
    per_track = [(t, advancement_service.winners(round_, t)) for t in challenge.tracks]
    return _winners_page(challenge, round_, per_track)


@bp.route("/challenges/<slug>/tracks/<track_slug>/rounds/<int:round_id>/winners")
def track_winners(slug: str, track_slug: str, round_id: int) -> ResponseReturnValue:
    challenge, round_ = published_round(slug, round_id)
    track = challenge_services.get_track(challenge, track_slug)
    return _winners_page(challenge, round_, [(track, advancement_service.winners(round_, track))])


def _winners_page(
    challenge: Challenge,
    round_: Round,
    per_track: list[tuple[Track, list[tuple[Advancement, str, SubmissionResult | None]]]],
) -> ResponseReturnValue:
    db.session.commit()
    return render_template(
        "judging/winners.html",
        challenge=challenge,
        round=round_,
        per_track=per_track,
        released=result_service.released(round_),
    )


@bp.signed_in("/entries/<int:entry_id>/rounds/<int:round_id>/feedback")
def feedback(entry_id: int, round_id: int) -> ResponseReturnValue:
    """A team's outcome in a round and the judges' comments to it, from the release instant;
    the track's agency sees the page before, to check what the team will read."""
    entry = entry_services.get_entry(entry_id)
    if not entry_permissions.can_view_entry(current_user, entry):
        abort(404)  # as for an entry that does not exist
    challenge = entry.track.challenge
    round_ = challenge_services.get_round(challenge, round_id)
    released = challenge.is_published and result_service.released(round_)
    if not released and not permissions.can_view_track_judging(current_user, entry.track):
        abort(404)  # not out yet
    data = advancement_service.feedback(entry, round_)
    db.session.commit()
    return render_template(
        "judging/feedback.html",
        entry=entry,
        challenge=challenge,
        round=round_,
        feedback=data,
        released=released,
    )
