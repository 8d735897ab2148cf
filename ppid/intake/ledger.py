"""The intake ledger: a file claimed by its content exactly once, how far it got, how it ended.

Each intake row (`IntakeFile`) records how far a file got, so a crash or restart at any point
continues where it stopped, loses nothing and registers nothing twice. The context every intake
step takes, and the outcome it reports, live here too.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ppid.core.calendar import WorkCalendar, calendar_from_settings
from ppid.core.db import open_db, write_session
from ppid.core.files import safe_name
from ppid.core.messages import SPECIAL_FILES, history_note
from ppid.core.models import (
    Case,
    CaseEvent,
    IntakeFile,
    IntakeStatus,
    Submission,
    utcnow,
)
from ppid.core.settings import Settings
from ppid.intake.inbox import (
    QuarantineNote,
    printable,
    prune_empty_folders,
    quarantine_file,
    quarantine_link,
    quarantine_special,
)
from ppid.intake.opened import LINKED_FOLDER, InboxFile, NotAFile, opened

log = logging.getLogger(__name__)

ACTOR = "sistem-intake"


class Quarantined(Exception):
    """A file that cannot be processed; carries the reason in both languages for the note."""

    def __init__(self, reason_id: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.note = QuarantineNote(reason_id=reason_id, reason_en=reason_en)


@dataclass
class IntakeContext:
    """What every step needs, passed explicitly (no globals)."""

    settings: Settings
    sessions: sessionmaker[Session]
    calendar: WorkCalendar
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @classmethod
    def open(cls, settings: Settings) -> IntakeContext:
        return cls(settings, open_db(settings), calendar_from_settings(settings))

    @property
    def archive(self) -> Path:
        assert self.settings.archive is not None
        return self.settings.archive


@dataclass
class Outcome:
    """What became of one input, for summaries (`ppid ingest --json`) and flow-run names."""

    file: str
    outcome: str  # registered | pending | duplicate | quarantined | busy | skipped
    register_number: str | None = None
    reason: str | None = None
    intake_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def maybe_crash(stage: str) -> None:
    """Test hook for the crash-safety proof: `PPID_CRASH_AFTER=<stage>` kills the process here."""
    if os.environ.get("PPID_CRASH_AFTER") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def group_key_for(path: Path, inbox: Path) -> str:
    """Files dropped together in one sub-folder of the inbox belong to one submission."""
    try:
        relative = path.relative_to(inbox)
    except ValueError:
        return ""  # a file named on the command line stands alone
    return f"folder:{relative.parent.as_posix()}" if relative.parent != Path(".") else ""


# --- claim ------------------------------------------------------------------------------------


def claim(
    ctx: IntakeContext,
    file: Path | InboxFile,
    *,
    source: str = "inbox",
    group_key: str | None = None,
) -> tuple[int, str]:
    """Take a file by its content hash: (intake id, "new" | "resume" | "duplicate" | "busy").

    The hash is unique in the database, so two workers never take the same bytes; a claim left by
    a process that died (or whose lease ran out) is taken over and resumed. The file is read
    through its one descriptor (`InboxFile`): the flow hands in the one it opened, and copies the
    original through it too (`steps.store_original`).
    """
    with opened(file, ctx.settings.inbox) as handle:
        digest, size, path = handle.sha256(), handle.size, handle.path
    key = group_key if group_key is not None else group_key_for(path, ctx.settings.inbox)
    now = utcnow()
    lease = now + timedelta(minutes=ctx.settings.intake.lease_minutes)
    with ctx.sessions() as session:
        row = IntakeFile(
            sha256=digest,
            source=source,
            original_name=safe_name(path.name),
            source_path=str(path),
            group_key=key or f"file:{digest}",
            size=size,
            claimed_by=ctx.worker,
            lease_until=lease,
            attempts=1,
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        else:
            maybe_crash("claim")
            return row.id, "new"
    with write_session(ctx.sessions) as session:
        row = session.scalars(select(IntakeFile).where(IntakeFile.sha256 == digest)).one()
        finished = row.status in (IntakeStatus.DONE, IntakeStatus.DUPLICATE)
        if finished or (row.status == IntakeStatus.ASSEMBLED and row.source_path != str(path)):
            return row.id, "duplicate"
        if row.status == IntakeStatus.QUARANTINED:
            row.status, row.error = IntakeStatus.CLAIMED, None  # moved back by a clerk: retry
        elif _lease_is_live(row, ctx.worker, now):
            return row.id, "busy"
        row.claimed_by, row.lease_until = ctx.worker, lease
        row.source_path, row.attempts = str(path), row.attempts + 1
        return row.id, "resume"


def _lease_is_live(row: IntakeFile, worker: str, now: datetime) -> bool:
    if row.claimed_by is None or row.claimed_by == worker:
        return False
    if row.lease_until is not None and row.lease_until < now:
        return False
    host, _, pid = row.claimed_by.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return _pid_alive(int(pid))
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record_duplicate(ctx: IntakeContext, intake_id: int, file: Path | InboxFile) -> Outcome:
    """The same bytes again: noted on the first submission's case, not registered twice."""
    path = file.path if isinstance(file, InboxFile) else file
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        case = _case_of(session, row)
        if case is not None:
            session.add(
                CaseEvent(
                    case_id=case.id,
                    actor=ACTOR,
                    action="duplicate_received",
                    note=history_note("intake.duplicate", name=path.name),
                    data={"sha256": row.sha256, "path": str(path)},
                )
            )
        number = case.number if case else None
        digest = row.sha256
    remove_if_taken(ctx, file, digest)  # the same bytes are archived with the first submission
    return Outcome(str(path), "duplicate", number, "same bytes as an earlier file", intake_id)


def _case_of(session: Session, row: IntakeFile) -> Case | None:
    if row.submission_id is None:
        return None
    submission = session.get_one(Submission, row.submission_id)
    return session.get(Case, submission.case_id) if submission.case_id else None


def attempts_of(ctx: IntakeContext, intake_id: int | None) -> int:
    if intake_id is None:
        return 0
    with ctx.sessions() as session:
        return session.get_one(IntakeFile, intake_id).attempts


def mark_quarantined(
    ctx: IntakeContext, intake_id: int | None, path: Path, error: Quarantined
) -> Outcome:
    """Move the inbox file to quarantine with its note; the ledger row says why."""
    if path.exists() and _is_inside(path, ctx.settings.inbox):
        quarantine_file(path, ctx.settings.quarantine, error.note, ctx.settings.inbox)
    if intake_id is not None:
        with write_session(ctx.sessions) as session:
            row = session.get_one(IntakeFile, intake_id)
            row.status, row.error = IntakeStatus.QUARANTINED, error.note.reason_en
            row.claimed_by = None
    log.warning("quarantined %s: %s", path, error.note.reason_en)
    return Outcome(str(path), "quarantined", None, error.note.reason_en, intake_id)


def remove_if_taken(ctx: IntakeContext, file: Path | InboxFile, sha256: str) -> bool:
    """Remove the inbox copy of a file whose bytes (`sha256`) are archived; whether it did.

    Only a file inside the inbox, still the very file that was read (not one swapped in at its
    path since) and still holding those bytes, read through its descriptor.
    """
    path = file.path if isinstance(file, InboxFile) else file
    if not _is_inside(path, ctx.settings.inbox):
        return False
    try:
        with opened(file, ctx.settings.inbox) as handle:
            return handle.sha256() == sha256 and handle.remove_from_inbox()
    except (NotAFile, OSError):  # gone, replaced by a link, or written to: left where it is
        return False


def forget_claim(ctx: IntakeContext, intake_id: int) -> None:
    """Drop a claim whose file changed before its original was kept: the claimed bytes no longer
    exist, so the row would stay `claimed` forever; the changed file is claimed anew."""
    with write_session(ctx.sessions) as session:
        row = session.get(IntakeFile, intake_id)
        unused = row is not None and row.stored_path is None and row.submission_id is None
        if unused and row.status == IntakeStatus.CLAIMED:
            session.delete(row)


def set_aside(ctx: IntakeContext, refusal: NotAFile) -> Outcome:
    """An inbox entry that is no regular file: quarantined as a placeholder with its note (a
    link, a FIFO, a socket, a device), never read; a file behind a linked folder is left."""
    path, kind = refusal.path, refusal.kind
    if kind in (LINKED_FOLDER, "folder") or not _is_inside(path.parent, ctx.settings.inbox):
        reason = f"not a regular file ({kind}); not followed and not read"
        return Outcome(str(path), "skipped", reason=reason)
    quarantine, inbox = ctx.settings.quarantine, ctx.settings.inbox
    assert quarantine is not None and inbox is not None
    try:
        if kind == "symlink":
            quarantine_link(path, quarantine, inbox)
        else:
            quarantine_special(path, kind, quarantine, inbox)
    except FileNotFoundError:  # gone meanwhile: nothing to set aside
        pass
    except OSError as error:  # swapped for a regular file at this instant: taken next time
        return Outcome(str(path), "retry-later", reason=f"changed while set aside: {error}")
    what = SPECIAL_FILES.get(kind, SPECIAL_FILES["special"]).en
    reason = f"{what}, not a regular file: set aside in quarantine, never followed or read"
    log.warning("%s: %s", printable(str(path)), reason)
    return Outcome(str(path), "quarantined", reason=reason)


def _is_inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder.resolve())


def finish(ctx: IntakeContext, intake_id: int, file: Path | InboxFile) -> None:
    """Only now, with the original archived and the outcome committed, leave the inbox."""
    path = file.path if isinstance(file, InboxFile) else file
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        remove_if_taken(ctx, file, row.sha256)
        if row.status != IntakeStatus.DUPLICATE:
            row.status = IntakeStatus.DONE
        row.claimed_by, row.error = None, None  # a "retry later" of an earlier run is over
    prune_empty_folders(path.parent, ctx.settings.inbox)  # a folder still holding it stays


def release_for_retry(ctx: IntakeContext, intake_id: int | None, reason: str) -> None:
    """A run gave up on a transient fault: say why on the ledger and free the file at once.

    Without this the file keeps this worker's lease (minutes) and only the log says why; freed,
    the next sweep or drop event resumes it where it stopped.
    """
    if intake_id is None:
        return
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        row.error = f"retry later: {reason}"[:2000]
        row.claimed_by, row.lease_until = None, None
