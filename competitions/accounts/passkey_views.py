"""Passkey pages (``accounts.passkeys``): add one, remove one, sign in with one. The browser's
part is ``static/js/passkeys.js``: it reads the options from the form's ``data-options``,
asks the browser, puts the answer in the form's hidden ``credential`` field and submits it."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from competitions.accounts import bp, passkeys
from competitions.accounts.forms import (
    PasskeyForm,
    PasskeySignInForm,
    PasswordAgainForm,
    SecondStepForm,
)
from competitions.accounts.mfa_views import (
    SIGN_IN_CHALLENGE,
    enabled_page,
    finish_second_step,
    pending_or_restart,
    second_step_page,
)
from competitions.accounts.models import User
from competitions.core.actor import Actor
from competitions.core.errors import DomainError
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor
from competitions.core.web import found as found_or_404

REGISTER_CHALLENGE = "webauthn_register"  # this browser's challenge while adding a passkey


def _challenge(key: str) -> bytes | None:
    """The challenge this browser was given (used once: removed from the session)."""
    value = session.pop(key, None)
    try:
        return base64url_to_bytes(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


@bp.signed_in("/account/two-step/passkeys/new", methods=["GET", "POST"])
def passkey_add() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = PasskeyForm()
    if form.validate_on_submit():
        challenge = _challenge(REGISTER_CHALLENGE)
        with attempt(form) as done:
            codes = passkeys.register(
                current_actor(), user, form.credential.data or "", challenge, form.name.data or ""
            )
        if done:
            return enabled_page(codes, _("Your passkey was added."))
    options, challenge = passkeys.options_to_register(user)
    session[REGISTER_CHALLENGE] = bytes_to_base64url(challenge)
    return render_template("accounts/passkey_add.html", form=form, options=options)


@bp.signed_in("/account/two-step/passkeys/<int:passkey_id>/remove", methods=["GET", "POST"])
def passkey_remove(passkey_id: int) -> ResponseReturnValue:
    user = current_user._get_current_object()
    found = found_or_404(next((p for p in passkeys.of(user) if p.id == passkey_id), None))
    form = PasswordAgainForm()
    if form.validate_on_submit():
        message = _("The passkey %(name)s was removed.", name=found.name)
        with attempt(form, success=message, category="info") as done:
            passkeys.remove(current_actor(), user, passkey_id, form.password.data or "")
        if done:
            return redirect(url_for("accounts.two_step"))
    return render_template(
        "accounts/two_step_password.html",
        form=form,
        title=_("Remove the passkey %(name)s", name=found.name),
        lead=_("Enter your password to remove this passkey."),
        action=_("Remove the passkey"),
    )


@bp.route("/login/two-step/passkey", methods=["POST"])
def second_step_passkey() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    row = pending_or_restart()
    if row is None:
        return redirect(url_for("accounts.login"))
    form = PasskeySignInForm()
    challenge = _challenge(SIGN_IN_CHALLENGE)
    if form.validate_on_submit():
        answer = form.credential.data or ""

        def check(actor: Actor, user: User) -> str:
            passkeys.authenticate(actor, user, answer, challenge)
            return "passkey"

        outcome = finish_second_step(row, check)
        if not isinstance(outcome, DomainError):
            return outcome
        flash(outcome.message, "danger")
    return second_step_page(SecondStepForm(formdata=None), row.user)
