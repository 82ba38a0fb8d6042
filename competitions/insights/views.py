"""The insights page of a challenge and the CSV of each of its charts."""

from __future__ import annotations

import functools

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges import services as challenge_services
from competitions.core.extensions import db
from competitions.core.i18n import current_language, format_number
from competitions.core.web import guard
from competitions.insights import bp, permissions, services, svg


def _insights(slug: str) -> services.Insights:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_view_insights)
    return services.insights_for(current_user, challenge, current_language())


@bp.signed_in("/challenges/<slug>/insights")
def challenge(slug: str) -> ResponseReturnValue:
    insights = _insights(slug)
    # The same few numbers (0 above all) come back thousands of times: formatted once each.
    number = functools.cache(format_number)
    page = render_template(
        "insights/challenge.html",
        challenge=insights.challenge,
        insights=insights,
        draw=lambda chart: svg.draw(chart, number),
        number=number,
        lang=current_language(),
    )
    # The rounds' results are kept when they were computed afresh (after rendering: a commit
    # expires what the page shows).
    db.session.commit()
    return page


@bp.signed_in("/challenges/<slug>/insights/<key>.csv")
def chart_csv(slug: str, key: str) -> ResponseReturnValue:
    insights = _insights(slug)
    chart = insights.chart(key)
    db.session.commit()
    return Response(
        "".join(services.chart_csv(chart)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{insights.challenge.slug}-{key}.csv"'
        },
    )
