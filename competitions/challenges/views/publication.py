"""Publishing a challenge, and launching its next edition as a new draft."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from competitions.accounts.forms import ConfirmForm
from competitions.challenges import bp, permissions, services
from competitions.challenges.forms import NextEditionForm
from competitions.challenges.services import editions as edition_services
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard


@bp.signed_in("/challenges/<slug>/manage/publish", methods=["POST"])
def publish(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    if ConfirmForm().validate_on_submit():
        with attempt(success=_("The challenge is published.")) as done:
            services.publish(current_actor(), challenge)
        if done:
            return redirect(url_for("challenges.challenge_page", slug=challenge.slug))
    return redirect(url_for("challenges.console", slug=challenge.slug))


@bp.signed_in("/challenges/<slug>/manage/next-edition", methods=["GET", "POST"])
def next_edition(slug: str) -> ResponseReturnValue:
    challenge = guard(services.get_challenge(slug), permissions.can_manage_challenge)
    form = NextEditionForm()
    if request.method == "GET":
        form.slug.data = f"{challenge.slug}-{challenge.edition + 1}"
    if form.validate_on_submit():
        with attempt(form, success=_("The next edition was created as a draft.")) as done:
            copy = edition_services.launch_next_edition(
                current_actor(), challenge, form.slug.data or "", form.offset_days.data or 0
            )
        if done:
            return redirect(url_for("challenges.console", slug=copy.slug))
    return render_template(
        "challenges/manage/next_edition.html",
        form=form,
        challenge=challenge,
    )
