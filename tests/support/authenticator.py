"""A software WebAuthn authenticator for tests: a P-256 key answering the server's options
exactly as a browser with a passkey would ("none" attestation, ES256 signatures)."""

from __future__ import annotations

import base64
import json
import os
from hashlib import sha256

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # user present, user verified, attested credential data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    def __init__(self, origin: str, rp_id: str) -> None:
        self.origin, self.rp_id = origin, rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.count = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, options: str) -> bytes:
        challenge = json.loads(options)["challenge"]
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def create(self, options: str) -> str:
        """The browser's answer to ``navigator.credentials.create`` with ``options`` (JSON)."""
        client = self._client_data("webauthn.create", options)
        auth = (
            sha256(self.rp_id.encode()).digest()
            + bytes([UP | UV | AT])
            + self.count.to_bytes(4, "big")
            + bytes(16)
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client),
                    "attestationObject": b64url(attestation),
                },
                "clientExtensionResults": {},
            }
        )

    def get(self, options: str) -> str:
        """The browser's answer to ``navigator.credentials.get`` with ``options`` (JSON)."""
        self.count += 1
        client = self._client_data("webauthn.get", options)
        auth = (
            sha256(self.rp_id.encode()).digest() + bytes([UP | UV]) + self.count.to_bytes(4, "big")
        )
        signature = self.key.sign(auth + sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client),
                    "authenticatorData": b64url(auth),
                    "signature": b64url(signature),
                },
                "clientExtensionResults": {},
            }
        )
