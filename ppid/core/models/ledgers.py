"""The intake ledgers that make intake exactly-once: files by content, submissions, e-mails."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ppid.core.models.base import Base, utcnow


class IntakeStatus(StrEnum):
    CLAIMED = "claimed"
    STORED = "stored"
    EXTRACTED = "extracted"
    ASSEMBLED = "assembled"  # attached to a submission (pending or registered)
    DONE = "done"  # the inbox copy is gone; the original lives in the archive
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    REGISTERED = "registered"
    NOT_OBJECTION = "not_objection"


class IntakeFile(Base):
    """One received file, keyed by its content; the ledger that makes intake exactly-once."""

    __tablename__ = "intake_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="inbox")
    original_name: Mapped[str] = mapped_column(String(300))
    source_path: Mapped[str] = mapped_column(Text)
    group_key: Mapped[str] = mapped_column(String(300), index=True)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=IntakeStatus.CLAIMED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    extraction: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("intake_files.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Submission(Base):
    """What one applicant handed in together: a form and an ID, from one file, folder or e-mail."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(300), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(String(16), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MailStatus(StrEnum):
    NEW = "new"  # seen; not finished (a crash or a lost connection: taken again next run)
    DONE = "done"  # its submission is committed
    DUPLICATE = "duplicate"  # the same bytes or Message-ID as an earlier message
    EMPTY = "empty"  # nothing to ingest (no attachment, no objection in the body); left in place
    FAILED = "failed"  # retried with backoff
    REFUSED = "refused"  # too big; left in place for a clerk, not retried


class MailMessage(Base):
    """One message in one mailbox folder; the ledger that makes e-mail intake exactly-once."""

    __tablename__ = "mail_messages"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(300))  # user@host:port, never the password
    folder: Mapped[str] = mapped_column(String(300))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("mail_messages.id"))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    eml_path: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=MailStatus.NEW)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    outcomes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    settled: Mapped[bool] = mapped_column(default=False)  # moved to Processed / flagged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
