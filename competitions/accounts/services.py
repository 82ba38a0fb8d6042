"""Account services: registration, verification, sign-in, password and email changes.

Services take the acting ``Actor`` and plain values, add to the session and never commit:
the caller (a view, the CLI) commits once. Emails are queued to go out after that commit.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from competitions.accounts import mfa, password_policy, passwords, sessions, throttle
from competitions.accounts.models import User, normalize_email
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.forms import has_control_characters
from competitions.core.i18n import is_valid_country, is_valid_timezone, languages
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url

VERIFY = "verify-email"
RESET = "reset-password"
CHANGE_EMAIL = "change-email"
MAX_PASSWORD = password_policy.MAX_LENGTH


@dataclass(frozen=True)
class Profile:
    display_name: str
    country: str
    preferred_language: str
    timezone: str


def check_email(raw: str) -> tuple[str, str]:
    """Return (display form, normalized form) or raise ``DomainError`` on the ``email`` field."""
    display = raw.strip()
    try:
        if len(display) > 320 or has_control_characters(display):
            raise EmailNotValidError("too long or contains control characters")
        validate_email(display, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(
            _("Enter an email address in the correct format, like name@example.org."),
            field="email",
        ) from exc
    return display, normalize_email(display)


def _weakness_message(weakness: password_policy.Weakness, minimum: int) -> str:
    weak = password_policy.Weakness
    messages = {
        weak.TOO_SHORT: _("Your password must be at least %(n)d characters long.", n=minimum),
        weak.TOO_LONG: _(
            "Your password must be at most %(n)d characters long.", n=password_policy.MAX_LENGTH
        ),
        weak.IS_EMAIL: _("Your password must not be your email address."),
        weak.HAS_EMAIL: _("Your password must not contain the name in your email address."),
        weak.HAS_SERVICE: _("Your password must not contain the name of this service, Tandem."),
        weak.REPETITIVE: _(
            "Your password must not be a repeated or sequential run of characters, "
            "like aaaaaaaaaa or 1234567890."
        ),
        weak.COMMON: _(
            "This password is too common: it is in the lists that attackers try first. "
            "Choose another one, for example a few unrelated words."
        ),
    }
    return messages[weakness]


def check_password(password: str, email: str | None = None, field: str = "password") -> None:
    """Refuse a password that may not be chosen (``password_policy``), on ``field``."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    weakness = password_policy.weakness(password, email, minimum)
    if weakness is not None:
        raise DomainError(_weakness_message(weakness, minimum), field=field)


def check_profile(profile: Profile) -> Profile:
    name = " ".join(profile.display_name.split())
    if not name:
        raise DomainError(_("Enter your name."), field="display_name")
    if has_control_characters(name):
        raise DomainError(
            _("Your name cannot contain invisible control characters."), field="display_name"
        )
    if len(name) > 120:
        raise DomainError(_("Your name must be 120 characters or fewer."), field="display_name")
    if not is_valid_country(profile.country):
        raise DomainError(_("Select your country of residence."), field="country")
    if profile.preferred_language not in languages():
        raise DomainError(_("Select a language from the list."), field="preferred_language")
    if not is_valid_timezone(profile.timezone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    return Profile(name, profile.country, profile.preferred_language, profile.timezone)


def find_by_email(email: str) -> User | None:
    normalized = normalize_email(email)
    if not normalized or len(normalized) > 320 or has_control_characters(normalized):
        return None  # no stored address looks like that; do not send it to the database
    return db.session.scalar(select(User).where(User.email_normalized == normalized))


def _queue(
    template: str, user: User, subject: object, to: str | None = None, **ctx: object
) -> None:
    mail.send_after_commit(
        mail.render_mail(
            template, to or user.email, user.preferred_language, subject, user=user, **ctx
        ),
    )


def _send_verification(user: User) -> None:
    """Email ``user`` the link that confirms their address."""
    token = tokens.make_token(VERIFY, {"u": user.id, "e": user.email_normalized})
    _queue(
        "accounts/verify_email",
        user,
        _l("Confirm your email address"),
        link=external_url("accounts.verify_email", token=token),
        hours=current_app.config["EMAIL_VERIFY_MAX_AGE"] // 3600,
    )


def register(actor: Actor, email: str, password: str, profile: Profile) -> User | None:
    """Create an unverified account and email a verification link.

    If the address is already registered nothing is created; its owner is told by email
    instead, so the response never reveals whether an account exists.
    """
    display, normalized = check_email(email)
    check_password(password, display)
    profile = check_profile(profile)
    existing = find_by_email(normalized)
    # Hash in both cases so the response time does not tell whether the address is taken.
    password_hash = passwords.hash_password(password)
    if existing is not None:
        _queue(
            "accounts/already_registered",
            existing,
            _l("Someone tried to register with your email address"),
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        audit.record(actor, "account.register_existing", obj=existing)
        return None
    user = User(
        email=display,
        email_normalized=normalized,
        password_hash=password_hash,
        display_name=profile.display_name,
        country=profile.country,
        preferred_language=profile.preferred_language,
        timezone=profile.timezone,
    )
    audit.created(
        actor, "account.registered", user, after={"email": user.email, "country": user.country}
    )
    _send_verification(user)
    return user


def resend_verification(actor: Actor, user: User) -> None:
    if not user.is_verified:
        _send_verification(user)


def verify_email(actor: Actor, token: str) -> User:
    """Mark the address in ``token`` verified. Raises ``DomainError`` with a reason."""
    max_age = current_app.config["EMAIL_VERIFY_MAX_AGE"]
    expired = DomainError(_("This confirmation link has expired. Sign in and ask for a new one."))
    invalid = DomainError(_("This confirmation link is not valid."))
    user, data = tokens.linked_row(
        VERIFY, token, max_age, User, "u", expired=expired, invalid=invalid
    )
    if user is None or user.email_normalized != data.get("e"):
        raise invalid
    if not user.is_verified:
        user.email_verified_at = clock.now()
        audit.record(actor, "account.email_verified", obj=user)
    return user


class LoginFailed(DomainError):
    pass


def authenticate(
    actor: Actor, email: str, password: str, devices: Sequence[throttle.Device] = ()
) -> User:
    """Check credentials; record the attempt. Raises ``LoginFailed`` with one generic message,
    or ``throttle.Throttled`` when this kind of client has failed too often for the account
    (``devices``: the entries of this browser's device cookie)."""
    normalized = normalize_email(email)
    user = find_by_email(normalized)
    device = throttle.device_for(devices, user.id if user else None)
    try:
        throttle.check(normalized, device)
    except throttle.Throttled:
        audit.record(
            actor,
            "account.login_throttled",
            obj=user,
            object_type="user",
            actor_label=normalized,
            after={"device": "known" if device else "unknown"},
        )
        raise
    ok = passwords.verify_password(user.password_hash if user else None, password[:MAX_PASSWORD])
    if user is None or not ok or not user.is_active:
        throttle.failed(normalized, device)
        audit.record(
            actor,
            "account.login_failed",
            obj=user,
            object_type="user",
            actor_label=normalized,
            after={"reason": "disabled" if (user and ok) else "credentials"},
        )
        raise LoginFailed(_("The email address or password is incorrect."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if mfa.enabled(user):
        # Not signed in yet: the second step (``mfa.verify``) records the sign-in.
        audit.record(Actor(user, actor.ip, actor.via), "account.login_password_ok", obj=user)
    else:
        signed_in(actor, user)
    return user


def signed_in(actor: Actor, user: User, second_step: str | None = None) -> None:
    """Record a completed sign-in of ``user``."""
    user.last_login_at = clock.now()
    after = {"second_step": second_step} if second_step else None
    audit.record(Actor(user, actor.ip, actor.via), "account.login", obj=user, after=after)


def _reset_fingerprint(user: User) -> str:
    # Changes as soon as the password does, so a reset link works once.
    return hmac.new(
        current_app.config["SECRET_KEY"].encode(), user.password_hash.encode(), sha256
    ).hexdigest()[:16]


def request_password_reset(actor: Actor, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_by_email(email) if email.strip() else None
    if user is None or not user.is_active:
        audit.record(
            actor,
            "account.password_reset_requested",
            object_type="user",
            actor_label=normalize_email(email),
            after={"known": False},
        )
        return
    token = tokens.make_token(RESET, {"u": user.id, "f": _reset_fingerprint(user)})
    _queue(
        "accounts/reset_password",
        user,
        _l("Reset your password"),
        link=external_url("accounts.reset_password", token=token),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    audit.record(actor, "account.password_reset_requested", obj=user, after={"known": True})


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    expired = DomainError(_("This reset link has expired. Ask for a new one."))
    invalid = DomainError(_("This reset link is not valid."))
    user, data = tokens.linked_row(
        RESET, token, max_age, User, "u", expired=expired, invalid=invalid
    )
    if user is None or not hmac.compare_digest(str(data.get("f")), _reset_fingerprint(user)):
        raise DomainError(_("This reset link has already been used or is not valid."))
    return user


def reset_password(actor: Actor, token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_password(new_password, user.email)
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_all(user)  # whoever knew the old password is signed out
    if not user.is_verified:
        user.email_verified_at = clock.now()  # the link proved the address
    _queue("accounts/password_changed", user, _l("Your password was changed"))
    audit.record(Actor(user, actor.ip, actor.via), "account.password_reset", obj=user)
    return user


def _require_current_password(user: User, password: str, field: str = "current_password") -> None:
    if not passwords.verify_password(user.password_hash, password[:MAX_PASSWORD]):
        raise DomainError(_("Your current password is incorrect."), field=field)


def change_password(
    actor: Actor, user: User, current: str, new: str, keep_session: int | None = None
) -> None:
    """Set a new password; every session but ``keep_session`` (the browser asking) ends."""
    _require_current_password(user, current)
    check_password(new, user.email, field="new_password")
    user.password_hash = passwords.hash_password(new)
    sessions.end_all(user, keep=keep_session)
    _queue("accounts/password_changed", user, _l("Your password was changed"))
    audit.record(actor, "account.password_changed", obj=user)


def request_email_change(actor: Actor, user: User, password: str, new_email: str) -> None:
    """Send a confirmation link to the new address; nothing changes until it is followed."""
    _require_current_password(user, password, field="password")
    display, normalized = check_email(new_email)
    if normalized == user.email_normalized:
        raise DomainError(_("That is already your email address."), field="email")
    token = tokens.make_token(CHANGE_EMAIL, {"u": user.id, "e": display, "t": user.session_token})
    _queue(
        "accounts/confirm_new_email",
        user,
        _l("Confirm your new email address"),
        to=display,
        link=external_url("accounts.confirm_email_change", token=token),
        new_email=display,
        hours=current_app.config["EMAIL_VERIFY_MAX_AGE"] // 3600,
    )
    audit.record(actor, "account.email_change_requested", obj=user, after={"email": display})


def confirm_email_change(actor: Actor, token: str, keep_session: int | None = None) -> User:
    """Move the account to the address in ``token``; every session but ``keep_session`` (the
    browser following the link, if it is signed in to this account) ends."""
    max_age = current_app.config["EMAIL_VERIFY_MAX_AGE"]
    invalid = DomainError(_("This confirmation link is not valid or has expired."))
    user, data = tokens.linked_row(
        CHANGE_EMAIL, token, max_age, User, "u", expired=invalid, invalid=invalid
    )
    if user is None or user.session_token != data.get("t"):
        raise invalid
    display, normalized = check_email(str(data.get("e", "")))
    if normalized == user.email_normalized:
        return user
    if find_by_email(normalized) is not None:
        raise DomainError(_("This email address can no longer be used. Try another one."))
    old = user.email
    _queue(
        "accounts/email_changed",
        user,
        _l("Your email address was changed"),
        to=old,
        new_email=display,
    )
    user.email, user.email_normalized = display, normalized
    user.email_verified_at = clock.now()
    sessions.end_all(user, keep=keep_session)
    audit.record(
        Actor(user, actor.ip, actor.via),
        "account.email_changed",
        obj=user,
        before={"email": old},
        after={"email": display},
    )
    return user


def update_profile(actor: Actor, user: User, profile: Profile) -> None:
    profile = check_profile(profile)
    before = {
        "display_name": user.display_name,
        "country": user.country,
        "preferred_language": user.preferred_language,
        "timezone": user.timezone,
    }
    user.display_name = profile.display_name
    user.country = profile.country
    user.preferred_language = profile.preferred_language
    user.timezone = profile.timezone
    after = {k: getattr(user, k) for k in before}
    if after != before:
        audit.record(actor, "account.profile_updated", obj=user, before=before, after=after)


def create_admin(
    actor: Actor, email: str, password: str, display_name: str, country: str = "US"
) -> User:
    """Create a platform admin, or promote the existing account with that email."""
    display, normalized = check_email(email)
    user = find_by_email(normalized)
    if user is None:
        check_password(password, display)
        user = User(
            email=display,
            email_normalized=normalized,
            password_hash=passwords.hash_password(password),
            display_name=display_name.strip() or display,
            country=country,
            preferred_language=languages()[0],
            timezone="UTC",
            email_verified_at=clock.now(),
        )
        db.session.add(user)
    user.is_platform_admin = True
    db.session.flush()
    audit.record(actor, "admin.platform_admin_granted", obj=user)
    return user


def purge_unverified(actor: Actor, older_than_days: int = 7) -> int:
    """Delete accounts whose address was never confirmed within ``older_than_days``.

    Such accounts hold no verified identity and block their address for its real owner.
    Accounts that belong to an agency are kept.
    """
    from datetime import timedelta

    cutoff = clock.now() - timedelta(days=older_than_days)
    stale = list(
        db.session.scalars(
            select(User).where(
                User.email_verified_at.is_(None),
                User.created_at < cutoff,
                User.is_platform_admin.is_(False),
            )
        )
    )
    removed = 0
    for user in stale:
        if getattr(user, "memberships", None):
            continue
        audit.record(actor, "account.purged_unverified", obj=user, before={"email": user.email})
        db.session.delete(user)
        removed += 1
    return removed
