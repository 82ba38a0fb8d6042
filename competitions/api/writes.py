"""What an agency's systems may change with a write token, through the pages' services: a
draft challenge's track rules and prizes. A published challenge's rules and prizes are
changed on its pages, where people see what their entrants were shown (409 here)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort

from competitions.api import agency_bp, auth
from competitions.api import schemas as s
from competitions.api.guards import TOKEN, require, settled
from competitions.api.public import prize_data, rules_data
from competitions.challenges import permissions
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Track
from competitions.challenges.services import tracks
from competitions.core.problems import problem
from competitions.core.translate import gettext as _


def _editable_track(slug: str, track_slug: str) -> Track:
    challenge = challenge_services.get_visible_challenge(auth.principal(), slug)
    track = challenge_services.get_track(challenge, track_slug)
    require(permissions.can_edit_track(auth.principal(), track), track)
    if challenge.is_published:
        abort(
            problem(
                409,
                _("Conflict"),
                _("The challenge is published: change its rules and prizes on its pages."),
            )
        )
    return track


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/rules", methods=["PUT"])
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(s.RulesArgs, example=s.RULES_EXAMPLE)
@agency_bp.response(200, s.RulesSchema)
def put_rules(args: dict[str, Any], slug: str, track_slug: str) -> Any:
    """Replace a draft challenge's track's eligibility rules (checked as on the track's
    page; a refused rule is a 422 naming its field)."""
    track = _editable_track(slug, track_slug)
    with settled():
        tracks.update_rules(auth.api_actor(), track, args)
    return rules_data(track)


def _prize_args(args: dict[str, Any]) -> tracks.PrizeData:
    return tracks.PrizeData(
        args["label"], args["amount"], args["currency"], args["count"], args["condition"]
    )


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/prizes", methods=["POST"])
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(s.PrizeArgs, example=s.PRIZE_EXAMPLE)
@agency_bp.response(201, s.PrizeSchema)
def create_prize(args: dict[str, Any], slug: str, track_slug: str) -> Any:
    """Add a prize to a draft challenge's track."""
    track = _editable_track(slug, track_slug)
    with settled():
        prize = tracks.save_prize(auth.api_actor(), track, None, _prize_args(args))
    return prize_data(prize, track.languages)


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/prizes/<int:prize_id>", methods=["PUT"])
@agency_bp.doc(security=TOKEN)
@agency_bp.arguments(s.PrizeArgs, example=s.PRIZE_EXAMPLE)
@agency_bp.response(200, s.PrizeSchema)
def put_prize(args: dict[str, Any], slug: str, track_slug: str, prize_id: int) -> Any:
    """Change a prize of a draft challenge's track."""
    track = _editable_track(slug, track_slug)
    prize = tracks.get_prize(track, prize_id)
    with settled():
        tracks.save_prize(auth.api_actor(), track, prize, _prize_args(args))
    return prize_data(prize, track.languages)


@agency_bp.route("/challenges/<slug>/tracks/<track_slug>/prizes/<int:prize_id>", methods=["DELETE"])
@agency_bp.doc(security=TOKEN)
@agency_bp.response(204)
def delete_prize(slug: str, track_slug: str, prize_id: int) -> Any:
    """Remove a prize from a draft challenge's track."""
    track = _editable_track(slug, track_slug)
    prize = tracks.get_prize(track, prize_id)
    with settled():
        tracks.delete_prize(auth.api_actor(), track, prize)
    return Response(status=204)
