"""An objection case: its register row, documents, append-only history, tasks and counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ppid.core.models.base import Base, str_enum, utcnow
from ppid.core.vocabulary import (
    CHANNEL_LABELS,
    CHANNEL_UNRECORDED,
    REASON_LETTERS,
    STATUS_LABELS,
    CaseStatus,
    DocumentKind,
    Role,
    TaskStatus,
)


class Case(Base):
    """One objection (keberatan): one row of the Register Keberatan plus its workflow state."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(80), unique=True)
    year: Mapped[int | None]
    seq: Mapped[int | None]
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.RECEIVED)
    channel: Mapped[str | None] = mapped_column(String(20))  # loket, email, web, scan
    received_at: Mapped[datetime]
    registered_at: Mapped[datetime | None]
    answer_due: Mapped[date | None] = mapped_column(Date)

    applicant_name: Mapped[str] = mapped_column(String(200), default="")
    applicant_nik: Mapped[str | None] = mapped_column(String(16), index=True)
    applicant_address: Mapped[str | None] = mapped_column(Text)
    applicant_occupation: Mapped[str | None] = mapped_column(String(200))
    applicant_phone: Mapped[str | None] = mapped_column(String(40))
    applicant_email: Mapped[str | None] = mapped_column(String(254))
    proxy_name: Mapped[str | None] = mapped_column(String(200))
    proxy_address: Mapped[str | None] = mapped_column(Text)
    proxy_phone: Mapped[str | None] = mapped_column(String(40))

    request_number: Mapped[str | None] = mapped_column(String(100), index=True)
    purpose: Mapped[str | None] = mapped_column(Text)
    information_requested: Mapped[str | None] = mapped_column(Text)
    reason_letters: Mapped[str] = mapped_column("reasons", String(7), default="")
    case_description: Mapped[str | None] = mapped_column(Text)
    response_date: Mapped[date | None] = mapped_column(Date)
    signed_place: Mapped[str | None] = mapped_column(String(100))
    signed_date: Mapped[date | None] = mapped_column(Date)
    possible_duplicate: Mapped[bool] = mapped_column(default=False)

    # Columns of the register filled as the SOP proceeds.
    decision: Mapped[str | None] = mapped_column(String(40))
    decision_note: Mapped[str | None] = mapped_column(Text)
    answer_letter_number: Mapped[str | None] = mapped_column(String(100))
    answered_on: Mapped[date | None] = mapped_column(Date)
    atasan_name: Mapped[str | None] = mapped_column(String(200))
    atasan_position: Mapped[str | None] = mapped_column(String(200))
    applicant_response: Mapped[str | None] = mapped_column(Text)
    remarks: Mapped[str | None] = mapped_column(Text)

    # The newest history event the case's bag was built from; a newer event means the bag is
    # due (`ppid.archive.bags.archive_pending` brings it up to date).
    archived_event_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    documents: Mapped[list[CaseDocument]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseDocument.id"
    )
    # Events leave only with their case, by the database's ON DELETE CASCADE (retention purge).
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", passive_deletes="all", order_by="CaseEvent.id"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Task.id"
    )

    @property
    def reasons(self) -> list[str]:
        """Ticked reasons of UU 14/2008 Pasal 35(1) as letters, e.g. ["a", "c"]."""
        return list(self.reason_letters or "")

    @reasons.setter
    def reasons(self, letters: list[str] | str) -> None:
        chosen = {letter.strip().lower() for letter in letters if letter.strip()}
        unknown = chosen - set(REASON_LETTERS)
        if unknown:
            raise ValueError(f"unknown objection reason(s) {sorted(unknown)}; use a to g")
        self.reason_letters = "".join(sorted(chosen))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[CaseStatus(self.status)]

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel or "", CHANNEL_UNRECORDED)

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.number or '(unregistered)'} {self.status}>"


class CaseDocument(Base):
    """A file in the case's archive folder; `path` is relative to the archive root."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    document_type: Mapped[str] = mapped_column(String(40), default="other")
    role: Mapped[str | None] = mapped_column(String(40))  # form, id_card, receipt, letter, ...
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="documents")


class CaseEvent(Base):
    """One thing that happened to a case; never changed or removed on its own (audit trail)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    decision: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Task(Base):
    """A step someone in a role owes on a case, with its due date; done once, by someone."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_role_status_due", "role", "status", "due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    step: Mapped[str] = mapped_column(String(50))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(String(50))

    case: Mapped[Case] = relationship(back_populates="tasks")


class RegisterCounter(Base):
    """The last register sequence number given out in a year; bumped inside the same transaction."""

    __tablename__ = "register_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class LetterCounter(Base):
    """The last number given per letter kind and year; bumped in the letter's transaction."""

    __tablename__ = "letter_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete recorded history."""


@event.listens_for(CaseEvent, "before_update")
def _refuse_event_update(mapper: Any, connection: Any, target: CaseEvent) -> None:
    raise AppendOnlyError(
        f"case event {target.id} cannot be changed: history is append-only; record a new event"
    )


@event.listens_for(CaseEvent, "before_delete")
def _refuse_event_delete(mapper: Any, connection: Any, target: CaseEvent) -> None:
    raise AppendOnlyError(
        f"case event {target.id} cannot be deleted: history is append-only; "
        "it leaves only with its case when the retention period ends"
    )
