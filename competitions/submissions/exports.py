"""A track's submissions for its admins: the filtered list, a CSV of entries and answers, and a
streamed ZIP of a round's files with a manifest.

Everything reads in pages of ``BATCH`` entries with a fixed number of queries per page, so an
export of 10,000 entries holds at most one page in memory and costs the same per entry.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, select

from competitions.accounts.models import User
from competitions.challenges.eligibility import rules_or_none
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.errors import NotFound
from competitions.core.extensions import db
from competitions.core.filetypes import typed_name
from competitions.core.spreadsheet import CsvPieces
from competitions.core.storage import CHUNK, get_storage
from competitions.core.translate import gettext as _
from competitions.entries import decisions
from competitions.entries import permissions as entry_permissions
from competitions.entries import services as entry_services
from competitions.entries.models import Entry
from competitions.submissions.fields import FieldDef, FieldType, display_answer
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion
from competitions.submissions.services import fields_of

log = logging.getLogger(__name__)
BATCH = 200


class SubmissionState(enum.StrEnum):
    """Where an entry stands in a round: submitted (a version counts), a draft only, not
    started, or its submission withdrawn."""

    SUBMITTED = "submitted"
    DRAFT = "draft"
    NONE = "none"
    WITHDRAWN = "withdrawn"


SUBMISSION_STATES = tuple(SubmissionState)


@dataclass
class Row:
    """One entry with its submission in the round (if any) and the version that counts."""

    entry: Entry
    submission: Submission | None = None
    version: SubmissionVersion | None = None
    files: list[SubmissionFile] = field(default_factory=list)

    @property
    def state(self) -> SubmissionState:
        if self.submission is None:
            return SubmissionState.NONE
        if self.submission.withdrawn_at is not None:
            return SubmissionState.WITHDRAWN
        return SubmissionState.SUBMITTED if self.version is not None else SubmissionState.DRAFT


def listed_round(challenge: Challenge, round_id: int | None) -> Round:
    """The round whose submissions are listed: the one asked for, else the first."""
    if not challenge.rounds:
        raise NotFound(_("No such round."))
    return next((r for r in challenge.rounds if r.id == round_id), challenge.rounds[0])


def entries_query(
    track: Track,
    round_: Round,
    entry_status: str | None = None,
    eligibility: str | None = None,
    submission_state: str | None = None,
) -> Select[Any]:
    """The track's entries, filtered, in a stable order (newest registration first)."""
    stmt = entry_services.track_entries_query(track, entry_status, eligibility).order_by(
        Entry.id.desc()
    )
    in_round = and_(Submission.entry_id == Entry.id, Submission.round_id == round_.id)
    has_version = exists().where(SubmissionVersion.submission_id == Submission.id)
    if submission_state == SubmissionState.NONE:
        stmt = stmt.where(~exists().where(in_round))
    elif submission_state == SubmissionState.WITHDRAWN:
        stmt = stmt.where(exists().where(in_round, Submission.withdrawn_at.is_not(None)))
    elif submission_state == SubmissionState.DRAFT:
        stmt = stmt.where(exists().where(in_round, Submission.withdrawn_at.is_(None), ~has_version))
    elif submission_state == SubmissionState.SUBMITTED:
        stmt = stmt.where(exists().where(in_round, Submission.withdrawn_at.is_(None), has_version))
    return stmt


def rows_for(entries: list[Entry], round_: Round, *, with_files: bool = False) -> list[Row]:
    """Attach each entry's submission and latest version: two queries (three with files)."""
    rows = {e.id: Row(e) for e in entries}
    if not rows:
        return []
    submissions = db.session.scalars(
        select(Submission).where(
            Submission.round_id == round_.id, Submission.entry_id.in_(list(rows))
        )
    ).all()
    by_id = {s.id: s for s in submissions}
    for s in submissions:
        rows[s.entry_id].submission = s
    if by_id:
        latest = (
            select(
                SubmissionVersion.submission_id,
                func.max(SubmissionVersion.number).label("number"),
            )
            .where(SubmissionVersion.submission_id.in_(list(by_id)))
            .group_by(SubmissionVersion.submission_id)
            .subquery()
        )
        versions = db.session.scalars(
            select(SubmissionVersion).join(
                latest,
                and_(
                    SubmissionVersion.submission_id == latest.c.submission_id,
                    SubmissionVersion.number == latest.c.number,
                ),
            )
        ).all()
        by_version: dict[int, Row] = {}
        for v in versions:
            row = rows[by_id[v.submission_id].entry_id]
            row.version = v
            by_version[v.id] = row
        if with_files and by_version:
            for f in db.session.scalars(
                select(SubmissionFile)
                .where(SubmissionFile.version_id.in_(list(by_version)))
                .order_by(SubmissionFile.id)
            ):
                assert f.version_id is not None
                by_version[f.version_id].files.append(f)
    return list(rows.values())


def _batches(stmt: Select[Any]) -> Iterator[list[Entry]]:
    """Keyset pages over ``stmt`` (ordered by id, descending)."""
    last: int | None = None
    while True:
        page_stmt = stmt if last is None else stmt.where(Entry.id < last)
        entries: list[Entry] = list(db.session.scalars(page_stmt.limit(BATCH)).unique())
        if not entries:
            return
        yield entries
        last = entries[-1].id  # the session's identity map is weak: old pages are freed


def _authorized(user: Any, entry: Entry, track: Track) -> bool:
    """Each exported entry is checked again, not only the page that asked for it."""
    if entry.track_id != track.id or not entry_permissions.can_list_entries(user, entry.track):
        log.warning("export skipped entry %s: not in track %s for this user", entry.id, track.id)
        return False
    return True


# --- CSV ------------------------------------------------------------------------------------


def _utc(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def csv_header(fields: list[FieldDef], lang: str) -> list[str]:
    answers = [f"{f.label_in(lang)} [{f.key}]" for f in fields if f.type != FieldType.FILE]
    files = [
        f"{f.label_in(lang)} [{f.key}] (file; SHA-256)" for f in fields if f.type == FieldType.FILE
    ]
    return [
        "entry_id",
        "team",
        "entrant_type",
        "organisation",
        "organisation_country",
        "members",
        "member_countries",
        "eligibility",
        "eligibility_override_reason",
        "prize_conditions",
        "registered_at_utc",
        "withdrawn_at_utc",
        "submission",
        "version",
        "submitted_at_utc",
        *answers,
        *files,
    ]


def csv_line(row: Row, fields: list[FieldDef], lang: str, rules: Any = None) -> list[Any]:
    """``rules``: the track's parsed rules (for the prize conditions), read once per export."""
    e, v = row.entry, row.version
    answers = v.answers if v is not None else {}
    values: list[Any] = [
        e.id,
        e.team.name,
        e.team.entrant_type,
        e.team.organisation_name,
        e.team.organisation_country,
        len(e.team.members),
        " ".join(sorted({m.residence or "" for m in e.team.members} - {""})),
        e.effective_eligibility,
        e.override_reason,
        "; ".join(decisions.prize_conditions(e, rules, lang)),
        _utc(e.registered_at),
        _utc(e.withdrawn_at),
        row.state,
        v.number if v is not None else "",
        _utc(v.submitted_at) if v is not None else "",
    ]
    for f in fields:
        if f.type != FieldType.FILE:
            value = answers.get(f.key)
            values.append("" if value in (None, "", []) else display_answer(f, value, lang))
    for f in fields:
        if f.type == FieldType.FILE:
            values.append(
                "; ".join(f"{x.filename} ({x.sha256})" for x in row.files if x.field_key == f.key)
            )
    return values


def _load(user_id: int, track_id: int, round_id: int) -> tuple[User, Track, Round]:
    """Fresh objects for a stream: it runs after the view returned and its session was closed,
    so it is handed ids, never the view's objects."""
    user, track, round_ = (
        db.session.get(User, user_id),
        db.session.get(Track, track_id),
        db.session.get(Round, round_id),
    )
    if user is None or track is None or round_ is None:
        raise NotFound("gone while exporting")
    return user, track, round_


def csv_stream(
    user_id: int, track_id: int, round_id: int, lang: str, filters: dict[str, str]
) -> Iterator[str]:
    """The CSV, line by line (UTF-8 with a byte-order mark so spreadsheets read accents)."""
    user, track, round_ = _load(user_id, track_id, round_id)
    fields = fields_of(round_)
    out = CsvPieces()
    out.writerow(csv_header(fields, lang))
    yield out.take()
    stmt = entries_query(track, round_, **filters)
    rules = rules_or_none(track.rules)
    for entries in _batches(stmt):
        for row in rows_for(entries, round_, with_files=True):
            if _authorized(user, row.entry, track):
                out.writerow(csv_line(row, fields, lang, rules))
        yield out.take()


# --- ZIP ------------------------------------------------------------------------------------


class _Sink:
    """A write-only, non-seekable file for ``zipfile``: what it writes is taken in pieces."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _slug(text: str, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-.")[:limit]
    return slug or "file"


def _member_name(record: SubmissionFile) -> str:
    """A file's name in the archive: ASCII, with the extension of its detected type."""
    stem, _dot, ext = typed_name(record.filename, record.content_type).rpartition(".")
    return f"{_slug(stem, 90)}.{ext}"


def zip_stream(user_id: int, track_id: int, round_id: int) -> Iterator[bytes]:
    """The files of every version that counts (the latest of each active submission), then
    ``manifest.csv``: entry, team, version, field, path in the archive, size, SHA-256 recorded
    at upload and whether the bytes read now still match it."""
    user, track, round_ = _load(user_id, track_id, round_id)
    storage = get_storage()
    sink = _Sink()
    manifest = CsvPieces()
    manifest.writerow(
        [
            "entry_id",
            "team",
            "version",
            "submitted_at_utc",
            "field",
            "path",
            "original_name",
            "size",
            "sha256",
            "check",
        ]
    )
    stmt = entries_query(
        track, round_, entry_services.EntryStatus.ACTIVE, None, SubmissionState.SUBMITTED
    )
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entries in _batches(stmt):
            for row in rows_for(entries, round_, with_files=True):
                if row.version is None or not _authorized(user, row.entry, track):
                    continue
                folder = f"{row.entry.id}-{_slug(row.entry.team.name)}/v{row.version.number}"
                used: set[str] = set()
                for record in row.files:
                    name = _member_name(record)
                    path = f"{folder}/{record.field_key}/{name}"
                    n = 1
                    while path in used:
                        n += 1
                        path = f"{folder}/{record.field_key}/{n}-{name}"
                    used.add(path)
                    check = yield from _add_file(archive, sink, storage, record, path, row)
                    manifest.writerow(
                        (
                            row.entry.id,
                            row.entry.team.name,
                            row.version.number,
                            _utc(row.version.submitted_at),
                            record.field_key,
                            path,
                            record.filename,
                            record.size,
                            record.sha256,
                            check,
                        )
                    )
        archive.writestr("manifest.csv", manifest.take())
    yield sink.take()


def _add_file(
    archive: zipfile.ZipFile,
    sink: _Sink,
    storage: Any,
    record: SubmissionFile,
    path: str,
    row: Row,
) -> Generator[bytes, None, str]:
    """Copy one stored file into the archive chunk by chunk; answer "ok", "MISMATCH" or
    "MISSING" (the archive goes on either way, and the problem is logged)."""
    try:
        source = storage.open(record.storage_key)
    except OSError:
        log.error("export: file %s (%s) is missing from storage", record.id, record.storage_key)
        return "MISSING"
    info = zipfile.ZipInfo(path, date_time=row.version.submitted_at.timetuple()[:6])  # type: ignore[union-attr]
    info.compress_type = zipfile.ZIP_STORED
    digest = hashlib.sha256()
    with source, archive.open(info, "w", force_zip64=True) as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            data = sink.take()
            if data:
                yield data
    yield sink.take()
    if digest.hexdigest() != record.sha256:
        log.error("export: file %s no longer matches its SHA-256", record.id)
        return "MISMATCH"
    return "ok"
