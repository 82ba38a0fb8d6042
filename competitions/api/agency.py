"""Operations for an agency's own systems, with one of its tokens: its tracks' entries and
their eligibility, submissions' metadata, announcements and their delivery, its audit log.

Each checks the same rule as the page that shows the same thing, for the token's principal
(``api.auth``). Another agency's objects answer 404, like ones that do not exist, and the
refusal is written to the audit log as on the pages.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competitions.agencies.permissions import can_view_agency_audit
from competitions.api import agency_bp, auth
from competitions.api import schemas as s
from competitions.api.conventions import (
    PageArgs,
    link_next,
    page_body,
    page_fields,
    paginate,
    text,
)
from competitions.api.guards import TOKEN, require, settled
from competitions.api.models import ApiToken
from competitions.api.public import agency_data
from competitions.challenges import services as challenge_services
from competitions.challenges.eligibility import explain
from competitions.challenges.models import Challenge, Track
from competitions.core import audit
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.web import send_attachment
from competitions.entries import services as entry_services
from competitions.entries.decisions import reasons_from_data
from competitions.entries.models import Entry
from competitions.entries.permissions import can_list_entries, can_view_entry
from competitions.judging import advancement, results, reviews
from competitions.judging import permissions as judging_permissions
from competitions.judging.models import Review
from competitions.judging.rubrics import get_stage, last_stage
from competitions.outreach import announcements
from competitions.outreach import permissions as outreach_permissions
from competitions.outreach.models import Announcement
from competitions.submissions import services as submission_services
from competitions.submissions.models import Submission, SubmissionVersion


def _challenge(slug: str) -> Challenge:
    return challenge_services.get_visible_challenge(auth.principal(), slug)


def _listed_track(slug: str, track_slug: str) -> Track:
    track = challenge_services.get_track(_challenge(slug), track_slug)
    require(can_list_entries(auth.principal(), track), track)
    return track


@agency_bp.route("/agency")
@agency_bp.doc(security=TOKEN)
@agency_bp.response(200, s.WhoAmISchema)
def whoami() -> Any:
    """The token's agency, and the token itself (scope, expiry)."""
    token: ApiToken = auth.require_current_token()
    return {
        "agency": agency_data(token.agency),
        "token": {
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.scope,
            "expires_at": token.expires_at,
        },
    }


def _entry(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "team": e.team.name,
        "entrant_type": e.team.entrant_type,
        "registered_at": e.registered_at,
        "withdrawn_at": e.withdrawn_at,
        "eligibility": e.effective_eligibility,
        "evaluated": e.eligibility,
        "override_reason": e.override_reason,
        "reasons": [
            {"code": r.code, "severity": r.severity.value, "explanation": explain(r)}
            for r in reasons_from_data(e.eligibility_reasons)
        ],
        "terms_version": e.terms_version.version,
    }


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/entries")
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(PageArgs, location="query")
@agency_bp.response(200, s.EntryPageSchema)
def list_entries(args: dict[str, Any], slug: str, track_slug: str) -> Any:
    """The track's entries (withdrawn ones too) with their eligibility and its reasons."""
    track = _listed_track(slug, track_slug)
    stmt = entry_services.track_entries_query(track).options(selectinload(Entry.terms_version))
    page = paginate(stmt, Entry.id, args)
    return page_body(page, _entry), 200, link_next(page)


def _submission(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "entry_id": sub.entry_id,
        "round_id": sub.round_id,
        "withdrawn_at": sub.withdrawn_at,
        "versions": [
            {
                "number": v.number,
                "submitted_at": v.submitted_at,
                "deadline": v.deadline,
                "files": [
                    {
                        "id": f.id,
                        "field": f.field_key,
                        "filename": f.filename,
                        "content_type": f.content_type,
                        "size": f.size,
                        "sha256": f.sha256,
                    }
                    for f in v.files
                ],
            }
            for v in sub.versions
        ],
    }


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/submissions")
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(PageArgs, location="query")
@agency_bp.response(200, s.SubmissionPageSchema)
def list_submissions(args: dict[str, Any], slug: str, track_slug: str) -> Any:
    """The track's submissions with their submitted versions and each file's size and
    SHA-256 (drafts are the teams' own: not listed)."""
    track = _listed_track(slug, track_slug)
    stmt = (
        select(Submission)
        .join(Entry, Entry.id == Submission.entry_id)
        .where(Entry.track_id == track.id)
        .options(selectinload(Submission.versions).selectinload(SubmissionVersion.files))
    )
    page = paginate(stmt, Submission.id, args)
    return page_body(page, _submission), 200, link_next(page)


@agency_bp.route("/files/<int:file_id>")
@agency_bp.doc(security=TOKEN)
@agency_bp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="*/*",
    description="The file as stored, with the content type it was uploaded with; its ETag "
    "and Repr-Digest carry its SHA-256.",
)
def download_file(file_id: int) -> Any:
    """A submission's file (its id is in the submissions' metadata), as the track's agency
    downloads it on the pages. Check its SHA-256 against the metadata."""
    record = submission_services.get_file(file_id)
    entry = record.submission.entry
    require(can_view_entry(auth.principal(), entry), entry)
    if record.sha256 in request.if_none_match:  # not even opened: the client has it
        unchanged = Response(status=304)
        unchanged.set_etag(record.sha256)
        return unchanged
    response = send_attachment(
        submission_services.open_file(record), record.content_type, record.filename
    )
    digest = base64.b64encode(bytes.fromhex(record.sha256)).decode("ascii")
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.set_etag(record.sha256)
    return response


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/rounds/<int:round_id>/results")
@agency_bp.doc(security=TOKEN)
@agency_bp.response(200, s.TrackResultsSchema)
def track_results(slug: str, track_slug: str, round_id: int) -> Any:
    """The track's results of a round's last review stage (the results page's figures, before
    the release too), in rank order, with the track's advancement decisions."""
    challenge = _challenge(slug)
    track = challenge_services.get_track(challenge, track_slug)
    require(judging_permissions.can_view_track_judging(auth.principal(), track), track)
    round_ = challenge_services.get_round(challenge, round_id)
    stage = last_stage(round_)
    items = results.of_track(round_, track.id, stage)
    decided = advancement.decisions(round_, [track], stage)
    db.session.commit()  # the results may have been computed and kept (as the page does)
    ranked = sorted(items, key=lambda i: (i.rank_track is None, i.rank_track or 0, i.entry_id))
    return {
        "round": {
            "id": round_.id,
            "name": round_.name_in(current_language(), challenge.languages),
            "position": round_.position,
        },
        "stage": stage,
        "released": challenge.is_published and results.released(round_),
        "results": [
            {
                "entry_id": i.entry_id,
                "submission_id": i.submission_id,
                "team": i.team,
                "rank": i.rank_track,
                "rank_overall": i.rank_overall,
                "raw": i.raw,
                "normalized": i.normalized,
                "reviews": i.reviews,
                "tied": i.tied,
                "advancing": decided.get(i.entry_id),
            }
            for i in ranked
        ],
    }


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/rounds/<int:round_id>/reviews")
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(s.ReviewPageArgs, location="query")
@agency_bp.response(200, s.ReviewPageSchema)
def list_reviews(args: dict[str, Any], slug: str, track_slug: str, round_id: int) -> Any:
    """The reviews that count in the track's results of a round's stage (the last stage by
    default): each judge's score per criterion and comments, as the results page's scores
    export has them."""
    challenge = _challenge(slug)
    track = challenge_services.get_track(challenge, track_slug)
    require(judging_permissions.can_view_track_judging(auth.principal(), track), track)
    round_ = challenge_services.get_round(challenge, round_id)
    stage = args["stage"] or last_stage(round_)
    rubric = get_stage(round_, stage)
    page = paginate(reviews.track_reviews(round_, stage, track.id), Review.id, args)
    about = reviews.reviews_about([r.id for r in page.items])
    titles = {c.id: text(c.title, challenge.languages) for c in rubric.criteria}

    def dump(review: Review) -> dict[str, Any]:
        row = about[review.id]
        return {
            "id": review.id,
            "submission_id": row.submission_id,
            "entry_id": row.entry_id,
            "stage": stage,
            "judge": {"id": row.user_id, "email": row.email},
            "submitted_at": review.submitted_at,
            "weighted_score": review.weighted_score,
            "scores": [
                {
                    "criterion_id": sc.criterion_id,
                    "criterion": titles.get(sc.criterion_id, ""),
                    "value": float(sc.value),
                }
                for sc in review.scores
            ],
            "comment_to_team": review.comment_to_team,
            "comment_to_admins": review.comment_to_admins,
        }

    return page_body(page, dump), 200, link_next(page)


def _announcement(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.id,
        "track": a.track.slug if a.track else None,
        "subject": text(a.subject, a.challenge.languages),
        "status": a.status,
        "audiences": list(a.audiences or []),
        "release_at": a.release_at,
        "released_at": a.released_at,
        "recipients": a.recipients,
        "delivery": announcements.progress(a),
    }


@agency_bp.route("/challenges/<slug>/announcements")
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(PageArgs, location="query")
@agency_bp.response(200, s.AnnouncementPageSchema)
def list_announcements(args: dict[str, Any], slug: str) -> Any:
    """The challenge's announcements the agency may see, with their delivery counts."""
    challenge = _challenge(slug)
    user = auth.principal()
    require(outreach_permissions.can_list(user, challenge), challenge)
    stmt = select(Announcement).where(Announcement.challenge_id == challenge.id)
    page = paginate(stmt, Announcement.id, args)
    visible = [a for a in page.items if outreach_permissions.can_view(user, a)]
    body = page_fields(page, [_announcement(a) for a in visible])
    return body, 200, link_next(page)


@agency_bp.route("/challenges/<slug>/announcements", methods=["POST"])
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(s.AnnouncementArgs, example=s.ANNOUNCEMENT_EXAMPLE)
@agency_bp.response(201, s.AnnouncementSchema)
def create_announcement(args: dict[str, Any], slug: str) -> Any:
    """A draft announcement (needs a write token): the agency's staff review and send it on
    the challenge's console. The composer's rules apply (languages, audiences, round)."""
    challenge = _challenge(slug)
    actor = auth.api_actor()
    draft = announcements.Draft(args["subject"], args["body"], args["audiences"], args["round_id"])
    track = challenge_services.get_track(challenge, args["track"]) if args["track"] else None
    require(outreach_permissions.can_compose(actor.user, challenge, track), track or challenge)
    with settled():
        ann = announcements.create(actor, challenge, track, draft)
    return _announcement(ann)


def _event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "actor": e.actor_label,
        "role": e.role,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_label": e.object_label,
        "via": e.via,
    }


class _AuditQuery(s.AuditArgs, PageArgs):
    pass


@agency_bp.route("/audit-events")
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(_AuditQuery, location="query")
@agency_bp.response(200, s.AuditPageSchema)
def list_audit_events(args: dict[str, Any]) -> Any:
    """The agency's audit log, oldest first: pull it incrementally with the cursor."""
    agency = auth.require_current_token().agency
    require(can_view_agency_audit(auth.principal(), agency), agency)
    stmt = audit.events_query(agency_id=agency.id, action=args.get("action"))
    page = paginate(stmt, AuditEvent.id, args)
    return page_body(page, _event), 200, link_next(page)
