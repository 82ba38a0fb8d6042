"""Bad input never answers 5xx: every GET and POST route of ``app.url_map``, as each kind of
user, with hostile query strings and form fields (hypothesis).

The world is the authorization matrix's (built once); each example runs in a SAVEPOINT rolled
back after its request. Parameter names are the ones the code reads (``request.args``,
``request.form``, every form class's fields) plus a few it does not; values are the ones that
broke pages before: huge and negative numbers, nested JSON, long strings, control characters,
lone surrogates, lists where one value is expected.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

import competitions
from competitions.core.extensions import db, limiter
from tests.test_authorization_matrix import EXPECT, Matrix
from tests.test_authorization_matrix import matrix as matrix_world

matrix = matrix_world  # the matrix's world, built once for this module too

ROOT = Path(competitions.__file__).parent
FUZZ_ROLES = ("anonymous", "innovator", "admin_a", "judge", "platform_admin")


def _names_read_by_the_code() -> list[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.rglob("*.py"))
    names = set(re.findall(r"request\.(?:args|values|form)\.get(?:list)?\(\"([a-z_]+)\"", source))
    for info in pkgutil.walk_packages([str(ROOT)], "competitions."):
        if not info.name.endswith("forms"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, FlaskForm):
                for klass in value.__mro__:
                    names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    return sorted(names | {"page", "per_page", "csrf_token", "x", "format"})


NAMES = _names_read_by_the_code()

hostile_text = st.one_of(
    st.sampled_from(
        [
            "9" * 40,
            "-1",
            "0",
            "1e309",
            "NaN",
            "[" * 2000 + "]" * 2000,
            '{"a":' * 500 + "1" + "}" * 500,
            "[" + "9" * 5000 + "]",
            "x" * 20_000,
            "\x00",
            "a\r\nb",
            "\ud800",
            "../../etc/passwd",
            "<script>",
            "=cmd|' /C calc'!A0",
            "9999-12-31T23:59",
            "0001-01-01 00:00",
            "true",
            "",
        ]
    ),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
fields = st.dictionaries(
    st.sampled_from(NAMES), st.one_of(hostile_text, st.lists(hostile_text, max_size=3)), max_size=6
)
ROUTES = sorted(EXPECT)


def _encoded(values: dict[str, Any]) -> str:
    return urlencode(values, doseq=True, errors="surrogatepass")


@settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "600")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    role=st.sampled_from(FUZZ_ROLES),
    query=fields,
    form=fields,
)
def test_no_route_answers_5xx_to_bad_input(
    app: Flask, matrix: Matrix, route: tuple[str, str], role: str, query: Any, form: Any
) -> None:
    endpoint, method = route
    if endpoint in ("static", "bootstrap.static"):
        return
    savepoint = matrix.conn.begin_nested()
    limiter.reset()
    try:
        client = app.test_client()
        user_id = matrix.user_ids[role]
        if user_id is not None:
            with client.session_transaction() as session:
                session["_user_id"] = user_id
                session["_fresh"] = True
        # Encoded as a browser would send them (a lone surrogate as its raw UTF-8 bytes).
        response = client.open(
            matrix.urls[endpoint],
            method=method,
            query_string=_encoded(query),
            data=_encoded(form) if method == "POST" else None,
            content_type="application/x-www-form-urlencoded",
        )
        response.close()
        assert response.status_code < 500, (
            f"{method} {matrix.urls[endpoint]} as {role} with query={query!r} form={form!r}: "
            f"{response.status}"
        )
    finally:
        db.session.remove()
        savepoint.rollback()


@pytest.mark.parametrize("page", ["9" * 40, "-5", "0", "1e9", "x"])
def test_huge_or_odd_page_numbers_answer_a_page(app: Flask, matrix: Matrix, page: str) -> None:
    """The regression the fuzzing found first, kept as a plain case."""
    savepoint = matrix.conn.begin_nested()
    try:
        for url in ("/challenges/", "/admin/audit"):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = matrix.user_ids["platform_admin"]
            assert client.get(url, query_string={"page": page}).status_code < 500
    finally:
        db.session.remove()
        savepoint.rollback()


def test_an_id_too_large_to_exist_is_not_found(app: Flask, matrix: Matrix) -> None:
    savepoint = matrix.conn.begin_nested()
    try:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = matrix.user_ids["platform_admin"]
        for url in ("/entries/" + "9" * 30, "/files/99999999999", "/teams/2147483648"):
            assert client.get(url).status_code == 404, url
    finally:
        db.session.remove()
        savepoint.rollback()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100 + "]" * 100, "too deeply"),
        ("[" + "9" * 5000 + "]", "number too long"),
        ("[1,", r"not valid JSON \(line 1, column 4\)"),
    ],
)
def test_json_from_outside_is_refused_with_a_reason(text: str, message: str) -> None:
    from competitions.core.json_input import JSONInputError, depth_of, load

    with pytest.raises(JSONInputError, match=message):
        load(text)
    assert depth_of('["[[[", {"a": [1]}]') == 3  # brackets inside strings do not count
