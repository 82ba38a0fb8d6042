"""What the agency's operations share: the document's security requirement, the audited 404
of a refusal, and the commit-or-422 of a write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import abort

from competitions.api import auth
from competitions.core import audit
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.languages import SUPPORTED_LANGUAGES
from competitions.core.problems import problem
from competitions.core.translate import gettext as _

TOKEN: list[dict[str, list[str]]] = [{"token": []}]


def require(allowed: bool, obj: Any) -> None:
    """An audited 404 unless ``allowed`` (as ``core.web.require`` on the pages)."""
    if allowed:
        return
    db.session.rollback()
    audit.record(
        auth.api_actor(),
        "authz.denied",
        obj=obj,
        agency_id=getattr(obj, "audit_agency_id", None),
        after={"via": "api", "token": auth.current_token_id()},
    )
    db.session.commit()
    raise NotFound(_("Not found."))


@contextmanager
def settled() -> Iterator[None]:
    """The block's change committed; a refusal of the service (``DomainError``) rolled back and
    answered 422 with its message on the field it names (``NotFound`` passes: 404)."""
    try:
        yield
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        name, _sep, code = (err.field or "").rpartition("_")
        field = (name if code in SUPPORTED_LANGUAGES else err.field) or "json"
        abort(problem(422, _("Unprocessable content"), err.message, errors={field: [err.message]}))
    db.session.commit()
