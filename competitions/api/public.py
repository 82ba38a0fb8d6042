"""Public operations: what anyone may read on the site, for programs. A token adds nothing
here but its agency's own drafts (the same rule as on the pages)."""

from __future__ import annotations

from typing import Any

from competitions.agencies.models import Agency
from competitions.api import auth, public_bp
from competitions.api import schemas as s
from competitions.api.conventions import PageArgs, link_next, local, page_body, paginate, text
from competitions.challenges import services
from competitions.challenges.directory import DirectoryFilters, directory_query
from competitions.challenges.eligibility import (
    EntrantType,
    Member,
    TeamProfile,
    condition_text,
    explain,
    route,
    rules_or_none,
    rules_to_data,
    status_label,
)
from competitions.challenges.models import ROUND_INSTANTS, Challenge, Prize, Round, Track
from competitions.core import clock
from competitions.core.errors import NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.judging import advancement
from competitions.judging import results as result_service


def _summary(c: Challenge) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "title": text(c.title, c.languages) or c.slug,
        "summary": text(c.summary, c.languages),
        "status": c.status,
        "published_at": c.published_at,
        "lead_agency": c.lead_agency.slug,
        "languages": c.languages,
    }


def prize_data(p: Prize, langs: list[str]) -> dict[str, Any]:
    return {
        "id": p.id,
        "label": text(p.label, langs),
        "amount": p.amount,
        "currency": p.currency,
        "count": p.count,
        "condition": text(p.condition, langs) or None,
    }


def rules_data(track: Track) -> dict[str, Any] | None:
    rules = rules_or_none(track.rules)
    if rules is None:
        return None
    data = rules_to_data(rules)
    lang = current_language()
    data["prize_conditions"] = [
        condition_text(c, lang, track.languages) for c in rules.prize_conditions
    ]
    return data


def agency_data(a: Agency) -> dict[str, Any]:
    return {
        "slug": a.slug,
        "name": a.name,
        "jurisdiction": a.jurisdiction,
        "timezone": a.timezone,
        "languages": list(a.languages or []),
        "website": a.website,
    }


def _track(t: Track) -> dict[str, Any]:
    terms = services.current_terms(t)
    return {
        "slug": t.slug,
        "name": t.name_in(current_language()),
        "agency": agency_data(t.agency),
        "languages": list(t.languages or []),
        "timezone": t.timezone,
        "rules": rules_data(t),
        "prizes": [prize_data(p, t.languages) for p in t.prizes],
        "terms_version": terms.version if terms else None,
    }


def _round(r: Round, langs: list[str]) -> dict[str, Any]:
    return {"id": r.id, "name": r.name_in(current_language(), langs), "position": r.position}


@public_bp.route("/challenges")
@public_bp.arguments(PageArgs, location="query")
@public_bp.response(200, s.ChallengePageSchema)
def list_challenges(args: dict[str, Any]) -> Any:
    """Published challenges, oldest first (the directory's challenges)."""
    page = paginate(directory_query(DirectoryFilters(), clock.now()), Challenge.id, args)
    return page_body(page, _summary), 200, link_next(page)


def _visible(slug: str) -> Challenge:
    return services.get_visible_challenge(auth.principal(), slug)


@public_bp.route("/challenges/<slug>")
@public_bp.response(200, s.ChallengeSchema)
def get_challenge(slug: str) -> Any:
    """A challenge with its tracks (rules, prizes, terms version) and rounds."""
    c = _visible(slug)
    return {
        **_summary(c),
        "description": text(c.description, c.languages),
        "timezone": c.timezone,
        "tracks": [_track(t) for t in c.tracks],
        "rounds": [_round(r, c.languages) for r in c.rounds],
    }


@public_bp.route("/challenges/<slug>/tracks/<track_slug>")
@public_bp.response(200, s.TrackDetailSchema)
def get_track(slug: str, track_slug: str) -> Any:
    """One track: its agency, rules, prizes and current terms."""
    track = services.get_track(_visible(slug), track_slug)
    terms = services.current_terms(track)
    return {
        **_track(track),
        "description": text(track.description, track.languages),
        "terms": text(terms.body, track.languages) if terms else None,
    }


def _instants(r: Round, tracks: list[Track]) -> list[dict[str, Any]]:
    found = []
    for kind in ROUND_INSTANTS:
        at = getattr(r, kind)
        if at is None:
            continue
        zones = [
            {"track": t.slug, "timezone": t.timezone, "at": local(at, t.timezone)} for t in tracks
        ]
        found.append({"kind": kind, "at": at, "local": zones})
    return found


@public_bp.route("/challenges/<slug>/timeline")
@public_bp.response(200, s.TimelineSchema)
def get_timeline(slug: str) -> Any:
    """The shared timeline: each round's instants in UTC and in every track's legal zone, and
    the milestones (shared, or one track's)."""
    c = _visible(slug)
    tracks, slugs = list(c.tracks), {t.id: t.slug for t in c.tracks}
    return {
        "timezone": c.timezone,
        "rounds": [{**_round(r, c.languages), "instants": _instants(r, tracks)} for r in c.rounds],
        "milestones": [
            {
                "id": m.id,
                "name": text(m.name, c.languages),
                "track": slugs.get(m.track_id) if m.track_id else None,
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "url": m.url,
            }
            for m in c.milestones
        ],
    }


def _profile(args: dict[str, Any]) -> TeamProfile:
    members = tuple(
        Member(residence=m["residence"].upper(), age=m.get("age"), is_lead=i == 0)
        for i, m in enumerate(args["members"])
    )
    country = args.get("organisation_country")
    return TeamProfile(
        entrant_type=EntrantType(args["entrant_type"]),
        members=members,
        organisation_country=country.upper() if country else None,
    )


@public_bp.route("/challenges/<slug>/eligibility-check", methods=["POST"])
@public_bp.arguments(s.EligibilityArgs, example=s.ELIGIBILITY_EXAMPLE)
@public_bp.response(200, s.EligibilitySchema)
def check_eligibility(args: dict[str, Any], slug: str) -> Any:
    """Which tracks a team could enter, and why: the evaluator of the challenge's page, with
    the same answers. Nothing is stored."""
    c = _visible(slug)
    by_id = {t.id: t for t in c.tracks}
    lang = current_language()
    options = route(_profile(args), [(t.id, r) for t, r in services.tracks_with_rules(c)])
    return {
        "options": [
            {
                "track": by_id[o.track_key].slug,
                "status": o.decision.status.value,
                "status_label": status_label(o.decision.status),
                "reasons": [
                    {"code": r.code, "severity": r.severity.value, "explanation": explain(r)}
                    for r in o.decision.reasons
                ],
                "prize_conditions": [
                    condition_text(p, lang, by_id[o.track_key].languages)
                    for p in o.decision.prize_conditions
                ],
            }
            for o in options
        ]
    }


@public_bp.route("/challenges/<slug>/rounds/<int:round_id>/winners")
@public_bp.response(200, s.WinnersSchema)
def get_winners(slug: str, round_id: int) -> Any:
    """The entries each track advances from a round (winners, finalists), in rank order:
    public from the round's results instant, the same for every track; 404 before it."""
    c = _visible(slug)
    r = services.get_round(c, round_id)
    if not (c.is_published and result_service.released(r)):
        raise NotFound(_("No such round."))
    tracks = [
        {
            "track": t.slug,
            "winners": [
                {"rank": a.rank, "team": name} for a, name, _r in advancement.winners(r, t)
            ],
        }
        for t in c.tracks
    ]
    db.session.commit()  # the results may have been computed and kept (as the page does)
    return {"round": _round(r, c.languages), "results_at": r.results_at, "tracks": tracks}
