"""The REST API under ``/api/v1``, described by an OpenAPI 3.1 document generated from the
code (flask-smorest: marshmallow schemas → apispec), and the pages about it: its reference
and an agency's API tokens.

- ``public``: what anyone may read (published challenges, tracks, rules, prizes, the shared
  timeline, the eligibility check, released winners).
- ``agency``: what an agency's token may read of its own tracks.
- ``conventions``: pagination, ETags, rate-limit headers, instants, languages;
  ``core.problems``: errors as ``application/problem+json``.
- ``auth`` and ``tokens``: who calls, and the tokens' lifecycle; ``views``: the pages.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from flask import Flask, current_app, json
from flask_smorest import Api, Blueprint

from competitions.api.schemas import ProblemSchema
from competitions.core.web import Pages

PREFIX = "/api/v1"


class TandemApi(Api):
    """flask-smorest's ``Api`` without its app-wide error handler: ``core.errors`` answers
    the API's errors as problem documents and keeps the pages' error pages."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        from competitions.api.document import register_problem_responses

        register_problem_responses(self.spec, self.ERROR_SCHEMA)

    def _openapi_json(self) -> Any:
        """The document this deployment serves (see ``openapi_document``)."""
        return current_app.response_class(
            json.dumps(openapi_document(current_app), indent=2, sort_keys=False),
            mimetype="application/json",
        )


public_bp = Blueprint(
    "api_public",
    __name__,
    url_prefix=PREFIX,
    description="Public: what anyone may read. No token needed.",
)
agency_bp = Blueprint(
    "api_agency",
    __name__,
    url_prefix=PREFIX,
    description="Agency: an agency's own data, with one of its API tokens (Bearer).",
)
bp = Pages("api", __name__)

SETTINGS: dict[str, Any] = {
    "API_TITLE": "Tandem API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_PUBLIC_RATE_LIMIT": os.environ.get("API_PUBLIC_RATE_LIMIT", "60 per minute"),
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Tandem's public API. Errors are `application/problem+json` (RFC 9457); "
                "lists are cursor-paginated; reads carry an ETag; every answer carries "
                "RateLimit-* headers. Instants are ISO 8601 with offsets, countries ISO 3166, "
                "currencies ISO 4217; texts follow Accept-Language ({languages})."
            )
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token of your agency (created on its console).",
                }
            }
        },
    },
}


def init_app(app: Flask) -> None:
    """Register the API (and its document) and its pages on ``app``."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    from competitions.api.document import Conventions

    api = TandemApi(app, spec_kwargs={"extra_plugins": [Conventions()]})
    app.extensions["tandem_api"] = api
    api.register_blueprint(public_bp)
    api.register_blueprint(agency_bp)
    app.register_blueprint(bp)


def openapi_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``: its texts per language list the deployment's languages
    (``LANGUAGES``), not every language Tandem supports."""
    from competitions.api.document import for_languages

    api: TandemApi = app.extensions["tandem_api"]
    languages = tuple(app.config["LANGUAGES"])
    document: dict[str, Any] = for_languages(api.spec.to_dict(), languages)
    info = document.get("info", {})
    if "{languages}" in info.get("description", ""):
        info["description"] = info["description"].replace("{languages}", ", ".join(languages))
    return document


def _set_up() -> None:
    from competitions.api import auth, conventions
    from competitions.core.extensions import csrf, limiter

    for blueprint, required in ((public_bp, False), (agency_bp, True)):
        # Token-authenticated: a session cookie plays no part, so there is nothing to forge.
        csrf.exempt(blueprint)
        limiter.shared_limit(auth.rate_limit, scope="api", key_func=auth.rate_key)(blueprint)
        blueprint.before_request(partial(auth.authenticate, required))
        blueprint.before_request(conventions.require_json_body)
        blueprint.after_request(conventions.finish)


_set_up()

from competitions.api import agency, public, views, writes  # noqa: E402  (their routes)

__all__ = [
    "PREFIX",
    "agency",
    "agency_bp",
    "bp",
    "init_app",
    "public",
    "public_bp",
    "views",
    "writes",
]
