"""Submission services: the round's form, drafts, immutable versions, files.

The deadline is enforced here, on the server: a final submission is accepted only if the
instant taken just before its rows are written (after every slower step, the uploads
included) is at or before the round's deadline plus the entry's extension (``deadlines``). A
refused submission leaves the draft as saved: every check of the submission runs before any
row of it is added, so a refusal has nothing to undo (``save_and_submit``), and the draft,
the files, the version and its files are written together by one flush.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from competitions.challenges.models import Round
from competitions.challenges.timeline import WindowState
from competitions.core import audit, clock
from competitions.core import filetypes as file_types
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, FieldErrors, NotFound, must_exist
from competitions.core.extensions import db
from competitions.core.storage import get_storage
from competitions.core.translate import gettext as _
from competitions.entries import decisions
from competitions.entries.models import Entry
from competitions.entries.permissions import is_lead, is_member
from competitions.submissions import deadlines, facts, receipts
from competitions.submissions.fields import (
    FieldDef,
    FieldsError,
    FieldType,
    check_answer,
    completeness_problems,
    draft_problems,
    fields_to_data,
    malformed,
    parse_fields,
)
from competitions.submissions.models import (
    Extension,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)


class DeadlinePassed(DomainError):
    """The submission arrived after the deadline: refused, the draft is kept."""


FileTooLarge = file_types.FileTooLarge


class IncompleteSubmission(FieldErrors):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(_("The submission is not complete yet."), problems)


class InvalidAnswers(FieldErrors):
    """Answers that may not be kept even in a draft (see ``fields.malformed``)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            _("Some answers cannot be saved as they are: correct them and save again."), problems
        )


# --- the form -------------------------------------------------------------------------------


def fields_of(round_: Round) -> list[FieldDef]:
    try:
        return parse_fields(round_.form_fields or [])
    except FieldsError:
        return []


def define_form(actor: Actor, round_: Round, definition: Any) -> list[FieldDef]:
    """Set the round's submission form (lead agency admins)."""
    from competitions.challenges import permissions as challenge_permissions

    if not challenge_permissions.can_manage_challenge(actor.user, round_.challenge):
        raise NotFound(_("No such round."))
    try:
        fields = parse_fields(definition)
    except FieldsError as err:
        raise DomainError(err.message, field="definition") from err
    submitted = db.session.scalar(
        select(SubmissionVersion.id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Submission.round_id == round_.id)
        .limit(1)
    )
    old_keys = {f.key for f in fields_of(round_)}
    if submitted is not None and not old_keys <= {f.key for f in fields}:
        raise Conflict(
            _(
                "Entries have already submitted this form: its fields can be added to or "
                "reworded, not removed."
            ),
            field="definition",
        )
    before = round_.form_fields
    round_.form_fields = fields_to_data(fields)
    audit.record(
        actor,
        "round.form_defined",
        obj=round_,
        agency_id=round_.challenge.lead_agency_id,
        before={"fields": before},
        after={"fields": round_.form_fields},
    )
    return fields


# --- drafts ---------------------------------------------------------------------------------


def _require_member(actor: Actor, entry: Entry) -> None:
    if not is_member(actor.user, entry.team):
        raise NotFound(_("No such entry."))
    if not entry.is_active:
        raise Conflict(_("This entry was withdrawn."))


def _check_round(entry: Entry, round_: Round) -> None:
    if round_.challenge_id != entry.challenge_id:
        raise NotFound(_("No such round."))
    if not advanced_to(entry, round_):
        raise DomainError(
            _("Only entries that advanced from the previous round take part in this round.")
        )


# Which entries take part in a later round is judging's decision, and judging builds on
# submissions: it installs its rule here (``judging.admission``) instead of being imported.
AdmissionRule = Callable[[Entry, Round], bool]
# The same rule for many entries at once: the (entry id, round id) pairs admitted among the
# entries and the rounds of their challenges.
BulkAdmissionRule = Callable[[list[Entry]], set[tuple[int, int]]]
_admission: list[AdmissionRule] = []
_bulk_admission: list[BulkAdmissionRule] = []


def set_admission_rule(rule: AdmissionRule, bulk: BulkAdmissionRule | None = None) -> None:
    """Install the rule saying whether an entry takes part in a round (one rule at a time),
    and optionally its bulk form (``prefetch``)."""
    _admission[:] = [rule]
    _bulk_admission[:] = [bulk] if bulk else []


PREFETCHED = "prefetched_submission"  # (withdrawn?, the latest version number or 0)


def prefetch(entries: list[Entry]) -> None:
    """Read, for every round of the entries' challenges (loaded), what ``advanced_to``,
    ``deadlines.extension_of``, ``submission_for`` and ``latest_number`` would read one entry
    and round at a time: a few queries whatever the number of entries. Kept for the
    transaction, like what those functions read themselves."""
    if not entries:
        return
    ids = {"entries": [e.id for e in entries]}
    extensions = {
        (x.entry_id, x.round_id): x for x in db.session.scalars(_prefetched_extensions(), ids)
    }
    admitted = _bulk_admission[0](entries) if _bulk_admission else None
    found = db.session.execute(_prefetched_submissions(), ids).all()
    submissions = {(e, r): (withdrawn is not None, n or 0) for e, r, withdrawn, n in found}
    for entry in entries:
        for round_ in entry.track.challenge.rounds:
            known = facts.of(entry, round_)
            known.setdefault("extension", extensions.get((entry.id, round_.id)))
            if admitted is not None:
                known.setdefault("advanced", (entry.id, round_.id) in admitted)
            known.setdefault(PREFETCHED, submissions.get((entry.id, round_.id), (False, 0)))


# ``prefetch``'s statements are built once, the entries bound at each call (the home page runs
# them on every view: building them cost more than running them).


@functools.cache
def _prefetched_extensions() -> Any:
    return select(Extension).where(Extension.entry_id.in_(bindparam("entries", expanding=True)))


@functools.cache
def _prefetched_submissions() -> Any:
    latest = (  # each submission's latest version number, read with it
        select(func.max(SubmissionVersion.number))
        .where(SubmissionVersion.submission_id == Submission.id)
        .scalar_subquery()
    )
    # Columns, not submissions: a draft is a JSON document, parsed for nothing here.
    return select(Submission.entry_id, Submission.round_id, Submission.withdrawn_at, latest).where(
        Submission.entry_id.in_(bindparam("entries", expanding=True))
    )


def advanced_to(entry: Entry, round_: Round) -> bool:
    """Whether the entry takes part in the round (by the installed rule), read once per
    transaction."""
    if not _admission:
        raise RuntimeError("no admission rule installed (import competitions.judging)")
    rule = _admission[0]
    return bool(facts.remembered(entry, round_, "advanced", lambda: rule(entry, round_)))


def _of(entry: Entry, round_: Round) -> Any:
    """The entry's submission in the round. The entry and round are in hand: not loaded again
    with it (nor the team and its members behind the entry)."""
    return (
        select(Submission)
        .where(Submission.entry_id == entry.id, Submission.round_id == round_.id)
        .options(lazyload(Submission.entry), lazyload(Submission.round))
    )


def submission_for(
    entry: Entry, round_: Round, create: bool = False, lock: bool = False
) -> Submission | None:
    """The entry's submission in the round (``create``: made if missing; ``lock``: its row
    locked until the transaction ends, so concurrent saves and submits of one team queue)."""
    query = _of(entry, round_)
    found = db.session.scalar(query.with_for_update(of=Submission) if lock else query)
    if found is None and create:
        found = Submission(entry=entry, round=round_, draft={})
        db.session.add(found)
        db.session.flush()
    return found


@dataclass(frozen=True)
class Upload:
    field_key: str
    stream: IO[bytes]
    filename: str | None


def _store(actor: Actor, submission: Submission, f: FieldDef, upload: Upload) -> SubmissionFile:
    """Stream one upload to storage (size capped), check its type by content, record it."""
    checked = file_types.store_checked(
        upload.stream,
        upload.filename,
        f.file_types,
        f.max_size_mb,
        field=f.key,
        fallback_name=f.key,
    )
    record = _file_row(submission, f.key, checked, clock.now(), actor.user_id)
    db.session.add(record)
    return record


def _file_row(
    submission: Submission,
    field_key: str,
    stored: file_types.CheckedFile | SubmissionFile,
    uploaded_at: datetime,
    uploaded_by_id: int | None,
    version: SubmissionVersion | None = None,
) -> SubmissionFile:
    """A file's row: the stored bytes (a new upload's, or a draft file's for a version)."""
    return SubmissionFile(
        submission=submission,
        version=version,
        field_key=field_key,
        **file_types.stored_facts(stored),
        uploaded_at=uploaded_at,
        uploaded_by_id=uploaded_by_id,
    )


def save_draft(
    actor: Actor,
    entry: Entry,
    round_: Round,
    answers: dict[str, Any],
    uploads: list[Upload],
    submitting: bool = False,
) -> Submission:
    """Keep what the team typed and uploaded. A draft may be incomplete, never malformed:
    answers of the wrong type, options not offered, text too long or holding control
    characters are refused (``InvalidAnswers``, nothing kept); the final submit checks all."""
    _require_member(actor, entry)
    _check_round(entry, round_)
    if deadlines.state_for(entry, round_) is WindowState.CLOSED:
        raise DeadlinePassed(deadlines.passed(entry, round_, "submit" if submitting else "draft"))
    fields = {f.key: f for f in fields_of(round_)}
    typed = {key for key, f in fields.items() if f.type != FieldType.FILE}
    clean = {key: value for key, value in answers.items() if key in typed}
    problems = draft_problems(list(fields.values()), clean)
    if problems:
        raise InvalidAnswers(problems)
    submission = submission_for(entry, round_, create=True, lock=True)
    assert submission is not None
    # The draft's files are read before anything changes: reading them then flushes nothing
    # (the changes are written by one flush, with the version when one is submitted).
    counts = _draft_counts(submission)
    submission.draft = {**(submission.draft or {}), **clean}
    submission.draft_saved_at, submission.draft_saved_by_id = clock.now(), actor.user_id
    added = _attach(actor, submission, fields, uploads, counts)
    # The draft's files as they now are (a submit in this transaction reads them, not the
    # database again), and the row is locked: see ``submit``.
    current = [f for f in submission.draft_files if f.removed_at is None] + added
    set_committed_value(submission, "draft_files", current)
    facts.of(entry, round_)["draft"] = submission
    return submission


def _attach(
    actor: Actor,
    submission: Submission,
    fields: dict[str, FieldDef],
    uploads: list[Upload],
    counts: dict[str, int],
) -> list[SubmissionFile]:
    """Store the uploads into the draft's file fields (each within its number of files;
    ``counts``: the draft's files per field, updated)."""
    added: list[SubmissionFile] = []
    for upload in uploads:
        f = fields.get(upload.field_key)
        if f is None or f.type != FieldType.FILE:
            raise DomainError(_("This form has no such file field."), field=upload.field_key)
        if f.max_files == 1 and counts.get(f.key, 0) == 1:
            # A single-file field: the new upload replaces the draft's file.
            for old in submission.draft_files:
                if old.field_key == f.key:
                    old.removed_at = clock.now()
            counts[f.key] = 0
        if counts.get(f.key, 0) >= f.max_files:
            raise DomainError(
                _("Remove a file first: at most %(n)d can be attached here.", n=f.max_files),
                field=f.key,
            )
        added.append(_store(actor, submission, f, upload))
        counts[f.key] = counts.get(f.key, 0) + 1
    return added


def _draft_counts(submission: Submission) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in submission.draft_files:
        counts[f.field_key] = counts.get(f.field_key, 0) + 1
    return counts


def remove_draft_file(actor: Actor, submission: Submission, file_id: int) -> None:
    _require_member(actor, submission.entry)
    record = next((f for f in submission.draft_files if f.id == file_id), None)
    if record is None:
        raise NotFound(_("No such file."))
    if deadlines.state_for(submission.entry, submission.round) is WindowState.CLOSED:
        raise DeadlinePassed(deadlines.passed(submission.entry, submission.round, "draft"))
    record.removed_at = clock.now()
    remaining = [f for f in submission.draft_files if f is not record]
    set_committed_value(submission, "draft_files", remaining)


def field_problems(round_: Round, answers: dict[str, Any]) -> dict[str, str]:
    """Per-field problems worth showing while editing a draft (not "required")."""
    problems = {}
    for f in fields_of(round_):
        if f.type != FieldType.FILE and f.key in answers:
            problem = check_answer(f, answers[f.key])
            if problem:
                problems[f.key] = problem
    return problems


def showable_draft(round_: Round, answers: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers the form can show again: one stored malformed (before drafts were
    checked) is left out, unless only its number of words is wrong (the team shortens it);
    ``field_problems`` says what is wrong with it."""
    shown = {}
    for f in fields_of(round_):
        if f.key in answers and malformed(replace(f, max_words=None), answers[f.key]) is None:
            shown[f.key] = answers[f.key]
    return shown


# --- final submission -----------------------------------------------------------------------


@dataclass(frozen=True)
class DraftSaved:
    """Only the draft was saved (no final submission was asked for)."""


@dataclass(frozen=True)
class Submitted:
    """The draft was saved and submitted as version ``number``."""

    number: int


@dataclass(frozen=True)
class Refused:
    """The draft was saved, but its final submission was refused (late, incomplete): ``error``
    says why; only the submission was undone."""

    error: DomainError


SaveOutcome = DraftSaved | Submitted | Refused


def save_and_submit(
    actor: Actor,
    entry: Entry,
    round_: Round,
    answers: dict[str, Any],
    uploads: list[Upload],
    *,
    submitting: bool,
) -> SaveOutcome:
    """Save the draft, then (``submitting``) turn it into a new version: the form's one action.

    Nothing is committed here; the caller commits once, whatever the outcome. ``submit``
    checks everything before it adds a row: if it refuses, the draft saved just before is
    still in the session untouched, and the caller's single commit keeps it (``Refused``). A
    draft that cannot be saved raises its ``DomainError`` (the caller rolls back; nothing is
    kept). Saving and submitting in one transaction lets the submission reuse what saving read
    (``facts``), and one flush writes the draft's changes with the version.
    """
    save_draft(actor, entry, round_, answers, uploads, submitting)
    if not submitting:
        return DraftSaved()
    try:
        version = submit(actor, entry, round_)
    except DomainError as err:
        return Refused(err)
    return Submitted(version.number)


def submit(actor: Actor, entry: Entry, round_: Round) -> SubmissionVersion:
    """Turn the saved draft into a new immutable version — if it is complete and on time.

    Every check runs before anything is added to the session: a refusal (``DomainError``)
    leaves the session as it was, the draft saved before it included (``save_and_submit``).
    The time that counts is taken last, just before the version is written; anything slower
    (big uploads) happened before, while saving the draft. One flush then writes the draft's
    changes, the version and its files; the audit event, the receipt and the webhook event
    (which name the version's id) go with the caller's commit.
    """
    _require_member(actor, entry)
    _check_round(entry, round_)
    now = clock.now()
    if now < round_.submission_opens:
        raise DomainError(_("Submissions for this round have not opened yet."))
    # Serialize concurrent submits of the same team (PostgreSQL row lock; SQLite serializes):
    # taken by ``save_draft`` if it ran earlier in this transaction, with the files it left.
    submission = facts.of(entry, round_).get("draft")
    if submission is None:
        submission = submission_for(entry, round_, lock=True)
        if submission is None:
            raise IncompleteSubmission({"": _("Save a draft first.")})
        # Files attached in this same transaction are not in a list loaded before them.
        db.session.expire(submission, ["draft_files"])
    fields = fields_of(round_)
    problems = completeness_problems(fields, submission.draft or {}, _draft_counts(submission))
    if problems:
        raise IncompleteSubmission(problems)
    with db.session.no_autoflush:  # the draft's changes are written with the version below
        number = latest_number(submission) + 1
    deadline = deadlines.deadline_for(entry, round_)
    answers = {f.key: submission.draft.get(f.key) for f in fields if f.type != FieldType.FILE}
    # The instant that counts: taken now, after every other step, just before the rows are
    # written (nothing of the version is in the session yet: a refusal has nothing to undo).
    stamped = clock.now()
    if stamped > deadline:
        raise DeadlinePassed(deadlines.passed(entry, round_, "late"))
    version = SubmissionVersion(
        submission=submission,
        number=number,
        answers=answers,
        submitted_by_id=actor.user_id,
        deadline=deadline,
        submitted_at=stamped,
    )
    db.session.add(version)
    _copy_draft_files(submission, version)
    submission.withdrawn_at = None
    decisions.freeze_eligibility(entry)
    db.session.flush()  # the one flush: the version's id names it below
    audit.record(
        actor,
        "submission.submitted",
        obj=version,
        object_type="submission_version",
        agency_id=entry.track.agency_id,
        after={
            "entry": entry.id,
            "round": round_.id,
            "version": number,
            "files": [f.sha256 for f in version.files],
        },
    )
    receipts.send_receipt(actor, entry, round_, version)
    from competitions.webhooks import events as webhook_events

    webhook_events.submission_received(entry, round_, version)
    return version


def _copy_draft_files(submission: Submission, version: SubmissionVersion) -> None:
    """The version gets its own rows for the draft's files (the same stored bytes)."""
    for r in submission.draft_files:
        db.session.add(
            _file_row(submission, r.field_key, r, r.uploaded_at, r.uploaded_by_id, version)
        )


def withdraw_submission(actor: Actor, entry: Entry, round_: Round) -> None:
    if not is_lead(actor.user, entry.team):
        raise NotFound(_("No such entry."))
    submission = submission_for(entry, round_)
    if submission is None or not latest_number(submission):
        raise DomainError(_("There is no submission to withdraw."))
    if deadlines.state_for(entry, round_) is WindowState.CLOSED:
        raise DeadlinePassed(deadlines.passed(entry, round_, "withdraw"))
    submission.withdrawn_at = clock.now()
    audit.record(actor, "submission.withdrawn", obj=submission, agency_id=entry.track.agency_id)


def latest_number(submission: Submission) -> int:
    """The number of the submission's latest version (0 if none), without loading them all."""
    return (
        db.session.scalar(
            select(func.max(SubmissionVersion.number)).where(
                SubmissionVersion.submission_id == submission.id
            )
        )
        or 0
    )


def get_round(entry: Entry, round_id: int) -> Round:
    """A round of the entry's challenge (``NotFound`` otherwise)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.challenge_id != entry.challenge_id:
        raise NotFound(_("No such round."))
    return round_


def get_version(entry: Entry, round_: Round, number: int) -> SubmissionVersion:
    submission = submission_for(entry, round_)
    version = (
        db.session.scalar(
            select(SubmissionVersion).where(
                SubmissionVersion.submission_id == submission.id,
                SubmissionVersion.number == number,
            )
        )
        if submission
        else None
    )
    return must_exist(version, _("No such version."))


def get_file(file_id: int) -> SubmissionFile:
    record = db.session.get(SubmissionFile, file_id)
    if record is None or record.removed_at is not None:
        raise NotFound(_("No such file."))
    return record


def open_file(record: SubmissionFile) -> IO[bytes]:
    """The stored bytes (``NotFound`` when they are missing from storage)."""
    try:
        return get_storage().open(record.storage_key)
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound(_("No such file.")) from exc
