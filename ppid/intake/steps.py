"""Intake steps: claim a file, keep the original, extract, assemble a submission, register, receipt.

Each step is a plain function over an `IntakeContext` and an id, idempotent and resumable: the
intake row records how far a file got, so a crash or restart at any point continues where it
stopped, loses nothing and registers nothing twice. `flows/intake.py` only puts them in order.
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

from parsers.extract import extract_file
from ppid.casework.register import register_case
from ppid.casework.workflow import start as start_workflow
from ppid.core.calendar import WorkCalendar, calendar_from_settings
from ppid.core.db import open_db, write_session
from ppid.core.files import safe_name, sha256_file
from ppid.core.masking import NIK_PATTERN, mask_nik
from ppid.core.models import (
    Case,
    CaseDocument,
    CaseEvent,
    IntakeFile,
    IntakeStatus,
    Submission,
    SubmissionStatus,
    fit_to_columns,
    utcnow,
)
from ppid.core.paths import receipt_path, stored_original
from ppid.core.settings import Settings
from ppid.core.vocabulary import DocumentKind
from ppid.intake.inbox import QuarantineNote, fsync_copy, prune_empty_folders, quarantine_file

log = logging.getLogger(__name__)

ACTOR = "sistem-intake"
REQUIRED_FORM_FIELDS = {
    "applicant.name": "nama pemohon",
    "applicant.nik": "NIK pemohon",
    "applicant.address": "alamat pemohon",
    "reasons": "alasan keberatan",
}


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
    ctx: IntakeContext, path: Path, *, source: str = "inbox", group_key: str | None = None
) -> tuple[int, str]:
    """Take a file by its content hash: (intake id, "new" | "resume" | "duplicate" | "busy").

    The hash is unique in the database, so two workers never take the same bytes; a claim left by
    a process that died (or whose lease ran out) is taken over and resumed.
    """
    digest = sha256_file(path)
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
            size=path.stat().st_size,
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


def record_duplicate(ctx: IntakeContext, intake_id: int, path: Path) -> Outcome:
    """The same bytes again: noted on the first submission's case, not registered twice."""
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        case = _case_of(session, row)
        if case is not None:
            session.add(
                CaseEvent(
                    case_id=case.id,
                    actor=ACTOR,
                    action="duplicate_received",
                    note=f"Berkas yang sama diterima lagi: {path.name}",
                    data={"sha256": row.sha256, "path": str(path)},
                )
            )
        number = case.number if case else None
    if _is_inside(path, ctx.settings.inbox) and _same_bytes(path, row.sha256):
        path.unlink()  # the same bytes are already archived with the first submission
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


# --- store and extract ------------------------------------------------------------------------


def store_original(ctx: IntakeContext, intake_id: int, path: Path) -> Path:
    """Copy the file, untouched, into the archive's content store (fsynced) before anything else.

    The copy and its fsync happen outside any transaction: no snapshot or lock is held while the
    disk works, so another worker's commit meanwhile cannot fail the write that records it.
    """
    with ctx.sessions() as session:
        row = session.get_one(IntakeFile, intake_id)
        digest, stored_path = row.sha256, row.stored_path
        relative = stored_original(digest, row.original_name)
    target = ctx.archive / relative
    if stored_path and target.exists() and sha256_file(target) == digest:
        return target
    fsync_copy(path, target)
    if sha256_file(target) != digest:
        target.unlink(missing_ok=True)
        raise OSError(f"{path} changed while it was being copied; it will be retried")
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        row.stored_path = relative.as_posix()
        row.status = IntakeStatus.STORED
    maybe_crash("store")
    return target


def extract(ctx: IntakeContext, intake_id: int) -> dict[str, Any]:
    """Read the archived copy (never the inbox one, which may change) and keep the result."""
    with ctx.sessions() as session:
        row = session.get_one(IntakeFile, intake_id)
        if row.extraction is not None:
            return row.extraction
        stored, name = ctx.archive / str(row.stored_path), row.original_name
    result = extract_file(stored, ctx.settings.limits.for_parsers())
    result.file = name
    data = result.to_json()
    data["texts"] = [document.text for document in result.documents]
    if result.error:
        raise Quarantined(
            f"Berkas tidak dapat dibaca: {result.error}",
            f"The file could not be read: {result.error}",
        )
    with write_session(ctx.sessions) as session:  # the OCR above ran outside any transaction
        row = session.get_one(IntakeFile, intake_id)
        row.extraction, row.status = data, IntakeStatus.EXTRACTED
    return data


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


def _same_bytes(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_file(path) == sha256


def _is_inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder.resolve())


# --- assemble, check, register ---------------------------------------------------------------


def documents_of(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    return list(extraction.get("documents") or [])


def _nik_of(extraction: dict[str, Any]) -> str | None:
    for document in documents_of(extraction):
        fields = document.get("fields") or {}
        if document["document_type"] == "objection_form":
            nik = (fields.get("applicant") or {}).get("nik")
        elif document["document_type"] == "id_card":
            nik = fields.get("nik")
        else:
            continue
        if nik and NIK_PATTERN.fullmatch(str(nik)):  # a misread with 15 or 17 digits pairs nothing
            return str(nik)
    return None


def assemble(ctx: IntakeContext, intake_id: int) -> int:
    """Attach the file to its submission: same folder or e-mail, else a pending one by NIK."""
    window = timedelta(days=ctx.settings.intake.pairing_days)
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        if row.submission_id is not None:
            return row.submission_id
        nik = _nik_of(row.extraction or {})
        submission = session.scalars(
            select(Submission)
            .where(Submission.group_key == row.group_key)
            .where(Submission.status == SubmissionStatus.PENDING)
        ).first()
        if submission is None and nik:
            submission = _pending_partner(session, row, nik, utcnow() - window)
        if submission is None:
            submission = Submission(group_key=row.group_key, nik=nik)
            session.add(submission)
            session.flush()
        submission.nik = submission.nik or nik
        row.submission_id, row.status = submission.id, IntakeStatus.ASSEMBLED
        return submission.id


def _pending_partner(
    session: Session, row: IntakeFile, nik: str, since: datetime
) -> Submission | None:
    """The oldest pending submission with this NIK that lacks what this file brings.

    A form pairs with an ID card waiting alone and the other way round; two forms never pair.
    """
    pieces = {"objection_form", "id_card"}
    brings = _document_types([row]) & pieces
    candidates = session.scalars(
        select(Submission)
        .where(Submission.nik == nik)
        .where(Submission.status == SubmissionStatus.PENDING)
        .where(Submission.created_at >= since)
        .order_by(Submission.id)
    )
    for candidate in candidates:
        has = _document_types(submission_files(session, candidate.id)) & pieces
        if brings and not brings & has:
            return candidate
    return None


def _document_types(files: list[IntakeFile]) -> set[str]:
    return {d["document_type"] for row in files for d in documents_of(row.extraction or {})}


def submission_files(session: Session, submission_id: int) -> list[IntakeFile]:
    query = select(IntakeFile).where(IntakeFile.submission_id == submission_id)
    return list(session.scalars(query.order_by(IntakeFile.id)))


def completeness_problem(files: list[IntakeFile]) -> str | None:
    """SOP step 1: a form filled in completely, an ID card, and the two NIKs agree (Indonesian)."""
    documents = [doc for row in files for doc in documents_of(row.extraction or {})]
    forms = [d for d in documents if d["document_type"] == "objection_form"]
    cards = [d for d in documents if d["document_type"] == "id_card"]
    if not forms and not cards:
        return "Tidak ditemukan formulir keberatan maupun KTP dalam berkas ini."
    if not forms:
        return "Formulir keberatan belum ada (baru KTP yang diterima)."
    if not cards:
        return "Fotokopi/scan KTP pemohon belum ada."
    fields = forms[0].get("fields") or {}
    missing = [label for name, label in REQUIRED_FORM_FIELDS.items() if not _dotted(fields, name)]
    if missing:
        return "Kolom formulir kosong atau tidak terbaca: " + ", ".join(missing) + "."
    form_nik = _dotted(fields, "applicant.nik")
    card_niks = {(c.get("fields") or {}).get("nik") for c in cards}
    if None in card_niks:
        return "NIK pada KTP tidak terbaca; periksa dan cocokkan secara manual."
    if form_nik not in card_niks:
        shown = ", ".join(sorted(str(mask_nik(n)) for n in card_niks))
        return f"NIK pada formulir ({mask_nik(form_nik)}) berbeda dengan NIK pada KTP ({shown})."
    return None


def _dotted(fields: dict[str, Any], name: str) -> Any:
    value: Any = fields
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_and_register(ctx: IntakeContext, submission_id: int) -> Outcome:
    """Register the submission if complete (once, under the write lock), else keep it pending."""
    with write_session(ctx.sessions) as session:
        submission = session.get_one(Submission, submission_id)
        files = submission_files(session, submission_id)
        label = files[-1].source_path if files else str(submission_id)
        if submission.case_id is not None:
            case = session.get_one(Case, submission.case_id)
            return Outcome(label, "registered", case.number, None, files[-1].id)
        problem = completeness_problem(files)
        if problem is not None:
            submission.reason = problem
            return Outcome(label, "pending", None, problem, files[-1].id if files else None)
        case = _case_from_submission(files)
        received_at = min(row.received_at for row in files)
        register_case(session, ctx.settings, case, received_at, ACTOR)
        _flag_possible_duplicate(session, ctx, case)
        _attach_documents(session, case, files)
        start_workflow(session, ctx.settings, case)  # the desk officer's verification task
        submission.case_id, submission.status = case.id, SubmissionStatus.REGISTERED
        submission.reason = None
        number = case.number
    maybe_crash("register")
    return Outcome(label, "registered", number, None, files[-1].id)


def _case_from_submission(files: list[IntakeFile]) -> Case:
    documents = [doc for row in files for doc in documents_of(row.extraction or {})]
    form = next(d for d in documents if d["document_type"] == "objection_form")
    fields = form.get("fields") or {}
    applicant = fields.get("applicant") or {}
    proxy = fields.get("proxy") or {}
    case = Case(
        channel="email" if any(row.source == "mail" for row in files) else "scan",
        received_at=min(row.received_at for row in files),
        applicant_name=applicant.get("name") or "",
        applicant_nik=_valid_nik(applicant.get("nik")),
        applicant_address=applicant.get("address"),
        applicant_occupation=applicant.get("occupation"),
        applicant_phone=applicant.get("phone"),
        applicant_email=applicant.get("email"),
        proxy_name=proxy.get("name"),
        proxy_address=proxy.get("address"),
        proxy_phone=proxy.get("phone"),
        request_number=fields.get("request_number"),
        purpose=fields.get("purpose"),
        information_requested=fields.get("information_requested"),
        case_description=fields.get("case_description"),
        signed_place=fields.get("place"),
        signed_date=_parse_date(fields.get("date")),
    )
    case.reasons = fields.get("reasons") or []
    if clipped := fit_to_columns(case):
        log.warning("values longer than the register holds were clipped: %s", ", ".join(clipped))
    return case


def _valid_nik(value: Any) -> str | None:
    """The NIK as read when it has the form of one (sixteen digits), else none."""
    return value if isinstance(value, str) and NIK_PATTERN.fullmatch(value) else None


def _parse_date(value: Any) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _flag_possible_duplicate(session: Session, ctx: IntakeContext, case: Case) -> None:
    if not case.applicant_nik or not case.request_number:
        return
    since = utcnow() - timedelta(days=ctx.settings.intake.duplicate_days)
    earlier = session.scalars(
        select(Case)
        .where(Case.applicant_nik == case.applicant_nik)
        .where(Case.request_number == case.request_number)
        .where(Case.id != case.id)
        .where(Case.received_at >= since)
    ).first()
    if earlier is not None:
        case.possible_duplicate = True
        case.events.append(
            CaseEvent(
                actor=ACTOR,
                action="possible_duplicate",
                note=f"NIK dan nomor permohonan sama dengan {earlier.number}",
                data={"other": earlier.number},
            )
        )


def _attach_documents(session: Session, case: Case, files: list[IntakeFile]) -> None:
    for row in files:
        documents = documents_of(row.extraction or {})
        kinds = [d["document_type"] for d in documents] or ["other"]
        session.add(
            CaseDocument(
                case=case,
                kind=DocumentKind.ORIGINAL,
                document_type=kinds[0] if len(set(kinds)) == 1 else "bundle",
                role=_role_of(kinds),
                path=str(row.stored_path),
                sha256=row.sha256,
                media_type=_media_type(row.original_name),
                pages=sum(len(d.get("pages") or []) for d in documents) or None,
                fields={"documents": documents},
            )
        )
        case.events.append(
            CaseEvent(
                actor=ACTOR,
                action="document_received",
                note=row.original_name,
                data={"sha256": row.sha256, "source": row.source, "types": kinds},
            )
        )


def _role_of(kinds: list[str]) -> str:
    if "objection_form" in kinds:
        return "form"
    return "id_card" if "id_card" in kinds else "other"


def _media_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- receipt and finishing --------------------------------------------------------------------


def issue_receipt(ctx: IntakeContext, number: str) -> Path:
    """The receipt: a tanda terima page plus the numbered copy of the form, with the answer date."""
    from ppid.archive.bags import archive_case
    from ppid.casework.letters import render_receipt, store_output

    with ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        existing = next((d.path for d in case.documents if d.role == "receipt"), None)
    # rendering (a second or more) runs with no transaction open; the templates read only
    # the case's own columns, loaded above
    if existing is not None and (ctx.archive / existing).exists():
        # resumed after a crash between the receipt and the bag: the bag is still owed
        archive_case(ctx.settings, ctx.sessions, number)
        return ctx.archive / existing
    target = receipt_path(ctx.settings, case)
    render_receipt(ctx.settings, ctx.calendar, case, target)
    with write_session(ctx.sessions) as session:
        case = session.get_one(Case, case.id)
        if not any(d.role == "receipt" for d in case.documents):
            note = "Tanda terima pengajuan keberatan"
            store_output(session, ctx.archive, case, target, role="receipt", note=note, actor=ACTOR)
    maybe_crash("receipt")
    archive_case(ctx.settings, ctx.sessions, number)  # the case's BagIt bag (ppid/archive/bags.py)
    return target


def finish(ctx: IntakeContext, intake_id: int, path: Path) -> None:
    """Only now, with the original archived and the outcome committed, leave the inbox."""
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        if _is_inside(path, ctx.settings.inbox) and _same_bytes(path, row.sha256):
            path.unlink()
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


def pending_submissions(ctx: IntakeContext) -> list[dict[str, Any]]:
    """Submissions waiting for a missing piece, oldest first, with the plain reason.

    `since` is in office time with its offset ("2026-11-29T00:13:05+07:00"): the desk and
    `ppid pending` show its first 16 characters to a clerk, and a machine still reads it exactly.
    """
    with ctx.sessions() as session:
        query = select(Submission).where(Submission.status == SubmissionStatus.PENDING)
        rows = []
        for submission in session.scalars(query.order_by(Submission.id)):
            files = submission_files(session, submission.id)
            rows.append(
                {
                    "id": submission.id,
                    "since": submission.created_at.astimezone(ctx.calendar.tz).isoformat(),
                    "files": [row.original_name for row in files],
                    "nik": mask_nik(submission.nik),
                    "reason": submission.reason,
                }
            )
        return rows
