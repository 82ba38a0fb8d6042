"""Secrets the server must read back — TOTP seeds, webhook signing secrets — kept encrypted in
the database, so that a dump or a backup of it does not hand them out (what can be kept as a
hash, passwords, API tokens and recovery codes, is kept as a hash instead).

A ``Sealed`` column holds a Fernet token (AES-128-CBC with HMAC-SHA256, and the time of
sealing). The keys are ``DATA_KEYS``: comma-separated Fernet keys, the first seals, every one
unseals, so a key is rotated by putting the new one first and running ``flask data-keys
rotate``, which reseals every sealed column with it, then dropping the old one. Without
``DATA_KEYS`` one key is derived from ``SECRET_KEY`` (HKDF-SHA256): before changing
``SECRET_KEY``, pin the current key with ``DATA_KEYS=$(flask data-keys current)``.
"""

from __future__ import annotations

import base64
import logging
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

log = logging.getLogger(__name__)

LENGTH = 255  # a Fernet token of a secret of up to 100 characters


class Unreadable(RuntimeError):
    """A sealed value that none of ``DATA_KEYS`` opens."""


def derived_key(secret_key: str) -> str:
    """The key derived from ``SECRET_KEY`` when ``DATA_KEYS`` is not set."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tandem sealed columns v1"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw).decode()


def parse_keys(raw: str) -> tuple[str, ...]:
    """``DATA_KEYS`` as keys; ValueError says which one is not a Fernet key."""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `flask data-keys new`)"
            ) from exc
    return keys


def current_keys() -> tuple[str, ...]:
    config = current_app.config
    return tuple(config.get("DATA_KEYS") or ()) or (derived_key(config["SECRET_KEY"]),)


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def seal(plain: str) -> str:
    return _fernet(current_keys()).encrypt(plain.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet(current_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a sealed value cannot be opened with DATA_KEYS (a key was dropped too soon?)")
        raise Unreadable("a sealed value cannot be opened with the configured DATA_KEYS") from None


def reseal(token: str) -> str:
    """The token sealed again with the first key (``flask data-keys rotate``)."""
    return _fernet(current_keys()).rotate(token.encode()).decode()


class Sealed(sa.types.TypeDecorator[str]):
    """A string column stored sealed, read back plain."""

    impl = sa.String(LENGTH)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else unseal(value)


def sealed_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every sealed column of the schema, with its table."""
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Sealed)
    ]


def rotate_all(connection: sa.Connection, metadata: sa.MetaData) -> int:
    """Reseal every sealed value with the first key; the number of values resealed."""
    done = 0
    for table, column in sealed_columns(metadata):
        raw = sa.column(column.name, sa.String)
        keys: list[sa.ColumnClause[Any]] = [sa.column(c.name) for c in table.primary_key.columns]
        plain = sa.table(table.name, raw, *keys)
        rows = connection.execute(sa.select(*keys, raw).where(raw.is_not(None))).all()
        for *key, token in rows:
            where = [k == v for k, v in zip(keys, key, strict=True)]
            connection.execute(sa.update(plain).where(*where).values({column.name: reseal(token)}))
            done += 1
    return done
