"""The web kit every view uses: guard/require (audited 404), attempt (commit, or roll back and
show the error), found."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import session
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound as HTTPNotFound
from wtforms import StringField

from competitions.agencies.models import Agency
from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.web import attempt, found, guard, require


def flashed() -> list[tuple[str, str]]:
    """The messages flashed so far in this request (and forget them)."""
    return [tuple(m) for m in session.pop("_flashes", [])]


class NameForm(FlaskForm):
    name = StringField()


@pytest.fixture
def request_ctx(app: Any, db: Any) -> Any:
    with app.test_request_context("/somewhere", method="POST"):
        yield


def _count(db: Any, action: str) -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count()).where(audit.AuditEvent.action == action))
    )


def test_attempt_commits_and_says_so(db, world, request_ctx):
    with attempt(success="Saved.") as done:
        audit.record(Actor(None), "kit.saved")
    assert done and done.error is None
    db.session.rollback()  # nothing pending: it was committed
    assert _count(db, "kit.saved") == 1
    assert flashed() == [("success", "Saved.")]


def test_attempt_rolls_back_and_puts_the_error_on_its_field(db, world, request_ctx):
    form = NameForm(meta={"csrf": False})
    with attempt(form, success="Saved.") as done:
        audit.record(Actor(None), "kit.half_done")
        raise DomainError("Choose another name.", field="name")
    assert not done and done.error is not None
    assert form.name.errors == ["Choose another name."]
    assert _count(db, "kit.half_done") == 0
    assert flashed() == []


def test_attempt_without_a_form_flashes_the_error_unless_quiet(db, world, request_ctx):
    with attempt() as done:
        raise DomainError("Not now.")
    assert not done
    assert flashed() == [("danger", "Not now.")]
    with attempt(quiet=True) as done:
        raise DomainError("Not now either.")
    assert done.error is not None and done.error.message == "Not now either."
    assert flashed() == []


@pytest.mark.parametrize("error", [NotFound("gone"), PermissionDenied("no")])
def test_attempt_passes_not_found_and_refusals_on_after_rolling_back(db, world, request_ctx, error):
    with pytest.raises(type(error)), attempt():
        audit.record(Actor(None), "kit.pending")
        raise error
    assert _count(db, "kit.pending") == 0


def test_guard_returns_the_object_or_answers_an_audited_404(db, world, request_ctx):
    agency = db.session.get(Agency, world.agency_a.id)
    assert guard(agency, lambda user, obj: True) is agency
    with pytest.raises(HTTPNotFound):
        guard(agency, lambda user, obj: False)
    denial = db.session.scalars(
        sa.select(audit.AuditEvent).where(audit.AuditEvent.action == "authz.denied")
    ).one()
    assert denial.agency_id == agency.id  # the object's own agency (audit_agency_id)
    assert denial.object_type == "agency" and denial.after["path"] == "/somewhere"
    with pytest.raises(HTTPNotFound):
        require(False)


def test_found_turns_nothing_into_not_found() -> None:
    assert found(0) == 0
    with pytest.raises(NotFound):
        found(None)


def test_a_signed_in_page_checks_the_sign_in_once_for_all_its_rules() -> None:
    from competitions.core.web import Pages

    bp = Pages("kit_test", __name__)

    def page() -> str:
        return "ok"

    declared = bp.signed_in("/a")(bp.signed_in("/b")(page))
    assert declared.__wrapped__ is page  # one login_required around the view, for both rules
    assert declared.signed_in_only
