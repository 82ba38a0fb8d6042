"""The report page and PDF, and the open data: publishing it (the lead) and downloading it
(anyone, once published)."""

from __future__ import annotations

import functools
import json

from flask import Response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.i18n import current_language, format_number
from competitions.core.page_cache import cached_public_page
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, flash_errors, guard, require
from competitions.insights import svg
from competitions.insights.cost_views import edition_label
from competitions.lessons.models import KINDS
from competitions.lessons.services import FIGURES
from competitions.reports import bp, opendata, pdf, permissions, services
from competitions.reports.forms import ButtonForm
from competitions.reports.models import OpenDataRelease


@bp.app_template_global("has_open_data")
def has_open_data(challenge: Challenge) -> bool:
    """Whether the challenge's public page links to its open data (the document, often
    large, is not read for that)."""
    return challenge.is_published and services.has_release(challenge)


def _render(slug: str, template: str) -> str:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_view_report)
    lang = current_language()
    report = services.report_for(current_user, challenge, lang)
    number = functools.cache(format_number)  # the same few numbers, formatted once each
    page = render_template(
        template,
        challenge=challenge,
        report=report,
        insights=report.insights,
        draw=lambda chart: svg.draw(chart, number),
        number=number,
        kinds=KINDS,
        figures=FIGURES,
        can_publish=permissions.can_publish_open_data(current_user, challenge),
        edition_label=edition_label,
        form=ButtonForm(),
        lang=lang,
    )
    db.session.commit()  # the rounds' results, when computed afresh (as the insights page)
    return page


@bp.signed_in("/challenges/<slug>/report")
def report(slug: str) -> ResponseReturnValue:
    return _render(slug, "reports/report.html")


@bp.signed_in("/challenges/<slug>/report.pdf")
def report_pdf(slug: str) -> ResponseReturnValue:
    document = pdf.render(_render(slug, "reports/report_pdf.html"))
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{slug}-report.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def _lead_action(slug: str, action: str) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_view_report)
    require(permissions.can_publish_open_data(current_user, challenge), challenge)
    form = ButtonForm()
    if form.validate_on_submit():
        if action == "publish":
            with attempt(success=_("The open data is published on the challenge page.")):
                services.publish_open_data(current_actor(), challenge)
        else:
            with attempt(success=_("The open data is withdrawn from the challenge page.")):
                services.withdraw_open_data(current_actor(), challenge)
    else:
        flash_errors(form)
    return redirect(url_for("reports.report", slug=challenge.slug, _anchor="open-data"))


@bp.signed_in("/challenges/<slug>/open-data/publish", methods=["POST"])
def publish_open_data(slug: str) -> ResponseReturnValue:
    return _lead_action(slug, "publish")


@bp.signed_in("/challenges/<slug>/open-data/withdraw", methods=["POST"])
def withdraw_open_data(slug: str) -> ResponseReturnValue:
    return _lead_action(slug, "withdraw")


def _public(slug: str) -> OpenDataRelease:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    return services.public_release(challenge)


@bp.route("/challenges/<slug>/open-data.json")
@cached_public_page
def open_data_json(slug: str) -> ResponseReturnValue:
    release = _public(slug)
    body = json.dumps(release.document, ensure_ascii=False, indent=1)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'inline; filename="{slug}-open-data.json"'},
    )


@bp.route("/challenges/<slug>/open-data.csv")
@cached_public_page
def open_data_csv(slug: str) -> ResponseReturnValue:
    release = _public(slug)
    return Response(
        "".join(opendata.as_csv(release.document)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-open-data.csv"'},
    )
