"""Intake steps: keep the original, extract, register a complete submission, issue its receipt.

Each step is a plain function over an `IntakeContext` and an id, idempotent and resumable (the
ledger records how far a file got). `flows/intake.py` only puts them in order; `Registration`
is the one order of the stages after a submission is complete, for the flow and the desk alike.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.extract import extract_file
from ppid.casework.letters import render_receipt, store_output
from ppid.casework.notices import queue_notice
from ppid.casework.register import register_case
from ppid.casework.workflow import start as start_workflow
from ppid.core.db import write_session
from ppid.core.files import sha256_file
from ppid.core.masking import NIK_PATTERN
from ppid.core.messages import history_note, quarantine_texts
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
from ppid.intake.ledger import (
    ACTOR,
    IntakeContext,
    Outcome,
    Quarantined,
    forget_claim,
    maybe_crash,
)
from ppid.intake.opened import ChangedWhileRead, InboxFile, opened
from ppid.intake.pairing import assemble, completeness_problem, documents_of, submission_files

log = logging.getLogger(__name__)

# --- store and extract ------------------------------------------------------------------------


def store_original(ctx: IntakeContext, intake_id: int, file: Path | InboxFile) -> Path:
    """Copy the file, untouched, into the archive's content store (fsynced) before anything else.

    The copy reads the descriptor the claim hashed (`InboxFile`), so what is kept is what was
    claimed; a file written to meanwhile is not kept, and its claim is dropped so the changed
    file is claimed anew (ChangedWhileRead, retried). The copy and its fsync happen outside any
    transaction: no snapshot or lock is held while the disk works, so another worker's commit
    meanwhile cannot fail the write that records it.
    """
    with ctx.sessions() as session:
        row = session.get_one(IntakeFile, intake_id)
        digest, stored_path = row.sha256, row.stored_path
        relative = stored_original(digest, row.original_name)
    target = ctx.archive / relative
    if stored_path and target.exists() and sha256_file(target) == digest:
        return target
    try:
        with opened(file, ctx.settings.inbox) as handle:
            if handle.copy_to(target) != digest:
                raise ChangedWhileRead(errno.EAGAIN, "the file changed since it was claimed")
    except ChangedWhileRead:
        target.unlink(missing_ok=True)
        forget_claim(ctx, intake_id)
        raise
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
        raise Quarantined(*quarantine_texts("quarantine.unreadable", problem=result.error))
    with write_session(ctx.sessions) as session:  # the OCR above ran outside any transaction
        row = session.get_one(IntakeFile, intake_id)
        row.extraction, row.status = data, IntakeStatus.EXTRACTED
    return data


def keep_extraction(ctx: IntakeContext, intake_id: int, extraction: dict[str, Any]) -> None:
    """Record what was read elsewhere (an e-mail's typed objection, a form filed on the public
    site, an upload read before it was taken), unless the file already has its reading."""
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        if row.extraction is None:
            row.extraction, row.status = extraction, IntakeStatus.EXTRACTED


def register_file(ctx: IntakeContext, intake_id: int) -> Outcome:
    """Attach an extracted file to its submission, then register that if it is now complete."""
    return check_and_register(ctx, assemble(ctx, intake_id))


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
        channel=_channel(files),
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


# The channel a case came by, from the source of its files ("inbox" and "cli" are scans).
CHANNEL_OF_SOURCE = {"mail": "email", "web": "web"}


def _channel(files: list[IntakeFile]) -> str:
    channels = {CHANNEL_OF_SOURCE.get(row.source) for row in files} - {None}
    return str(min(channels)) if channels else "scan"


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
                note=history_note("intake.possible_duplicate", number=earlier.number),
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
    """The receipt: a tanda terima page plus the numbered copy of the form, with the answer date.

    Issued once: a run resumed after a crash finds it filed and returns it. The case's archive
    is the next stage (`register_complete`), not part of this one.
    """
    with ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        existing = next((d.path for d in case.documents if d.role == "receipt"), None)
    # rendering (a second or more) runs with no transaction open; the templates read only
    # the case's own columns, loaded above
    if existing is not None and (ctx.archive / existing).exists():
        return ctx.archive / existing  # resumed after a crash: issued already
    target = receipt_path(ctx.settings, case)
    render_receipt(ctx.settings, ctx.calendar, case, target)
    with write_session(ctx.sessions) as session:
        case = session.get_one(Case, case.id)
        if not any(d.role == "receipt" for d in case.documents):
            note = history_note("intake.receipt")
            receipt = store_output(
                session, ctx.archive, case, target, role="receipt", note=note, actor=ACTOR
            )
            queue_notice(session, ctx.settings, case, receipt)  # e-mailed with the receipt
    maybe_crash("receipt")
    return target


# --- the stages after a complete submission -----------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """The stages that turn a complete submission into a registered case, in their one order:
    register it, issue its receipt, then archive the case.

    The intake flow runs them as its Prefect tasks (each a task run with its retries); the
    intake desk runs the plain functions (`ppid.archive.sequences.REGISTER_SUBMISSION`). The
    archive stage is handed in because `ppid.archive` is a layer above intake. `key` is what
    `register` takes: an intake file (the flow, which assembles it first) or a submission.
    """

    register: Callable[[IntakeContext, int], Outcome]
    issue_receipt: Callable[[IntakeContext, str], Path]
    archive: Callable[[Settings, Any, str], object]

    def run(self, ctx: IntakeContext, key: int) -> Outcome:
        outcome = self.register(ctx, key)
        if outcome.register_number:
            self.issue_receipt(ctx, outcome.register_number)
            self.archive(ctx.settings, ctx.sessions, outcome.register_number)
        return outcome
