"""Pilot pages: a challenge's pilots (and the winners an agency may offer one), the offer,
and a pilot's page (decision, plan, KPIs with their chart, updates, end, history)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from flask import Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.agencies.models import Agency
from competitions.challenges import services as challenge_services
from competitions.core import clock
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language, format_number
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.core.web import attempt, current_actor, flash_errors, guard
from competitions.insights import svg
from competitions.insights.charts import Chart, Series
from competitions.pilots import (
    bp,
    comparison,
    consent,
    permissions,
    queries,
    services,
    trails,
)
from competitions.pilots.forms import EndForm, KPIForm, MeasurementForm, OfferForm, UpdateForm
from competitions.pilots.models import Pilot, PilotKPI

for _helper in (
    trails.pilots_trail,
    trails.pilot_trail,
    trails.summary_trail,
    trails.public_trail,
    trails.compare_trail,
    services.pilot_action,
    services.outcome_label,
):
    bp.add_app_template_global(_helper)


@bp.app_template_global()
def pilots_of_award(award: Any) -> list[Pilot]:
    """The award's pilots the viewer may see (for the award's and the entry's pages)."""
    return queries.visible_pilots_of_award(current_user, award)


@bp.app_template_global()
def pilot_status(status: str) -> str:
    return services.status_label(status)


@bp.app_template_global()
def can_offer_pilot(award: Any) -> bool:
    return permissions.can_offer(current_user, award.track.challenge)


@bp.app_template_global()
def can_list_pilots(challenge: Any) -> bool:
    return permissions.can_list(current_user, challenge)


@bp.app_template_global()
def public_pilots(challenge: Any) -> list[Pilot]:
    """For the challenge page and its winners (which do not depend on this package). The
    challenge page asks twice (its feed link and its section): one query per request."""
    asked: dict[int, list[Pilot]] = g.setdefault("public_pilots", {})
    if challenge.id not in asked:
        asked[challenge.id] = queries.public_pilots_of_challenge(challenge)
    return asked[challenge.id]


@bp.app_template_global()
def comparable_pilots(award: Any) -> bool:
    """Whether the award's winner pilots in more than one host (the comparison's link)."""
    return len(_compared(award)) > 1


def _compared(award: Any) -> list[Pilot]:
    return [
        p
        for p in queries.pilots_of_award(award)
        if p.status in ("active", "ended") and permissions.can_see_in_comparison(current_user, p)
    ]


def _number_in(lang: str) -> Any:
    def number(value: Any) -> str:
        if value is None:
            return "—"
        return format_decimal(value, format="#,##0.##", locale=lang)

    return number


@bp.signed_in("/challenges/<slug>/pilots")
def challenge_pilots(slug: str) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_list)
    return render_template(
        "pilots/challenge_pilots.html",
        challenge=challenge,
        pilots=queries.all_pilots_of_challenge(challenge.id),
        can_view=functools.partial(permissions.can_view, current_user),
        awards=queries.awards_of_challenge(challenge.id),
        can_offer=permissions.can_offer(current_user, challenge),
        lang=current_language(),
    )


@bp.signed_in("/awards/<int:award_id>/pilot", methods=["GET", "POST"])
def offer(award_id: int) -> ResponseReturnValue:
    award = queries.get_award(award_id)
    challenge = award.track.challenge
    guard(challenge, permissions.can_offer)
    hosts = permissions.hostable_agency_ids(current_user, challenge)
    form = OfferForm()
    form.host.choices = [
        SelectChoice(str(a.id), a.name)
        for a in (db.session.get(Agency, i) for i in hosts)
        if a is not None
    ]
    if request.method == "GET":
        form.host.data = str(hosts[0])
    if form.validate_on_submit():
        host = form.host.data or ""
        data = services.OfferData(
            host_agency_id=int(host) if host.isdigit() else None,
            test_bed=form.test_bed.data or "",
            objectives=form.objectives.data or "",
            host_people=form.host_people.data or "",
            starts_on=form.starts_on.data,
            budget=form.budget.data or "",
        )
        with attempt(form, success=_("The pilot is offered; the team is told.")) as done:
            pilot = services.offer(current_actor(), award, data)
        if done:
            return redirect(url_for("pilots.pilot", pilot_id=pilot.id))
    elif request.method == "POST" and not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    if form.starts_on.errors:
        form.starts_on.errors = [_("Enter the day as YYYY-MM-DD.")]
    reserves = {i: services.host_reserve(award, i) for i in hosts}
    return render_template(
        "pilots/offer.html",
        award=award,
        challenge=challenge,
        form=form,
        reserves=reserves,
        lang=current_language(),
    ), (400 if form.errors or form.form_errors else 200)


def _kpi_chart(kpi: PilotKPI) -> Chart:
    return Chart(
        key=f"kpi-{kpi.id}",
        title=_("%(kpi)s (%(unit)s)", kpi=kpi.name, unit=kpi.unit),
        description=_(
            "Measured values over time; baseline %(baseline)s, target %(target)s.",
            baseline=format_number(float(kpi.baseline)),
            target=format_number(float(kpi.target)),
        ),
        kind="line",
        category_label=_("Day"),
        categories=tuple(m.measured_on.isoformat() for m in kpi.measurements),
        series=(
            Series(_("Measured"), tuple(float(m.value) for m in kpi.measurements)),
            Series(_("Target"), tuple(float(kpi.target) for _m in kpi.measurements)),
        ),
        decimals=4,
    )


def _page(pilot: Pilot, **forms: Any) -> ResponseReturnValue:
    user = current_user
    can_manage = permissions.can_manage(user, pilot)
    measurement_form = forms.get("measurement_form") or MeasurementForm(formdata=None)
    measurement_form.kpi.choices = [
        SelectChoice(str(k.id), f"{k.name} ({k.unit})") for k in pilot.kpis
    ]
    if measurement_form.measured_on.data is None:
        measurement_form.measured_on.data = clock.now().date()
    end_form = forms.get("end_form") or EndForm(formdata=None)
    end_form.outcome.choices = [(k.value, str(v)) for k, v in services.OUTCOME_LABELS.items()]
    number = functools.cache(format_number)
    errors = any(f.errors or f.form_errors for f in forms.values())
    return render_template(
        "pilots/pilot.html",
        pilot=pilot,
        award=pilot.award,
        challenge=pilot.award.track.challenge,
        charts={k.id: _kpi_chart(k) for k in pilot.kpis},
        draw=lambda chart: svg.draw(chart, number),
        number=number,
        can_manage=can_manage,
        can_decide=permissions.can_decide(user, pilot),
        is_team=permissions.is_team(user, pilot),
        can_measure=permissions.can_measure(user, pilot),
        update_form=forms.get("update_form") or UpdateForm(formdata=None),
        kpi_form=forms.get("kpi_form") or KPIForm(formdata=None),
        measurement_form=measurement_form,
        end_form=end_form,
        confirm_form=ConfirmForm(),
        history=queries.history(pilot) if permissions.is_host(user, pilot) or can_manage else [],
        can_publish_host=permissions.can_publish_for_host(user, pilot),
        can_publish_team=permissions.can_publish_for_team(user, pilot),
        publicly_visible=permissions.is_publicly_visible(pilot),
        today=clock.now().date(),
        lang=current_language(),
    ), (400 if errors else 200)


def _summary_context(pilot: Pilot) -> dict[str, Any]:
    number = functools.cache(format_number)
    return {
        "pilot": pilot,
        "award": pilot.award,
        "challenge": pilot.award.track.challenge,
        "charts": {k.id: _kpi_chart(k) for k in pilot.kpis},
        "draw": lambda chart: svg.draw(chart, number),
        "number": number,
        "reached": [m for m in pilot.milestones if m.is_signed_off],
        "host_lang": services.host_language(pilot),
        "lang": current_language(),
    }


def _pilot(pilot_id: int) -> Pilot:
    return guard(queries.get_pilot(pilot_id), permissions.can_view)


@bp.signed_in("/pilots/<int:pilot_id>")
def pilot(pilot_id: int) -> ResponseReturnValue:
    return _page(_pilot(pilot_id))


@bp.signed_in("/pilots/<int:pilot_id>/decision", methods=["POST"])
def decide(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_decide)
    form = ConfirmForm()
    decision = request.form.get("decision", "")
    if not form.validate_on_submit():
        flash_errors(form)
    elif decision not in ("accept", "decline"):
        with attempt():
            raise DomainError(_("Choose to accept or decline the offer."))
    else:
        accepted = decision == "accept"
        message = _("You accepted the pilot.") if accepted else _("You declined the pilot.")
        with attempt(success=message):
            services.decide(current_actor(), pilot, accepted)
    return redirect(url_for("pilots.pilot", pilot_id=pilot.id))


@bp.signed_in("/pilots/<int:pilot_id>/plan", methods=["POST"])
def plan(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_manage)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="plan"))

    def day(name: str, current: date | None = None) -> date | None:
        if name not in request.form:
            return current  # a row the form did not hold stays as it is
        try:
            return date.fromisoformat(request.form.get(name, "").strip())
        except ValueError:
            return None

    rows = [
        services.PlanRow(
            m.id, request.form.get(f"title_{m.id}", m.title), day(f"due_{m.id}", m.due_on)
        )
        for m in pilot.milestones
        if not m.is_signed_off
    ]
    rows.append(services.PlanRow(None, request.form.get("title_new", ""), day("due_new")))
    with attempt(success=_("The plan is saved.")):
        services.save_plan(current_actor(), pilot, rows)
    return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="plan"))


@bp.signed_in("/pilots/<int:pilot_id>/steps/<int:step_id>/sign-off", methods=["POST"])
def sign_off(pilot_id: int, step_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_manage)
    form = ConfirmForm()
    if form.validate_on_submit():
        with attempt(success=_("The milestone is signed off.")):
            services.sign_off(current_actor(), pilot, step_id)
    else:
        flash_errors(form)
    return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="plan"))


@bp.signed_in("/pilots/<int:pilot_id>/kpis", methods=["POST"])
def add_kpi(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_manage)
    form = KPIForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The KPI is added.")) as done:
            services.add_kpi(
                current_actor(),
                pilot,
                form.name.data or "",
                form.unit.data or "",
                form.baseline.data or "",
                form.target.data or "",
                form.key.data or "",
            )
        if done:
            return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="kpis"))
    elif not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    return _page(pilot, kpi_form=form)


@bp.signed_in("/pilots/<int:pilot_id>/measurements", methods=["POST"])
def measure(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_measure)
    form = MeasurementForm()
    if form.validate_on_submit():
        kpi = form.kpi.data or ""
        with attempt(form, success=_("The measurement is recorded.")) as done:
            services.record_measurement(
                current_actor(),
                pilot,
                int(kpi) if kpi.isdigit() else None,
                form.value.data or "",
                form.measured_on.data,
            )
        if done:
            return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="kpis"))
    elif not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    elif form.measured_on.errors:
        form.measured_on.errors = [_("Enter the day as YYYY-MM-DD.")]
    return _page(pilot, measurement_form=form)


@bp.signed_in("/pilots/<int:pilot_id>/updates", methods=["POST"])
def post_update(pilot_id: int) -> ResponseReturnValue:
    pilot = _pilot(pilot_id)
    form = UpdateForm()
    if form.validate_on_submit():
        with attempt(form, success=_("Your update is posted.")) as done:
            services.post_update(current_actor(), pilot, form.body.data or "")
        if done:
            return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="updates"))
    elif not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    return _page(pilot, update_form=form)


@bp.signed_in("/pilots/<int:pilot_id>/end", methods=["POST"])
def end(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(_pilot(pilot_id), permissions.can_manage)
    form = EndForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The pilot is ended; its lessons are kept.")) as done:
            services.end(current_actor(), pilot, form.outcome.data or "", form.reasons.data or "")
        if done:
            return redirect(url_for("pilots.pilot", pilot_id=pilot.id))
    elif not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    return _page(pilot, end_form=form)


@bp.signed_in("/pilots/<int:pilot_id>/summary")
def summary(pilot_id: int) -> ResponseReturnValue:
    """What a partner of the challenge reads of another host's pilot: status, milestones
    reached, KPIs — not its people, budget, updates or history."""
    pilot = guard(queries.get_pilot(pilot_id), permissions.can_read_summary)
    return render_template(
        "pilots/summary.html",
        can_view=permissions.can_view(current_user, pilot),
        **_summary_context(pilot),
    )


def _public_pilot(pilot_id: int) -> Pilot:
    pilot = queries.get_pilot(pilot_id)
    if not permissions.is_publicly_visible(pilot):
        raise NotFound(_("No such pilot."))
    return pilot


@bp.route("/pilots/<int:pilot_id>/public")
def public_page(pilot_id: int) -> ResponseReturnValue:
    """The public page of a pilot whose host and team both opted in: nothing personal."""
    pilot = _public_pilot(pilot_id)
    return render_template("pilots/public.html", **_summary_context(pilot))


@bp.route("/challenges/<slug>/pilots.atom")
def feed(slug: str) -> ResponseReturnValue:
    """The status updates of the challenge's public pilots (Atom, RFC 4287)."""
    challenge = challenge_services.get_challenge(slug)
    if not challenge.is_published:
        raise NotFound(_("No such challenge."))
    updates = queries.public_updates_of_challenge(challenge)
    body = render_template(
        "pilots/updates.atom.xml",
        challenge=challenge,
        updates=updates,
        lang=current_language(),
        feed_url=external_url("pilots.feed", slug=slug),
        page_url=external_url("challenges.challenge_page", slug=slug),
        pilot_url=lambda p: external_url("pilots.public_page", pilot_id=p.id),
        updated=updates[0].posted_at if updates else challenge.published_at,
    )
    return Response(body, mimetype="application/atom+xml")


@bp.signed_in("/pilots/<int:pilot_id>/publicity", methods=["POST"])
def publicity(pilot_id: int) -> ResponseReturnValue:
    pilot = guard(queries.get_pilot(pilot_id), permissions.can_set_publicity)
    form = ConfirmForm()
    public = request.form.get("public") == "1"
    if form.validate_on_submit():
        message = (
            _("Your consent to the public page is recorded.")
            if public
            else _("Your consent is withdrawn: the pilot's page is not public.")
        )
        with attempt(success=message):
            consent.set_public(current_actor(), pilot, request.form.get("side", ""), public)
    else:
        flash_errors(form)
    return redirect(url_for("pilots.pilot", pilot_id=pilot.id, _anchor="public"))


def _progress(cell: comparison.Cell | None) -> float:
    return cell.progress if cell is not None and cell.progress is not None else 0.0


def _comparison_chart(pilots: list[Pilot], rows: list[comparison.Row]) -> Chart:
    shared = [r for r in rows if r.shared]
    return Chart(
        key="progress",
        title=_("Progress towards each target (%(unit)s)", unit="%"),
        description=_(
            "The latest measurement placed between the baseline (0) and the target (100), "
            "so that KPIs in different units compare."
        ),
        kind="bars",
        category_label=_("KPI"),
        categories=tuple(next(c.name for c in r.cells if c) for r in shared),
        series=tuple(
            Series(
                f"{p.host.name} — {p.test_bed}",
                tuple(_progress(r.cells[n]) for r in shared),
            )
            for n, p in enumerate(pilots)
        ),
        decimals=1,
    )


@bp.route("/awards/<int:award_id>/pilots/compare")
def compare(award_id: int) -> ResponseReturnValue:
    """One winner's pilots in several hosts side by side: the same KPIs, each in its unit
    and its host's language."""
    award = queries.get_award(award_id)
    pilots = _compared(award)
    if not pilots:
        raise NotFound(_("No such award."))
    rows = comparison.compare(pilots)
    number = functools.cache(format_number)
    chart = _comparison_chart(pilots, rows)
    return render_template(
        "pilots/compare.html",
        award=award,
        challenge=award.track.challenge,
        pilots=pilots,
        rows=rows,
        chart=chart,
        draw=lambda c: svg.draw(c, number),
        number=number,
        langs=[services.host_language(p) for p in pilots],
        numbers=[_number_in(services.host_language(p)) for p in pilots],
        can_view=[permissions.can_view(current_user, p) for p in pilots],
        can_summary=[permissions.can_read_summary(current_user, p) for p in pilots],
        lang=current_language(),
    )
