"""What an uploaded file really is (by content, never by name), zip-bomb checks, and storing an
upload only once it has passed them."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, fields
from typing import IO, Any

from competitions.core.after_commit import run_after_rollback
from competitions.core.errors import DomainError
from competitions.core.storage import Storage, StorageFailed, TooLarge, get_storage
from competitions.core.translate import gettext as _

# The content types files are served with (always as attachments).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "mp4": "video/mp4",
    "txt": "text/plain",
    "csv": "text/csv",
}

# The extensions a name may end with, per kind: the first is the one a name is given; the
# others are kept when the uploader used them.
EXTENSIONS = {
    "pdf": ("pdf",),
    "png": ("png",),
    "jpeg": ("jpg", "jpeg"),
    "webp": ("webp",),
    "zip": ("zip",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "pptx": ("pptx",),
    "mp4": ("mp4",),
    "txt": ("txt",),
    "csv": ("csv",),
}
_KIND_OF_TYPE = {content_type: kind for kind, content_type in CONTENT_TYPES.items()}
_EXTENSION_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")

ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNCOMPRESSED = 2 * 1024**3  # 2 GiB in all
ZIP_MAX_RATIO = 200  # uncompressed / compressed, per entry


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # None: not a type we know
    problem: str | None = None  # e.g. a zip bomb


def _office_kind(names: list[str]) -> str | None:
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    return None


def inspect_zip(fh: IO[bytes]) -> Sniffed:
    try:
        with zipfile.ZipFile(fh) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Sniffed(None, "damaged")
    if len(infos) > ZIP_MAX_ENTRIES:
        return Sniffed("zip", "too_many_entries")
    total = 0
    for info in infos:
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO:
            return Sniffed("zip", "bomb")
        if info.file_size and not info.compress_size:
            return Sniffed("zip", "bomb")
    if total > ZIP_MAX_UNCOMPRESSED:
        return Sniffed("zip", "bomb")
    return Sniffed(_office_kind([i.filename for i in infos]) or "zip")


def sniff(fh: IO[bytes]) -> Sniffed:
    """The kind of the file open in ``fh`` (seekable), from its bytes."""
    fh.seek(0)
    head = fh.read(65536)
    fh.seek(0)
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed("webp")
    if head[4:8] == b"ftyp":
        return Sniffed("mp4")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        result = inspect_zip(fh)
        fh.seek(0)
        return result
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(head) - 4:
                return Sniffed(None)
        return Sniffed("txt")
    return Sniffed(None)


def accepts(sniffed: Sniffed, allowed: tuple[str, ...]) -> bool:
    if sniffed.kind is None or sniffed.problem:
        return False
    if sniffed.kind in allowed:
        return True
    # Plain text is a valid CSV file; office documents are zips.
    if sniffed.kind == "txt" and "csv" in allowed:
        return True
    return sniffed.kind in ("docx", "xlsx", "pptx") and "zip" in allowed


def display_name(filename: str | None, fallback: str = "file") -> str:
    """A safe name to show and to offer on download: no paths, controls or odd characters."""
    name = unicodedata.normalize("NFKC", (filename or "").replace("\\", "/").split("/")[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"'<>:|?*]", "", name).strip(" .")
    if not name:
        name = fallback
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:140] + dot + ext[:9]) if dot else name[:150]
    return name


def typed_name(filename: str | None, content_type: str, fallback: str = "file") -> str:
    """The name a stored file is offered under: the uploader's name made safe
    (``display_name``) with the extension of the type detected from its content, never the
    uploader's own (``invoice.html`` holding a PDF is ``invoice.pdf``). A type this module does
    not know gets ``.bin``."""
    kind = _KIND_OF_TYPE.get(content_type)
    extensions = EXTENSIONS.get(kind or "", ("bin",))
    name = display_name(filename, fallback)
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.lower() in extensions:
        return name
    if not (dot and stem and _EXTENSION_RE.match(ext)):
        stem = name
    stem = stem.strip(" .")[:140] or fallback
    return f"{stem}.{extensions[0]}"


class FileTooLarge(DomainError):
    """An upload is over its size limit (answered with HTTP 413)."""


@dataclass(frozen=True)
class CheckedFile:
    storage_key: str
    filename: str
    content_type: str
    size: int
    sha256: str


def stored_facts(upload: Any) -> dict[str, Any]:
    """The fields of ``CheckedFile`` (key, name, type, size, digest) read from an accepted
    upload or from a row that records one: every such row names its columns the same."""
    return {f.name: getattr(upload, f.name) for f in fields(CheckedFile)}


@dataclass(frozen=True)
class DeleteStored:
    """Undo of a stored upload (run if its transaction rolls back); named in the logs."""

    storage: Storage
    key: str

    def __call__(self) -> None:
        self.storage.delete(self.key)

    def __repr__(self) -> str:
        return f"delete stored file {self.key}"


def store_checked(
    stream: IO[bytes],
    filename: str | None,
    allowed: tuple[str, ...],
    max_size_mb: int,
    *,
    field: str | None = None,
    fallback_name: str = "file",
) -> CheckedFile:
    """Stream an upload to storage (refused as soon as it passes ``max_size_mb``), check its
    type by content against ``allowed``, and answer what to record. Refused bytes are deleted
    at once; accepted ones are deleted if the current transaction rolls back."""
    storage = get_storage()
    name = display_name(filename)
    try:
        stored = storage.save(stream, max_size_mb * 1024 * 1024)
    except StorageFailed as exc:
        raise StorageFailed(field=field) from exc.__cause__
    except TooLarge as exc:
        raise FileTooLarge(
            _("%(name)s is larger than %(mb)d MB.", name=name, mb=max_size_mb), field=field
        ) from exc
    with storage.open(stored.key) as fh:
        sniffed = sniff(fh)
    if not accepts(sniffed, allowed):
        storage.delete(stored.key)
        if sniffed.problem in ("bomb", "too_many_entries"):
            raise DomainError(
                _("%(name)s expands to too much data to be accepted.", name=name), field=field
            )
        raise DomainError(
            _(
                "%(name)s is not one of the accepted types (%(types)s).",
                name=name,
                types=", ".join(allowed).upper(),
            ),
            field=field,
        )
    kind = sniffed.kind or "txt"
    # Text is CSV where only CSV is allowed, or where the uploader named it so.
    as_csv = "txt" not in allowed or name.lower().endswith(".csv")
    if kind == "txt" and "csv" in allowed and as_csv:
        kind = "csv"
    run_after_rollback(DeleteStored(storage, stored.key))
    return CheckedFile(
        storage_key=stored.key,
        filename=typed_name(filename, CONTENT_TYPES[kind], fallback_name),
        content_type=CONTENT_TYPES[kind],
        size=stored.size,
        sha256=stored.sha256,
    )
