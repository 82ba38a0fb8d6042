"""Submissions: an entry's answer to a round — a draft, then immutable numbered versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.challenges.models import Round
    from competitions.entries.models import Entry


class Submission(SurrogateKey, Base):
    """One per (entry, round): the working draft and the versions submitted from it."""

    __tablename__ = "submission"
    audit_type = "submission"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="RESTRICT"))
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("round.id", ondelete="RESTRICT"), index=True
    )
    draft: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    draft_saved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    entry: Mapped[Entry] = relationship(lazy="joined")
    round: Mapped[Round] = relationship(lazy="joined")
    versions: Mapped[list[SubmissionVersion]] = relationship(
        back_populates="submission", order_by="SubmissionVersion.number"
    )
    files: Mapped[list[SubmissionFile]] = relationship(
        back_populates="submission", order_by="SubmissionFile.id"
    )
    # The files attached to the draft, loaded alone: ``files`` grows with every version.
    draft_files: Mapped[list[SubmissionFile]] = relationship(
        primaryjoin="and_(SubmissionFile.submission_id == Submission.id, "
        "SubmissionFile.version_id.is_(None), SubmissionFile.removed_at.is_(None))",
        order_by="SubmissionFile.id",
        viewonly=True,
    )

    __table_args__ = (sa.UniqueConstraint("entry_id", "round_id"),)

    @property
    def audit_label(self) -> str:
        return f"entry {self.entry_id} / round {self.round_id}"


class SubmissionVersion(SurrogateKey, Base):
    """A submitted version: never changed after it is written (answers and file digests)."""

    __tablename__ = "submission_version"
    audit_type = "submission_version"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column()
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The deadline that applied (round deadline plus any extension) when it was accepted.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship(back_populates="versions")
    files: Mapped[list[SubmissionFile]] = relationship(
        back_populates="version", order_by="SubmissionFile.id"
    )

    __table_args__ = (
        sa.UniqueConstraint("submission_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("submitted_at <= deadline", name="on_time"),
    )


class SubmissionFile(SurrogateKey, Base):
    """An uploaded file: random storage key, sanitized display name, size and SHA-256.

    Draft files have no version; submitting copies the draft's files onto the new version
    (same stored bytes, new rows), so a version's files never change afterwards.
    """

    __tablename__ = "submission_file"

    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submission.id", ondelete="RESTRICT"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("submission_version.id", ondelete="RESTRICT"), index=True
    )
    field_key: Mapped[str] = mapped_column(sa.String(40))
    storage_key: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship(back_populates="files")
    version: Mapped[SubmissionVersion | None] = relationship(back_populates="files")

    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )


class Extension(SurrogateKey, Base):
    """A per-entry extension of a round's deadline, granted by the track's admins."""

    __tablename__ = "extension"
    audit_type = "extension"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.Text)
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (sa.UniqueConstraint("entry_id", "round_id"),)
