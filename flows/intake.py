"""Intake flows: one run per file, from the inbox to a registered and archived case; a sweep for
the rest.

Orchestration only: every step is a function of `ppid.intake`, callable and tested without
Prefect; the stages after a complete submission run in the one order `ppid.intake.steps.
Registration` gives them (register, receipt, archive). Retries cover transient faults (database
locked, disk briefly full); a file that cannot be processed goes to quarantine with a note,
never silently away.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pypdf import PdfReader
from sqlalchemy.exc import OperationalError

from flows.archive import archive_case, archive_pending
from parsers.scan import page_threads
from ppid.archive.hardcopy import file_by_qr
from ppid.core.messages import quarantine_texts
from ppid.core.settings import Settings, load_settings
from ppid.intake import ledger, steps
from ppid.intake.inbox import iter_inbox
from ppid.intake.ledger import IntakeContext, Outcome, Quarantined
from ppid.intake.opened import InboxFile, NotAFile
from ppid.intake.settling import is_stable, writer_holds
from ppid.intake.steps import Registration
from ppid.runtime.worker import ocr_slot, ocr_slots

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY = {"retries": 3, "retry_delay_seconds": [1, 4, 15], "cache_policy": NO_CACHE}


# What may pass by itself: a locked database, a full or busy disk.
TRANSIENT = (OperationalError, OSError)


def _is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may pass by itself (`TRANSIENT`)."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:
        return False
    return False


@task(**RETRY, retry_condition_fn=_is_transient)
def take(
    ctx: IntakeContext, file: InboxFile, group_key: str | None, source: str
) -> tuple[int, str, Path | None]:
    """Claim the file by its content hash (exactly once across workers) and keep the original,
    untouched and fsynced, in the archive, both through the one descriptor it was opened with;
    a file another run holds, or has taken, is left."""
    intake_id, state = ledger.claim(ctx, file, group_key=group_key, source=source)
    if state in ("busy", "duplicate"):
        return intake_id, state, None
    return intake_id, state, steps.store_original(ctx, intake_id, file)


@task(**RETRY, retry_condition_fn=_is_transient)
def extract(ctx: IntakeContext, intake_id: int, stored: Path) -> Outcome | None:
    """Read forms and ID cards from the archived copy, within this machine's OCR capacity.

    Each page holds one of the machine's OCR slots while it is read, and a file reads as many
    pages at once as the machine has slots: alone, a bundle's pages share the cores; beside
    other files, the pages of all of them queue for the same slots, so many files at once never
    run more OCR than the machine has cores, and a slot freed by a short page goes to the next
    page waiting, whichever file it belongs to. A retry (database locked longer than the busy
    timeout) reads the file again: the result is committed only at the end.
    """
    if _is_fillable_form(stored, ctx.settings.limits.max_file_mb):  # values read, no OCR
        steps.extract(ctx, intake_id)
    else:  # no more threads than the file has pages: `read_scanned_pages` counts them
        with page_threads(ocr_slots(ctx.settings), slot=lambda: ocr_slot(ctx.settings)):
            steps.extract(ctx, intake_id)
    return file_by_qr(ctx, intake_id)


@task(**RETRY, retry_condition_fn=_is_transient)
def record_duplicate(ctx: IntakeContext, intake_id: int, file: InboxFile) -> Outcome:
    """The same bytes again: a note on the first submission's case."""
    return ledger.record_duplicate(ctx, intake_id, file)


@task(**RETRY, retry_condition_fn=_is_transient)
def quarantine(
    ctx: IntakeContext, intake_id: int | None, path: Path, error: Quarantined
) -> Outcome:
    """Set the file aside with its note."""
    return ledger.mark_quarantined(ctx, intake_id, path, error)


@task(**RETRY, retry_condition_fn=_is_transient)
def register(ctx: IntakeContext, intake_id: int) -> Outcome:
    """Attach the file to its submission (same file, folder, e-mail, or NIK), then SOP steps
    1–2: completeness, register number, deadline, the desk officer's first task."""
    return steps.register_file(ctx, intake_id)


@task(**RETRY, retry_condition_fn=_is_transient)
def issue_receipt(ctx: IntakeContext, number: str) -> Path:
    """Render the receipt and the numbered copy of the form."""
    return steps.issue_receipt(ctx, number)


@task(**RETRY, retry_condition_fn=_is_transient)
def finish(ctx: IntakeContext, intake_id: int, file: InboxFile) -> None:
    """Remove the file from the inbox, now that everything is committed."""
    ledger.finish(ctx, intake_id, file)


# The stages after a complete submission, as this flow's tasks (the order is Registration's).
REGISTRATION = Registration(register=register, issue_receipt=issue_receipt, archive=archive_case)


def _run_name() -> str:
    return Path(str(flow_run.parameters.get("path", "file"))).name


@flow(name="process-file", flow_run_name=_run_name, log_prints=False)
def process_file(path: str, group_key: str | None = None, source: str = "inbox") -> dict[str, Any]:
    """One file: claim → keep original → extract → assemble → register → receipt → archive →
    done (a scanned copy filed by its QR code: → archive → done).

    Six tasks carry these steps (take, extract, register, issue_receipt, archive_case, finish),
    not one each: every task costs the Prefect server three state events to record, and the
    three folded in (claim and copy, the QR check, assembling) take a hundredth of a second
    each (docs/design.md). Files of one e-mail (source "mail") share a `group_key`, so they
    form one submission.
    """
    ctx = _context(load_settings())
    try:  # opened once, never through a link; everything below reads this descriptor
        file = InboxFile.open(Path(path), ctx.settings.inbox)
    except NotAFile as refusal:  # a link, a FIFO, …: set aside where a clerk sees it, never read
        return ledger.set_aside(ctx, refusal).to_json()
    except FileNotFoundError:
        return Outcome(path, "skipped", reason="gone meanwhile").to_json()
    with file:
        return _process(ctx, file, group_key, source)


def _process(
    ctx: IntakeContext, file: InboxFile, group_key: str | None, source: str
) -> dict[str, Any]:
    path = str(file.path)
    if writer_holds(file.descriptor):  # announced or listed, but its writer reopened it
        return Outcome(path, "busy", reason="still open for writing; taken once closed").to_json()
    intake_id: int | None = None
    try:
        intake_id, state, stored = take(ctx, file, group_key, source)
        if state == "busy":
            return Outcome(path, "busy", intake_id=intake_id).to_json()
        if state == "duplicate":
            return record_duplicate(ctx, intake_id, file).to_json()
        assert stored is not None
        if (filed := extract(ctx, intake_id, stored)) is not None:  # signed copy, separator
            archive_case(ctx.settings, ctx.sessions, filed.number)
            finish(ctx, intake_id, file)
            return {**filed.to_json(), "file": path}
        outcome = REGISTRATION.run(ctx, intake_id)
        outcome.file = path
        if outcome.register_number:
            _rename_run(f"{file.path.name} → {outcome.register_number}")
        finish(ctx, intake_id, file)
        return outcome.to_json()
    except Quarantined as error:
        try:
            return quarantine(ctx, intake_id, file.path, error).to_json()
        except Exception as failure:
            return _after_failure(ctx, intake_id, file.path, failure).to_json()
    except Exception as error:
        return _after_failure(ctx, intake_id, file.path, error).to_json()


_CONTEXTS: dict[str, IntakeContext] = {}


def _context(settings: Settings) -> IntakeContext:
    """One context (database engine, calendar) per settings in a long-lived worker process."""
    key = settings.model_dump_json()
    if key not in _CONTEXTS:
        _CONTEXTS[key] = IntakeContext.open(settings)
    return _CONTEXTS[key]


def _is_fillable_form(path: Path, max_mb: float) -> bool:
    """A PDF with form fields: its values are read, never OCR'd (a cheap look, no decoding)."""
    try:
        if path.stat().st_size > max_mb * 1024 * 1024:
            return False  # refused by the extraction's limits anyway
        with path.open("rb") as head:
            if head.read(5) != b"%PDF-":
                return False
        return "/AcroForm" in PdfReader(path, strict=False).trailer["/Root"]
    except Exception:  # extraction itself reports what is wrong with the file
        return False


def _after_failure(
    ctx: IntakeContext, intake_id: int | None, source: Path, error: Exception
) -> Outcome:
    """Retries are spent: leave the file for the next sweep, or quarantine it after many tries.

    Left for later, the file's ledger row says why and its lease is released, so the next
    sweep (or the file's next event) resumes it instead of waiting out the lease.
    """
    log.exception("intake of %s failed", source)
    try:
        attempts = ledger.attempts_of(ctx, intake_id)
    except TRANSIENT:  # the database is still unreachable: the sweep will see to it
        return Outcome(str(source), "retry-later", reason=str(error), intake_id=intake_id)
    if attempts >= MAX_ATTEMPTS or not isinstance(error, TRANSIENT):
        reason = f"{type(error).__name__}: {error}"
        return ledger.mark_quarantined(
            ctx,
            intake_id,
            source,
            Quarantined(*quarantine_texts("quarantine.failed", problem=reason)),
        )
    reason = f"{type(error).__name__}: {error}"
    try:
        ledger.release_for_retry(ctx, intake_id, reason)
    except TRANSIENT:
        log.warning(
            "could not record the retry of %s on its ledger row; the lease runs out", source
        )
    return Outcome(str(source), "retry-later", reason=reason, intake_id=intake_id)


def _rename_run(name: str) -> None:
    """Name the flow run after the register number once it is known."""
    run_id = flow_run.get_id()
    if not run_id:
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, name=name)


@flow(name="sweep-inbox", log_prints=False)
def sweep_inbox(paths: list[str] | None = None) -> list[dict[str, Any]]:
    """Process every stable inbox file (or the given paths): catches what the watcher missed;
    then archive every case whose archive stage did not run (a crash between the two)."""
    settings = load_settings()
    outcomes = []
    for path, group_key in candidates(settings.inbox, paths, settings.intake.stable_seconds):
        outcomes.append(process_file(str(path), group_key))
    archive_pending(settings, _context(settings).sessions)
    return outcomes


def candidates(
    inbox: Path | None, paths: list[str] | None, stable_seconds: float
) -> list[tuple[Path, str | None]]:
    """Files to process: given paths (folders expand, one submission each) or the stable inbox."""
    if not paths:
        assert inbox is not None
        return [(p, None) for p in iter_inbox(inbox) if is_stable(p, stable_seconds)]
    found: list[tuple[Path, str | None]] = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            inside = iter_inbox(path)
            found.extend((p, None if _under(p, inbox) else f"folder:{path}") for p in inside)
        else:
            found.append((path, None))
    return found


def _under(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder.resolve())
