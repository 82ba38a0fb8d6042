"""Passkeys (WebAuthn, py_webauthn) as the second step of a sign-in, the better option than
an authenticator app: nothing to type, and bound to the site's domain so a look-alike site
cannot relay it.

- The relying party is ``WEBAUTHN_RP_ID`` (default: ``BASE_URL``'s host) and the only accepted
  origin is ``BASE_URL``'s. Browsers refuse WebAuthn on an IP address: run it on a name.
- Each ceremony's challenge (32 random bytes) is made by the server, kept in this browser's
  session by the caller, and used once (``options_*`` return it; ``register`` and
  ``authenticate`` are given it back).
- The authenticator's signature counter must grow when it counts (a clone would repeat one).
- A passkey counts for ``mfa.enabled`` like a confirmed authenticator app; the first second
  factor of an account (either kind) comes with the recovery codes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import webauthn
from flask import current_app
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from competitions.accounts import mfa
from competitions.accounts.models import Passkey, User
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.translate import gettext as _

MAX_RESPONSE = 20_000  # characters of a browser's answer; larger is not one
MAX_PASSKEYS = 10


def _origin() -> str:
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def rp_id() -> str:
    return str(current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(_origin()).hostname)


def of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))
    )


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
        for p in of(user)
    ]


def options_to_register(user: User) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.create`` (JSON) and their challenge."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id(),
        rp_name="Tandem",
        user_name=user.email,
        user_id=f"tandem-user-{user.id}".encode(),
        user_display_name=user.display_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return webauthn.options_to_json(options), options.challenge


def options_to_authenticate(user: User) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.get`` (JSON) and their challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id(), allow_credentials=_descriptors(user)
    )
    return webauthn.options_to_json(options), options.challenge


def _parsed(response: str) -> dict[str, Any]:
    try:
        data = json.loads(response) if len(response) <= MAX_RESPONSE else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(_("Your browser's answer could not be read. Try again."))
    return data


def register(
    actor: Actor, user: User, response: str, challenge: bytes | None, name: str
) -> list[str] | None:
    """Keep the passkey the browser created; returns the recovery codes when it is the
    account's first second factor (else None)."""
    if challenge is None:
        raise DomainError(_("This page has expired. Try again."))
    if len(of(user)) >= MAX_PASSKEYS:
        raise DomainError(_("You have too many passkeys. Remove one first."))
    try:
        verified = webauthn.verify_registration_response(
            credential=_parsed(response),
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=_origin(),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as err:
        raise DomainError(_("The passkey could not be added. Try again.")) from err
    first = not mfa.enabled(user)
    passkey = Passkey(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=" ".join(name.split())[:80] or _("Passkey"),
        created_at=clock.now(),
    )
    db.session.add(passkey)
    db.session.flush()
    audit.record(actor, "account.mfa_enabled", obj=user, after={"method": "passkey"})
    return mfa.new_recovery_codes(user) if first else None


def authenticate(actor: Actor, user: User, response: str, challenge: bytes | None) -> None:
    """Check a passkey's answer to ``challenge`` for ``user``; a failure is counted and
    audited like a wrong code (``mfa``), then refused with a ``DomainError``."""
    data = _parsed(response)
    credential_id = data.get("id")
    found = None
    if isinstance(credential_id, str) and 0 < len(credential_id) <= 1400:
        found = db.session.scalar(
            select(Passkey).where(
                Passkey.user_id == user.id, Passkey.credential_id == credential_id
            )
        )
    try:
        if found is None or challenge is None:
            raise InvalidAuthenticationResponse("unknown credential or no challenge")
        verified = webauthn.verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=_origin(),
            credential_public_key=found.public_key,
            credential_current_sign_count=found.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as err:
        mfa.failed(actor, user, "passkey")
        raise DomainError(_("That passkey could not sign you in. Try again.")) from err
    found.sign_count = verified.new_sign_count
    found.last_used_at = clock.now()


def remove(actor: Actor, user: User, passkey_id: int, password: str) -> None:
    """Remove one of ``user``'s passkeys (the password is asked again)."""
    found = db.session.get(Passkey, passkey_id)
    if found is None or found.user_id != user.id:
        raise NotFound("no such passkey")
    mfa.require_password(user, password)
    db.session.delete(found)
    db.session.flush()
    audit.record(actor, "account.passkey_removed", obj=user, after={"name": found.name})
    if not mfa.enabled(user):
        mfa.forget_recovery_codes(user)
