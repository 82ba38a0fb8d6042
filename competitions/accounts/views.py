"""Account pages. Thin: parse the form, call a service, commit once, render or redirect."""

from __future__ import annotations

import enum

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from competitions.accounts import bp, devices, mfa, services, sessions, throttle
from competitions.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from competitions.accounts.models import User
from competitions.core import clock
from competitions.core.errors import DomainError, render_error
from competitions.core.extensions import db, limiter, login_manager
from competitions.core.problems import is_api_request
from competitions.core.translate import gettext as _
from competitions.core.urls import is_safe_next
from competitions.core.web import attempt, current_actor, form_error

#: The key of this browser's sign-in waiting for its second step (``mfa.PendingSignIn``).
PENDING_KEY = "mfa_pending"
#: When this browser last passed an agency's two-step requirement (epoch seconds; ``mfa_views``).
ENROLMENT_CHECKED = "mfa_checked"


class EmailSent(enum.StrEnum):
    """Why the "check your email" page is shown: what the email we sent is about."""

    REGISTER = "register"
    RESET = "reset"
    CHANGE = "change"


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The user of the session the cookies name, while that session lasts (``sessions``)."""
    resumed = sessions.resume(cookie_id)
    if resumed is None:
        return None
    g.account_session_id = resumed.record.id
    for name, value in resumed.facts.items():  # sessions.ACCOUNT_FACTS, asked once per request
        g.setdefault(name, value)
    user = resumed.record.user
    if resumed.touched:
        # Nothing else is pending: the session is loaded before the view runs (below).
        db.session.commit()
    return user


@bp.before_app_request
def _load_session() -> None:
    # Load the user first, so the loader's own commit never carries a view's changes. The API
    # is authorized by its tokens alone: a browser's session plays no part in it.
    if request.endpoint != "static" and not is_api_request():
        _ = current_user.is_authenticated


def _known_device(response: Response, user: User, devices: list[throttle.Device]) -> Response:
    """``response`` with the device cookie that makes this browser known to ``user``'s account
    (``accounts.throttle``): sent only to the sign-in page."""
    cfg = current_app.config
    response.set_cookie(
        throttle.COOKIE_NAME,
        throttle.remember_device(devices, user.id),
        max_age=int(throttle.LIFETIME.total_seconds()),
        path=url_for("accounts.login"),
        secure=cfg["REMEMBER_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def current_session_id() -> int | None:
    """The id of this browser's account session (None when signed out)."""
    return g.get("account_session_id")


def _forget_this_browser() -> None:
    """Sign this browser out: its session cookie is emptied and its remember-me cookie
    deleted (its server-side session is the caller's to end)."""
    lang = session.get("lang")
    logout_user()
    # Flask-Login marks the remember-me cookie for deletion in the session: keep the mark.
    forget = session.get("_remember")
    session.clear()
    if forget:
        session["_remember"] = forget
    if lang:
        session["lang"] = lang


def _login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


def _register_limit() -> str:
    return str(current_app.config["RATELIMIT_REGISTER"])


def _reset_limit() -> str:
    return str(current_app.config["RATELIMIT_RESET"])


def _link_problem(err: DomainError) -> ResponseReturnValue:
    """The page of a signed link that cannot be used (expired, used, not valid)."""
    return render_template("accounts/link_problem.html", message=err.message), 400


def _profile(form: ProfileForm | RegisterForm) -> services.Profile:
    return services.Profile(
        display_name=form.display_name.data or "",
        country=form.country.data or "",
        preferred_language=form.preferred_language.data or "",
        timezone=form.timezone.data or "",
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    if request.method == "GET":
        lang = session.get("lang") or request.accept_languages.best_match(
            current_app.config["LANGUAGES"]
        )
        form.preferred_language.data = lang or current_app.config["LANGUAGES"][0]
        form.timezone.data = "UTC"
    if form.validate_on_submit():
        with attempt(form) as done:
            services.register(
                current_actor(), form.email.data or "", form.password.data or "", _profile(form)
            )
        if done:
            session["lang"] = form.preferred_language.data
            return redirect(url_for("accounts.check_email", why=EmailSent.REGISTER))
    return render_template("accounts/register.html", form=form)


@bp.route("/check-email")
def check_email() -> ResponseReturnValue:
    try:
        why = EmailSent(request.args.get("why", EmailSent.REGISTER))
    except ValueError:
        why = EmailSent.REGISTER
    return render_template("accounts/check_email.html", why=why)


@bp.route("/verify/<token>")
def verify_email(token: str) -> ResponseReturnValue:
    with attempt(quiet=True) as done:
        services.verify_email(current_actor(), token)
    if done.error is not None:
        return _link_problem(done.error)
    flash(_("Thank you: your email address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return redirect(url_for("accounts.login"))


@bp.signed_in("/verify/resend", methods=["POST"])
@limiter.limit(_reset_limit)
def resend_verification() -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit():
        sent = _("We sent a new confirmation link to %(email)s.", email=current_user.email)
        with attempt(success=sent, category="info"):
            services.resend_verification(current_actor(), current_user._get_current_object())
    return redirect(url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        devices = throttle.read_devices(request.cookies.get(throttle.COOKIE_NAME))
        try:
            user = services.authenticate(
                current_actor(), form.email.data or "", form.password.data or "", devices
            )
        except throttle.Throttled as err:
            db.session.commit()  # keep the audit record
            response = make_response(render_error(429))
            response.headers["Retry-After"] = str(err.retry_after)
            return response
        except services.LoginFailed as err:
            db.session.commit()  # keep the audit record of the failure
            form_error(form, err)
        else:
            target = form.next.data if is_safe_next(form.next.data) else ""
            remember = bool(form.remember.data)
            if mfa.enabled(user):
                return _await_second_step(user, remember, target or "")
            return complete_sign_in(user, remember, target or "", devices)
    return render_template("accounts/login.html", form=form)


def _rotate_session(user: User) -> None:
    # Nothing from before sign-in survives, the CSRF token included.
    session.clear()
    session["lang"] = user.preferred_language


def _await_second_step(user: User, remember: bool, target: str) -> ResponseReturnValue:
    """The password was right: this browser waits for the second step, still signed out."""
    key = mfa.begin_pending(user, remember=remember, next_url=target)
    db.session.commit()
    _rotate_session(user)
    session[PENDING_KEY] = key
    return redirect(url_for("accounts.second_step"))


def complete_sign_in(
    user: User, remember: bool, target: str, devices: list[throttle.Device]
) -> Response:
    """Begin ``user``'s session in this browser (after the password, and the second step when
    the account has one) and send them on to ``target``, or to enrol when an agency requires
    a second step they do not have yet."""
    _rotate_session(user)
    sessions.begin(current_actor(), user, remember=remember, user_agent=request.user_agent.string)
    login_user(user, remember=remember)
    db.session.commit()
    refresh()  # the page was in the browser's language; the flash is in the user's
    flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
    if mfa.must_enrol(user):
        target = url_for("accounts.two_step_setup")
    else:
        session[ENROLMENT_CHECKED] = int(clock.now().timestamp())
    return _known_device(redirect(target or url_for("core.home")), user, devices)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        with attempt():
            sessions.sign_out(
                current_actor(), current_user._get_current_object(), current_session_id()
            )
        _forget_this_browser()
        flash(_("You are signed out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with attempt():
            services.request_password_reset(current_actor(), form.email.data or "")
        return redirect(url_for("accounts.check_email", why=EmailSent.RESET))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    try:
        services.user_for_reset_token(token)
    except DomainError as err:
        return _link_problem(err)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            user = services.reset_password(current_actor(), token, form.password.data or "")
        if done:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password was changed. You can now sign in."), "success")
            # Following the emailed link proved the address: this browser is now known.
            devices = throttle.read_devices(request.cookies.get(throttle.COOKIE_NAME))
            return _known_device(redirect(url_for("accounts.login")), user, devices)
    return render_template("accounts/reset_password.html", form=form)


@bp.signed_in("/account", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        with attempt(form) as done:
            services.update_profile(current_actor(), user, _profile(form))
        if done:
            session["lang"] = user.preferred_language
            # Said in the language just chosen.
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, resend_form=ConfirmForm())


@bp.signed_in("/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            services.change_password(
                current_actor(),
                user,
                form.current_password.data or "",
                form.new_password.data or "",
                keep_session=current_session_id(),
            )
        if done:
            flash(_("Your password was changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.signed_in("/account/email", methods=["GET", "POST"])
def change_email() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            services.request_email_change(
                current_actor(), user, form.password.data or "", form.email.data or ""
            )
        if done:
            return redirect(url_for("accounts.check_email", why=EmailSent.CHANGE))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>")
def confirm_email_change(token: str) -> ResponseReturnValue:
    with attempt(quiet=True) as done:
        user = services.confirm_email_change(
            current_actor(), token, keep_session=current_session_id()
        )
    if done.error is not None:
        return _link_problem(done.error)
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(
        url_for("accounts.profile" if current_user.is_authenticated else "accounts.login")
    )


@bp.signed_in("/account/sessions")
def account_sessions() -> ResponseReturnValue:
    user = current_user._get_current_object()
    here = current_session_id()
    rows = sessions.active(user)
    rows.sort(key=lambda row: row.id != here)  # this browser first, then by last use
    listed = [(row, devices.describe(row.user_agent), sessions.ends_at(row)) for row in rows]
    return render_template("accounts/sessions.html", rows=listed, here=here, form=ConfirmForm())


@bp.signed_in("/account/sessions/<int:session_id>/end", methods=["POST"])
def end_session(session_id: int) -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        with attempt() as done:
            sessions.end(current_actor(), current_user._get_current_object(), session_id)
        if done and session_id == current_session_id():
            _forget_this_browser()
            flash(_("You are signed out."), "info")
            return redirect(url_for("core.home"))
        if done:
            flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.account_sessions"))


@bp.signed_in("/account/sessions/end-all", methods=["POST"])
def sign_out_everywhere() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.account_sessions"))
    with attempt():
        sessions.sign_out_everywhere(current_actor(), current_user._get_current_object())
    _forget_this_browser()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("core.home"))
