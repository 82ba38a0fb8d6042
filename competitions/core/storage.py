"""File storage behind one interface (local directory now; an S3-compatible one can follow)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from flask_babel import gettext as _

from competitions.core.errors import Unavailable

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class StorageFailed(Unavailable):
    """The bytes could not be written (volume full, read-only, gone): nothing was kept."""

    def __init__(self, field: str | None = None) -> None:
        super().__init__(
            _(
                "Your file could not be stored: our file storage is full or unavailable. "
                "Nothing was saved; please try again later."
            ),
            field=field,
        )


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
        """Stream ``stream`` to disk, refusing it as soon as it passes ``max_bytes``.

        Written to a ``.part`` file renamed once complete; on any failure the partial file is
        removed. A failure of the volume (full, read-only, gone) is ``StorageFailed``."""
        key = secrets.token_hex(16) + suffix
        path = self._path(key)
        tmp = path.with_name(path.name + ".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            size, digest = self._write(stream, tmp, max_bytes)
            tmp.replace(path)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                log.error("storage: could not write %s: %s", tmp, exc)
                raise StorageFailed() from exc
            raise
        return StoredFile(key=key, size=size, sha256=digest)

    @staticmethod
    def _write(stream: IO[bytes], tmp: Path, max_bytes: int) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        with tmp.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)
        return size, digest.hexdigest()

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
