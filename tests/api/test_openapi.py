"""The OpenAPI document: valid OpenAPI 3.1, generated from the code, covering every route of
the API; and its reference page, rendered on the server (EN and FR)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.api.conftest import API


def _document(client: FlaskClient) -> dict[str, Any]:
    r = client.get(f"{API}/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body: dict[str, Any] = r.get_json()
    return body


def test_the_document_is_valid_openapi_3_1(client: FlaskClient, db: Any) -> None:
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)  # raises on an invalid document
    validate(document)  # and so does the validator the document's version picks
    broken = {**document, "paths": {"/x": {"get": {"responses": "nope"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # the validator does look


def test_every_api_route_is_in_the_document(app: Flask, client: FlaskClient, db: Any) -> None:
    document = _document(client)
    described = {
        (re.sub(r"\{(\w+)\}", r"<\1>", f"{API}{path}" if not path.startswith(API) else path), m)
        for path, item in document["paths"].items()
        for m in item
        if m in {"get", "post", "put", "patch", "delete"}
    }
    document_url = f"{API}/openapi.json"  # the document itself, not an operation
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/") and rule.rule != document_url
        for method in rule.methods or ()
        if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(routed) >= 18 and routed == described
    assert any(r.rule == document_url for r in app.url_map.iter_rules())


def test_agency_operations_declare_their_token(client: FlaskClient, db: Any) -> None:
    document = _document(client)
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for op in item.values():
            if not isinstance(op, dict) or "tags" not in op:
                continue
            needs = op["tags"] == ["api_agency"]
            assert bool(op.get("security")) == needs, path


def test_the_reference_page_lists_every_operation(client: FlaskClient, db: Any) -> None:
    document = _document(client)
    page = client.get("/developers/api").get_data(as_text=True)
    for path in document["paths"]:
        assert path in page
    assert f"{API}/openapi.json" in page
    assert "<script" not in page.split("</main>")[0].split("<main")[-1]
    fr = client.get("/developers/api", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Référence de l\u2019API" in fr


def test_operations_are_named_and_their_errors_are_problem_documents(
    client: FlaskClient, db: Any
) -> None:
    document = _document(client)
    ids = []
    for item in document["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            ids.append(op["operationId"])
            assert {"404", "429", "default"} <= op["responses"].keys()
            if op.get("security"):
                assert {"401", "403"} <= op["responses"].keys()
    assert len(ids) == len(set(ids))
    for name in ("NOT_FOUND", "UNAUTHORIZED", "TOO_MANY_REQUESTS", "DEFAULT_ERROR"):
        content = document["components"]["responses"][name]["content"]
        assert list(content) == ["application/problem+json"]


def test_reads_document_their_etag_and_conditional_and_language_headers(
    client: FlaskClient, db: Any
) -> None:
    """Clients generated from the document can send If-None-Match and Accept-Language, and
    expect the 304 and the ETag header the conventions answer with."""
    document = _document(client)
    reads = 0
    for item in document["paths"].values():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            headers = {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}
            assert "Accept-Language" in headers
            if method == "get":
                reads += 1
                assert "If-None-Match" in headers
                assert "304" in op["responses"]
                ok = op["responses"].get("200")
                if isinstance(ok, dict) and "content" in ok:
                    assert "ETag" in ok.get("headers", {})
    assert reads > 10


def _per_language(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{schema.property: its schema} for every text per language (those that say so)."""
    return {
        f"{name}.{prop}": schema
        for name, component in document["components"]["schemas"].items()
        for prop, schema in component.get("properties", {}).items()
        if "Per language (" in schema.get("description", "")
    }


def _languages_named(schema: dict[str, Any]) -> list[str]:
    said = schema["description"].rsplit("Per language (", 1)[1]
    return re.findall(r"`(\w+)`", said)


def test_the_document_lists_the_deployment_s_languages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, client: FlaskClient, db: Any
) -> None:
    """The schemas are built at import for every supported language; each app serves its
    deployment's (TANDEM_LANGUAGES)."""
    from competitions import create_app

    everything = _per_language(_document(client))  # the test app speaks all five
    assert everything and all(
        _languages_named(s) == ["en", "fr", "de", "es", "ar"] for s in everything.values()
    )
    monkeypatch.setenv("TANDEM_LANGUAGES", "en,fr")
    two = create_app({"TANDEM_ENV": "testing", "INSTANCE_PATH": str(tmp_path)})
    response = two.test_client().get(f"{API}/openapi.json")
    document = response.get_json()
    validate(document)
    texts = _per_language(document)
    assert texts.keys() == everything.keys()
    for where, schema in texts.items():
        assert _languages_named(schema) == ["en", "fr"], where
        required = [code for option in schema.get("anyOf", []) for code in option["required"]]
        assert required in ([], ["en", "fr"]), where
        assert set(schema.get("example", {})) <= {"en", "fr"}, where
    assert any(s.get("anyOf") for s in texts.values())
    assert "Accept-Language (en, fr)" in document["info"]["description"]
    assert "x-tandem" not in response.get_data(as_text=True)
    for code in ("de", "es", "ar"):
        assert f'"{code}"' not in response.get_data(as_text=True)
