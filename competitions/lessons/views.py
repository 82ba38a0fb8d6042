"""The lessons learned of an edition: the page every partner reads, each agency's section
form, and the lead's publish and reopen buttons."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, flash_errors, guard, require
from competitions.lessons import bp, permissions, services
from competitions.lessons.forms import ButtonForm, SectionForm
from competitions.lessons.models import KINDS, Retrospective


def _challenge(slug: str) -> Challenge:
    return guard(challenge_services.get_challenge(slug), permissions.can_view_lessons)


@bp.signed_in("/challenges/<slug>/lessons")
def page(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    retro = services.retrospective_of(challenge)
    next_edition = db.session.scalar(
        db.select(Challenge).where(Challenge.previous_edition_id == challenge.id).limit(1)
    )
    return render_template(
        "lessons/page.html",
        challenge=challenge,
        retro=retro,
        rows=services.visible_sections(current_user, challenge),
        writable={
            a.id
            for a in permissions.partner_agencies(challenge)
            if permissions.can_write_section(current_user, challenge, a)
        },
        can_publish=permissions.can_publish(current_user, challenge),
        previous=services.previous_lessons(challenge),
        next_edition=next_edition
        if next_edition is not None and permissions.can_view_lessons(current_user, next_edition)
        else None,
        figures=services.FIGURES,
        kinds=KINDS,
        form=ButtonForm(),
        lang=current_language(),
    )


@bp.signed_in("/challenges/<slug>/lessons/agencies/<agency_slug>", methods=["GET", "POST"])
def section(slug: str, agency_slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    agency = services.partner_agency(challenge, agency_slug)
    require(permissions.can_write_section(current_user, challenge, agency), challenge)
    retro: Retrospective | None = services.retrospective_of(challenge)
    existing = services.section_of(retro, agency)
    form = SectionForm(obj=existing)
    if form.validate_on_submit():
        data = services.SectionData(
            form.keep.data or "",
            form.change.data or "",
            form.stop.data or "",
            form.figures.data or [],
        )
        with attempt(form, success=_("Your agency's lessons are saved.")) as done:
            services.save_section(current_actor(), challenge, agency, data)
        if done:
            return redirect(
                url_for("lessons.page", slug=challenge.slug, _anchor=f"a-{agency.slug}")
            )
    return render_template(
        "lessons/section.html",
        challenge=challenge,
        agency=agency,
        form=form,
        published=retro is not None and retro.is_published,
        lang=current_language(),
    ), (400 if form.errors else 200)


@bp.signed_in("/challenges/<slug>/lessons/publish", methods=["POST"])
def publish(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    require(permissions.can_publish(current_user, challenge), challenge)
    form = ButtonForm()
    if form.validate_on_submit():
        with attempt(success=_("The lessons are published to every partner agency.")):
            services.publish(current_actor(), challenge)
    else:
        flash_errors(form)
    return redirect(url_for("lessons.page", slug=challenge.slug))


@bp.signed_in("/challenges/<slug>/lessons/reopen", methods=["POST"])
def reopen(slug: str) -> ResponseReturnValue:
    challenge = _challenge(slug)
    require(permissions.can_publish(current_user, challenge), challenge)
    form = ButtonForm()
    if form.validate_on_submit():
        with attempt(success=_("The lessons are reopened: partners may change their sections.")):
            services.reopen(current_actor(), challenge)
    else:
        flash_errors(form)
    return redirect(url_for("lessons.page", slug=challenge.slug))
