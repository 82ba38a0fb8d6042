"""What the configured storage holds, whichever it is (a folder, or an S3 bucket)."""

from __future__ import annotations

from flask import Flask

from competitions.core.storage import LocalStorage, S3Storage, get_storage


def stored_keys(app: Flask) -> set[str]:
    """Every complete file in storage; with local files, half-written ``.part`` files too (as
    ``<key>.part``), so "nothing half-written is left" is checked by the same comparison."""
    with app.app_context():
        storage = get_storage()
        keys = storage.list_keys()
        if isinstance(storage, LocalStorage) and storage.root.is_dir():
            keys |= {p.name for p in storage.root.rglob("*.part")}
        return keys


def stored_bytes(app: Flask, key: str) -> bytes:
    with app.app_context(), get_storage().open(key) as fh:
        return fh.read()


def is_local(app: Flask) -> bool:
    return not app.config.get("STORAGE_URL")


def tamper(key: str, data: bytes) -> None:
    """Replace the bytes behind ``key`` behind the application's back (in an app context)."""
    storage = get_storage()
    if isinstance(storage, S3Storage):
        storage.client.put_object(Bucket=storage.bucket, Key=storage._name(key), Body=data)
    else:
        assert isinstance(storage, LocalStorage)
        storage._path(key).write_bytes(data)
