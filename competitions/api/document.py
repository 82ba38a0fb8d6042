"""What the OpenAPI document says of every operation beyond its schemas: an ``operationId``
(the view's name), and the problem documents it may answer with; and the document as an app
serves it, with the deployment's languages (``for_languages``)."""

from __future__ import annotations

import http
from collections.abc import Sequence
from typing import Any

from apispec import BasePlugin
from flask_smorest.utils import prepare_response

from competitions.api.schemas import PER_LANGUAGE, language_keys
from competitions.core.problems import PROBLEM_MIMETYPE

# Every operation may answer these; the agency's also 401 (and 403 for a write), and those
# with a body 400 (none) and 415 (not JSON).
COMMON = {"404": "NOT_FOUND", "429": "TOO_MANY_REQUESTS"}
WITH_TOKEN = {"401": "UNAUTHORIZED", "403": "FORBIDDEN"}
WITH_BODY = {"400": "BAD_REQUEST", "415": "UNSUPPORTED_MEDIA_TYPE"}
# Headers of the conventions (``api.conventions``) every read understands.
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of a copy you hold: if it still matches, the answer is a 304 "
    "with no body.",
}
ACCEPT_LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Languages you prefer (RFC 9110), for localized fields and problem details.",
}
NOT_MODIFIED = {"description": "Not Modified: the ETag in If-None-Match still matches."}
ETAG = {"description": "A strong validator of the body.", "schema": {"type": "string"}}


class Conventions(BasePlugin):
    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        name = rule.endpoint.rsplit(".", 1)[-1]
        for method, operation in operations.items():
            operation.setdefault("operationId", name)
            responses = operation.setdefault("responses", {})
            parameters = operation.setdefault("parameters", [])
            headers = [ACCEPT_LANGUAGE, IF_NONE_MATCH] if method == "get" else [ACCEPT_LANGUAGE]
            for header in headers:
                if not any(p.get("name") == header["name"] for p in parameters):
                    parameters.append(header)
            if method == "get":
                responses.setdefault("304", NOT_MODIFIED)
                ok = responses.get("200", responses.get(200))
                if isinstance(ok, dict):
                    ok.setdefault("headers", {}).setdefault("ETag", ETAG)
            extra = {
                **COMMON,
                **(WITH_TOKEN if operation.get("security") else {}),
                **(WITH_BODY if "requestBody" in operation else {}),
            }
            for code, ref in extra.items():
                responses.setdefault(code, ref)


def register_problem_responses(spec: Any, schema: Any) -> None:
    """One response per error status (and the default), as ``application/problem+json``."""
    for status in http.HTTPStatus:
        if status < 400:
            continue
        response: dict[str, Any] = {"description": status.phrase, "schema": schema}
        prepare_response(response, spec, PROBLEM_MIMETYPE)
        spec.components.response(status.name, response, lazy=True)
    response = {"description": "An error (RFC 9457 problem details)", "schema": schema}
    prepare_response(response, spec, PROBLEM_MIMETYPE)
    spec.components.response("DEFAULT_ERROR", response, lazy=True)


def for_languages(document: Any, languages: Sequence[str]) -> Any:
    """A copy of ``document`` whose texts per language list ``languages`` (a deployment's
    ``LANGUAGES``) instead of every language Tandem supports: the schemas are built once, at
    import, while each app may speak fewer. Its examples keep only those languages."""
    if isinstance(document, list):
        return [for_languages(item, languages) for item in document]
    if not isinstance(document, dict):
        return document
    copy = {k: for_languages(v, languages) for k, v in document.items() if k != PER_LANGUAGE}
    marked = document.get(PER_LANGUAGE)
    if marked is None:
        return copy
    # Only what the generated schema holds: apispec keeps some of the field's metadata (not
    # ``propertyNames``; ``additionalProperties`` comes from the values' field).
    fresh = language_keys(marked["description"], marked["least"], languages)
    copy.update(
        {key: fresh[key] for key in ("description", "propertyNames", "anyOf") if key in copy}
    )
    example = copy.get("example")
    if isinstance(example, dict) and example:
        kept = {code: text for code, text in example.items() if code in languages}
        copy["example"] = kept or {languages[0]: next(iter(example.values()))}
    return copy
