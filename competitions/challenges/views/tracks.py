"""A track, configured by its own agency: settings, eligibility rules, prizes, terms, and
marking it ready."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import bp, permissions, services
from competitions.challenges.eligibility import EntrantType, MemberPolicy
from competitions.challenges.forms import (
    PRIZE_CONDITION_SLOTS,
    PrizeForm,
    RulesForm,
    TermsForm,
    TrackForm,
)
from competitions.challenges.models import Track
from competitions.challenges.services import tracks as track_services
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import territory_currency
from competitions.core.languages import deployment_languages
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard


def _track_page(template: str, track: Track, form: Any, **context: Any) -> str:
    """A page of the track's console: its form, with the track and its challenge."""
    return render_template(
        f"challenges/manage/{template}",
        form=form,
        challenge=track.challenge,
        track=track,
        **context,
    )


def _track_url(track: Track, anchor: str = "") -> str:
    return (
        url_for("challenges.edit_track", slug=track.challenge.slug, track_slug=track.slug) + anchor
    )


def _fill_track_form(form: TrackForm, track: Track) -> None:
    fill_per_language(form, "name", track.name)
    fill_per_language(form, "description", track.description)
    fill_per_language(
        form, "attestations", {k: "\n".join(v) for k, v in (track.attestations or {}).items()}
    )
    form.languages.data = list(track.languages)
    form.contact_email.data = track.contact_email
    form.timezone.data = track.timezone


def _track_form_languages(track: Track) -> list[str]:
    """The track's languages, and on a post those it adds: their fields then appear, with the
    message that the track's name is needed in each."""
    added = request.form.getlist("languages") if request.method == "POST" else []
    return [*track.languages, *(c for c in added if c in deployment_languages())]


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/manage", methods=["GET", "POST"])
def edit_track(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_edit_track)
    form = TrackForm(content_languages=_track_form_languages(track))
    if request.method == "GET":
        _fill_track_form(form, track)
    if form.validate_on_submit():
        settings = track_services.TrackSettings(
            name=per_language(form, "name", track.name),
            description=per_language(form, "description", track.description),
            languages=list(form.languages.data or []),
            contact_email=form.contact_email.data,
            timezone=form.timezone.data or "",
            attestations=per_language(form, "attestations"),
        )
        with attempt(form, success=_("The track's settings were saved.")) as done:
            track_services.update_track(current_actor(), track, settings)
        if done:
            return redirect(_track_url(track))
    return _track_page(
        "track.html",
        track,
        form,
        problems=track_services.readiness_problems(track),
        can_ready=permissions.can_mark_ready(current_user, track),
        confirm_form=ConfirmForm(),
        terms=services.current_terms(track),
    )


def _fill_rules_form(form: RulesForm, rules: dict[str, Any]) -> None:
    form.allowed_countries.data = list(rules.get("allowed_countries") or [])
    form.excluded_countries.data = list(rules.get("excluded_countries") or [])
    form.establishment_countries.data = list(rules.get("establishment_countries") or [])
    form.entrant_types.data = list(rules.get("entrant_types") or [t.value for t in EntrantType])
    form.team_min.data = rules.get("team_min") or 1
    form.team_max.data = rules.get("team_max")
    form.minimum_age.data = rules.get("minimum_age")
    form.member_policy.data = rules.get("member_policy") or MemberPolicy.ALL
    form.recognition_for_others.data = bool(rules.get("recognition_for_others"))
    form.exclusive.data = bool(rules.get("exclusive", True))
    conditions = list(rules.get("prize_conditions") or [])
    for prefix, condition in zip(PRIZE_CONDITION_SLOTS, conditions + [{}] * 3, strict=False):
        fill_per_language(form, prefix, condition.get("text") or {})
        getattr(form, f"{prefix}_types").data = list(condition.get("entrant_types") or [])


def _rules_data(form: RulesForm, rules: dict[str, Any]) -> dict[str, Any]:
    stored = [c.get("text") or {} for c in rules.get("prize_conditions") or []]
    texts = {
        prefix: per_language(form, prefix, old)
        for prefix, old in zip(PRIZE_CONDITION_SLOTS, stored + [{}] * 3, strict=False)
    }
    return {
        "allowed_countries": list(form.allowed_countries.data or []),
        "excluded_countries": list(form.excluded_countries.data or []),
        "establishment_countries": list(form.establishment_countries.data or []),
        "entrant_types": list(form.entrant_types.data or []),
        "team_min": form.team_min.data,
        "team_max": form.team_max.data,
        "minimum_age": form.minimum_age.data,
        "member_policy": form.member_policy.data,
        "recognition_for_others": form.recognition_for_others.data,
        "exclusive": form.exclusive.data,
        "prize_conditions": [
            {
                "text": texts[prefix],
                "entrant_types": list(getattr(form, f"{prefix}_types").data or []),
            }
            for prefix in PRIZE_CONDITION_SLOTS
            if any(v.strip() for v in texts[prefix].values())
        ],
    }


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/manage/rules", methods=["GET", "POST"])
def edit_rules(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_edit_track)
    form = RulesForm(content_languages=track.languages)
    if request.method == "GET":
        _fill_rules_form(form, track.rules or {})
    if form.validate_on_submit():
        with attempt(form, success=_("The eligibility rules were saved.")) as done:
            track_services.update_rules(
                current_actor(), track, _rules_data(form, track.rules or {})
            )
        if done:
            return redirect(_track_url(track))
    return _track_page("rules.html", track, form)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/manage/prizes/new", methods=["GET", "POST"])
@bp.signed_in(
    "/challenges/<slug>/tracks/<track_slug>/manage/prizes/<int:prize_id>",
    methods=["GET", "POST"],
)
def edit_prize(slug: str, track_slug: str, prize_id: int | None = None) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_edit_track)
    prize = track_services.get_prize(track, prize_id) if prize_id is not None else None
    form = PrizeForm(content_languages=track.languages)
    if request.method == "GET" and prize is not None:
        fill_per_language(form, "label", prize.label)
        fill_per_language(form, "condition", prize.condition)
        form.amount.data, form.currency.data = str(prize.amount), prize.currency
        form.count.data = prize.count
    elif request.method == "GET":
        form.currency.data = territory_currency(track.agency.jurisdiction)
    if form.validate_on_submit():
        data = track_services.PrizeData(
            per_language(form, "label", prize.label if prize else None),
            form.amount.data or "",
            form.currency.data or "",
            form.count.data or 0,
            per_language(form, "condition", prize.condition if prize else None),
        )
        with attempt(form, success=_("The prize was saved.")) as done:
            track_services.save_prize(current_actor(), track, prize, data)
        if done:
            return redirect(_track_url(track, "#prizes"))
    return _track_page("prize.html", track, form, prize=prize)


@bp.signed_in(
    "/challenges/<slug>/tracks/<track_slug>/manage/prizes/<int:prize_id>/delete",
    methods=["POST"],
)
def delete_prize(slug: str, track_slug: str, prize_id: int) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_edit_track)
    prize = track_services.get_prize(track, prize_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The prize was deleted."), category="info"):
            track_services.delete_prize(current_actor(), track, prize)
    return redirect(_track_url(track, "#prizes"))


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/manage/terms", methods=["GET", "POST"])
def edit_terms(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_edit_track)
    form = TermsForm(content_languages=track.languages)
    current = services.current_terms(track)
    if request.method == "GET" and current is not None:
        fill_per_language(form, "body", current.body)
    if form.validate_on_submit():
        with attempt(form) as done:
            version = track_services.publish_terms(
                current_actor(),
                track,
                per_language(form, "body", current.body if current else None),
            )
        if done:
            if version is None:
                flash(_("The terms did not change; no new version was made."), "info")
            else:
                flash(_("Version %(n)d of the terms is published.", n=version.version), "success")
            return redirect(_track_url(track))
    return _track_page("terms.html", track, form, current=current)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/manage/ready", methods=["POST"])
def mark_ready(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(services.get_challenge_track(slug, track_slug), permissions.can_mark_ready)
    if ConfirmForm().validate_on_submit():
        ready = request.form.get("ready", "1") == "1"
        marked = _("The track is marked ready.") if ready else _("The track is back in draft.")
        with attempt(success=marked) as done:
            track_services.mark_ready(current_actor(), track, ready)
        if done and ready and not track.challenge.is_published:
            # The track's step is done: on to the next one, on the set-up checklist.
            return redirect(url_for("challenges.console", slug=slug) + "#setup")
    return redirect(_track_url(track))
