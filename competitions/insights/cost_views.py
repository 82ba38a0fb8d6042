"""The cost pages: a challenge's cost per partner (every participant; the lead agency also sets
the reporting currency and the exchange rates there), an agency's own cost lines (its members),
the CSV of the figures shown, and the comparison of an edition with the previous one."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Track
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard
from competitions.insights import bp, cost_records, cost_report, editions, permissions
from competitions.insights.forms import CostLineForm, RateForm, ReportingCurrencyForm


def _challenge(slug: str) -> Challenge:
    return guard(challenge_services.get_challenge(slug), permissions.can_view_costs)


def _lead_challenge(slug: str) -> Challenge:
    return guard(challenge_services.get_challenge(slug), permissions.can_set_rates)


def edition_label(challenge: Challenge) -> str:
    return _("Edition %(number)d", number=challenge.edition)


def _overview(
    challenge: Challenge,
    currency_form: ReportingCurrencyForm | None = None,
    rate_form: RateForm | None = None,
) -> str:
    page = cost_report.cost_page(current_user, challenge, current_language())
    lead = permissions.can_set_rates(current_user, challenge)
    if lead and currency_form is None:
        currency_form = ReportingCurrencyForm(formdata=None)
        currency_form.reporting_currency.data = page.current.report.currency
    if lead and rate_form is None:
        rate_form = RateForm(formdata=None)
        if page.current.report.missing:  # the first rate the totals wait for
            rate_form.from_currency.data = page.current.report.missing[0]
    return render_template(
        "insights/costs.html",
        challenge=challenge,
        page=page,
        lead=lead,
        currency_form=currency_form,
        rate_form=rate_form,
        confirm=ConfirmForm(),
        edition_label=edition_label,
        format_rate=cost_report.format_rate,
        format_day=cost_report.format_day,
        lang=current_language(),
    )


@bp.signed_in("/challenges/<slug>/costs")
def costs(slug: str) -> ResponseReturnValue:
    return _overview(_challenge(slug))


@bp.signed_in("/challenges/<slug>/costs.csv")
def costs_csv(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    page = cost_report.cost_page(current_user, challenge, current_language())
    return Response(
        "".join(cost_report.page_csv(page, edition_label)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{challenge.slug}-costs.csv"'},
    )


@bp.signed_in("/challenges/<slug>/costs/currency", methods=["POST"])
def set_currency(slug: str) -> ResponseReturnValue:
    challenge = _lead_challenge(slug)
    form = ReportingCurrencyForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The reporting currency was saved.")) as done:
            cost_records.set_reporting_currency(
                current_actor(), challenge, form.reporting_currency.data or ""
            )
        if done:
            return redirect(url_for(".costs", slug=slug) + "#rates")
    return _overview(challenge, currency_form=form)


@bp.signed_in("/challenges/<slug>/costs/rates", methods=["POST"])
def save_rate(slug: str) -> ResponseReturnValue:
    challenge = _lead_challenge(slug)
    form = RateForm()
    if form.validate_on_submit():
        data = cost_records.RateData(
            form.from_currency.data or "", form.rate.data or "", form.rate_date.data or ""
        )
        with attempt(form, success=_("The exchange rate was saved.")) as done:
            cost_records.save_rate(current_actor(), challenge, data)
        if done:
            return redirect(url_for(".costs", slug=slug) + "#rates")
    return _overview(challenge, rate_form=form)


@bp.signed_in("/challenges/<slug>/costs/rates/<int:rate_id>/delete", methods=["POST"])
def delete_rate(slug: str, rate_id: int) -> ResponseReturnValue:
    challenge = _lead_challenge(slug)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The exchange rate was deleted."), category="info"):
            cost_records.delete_rate(current_actor(), challenge, rate_id)
    return redirect(url_for(".costs", slug=slug) + "#rates")


def _track(slug: str, track_slug: str) -> Track:
    return guard(
        challenge_services.get_challenge_track(slug, track_slug), permissions.can_record_costs
    )


def _lines_page(track: Track, form: CostLineForm, status: int = 200) -> Any:
    return (
        render_template(
            "insights/cost_lines.html",
            challenge=track.challenge,
            track=track,
            form=form,
            lines=cost_records.lines_of(track.challenge, track.agency_id),
            category_label=cost_report.category_label,
            confirm=ConfirmForm(),
            lang=current_language(),
        ),
        status,
    )


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/costs", methods=["GET", "POST"])
def cost_lines(slug: str, track_slug: str) -> ResponseReturnValue:
    track = _track(slug, track_slug)
    form = CostLineForm()
    if request.method == "GET":
        form.currency.data = cost_records.default_currency_of(track)
    if form.validate_on_submit():
        data = cost_records.CostLineData(
            form.category.data or "",
            form.amount.data or "",
            form.currency.data or "",
            form.spent_on.data or "",
            form.note.data or "",
        )
        with attempt(form, success=_("The cost was recorded.")) as done:
            cost_records.add_line(current_actor(), track, data)
        if done:
            return redirect(url_for(".cost_lines", slug=slug, track_slug=track_slug))
    return _lines_page(track, form)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/costs/<int:line_id>/delete", methods=["POST"])
def delete_cost_line(slug: str, track_slug: str, line_id: int) -> ResponseReturnValue:
    track = _track(slug, track_slug)
    line = cost_records.get_line(track, line_id)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The cost line was deleted."), category="info"):
            cost_records.delete_line(current_actor(), track, line)
    return redirect(url_for(".cost_lines", slug=slug, track_slug=track_slug))


@bp.signed_in("/challenges/<slug>/editions")
def edition_comparison(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    comparison = editions.compare(current_user, challenge, current_language())
    return render_template(
        "insights/editions.html",
        challenge=challenge,
        comparison=comparison,
        edition_label=edition_label,
        lang=current_language(),
    )
