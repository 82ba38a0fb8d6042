"""Two-step sign-in: an authenticator app (TOTP) with single-use recovery codes.

- **Enrolment** (``start``, ``confirm``): a random 160-bit secret is kept on the server
  (``TotpCredential``) and shown once as text and as a QR code; it counts only once the person
  types a current code from their app. Confirming hands out ``RECOVERY_CODES`` recovery codes,
  shown once and kept only as salted SHA-256 digests (each has 50 random bits).
- **Codes** (RFC 6238: 6 digits, 30-second steps): a code of the current step or of the one
  before or after (clock drift) is accepted, and only if its step is later than the last step
  accepted (``last_step``), so a code seen over someone's shoulder cannot be used again. The
  check-and-set is one conditional ``UPDATE``: two requests racing with one code cannot both
  win. A recovery code is spent the same way (``used_at`` set only where it is still empty).
- **Sign-in**: after a correct password, an account with two-step sign-in gets a
  ``PendingSignIn`` (``begin_pending``) that lasts ``MFA_PENDING_SECONDS``; the session only
  begins after the second step. Wrong codes count against the account (``RATELIMIT_MFA``,
  ``check_budget`` / ``count_failure``) and are audited.
- **Turning it off** and **new recovery codes** need the current password again.
- **Requirement** (``required``): rules installed by higher packages (agencies: members of an
  agency that requires it; judging: its judges) say who must enrol before using signed-in pages.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from hashlib import sha256

import pyotp
import segno
from flask import current_app
from limits import parse_many
from markupsafe import Markup
from sqlalchemy import ColumnElement, and_, delete, exists, false, or_, select, update

from competitions.accounts import passwords
from competitions.accounts.models import (
    Passkey,
    PendingSignIn,
    RecoveryCode,
    TotpCredential,
    User,
)
from competitions.accounts.throttle import Throttled
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError
from competitions.core.extensions import db, limiter
from competitions.core.translate import gettext as _

ISSUER = "Tandem"
STEP = 30  # seconds
DRIFT = 1  # steps accepted either side of the current one
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-]")
MAX_CODE = 40  # anything longer is not a code

#: A rule installed by a higher package: the condition (SQL) under which the account whose
#: id is given must sign in with a second step.
Rule = Callable[[int], ColumnElement[bool]]
_requirement_rules: list[Rule] = []


def add_requirement_rule(rule: Rule) -> None:
    """Installed by a higher package (agencies, judging), so accounts depends on neither."""
    if rule not in _requirement_rules:
        _requirement_rules.append(rule)


def _required(user_id: int) -> ColumnElement[bool]:
    return or_(false(), *(rule(user_id) for rule in _requirement_rules))


def _enabled(user_id: int) -> ColumnElement[bool]:
    app = exists(
        select(TotpCredential.id).where(
            TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None)
        )
    )
    return or_(app, exists(select(Passkey.id).where(Passkey.user_id == user_id)))


def required(user: User) -> bool:
    """Whether an agency requires ``user`` to sign in with a second step."""
    return bool(db.session.scalar(select(_required(user.id))))


def credential(user: User) -> TotpCredential | None:
    return db.session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def totp_on(user: User) -> bool:
    """Whether ``user`` has a confirmed authenticator app."""
    found = credential(user)
    return found is not None and found.confirmed_at is not None


def enabled(user: User) -> bool:
    """Whether ``user`` signs in with a second step (an authenticator app or a passkey)."""
    return bool(db.session.scalar(select(_enabled(user.id))))


def must_enrol(user: User) -> bool:
    """An agency requires a second step of ``user``, who has none yet (one query)."""
    return bool(db.session.scalar(select(and_(_required(user.id), ~_enabled(user.id)))))


# Enrolment ---------------------------------------------------------------------------------


def start(user: User) -> TotpCredential:
    """The secret being enrolled (a new one, or the one shown before); ``Conflict`` when
    two-step sign-in is already on."""
    found = credential(user)
    if found is not None and found.confirmed_at is not None:
        raise Conflict(_("Your authenticator app is already set up."))
    if found is None:
        found = TotpCredential(user_id=user.id, secret=pyotp.random_base32(32))
        found.created_at = clock.now()
        db.session.add(found)
        db.session.flush()
    return found


def provisioning_uri(user: User, found: TotpCredential) -> str:
    return pyotp.TOTP(found.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (no style attribute, no script: the CSP allows it)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=title)
    return Markup(svg)  # noqa: S704 - segno's own markup; the title is escaped by segno


def grouped(secret: str) -> str:
    """The secret in groups of four letters, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step_now() -> int:
    return int(clock.now().timestamp()) // STEP


def _matching_step(found: TotpCredential, code: str) -> int | None:
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", code))
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(found.secret)
    now = _step_now()
    for step in range(now - DRIFT, now + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(found: TotpCredential, code: str) -> bool:
    """Spend ``code`` if it is valid and its step was never used (one conditional UPDATE)."""
    step = _matching_step(found, code)
    if step is None:
        return False
    result = db.session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.id == found.id,
            or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step),
        )
        .values(last_step=step),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(found)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _wrong_code() -> DomainError:
    return DomainError(
        _("That code is not right. Enter the 6-digit code your app shows now."), field="code"
    )


def confirm(actor: Actor, user: User, code: str) -> list[str] | None:
    """Switch the authenticator app on with a current code; returns the new recovery codes
    when it is the account's first second factor (else None)."""
    first = not enabled(user)
    found = start(user)
    if not _accept_totp(found, code[:MAX_CODE]):
        raise _wrong_code()
    found.confirmed_at = clock.now()
    audit.record(actor, "account.mfa_enabled", obj=user, after={"method": "totp"})
    return new_recovery_codes(user) if first else None


def require_password(user: User, password: str) -> None:
    if not passwords.verify_password(user.password_hash, password[:1024]):
        raise DomainError(_("Your current password is incorrect."), field="password")


def disable(actor: Actor, user: User, password: str) -> None:
    """Switch two-step sign-in off (the password is asked again)."""
    require_password(user, password)
    if not enabled(user):
        raise Conflict(_("Two-step sign-in is not on for your account."))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    forget_recovery_codes(user)
    audit.record(actor, "account.mfa_disabled", obj=user)


# Recovery codes ----------------------------------------------------------------------------


def _digest(salt: str, code: str) -> str:
    return sha256(f"{salt}:{code}".encode()).hexdigest()


def _normalize_recovery(code: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", code)).casefold()


def forget_recovery_codes(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes; returns the new ones (the only time they exist)."""
    forget_recovery_codes(user)
    now, shown = clock.now(), []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(_RECOVERY_LENGTH))
        salt = secrets.token_hex(16)
        db.session.add(
            RecoveryCode(user_id=user.id, salt=salt, digest=_digest(salt, raw), created_at=now)
        )
        shown.append(f"{raw[:5]}-{raw[5:]}")
    return shown


def regenerate_recovery_codes(actor: Actor, user: User, password: str) -> list[str]:
    """New recovery codes (the old ones stop working); the password is asked again."""
    require_password(user, password)
    if not enabled(user):
        raise Conflict(_("Two-step sign-in is not on for your account."))
    audit.record(actor, "account.mfa_recovery_codes_regenerated", obj=user)
    return new_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    rows = db.session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


def _spend_recovery_code(user: User, code: str) -> bool:
    wanted = _normalize_recovery(code)
    if len(wanted) != _RECOVERY_LENGTH:
        return False
    rows = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in rows:
        if hmac.compare_digest(row.digest, _digest(row.salt, wanted)):
            result = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=clock.now()),
                execution_options={"synchronize_session": False},
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
    return False


# The second step of a sign-in ---------------------------------------------------------------


def _budget_key(user: User) -> tuple[str, str]:
    return ("mfa-account", str(user.id))


def check_budget(actor: Actor, user: User) -> None:
    """``Throttled`` while the account's budget of wrong second-step codes is spent."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in parse_many(current_app.config["RATELIMIT_MFA"]):
        if not strategy.test(item, *_budget_key(user)):
            audit.record(actor, "account.mfa_throttled", obj=user)
            reset = strategy.get_window_stats(item, *_budget_key(user)).reset_time
            raise Throttled(
                _("You have tried this too many times. Wait a little and try again."),
                retry_after=max(1, int(reset - time.time())),
                known_device=False,
            )


def failed(actor: Actor, user: User, method: str) -> None:
    """Count a failed second step against the account and audit it."""
    if limiter.enabled:
        for item in parse_many(current_app.config["RATELIMIT_MFA"]):
            limiter.limiter.hit(item, *_budget_key(user))
    audit.record(actor, "account.mfa_failed", obj=user, after={"method": method})


def verify(actor: Actor, user: User, code: str) -> str:
    """Check a second-step code (from the app, or a recovery code); returns which it was.

    A wrong code is counted and audited, then refused with a ``DomainError`` on ``code``.
    """
    code = code[:MAX_CODE]
    found = credential(user)
    if found is not None and found.confirmed_at is not None and _accept_totp(found, code):
        return "totp"
    if _spend_recovery_code(user, code):
        audit.record(
            actor,
            "account.mfa_recovery_code_used",
            obj=user,
            after={"left": recovery_codes_left(user)},
        )
        return "recovery_code"
    failed(actor, user, "code")
    raise _wrong_code()


def _hash(key: str) -> str:
    return sha256(key.encode()).hexdigest()


def begin_pending(user: User, *, remember: bool, next_url: str) -> str:
    """A sign-in waiting for its second step; returns the key this browser keeps."""
    now = clock.now()
    db.session.execute(
        delete(PendingSignIn).where(
            or_(PendingSignIn.user_id == user.id, PendingSignIn.expires_at <= now)
        )
    )
    key = secrets.token_urlsafe(32)
    seconds = current_app.config["MFA_PENDING_SECONDS"]
    db.session.add(
        PendingSignIn(
            user_id=user.id,
            key_hash=_hash(key),
            remember=remember,
            next_url=next_url[:400],
            created_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
    )
    return key


def pending(key: str | None) -> PendingSignIn | None:
    """The sign-in this browser is in the middle of, while it lasts and its account is active."""
    if not key or not isinstance(key, str) or len(key) > 100:
        return None
    row = db.session.scalar(select(PendingSignIn).where(PendingSignIn.key_hash == _hash(key)))
    if row is None or clock.now() >= row.expires_at or not row.user.is_active:
        return None
    return row


def finish_pending(row: PendingSignIn) -> None:
    """The second step is done (or abandoned): the pending sign-in cannot be used again."""
    db.session.delete(row)
