"""Award pages: a track's awards (its agency), recording one from released results, an
award's page (its agency and its winners: conditions, evidence, approval, payment, history),
and the agency's budget for success for the challenge."""

from __future__ import annotations

from decimal import Decimal

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.accounts.forms import ConfirmForm
from competitions.awards import bp, permissions, reserves, services, trails
from competitions.awards.forms import AwardForm, PaymentForm, ReserveForm
from competitions.awards.models import Award
from competitions.challenges import services as challenge_services
from competitions.challenges.eligibility import status_label
from competitions.challenges.models import Track
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, flash_errors, guard

for _helper in (trails.awards_trail, trails.award_trail, services.award_action):
    bp.add_app_template_global(_helper)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/awards")
def track_awards(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(
        challenge_services.get_challenge_track(slug, track_slug), permissions.can_view_awards
    )
    awards = services.awards_of_track(track)
    awarded = {a.entry_id for a in awards}
    return render_template(
        "awards/track_awards.html",
        track=track,
        challenge=track.challenge,
        awards=awards,
        totals=services.totals(awards),
        winners=services.released_winners(track),
        awarded=awarded,
        reserve=reserves.reserve_of(track.challenge, track.agency_id),
        can_manage=permissions.can_manage_awards(current_user, track),
        statuses=services.STATUS_LABELS,
        status_label=status_label,
        lang=current_language(),
    )


def _award_choices(form: AwardForm, track: Track) -> None:
    lang = current_language()
    form.winner.choices = [SelectChoice("", _("Choose a winner"))] + [
        SelectChoice(
            f"{w.round.id}:{w.entry.id}",
            _("%(team)s — %(round)s", team=w.entry.team.name, round=w.round.name_in(lang))
            + (f" (#{w.rank})" if w.rank else ""),
        )
        for w in services.released_winners(track)
    ]
    form.prize.choices = [SelectChoice("", _("Choose a prize"))] + [
        SelectChoice(
            str(p.id),
            f"{p.label.get(lang) or next(iter(p.label.values()), '')} — {p.amount} {p.currency}",
        )
        for p in track.prizes
    ]
    form.conditions.choices = [
        (str(i), c.text.get(lang) or next(iter(c.text.values()), ""))
        for i, c in enumerate(services.track_conditions(track))
    ]


def _prefill(form: AwardForm, track: Track) -> None:
    """From the awards list's link: the winner chosen, the conditions that apply to its team
    ticked, and the first prize's amount."""
    key = request.args.get("winner", "")
    winner = next(
        (w for w in services.released_winners(track) if f"{w.round.id}:{w.entry.id}" == key),
        None,
    )
    if winner is not None:
        form.winner.data = key
        form.conditions.data = [str(i) for i in services.applicable_indexes(track, winner.entry)]
    if track.prizes:
        first = track.prizes[0]
        form.prize.data = str(first.id)
        form.amount.data = str(first.amount.normalize() if first.amount % 1 else int(first.amount))
        form.currency.data = first.currency


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/awards/new", methods=["GET", "POST"])
def record(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(
        challenge_services.get_challenge_track(slug, track_slug), permissions.can_manage_awards
    )
    form = AwardForm()
    _award_choices(form, track)
    if request.method == "GET":
        _prefill(form, track)
    if form.validate_on_submit():
        data = services.AwardData(
            winner=form.winner.data or "",
            prize_id=int(form.prize.data) if (form.prize.data or "").isdigit() else None,
            amount=form.amount.data or "",
            currency=form.currency.data or "",
            conditions=[int(v) for v in form.conditions.data or [] if str(v).isdigit()],
        )
        with attempt(form, success=_("The award is recorded; the winners are told.")) as done:
            award = services.record_award(current_actor(), track, data)
        if done:
            return redirect(url_for("awards.award", award_id=award.id))
    return render_template(
        "awards/record.html", track=track, challenge=track.challenge, form=form
    ), (400 if form.errors or form.form_errors else 200)


def _award_page(award: Award, payment_form: PaymentForm | None = None) -> ResponseReturnValue:
    can_manage = permissions.can_manage_awards(current_user, award.track)
    sees_history = permissions.can_view_awards(current_user, award.track)
    payment_form = payment_form or PaymentForm(formdata=None)
    return render_template(
        "awards/award.html",
        award=award,
        track=award.track,
        challenge=award.track.challenge,
        evidence=services.evidence_of(award),
        history=services.history(award) if sees_history else [],
        can_manage=can_manage,
        is_winner=permissions.is_winner(current_user, award),
        payment_form=payment_form,
        confirm_form=ConfirmForm(),
        statuses=services.STATUS_LABELS,
        condition_labels=services.CONDITION_LABELS,
        lang=current_language(),
    ), (400 if payment_form.errors or payment_form.form_errors else 200)


@bp.signed_in("/awards/<int:award_id>")
def award(award_id: int) -> ResponseReturnValue:
    award = guard(services.get_award(award_id), permissions.can_view_award)
    return _award_page(award)


@bp.signed_in("/awards/<int:award_id>/approve", methods=["POST"])
def approve(award_id: int) -> ResponseReturnValue:
    award = guard(services.get_award(award_id), permissions.can_view_award)
    guard(award.track, permissions.can_manage_awards)
    form = ConfirmForm()
    if form.validate_on_submit():
        with attempt(success=_("The award is approved for payment.")):
            services.approve(current_actor(), award)
    else:
        flash_errors(form)
    return redirect(url_for("awards.award", award_id=award.id))


@bp.signed_in("/awards/<int:award_id>/payment", methods=["POST"])
def pay(award_id: int) -> ResponseReturnValue:
    award = guard(services.get_award(award_id), permissions.can_view_award)
    guard(award.track, permissions.can_manage_awards)
    form = PaymentForm()
    if form.validate_on_submit():
        with attempt(form, success=_("The payment is recorded.")) as done:
            services.mark_paid(current_actor(), award, form.paid_on.data, form.reference.data or "")
        if done:
            return redirect(url_for("awards.award", award_id=award.id))
    elif not form.errors:
        form.form_errors.append(_("The form expired: please try again."))
    return _award_page(award, form)


@bp.signed_in("/challenges/<slug>/tracks/<track_slug>/reserve", methods=["GET", "POST"])
def reserve(slug: str, track_slug: str) -> ResponseReturnValue:
    track = guard(
        challenge_services.get_challenge_track(slug, track_slug), permissions.can_set_reserve
    )
    current = reserves.reserve_of(track.challenge, track.agency_id)
    form = ReserveForm(content_languages=track.languages)
    if request.method == "GET" and current is not None:
        form.amount.data = str(current.amount)
        form.currency.data = current.currency
        form.public.data = current.public
        fill_per_language(form, "purpose", current.purpose)
    if form.validate_on_submit():
        data = reserves.ReserveData(
            form.amount.data or "",
            form.currency.data or "",
            per_language(form, "purpose", current.purpose if current else None),
            bool(form.public.data),
        )
        with attempt(form, success=_("The budget for success is saved.")) as done:
            reserves.set_reserve(current_actor(), track, data)
        if done:
            return redirect(
                url_for("awards.track_awards", slug=slug, track_slug=track_slug, _anchor="reserve")
            )
    return render_template(
        "awards/reserve.html",
        track=track,
        challenge=track.challenge,
        form=form,
        reserve=current,
        lang=current_language(),
        zero=Decimal("0"),
    ), (400 if form.errors or form.form_errors else 200)
