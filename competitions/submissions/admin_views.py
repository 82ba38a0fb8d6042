"""A track's submissions for its admins and staff: the list, CSV export, ZIP of a round's files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges import services as challenge_services
from competitions.challenges.eligibility import Status, status_label
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.params import db_id, paginate
from competitions.core.web import current_actor, guard
from competitions.entries.permissions import can_list_entries
from competitions.entries.services import EntryStatus
from competitions.submissions import bp, exports

PAGE_SIZE = 50


def _filters() -> dict[str, str]:
    """The list's filters from the query string; unknown values mean "any"."""
    entry_status = request.args.get("status", EntryStatus.ACTIVE)
    eligibility = request.args.get("eligibility", "")
    state = request.args.get("submission", "")
    if entry_status not in set(EntryStatus):
        entry_status = EntryStatus.ACTIVE
    return {
        "entry_status": entry_status,
        "eligibility": eligibility if eligibility in {s.value for s in Status} else "",
        "submission_state": state if state in exports.SUBMISSION_STATES else "",
    }


def _listed(slug: str, track_slug: str) -> tuple[Challenge, Track, Round]:
    """The track (for its agency's admins and staff) and the round its list shows."""
    challenge = challenge_services.get_challenge(slug)
    track = guard(challenge_services.get_track(challenge, track_slug), can_list_entries)
    return challenge, track, exports.listed_round(challenge, request.args.get("round", type=db_id))


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/submissions")
def track_submissions(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge, track, round_ = _listed(slug, track_slug)
    filters = _filters()
    page = paginate(exports.entries_query(track, round_, **filters), PAGE_SIZE, max_per_page=200)
    return render_template(
        "submissions/track_list.html",
        challenge=challenge,
        track=track,
        round=round_,
        page=page,
        rows=exports.rows_for(list(page.items), round_, with_files=True),
        filters=filters,
        states=exports.SUBMISSION_STATES,
        status_label=status_label,
    )


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/submissions.csv")
def export_csv(slug: str, track_slug: str) -> ResponseReturnValue:
    _, track, round_ = _listed(slug, track_slug)
    filters = _filters()
    ids, name = _start_export("csv", track, round_, filters)
    body = exports.csv_stream(*ids, current_language(), filters)
    return _attachment((chunk.encode() for chunk in body), "text/csv", name)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/submissions.zip")
def export_zip(slug: str, track_slug: str) -> ResponseReturnValue:
    _, track, round_ = _listed(slug, track_slug)
    ids, name = _start_export("zip", track, round_, {})
    return _attachment(exports.zip_stream(*ids), "application/zip", name)


def _start_export(
    kind: str, track: Track, round_: Round, filters: dict[str, str]
) -> tuple[tuple[int, int, int], str]:
    """Record the export: exports of personal data are audited (and committed) before the
    first byte is sent. Answers the ids the stream reads (taken before the commit, which
    expires the objects) and the file's name."""
    ids = (current_user.id, track.id, round_.id)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    name = f"{track.slug}-round{round_.position + 1}-{stamp}.{kind}"
    audit.record(
        current_actor(),
        f"submissions.exported_{kind}",
        obj=track,
        agency_id=track.agency_id,
        after={"round": round_.id, **filters},
    )
    db.session.commit()
    return ids, name


def _attachment(chunks: Iterator[bytes], mimetype: str, name: str) -> Response:
    """A streamed export, as a download that is neither sniffed nor cached."""
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
