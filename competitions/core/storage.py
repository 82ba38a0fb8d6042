"""File storage behind one interface: a local directory (the embedded default) or any
S3-compatible service, chosen by one setting (``STORAGE_URL``).

Both stream: an upload is read in chunks and hashed (SHA-256) on the way, never held whole in
memory (S3 holds at most one multipart part, ``S3Storage.PART`` bytes); a download is a
readable stream that the response copies out chunk by chunk. Keys are random and flat; both
backends shard them by their first two characters."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app

from competitions.core.errors import Unavailable
from competitions.core.translate import gettext as _

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
    def list_keys(self) -> set[str]: ...


class LocalStorage:
    """Files under a directory outside the web root, named by random keys."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / _check_key(key)

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

    def list_keys(self) -> set[str]:
        """Every stored key (for checks and tests)."""
        if not self.root.is_dir():
            return set()
        return {p.name for p in self.root.glob("*/*") if p.is_file() and p.suffix != ".part"}


def _check_key(key: str) -> str:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError("invalid storage key")
    return key


def _read_part(stream: IO[bytes], want: int, seen: int, max_bytes: int, digest: Any) -> bytes:
    """Up to ``want`` bytes of ``stream`` (fewer only at its end), hashed; ``TooLarge`` as soon
    as the upload passes ``max_bytes`` (``seen`` bytes were read before this part)."""
    part = bytearray()
    while len(part) < want and (chunk := stream.read(min(CHUNK, want - len(part)))):
        if seen + len(part) + len(chunk) > max_bytes:
            raise TooLarge(max_bytes)
        digest.update(chunk)
        part += chunk
    return bytes(part)


class _S3Object(io.RawIOBase):
    """An object of the bucket as a standard, seekable binary stream (buffered by ``open``).

    Reading goes on through one streamed ``GetObject``; a seek elsewhere (a zip's central
    directory, read when an upload's type is checked) starts a ranged one from there."""

    def __init__(self, client: Any, bucket: str, name: str, body: Any, size: int) -> None:
        self._client, self._bucket, self._name = client, bucket, name
        self._body: Any = body
        self._size, self._pos, self._body_pos = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size or not len(buffer):
            return 0
        if self._body is None or self._body_pos != self._pos:
            if self._body is not None:
                self._body.close()
            self._body = self._client.get_object(
                Bucket=self._bucket, Key=self._name, Range=f"bytes={self._pos}-"
            )["Body"]
            self._body_pos = self._pos
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        self._body_pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed and self._body is not None:
            self._body.close()
        super().close()


class S3Storage:
    """Files as objects of one bucket, under a prefix, in any S3-compatible service.

    Small uploads are one ``PutObject``; larger ones a multipart upload of ``PART``-sized parts,
    aborted on any failure so no partial object is ever visible. Errors of the service itself
    (unreachable, denied, full) are ``StorageFailed``, a missing object ``FileNotFoundError`` —
    the same contract as ``LocalStorage``."""

    PART = 8 * 1024 * 1024  # S3's minimum part is 5 MiB; this bounds memory per upload

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _name(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}{key[:2]}/{key}"

    def save(self, stream: IO[bytes], max_bytes: int, suffix: str = "") -> StoredFile:
        from botocore.exceptions import BotoCoreError, ClientError

        key = secrets.token_hex(16) + suffix
        name, digest, size = self._name(key), hashlib.sha256(), 0
        upload_id: str | None = None
        try:
            part = _read_part(stream, self.PART, 0, max_bytes, digest)
            size = len(part)
            if len(part) < self.PART:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=part)
                return StoredFile(key=key, size=size, sha256=digest.hexdigest())
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)[
                "UploadId"
            ]
            parts: list[dict[str, Any]] = []
            while part:
                number = len(parts) + 1
                etag = self.client.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=part
                )["ETag"]
                parts.append({"ETag": etag, "PartNumber": number})
                part = _read_part(stream, self.PART, size, max_bytes, digest)
                size += len(part)
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            return StoredFile(key=key, size=size, sha256=digest.hexdigest())
        except BaseException as exc:
            if upload_id is not None:
                self._abort(name, upload_id)
            if isinstance(exc, BotoCoreError | ClientError):
                log.error("storage: could not write %s to bucket %s: %s", name, self.bucket, exc)
                raise StorageFailed() from exc
            raise

    def _abort(self, name: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except Exception as exc:  # the bucket's lifecycle rule cleans up what this misses
            log.error("storage: could not abort the upload of %s: %s", name, exc)

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(name) from exc
            log.error("storage: could not read %s: %s", name, exc)
            raise StorageFailed() from exc
        except BotoCoreError as exc:
            log.error("storage: could not read %s: %s", name, exc)
            raise StorageFailed() from exc
        raw = _S3Object(self.client, self.bucket, name, found["Body"], found["ContentLength"])
        return io.BufferedReader(raw, buffer_size=CHUNK)

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as exc:  # an orphan object, never a lost one
            log.error("storage: could not delete %s: %s", name, exc)

    def list_keys(self) -> set[str]:
        """Every stored key (for checks and tests; lists the whole prefix)."""
        found: set[str] = set()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            found.update(obj["Key"].rsplit("/", 1)[-1] for obj in page.get("Contents", ()))
        return found


def s3_location(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix); ``ValueError`` for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


def s3_client(app: Flask) -> Any:
    """One boto3 client per app (thread-safe, and costly to build). Credentials come from the
    environment (``AWS_ACCESS_KEY_ID``...) or the machine's role, as boto3 finds them."""
    client = app.extensions.get("tandem_s3")
    if client is None:
        import boto3
        from botocore.config import Config

        endpoint = app.config.get("S3_ENDPOINT_URL") or None
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=app.config.get("S3_REGION") or None,
            config=Config(
                # Path-style addressing works with every S3-compatible server (MinIO, moto...).
                s3={"addressing_style": "path" if endpoint else "auto"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        app.extensions["tandem_s3"] = client
    return client


def get_storage() -> Storage:
    url = current_app.config.get("STORAGE_URL") or ""
    if url:
        bucket, prefix = s3_location(url)
        return S3Storage(s3_client(current_app), bucket, prefix)
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
