"""The scrape endpoint."""

from __future__ import annotations

from flask import Response, abort, request
from flask.typing import ResponseReturnValue

from competitions.core.extensions import csrf, limiter
from competitions.monitoring import bp, metrics


@bp.route("/metrics")
@csrf.exempt
@limiter.exempt
def scrape() -> ResponseReturnValue:
    """The metrics, for a bearer of ``METRICS_TOKEN``; no such page while it is unset."""
    if not metrics.enabled():
        abort(404)
    if not metrics.authorized(request.headers.get("Authorization")):
        return Response(
            "A bearer token is needed (METRICS_TOKEN).\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    body = metrics.exposition(metrics.collect())
    return Response(body, 200, {"Content-Type": metrics.CONTENT_TYPE, "Cache-Control": "no-store"})
