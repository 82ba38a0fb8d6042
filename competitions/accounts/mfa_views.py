"""Two-step sign-in pages (``accounts.mfa``): enrolment, recovery codes, turning it off, the
second step of a sign-in, and the rule that sends people an agency requires it of to enrol."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from webauthn.helpers import bytes_to_base64url

from competitions.accounts import bp, mfa, passkeys, services, throttle
from competitions.accounts.forms import (
    CodeForm,
    PasskeySignInForm,
    PasswordAgainForm,
    SecondStepForm,
)
from competitions.accounts.models import PendingSignIn, User
from competitions.accounts.views import ENROLMENT_CHECKED, PENDING_KEY, complete_sign_in
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, render_error
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor

#: Signed-in pages that stay open to someone who must enrol first.
ENROLMENT_PAGES = frozenset(
    {"accounts.two_step", "accounts.two_step_setup", "accounts.passkey_add", "accounts.logout"}
)
SIGN_IN_CHALLENGE = "webauthn_sign_in"  # this browser's passkey challenge at the second step
CHECK_EVERY = 60  # seconds: a new requirement applies within a minute


@bp.before_app_request
def _require_enrolment() -> ResponseReturnValue | None:
    """Send someone an agency requires a second step of, and who has none, to enrol before
    any other signed-in page (the check is repeated at most once a minute per browser)."""
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    if not getattr(view, "signed_in_only", False) or endpoint in ENROLMENT_PAGES:
        return None
    if not current_user.is_authenticated:
        return None
    checked = session.get(ENROLMENT_CHECKED)
    now = int(clock.now().timestamp())
    if isinstance(checked, int) and 0 <= now - checked < CHECK_EVERY:
        return None
    if mfa.must_enrol(current_user._get_current_object()):
        flash(_("Your agency requires two-step sign-in. Set it up to continue."), "warning")
        return redirect(url_for("accounts.two_step_setup"))
    session[ENROLMENT_CHECKED] = now
    return None


@bp.signed_in("/account/two-step")
def two_step() -> ResponseReturnValue:
    user = current_user._get_current_object()
    return render_template(
        "accounts/two_step.html",
        enabled=mfa.enabled(user),
        totp_on=mfa.totp_on(user),
        passkeys=passkeys.of(user),
        required=mfa.required(user),
        codes_left=mfa.recovery_codes_left(user),
    )


@bp.signed_in("/account/two-step/setup", methods=["GET", "POST"])
def two_step_setup() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if mfa.totp_on(user):
        return redirect(url_for("accounts.two_step"))
    form = CodeForm()
    found = mfa.start(user)
    db.session.commit()  # the secret shown must be the one confirmed
    if form.validate_on_submit():
        with attempt(form) as done:
            codes = mfa.confirm(current_actor(), user, form.code.data or "")
        if done:
            return enabled_page(codes, _("Your authenticator app is set up."))
    uri = mfa.provisioning_uri(user, found)
    return render_template(
        "accounts/two_step_setup.html",
        form=form,
        secret=mfa.grouped(found.secret),
        qr=mfa.qr_svg(uri, _("QR code for your authenticator app")),
        required=mfa.required(user),
    )


def enabled_page(codes: list[str] | None, message: str) -> ResponseReturnValue:
    """After a second factor was added: the recovery codes when they are new, else the
    overview."""
    flash(message, "success")
    if codes is None:
        return redirect(url_for("accounts.two_step"))
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.signed_in("/account/two-step/recovery-codes", methods=["GET", "POST"])
def two_step_recovery_codes() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = PasswordAgainForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            codes = mfa.regenerate_recovery_codes(current_actor(), user, form.password.data or "")
        if done:
            flash(_("Your new recovery codes are ready. The old ones no longer work."), "success")
            return render_template("accounts/recovery_codes.html", codes=codes)
    return render_template(
        "accounts/two_step_password.html",
        form=form,
        title=_("New recovery codes"),
        lead=_("Enter your password to make new recovery codes. The old ones will stop working."),
        action=_("Make new recovery codes"),
    )


@bp.signed_in("/account/two-step/disable", methods=["GET", "POST"])
def two_step_disable() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = PasswordAgainForm()
    if form.validate_on_submit():
        with attempt(form, success=_("Two-step sign-in is off."), category="info") as done:
            mfa.disable(current_actor(), user, form.password.data or "")
        if done:
            return redirect(url_for("accounts.two_step"))
    return render_template(
        "accounts/two_step_password.html",
        form=form,
        title=_("Turn off two-step sign-in"),
        lead=_("Enter your password to turn off two-step sign-in."),
        action=_("Turn off two-step sign-in"),
    )


def pending_or_restart() -> PendingSignIn | None:
    row = mfa.pending(session.get(PENDING_KEY))
    if row is None:
        session.pop(PENDING_KEY, None)
        flash(_("Your sign-in took too long. Enter your email address and password again."))
    return row


def finish_second_step(
    row: PendingSignIn, check: Callable[[Actor, User], str]
) -> ResponseReturnValue | DomainError:
    """Run ``check`` (a code's or a passkey's, returning the method) within the account's
    budget of failures: signed in on success, 429 when the budget is spent, else the error."""
    user, actor = row.user, current_actor()
    try:
        mfa.check_budget(actor, user)
        method = check(actor, user)
    except throttle.Throttled as err:
        db.session.commit()  # keep the audit record
        response = make_response(render_error(429))
        response.headers["Retry-After"] = str(err.retry_after)
        return response
    except DomainError as err:
        db.session.commit()  # keep the audit record, and the failure's count
        return err
    services.signed_in(actor, user, second_step=method)
    remember, target = row.remember, row.next_url
    mfa.finish_pending(row)
    devices = throttle.read_devices(request.cookies.get(throttle.COOKIE_NAME))
    return complete_sign_in(user, remember, target, devices)


@bp.route("/login/two-step", methods=["GET", "POST"])
def second_step() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    row = pending_or_restart()
    if row is None:
        return redirect(url_for("accounts.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        code = form.code.data or ""
        outcome = finish_second_step(row, lambda actor, user: mfa.verify(actor, user, code))
        if not isinstance(outcome, DomainError):
            return outcome
        form.code.errors = [outcome.message]
    return second_step_page(form, row.user)


def second_step_page(form: SecondStepForm, user: User) -> ResponseReturnValue:
    """The page of the second step, with the passkey button when the account has one."""
    options = None
    if passkeys.of(user):
        options, challenge = passkeys.options_to_authenticate(user)
        session[SIGN_IN_CHALLENGE] = bytes_to_base64url(challenge)
    return render_template(
        "accounts/second_step.html",
        form=form,
        passkey_form=PasskeySignInForm(),
        passkey_options=options,
    )
