"""The outbox of notices to applicants: each letter a step owes them, kept until it is sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ppid.core.models.base import Base, utcnow


class NoticeStatus(StrEnum):
    PENDING = "pending"  # due now, or at `next_attempt_at` after a failed send
    SENT = "sent"
    FAILED = "failed"  # the mail server refused the address for good: waits for the staff
    CANCELLED = "cancelled"  # the step that owed it was corrected before it went out


class Notice(Base):
    """One e-mail owed to an applicant with a letter attached (the receipt, an answer, ...).

    Written in the transaction of the step that owes it, so it cannot be lost between the step
    and the send; one per letter (`document_id` is unique), so a step resumed after a crash
    queues nothing twice. The outbox flow sends what is due and keeps a failed notice, with its
    error, for the next try (`ppid.casework.notices`).
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # The letter the notice is about (receipt, answer, rejection, ...); one notice per letter.
    document_id: Mapped[int] = mapped_column(
        ForeignKey("case_documents.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # the letter's role: receipt, tanggapan, ...
    step_event_id: Mapped[int | None]  # the step that owed it; corrected → the notice is cancelled
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]  # a sender holds it until then (one send at a time)
    last_error: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(254))  # where it went, once sent
    message_id: Mapped[str | None] = mapped_column(String(998))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
