"""File storage behind one interface (local directory now; an S3-compatible one can follow)."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from flask import current_app

CHUNK = 64 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    def save(self, stream: IO[bytes], max_bytes: int, suffix: str = "") -> StoredFile: ...
    def open(self, key: str) -> IO[bytes]: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under a directory outside the web root, named by random keys."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.root / key[:2] / key

    def save(self, stream: IO[bytes], max_bytes: int, suffix: str = "") -> StoredFile:
        """Stream ``stream`` to disk, refusing it as soon as it passes ``max_bytes``."""
        key = secrets.token_hex(16) + suffix
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest.hexdigest())

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    return LocalStorage(current_app.config["STORAGE_DIR"])


# Magic numbers of the image formats accepted for logos.
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),  # followed by size and b"WEBP"
}


def sniff_image(head: bytes) -> str | None:
    """The image MIME type from the first bytes, or ``None`` if not an accepted image."""
    for mime, signatures in IMAGE_SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            if mime == "image/webp" and head[8:12] != b"WEBP":
                continue
            return mime
    return None
