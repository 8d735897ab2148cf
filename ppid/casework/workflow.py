"""Taking the SOP's steps: who may take which step when, what each decision does, its letters.

Each step is one `advance` call: it checks the role and the order (`ppid.casework.sop`),
records an append-only `CaseEvent` (`ppid.casework.history`), closes the step's task and opens
the next one with its due date in working days (`ppid.casework.tasks`), and issues the letter
the step owes. A mistaken step is undone by a correction (`ppid.casework.corrections`), never
by editing history. `ppid.runtime.steps` runs a step as a Prefect flow run (flows/casework.py)
for the CLI and the web app; the flow calls `advance_number`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework import dip
from ppid.casework.amendments import amend
from ppid.casework.checks import allowed_step, exemption, fulfilment_items, step_problems
from ppid.casework.corrections import correct, correction_target
from ppid.casework.history import (
    StepContext,
    awaited_letter,
    last_step_event,
    latest_uncorrected_step,
    plain,
    record,
    require_letter_text,
    require_note,
    step_context,
    tanggal,
)
from ppid.casework.letters import issue_letter
from ppid.casework.notices import queue_for_step
from ppid.casework.register import get_case
from ppid.casework.sop import (
    CORRECTION,
    NOTE_NEEDED,
    SIGNED_STEP,
    STEP_ACTION,
    STEPS,
    SYSTEM_ACTOR,
    TRACKED_FIELDS,
    Step,
    current_step,
)
from ppid.casework.tasks import finish_task, open_task, task_due
from ppid.core.calendar import add_working_days, calendar_from_settings, next_working_moment
from ppid.core.db import write_session
from ppid.core.errors import BadInputError, PpidError
from ppid.core.messages import history_note
from ppid.core.models import Case, CaseDocument, Task
from ppid.core.settings import Settings
from ppid.core.vocabulary import (
    RESPONSE_LABELS,
    CaseStatus,
    DocumentKind,
    Role,
    TaskStatus,
)

log = logging.getLogger(__name__)


def start(session: Session, settings: Settings, case: Case) -> Task:
    """Open the first task (the Petugas' verification) of a registered case, if none is open."""
    already = next((t for t in case.tasks if t.status == TaskStatus.OPEN), None)
    if already is not None:
        return already
    cal = calendar_from_settings(settings)
    counted_from = next_working_moment(cal, case.received_at)
    since = max(counted_from, case.registered_at or counted_from).astimezone(cal.tz).date()
    return open_task(session, settings, cal, case, "verify", since)


def advance(
    session: Session,
    settings: Settings,
    case: Case,
    role: Role | str,
    actor: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    flow_run: dict[str, str] | None = None,
) -> Case:
    """Take the case's current step as `role` with `decision`; the caller commits.

    Raises ForbiddenError when the step belongs to another role or the decision belongs to
    another step (out of order), BadInputError when the decision lacks what it needs.
    `decision="correction"` undoes the latest step (see `correct`). `flow_run` (id, name) is
    kept in the history event so the case links to its Prefect flow run.
    """
    ctx = step_context(session, settings, case, role, actor, decision, note, data, at)
    ctx.flow_run = flow_run
    if ctx.decision == CORRECTION:
        return correct(ctx)
    step = allowed_step(ctx)
    before = {name: plain(getattr(case, name)) for name in TRACKED_FIELDS}
    HANDLERS[step.name](ctx)
    if (status := step.decisions[ctx.decision]) is not None:
        case.status = status
    _close_tasks(ctx, step.name)
    if (next_name := _next_step(ctx, step)) is not None:
        open_task(session, settings, ctx.cal, case, next_name, ctx.today)
    record(ctx, STEP_ACTION, {"step": step.name, "before": before, **ctx.event_data})
    session.flush()
    queue_for_step(session, settings, case, step.name, ctx.event_data, next_name, case.events[-1])
    log.info("case %s: %s %s by %s → %s", case.number, step.name, ctx.decision, actor, case.status)
    return case


def _next_step(ctx: StepContext, step: Step) -> str | None:
    """The step the decision opens; a letter the Atasan signed first waits for its signed copy."""
    name = step.next_step.get(ctx.decision)
    awaiting = ctx.event_data.get("awaits_signature")
    if name == "close" and awaiting and ctx.settings.workflow.wait_for_signed_copy:
        return SIGNED_STEP
    return name


def check_step(
    session: Session,
    settings: Settings,
    case: Case,
    role: Role | str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Refuse a step that cannot be taken, before any work: the first of `problems_of_step`.
    Returns the step's name. Changes nothing.

    `ppid.runtime.steps` calls this so a person gets a plain error at once rather than a failed flow
    run; `advance` checks the same (and more) again when the step runs.
    """
    name, problems = _review(session, settings, case, role, decision, note, data)
    if problems:
        raise problems[0]
    return name


def problems_of_step(
    session: Session,
    settings: Settings,
    case: Case,
    role: Role | str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> list[PpidError]:
    """Every problem of a decision, for a form that shows each beside its field. Changes nothing."""
    return _review(session, settings, case, role, decision, note, data)[1]


def _review(
    session: Session,
    settings: Settings,
    case: Case,
    role: Role | str,
    decision: str,
    note: str | None,
    data: dict[str, Any] | None,
) -> tuple[str, list[PpidError]]:
    """The one rule set of both checks: the step a decision takes and what stands in its way —
    wrong role or out of order (alone, first), else each value it lacks (note, letter text, DIP
    item, ground, consequence test); a correction, its target."""
    ctx = step_context(session, settings, case, role, "pemeriksa", decision, note, data, None)
    try:
        if ctx.decision == CORRECTION:
            correction_target(ctx)
            return CORRECTION, []
        step = allowed_step(ctx)
    except PpidError as error:
        return "", [error]
    return step.name, step_problems(ctx)


def advance_number(
    sessions: Any,
    settings: Settings,
    number: str,
    role: Role | str,
    actor: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    flow_run: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`advance` in its own write transaction, by register number (the CLI's and flows' entry)."""
    with write_session(sessions) as session:  # letter numbers are allocated: lock first
        case = get_case(session, number)
        advance(
            session, settings, case, role, actor, decision, note, data, at=at, flow_run=flow_run
        )
        return case_result(case)


def case_result(case: Case) -> dict[str, Any]:
    """Where a case stands after a step: status, letters, open tasks, the last step's flow run."""
    last = latest_uncorrected_step(case)
    return {
        "number": case.number,
        "status": str(case.status),
        "status_label": case.status_label,
        "decision": case.decision,
        "letters": [d.path for d in case.documents if d.kind == "output"],
        "open_tasks": [
            {"role": str(t.role), "step": t.step, "due": t.due.isoformat() if t.due else None}
            for t in case.tasks
            if t.status == TaskStatus.OPEN
        ],
        "flow_run": (last.data or {}).get("flow_run") if last is not None else None,
    }


# --- the steps ---------------------------------------------------------------------------------


def _verify(ctx: StepContext) -> None:
    if ctx.decision == "return":
        reason = require_letter_text(ctx, "step.return_needs_reason")
        ctx.case.decision, ctx.case.remarks = "returned", reason
        document = _letter(ctx, "pengembalian", {"letter_text": reason})
        ctx.session.flush()  # its id, for the notice that carries it to the applicant
        ctx.event_data["sends"] = document.id
        return
    corrections = ctx.data.get("corrections") or {}
    if corrections:  # values misread at intake, corrected with the verification
        reason = ctx.note or history_note("amend.at_verification")
        done = amend(
            ctx.session,
            ctx.settings,
            ctx.cal,
            ctx.case,
            role=ctx.role,
            actor=ctx.actor,
            reason=reason,
            values=corrections,
            at=ctx.at,
            unchanged_ok=True,
        )
        ctx.event_data["corrected"] = len(done.changes) if done else 0


def _examine(ctx: StepContext) -> None:
    ctx.case.decision_note = require_note(ctx, NOTE_NEEDED["recommend"])
    if info := ctx.data.get("information_requested"):
        ctx.case.information_requested = info


def _decide(ctx: StepContext) -> None:
    settings, case = ctx.settings, ctx.case
    case.atasan_name = settings.office.atasan_name
    case.atasan_position = settings.office.atasan_position
    if ctx.decision == "order":
        due = task_due(settings, ctx.cal, case, "fulfil", ctx.today)
        extra = {"instruction": ctx.letter_text or "", "fulfil_due": tanggal(due)}
        order = _letter(ctx, "perintah", extra)
        examined = last_step_event(case, "examine")
        extra["recommendation"] = (examined.note if examined else case.decision_note) or ""
        extra["order_number"] = order.fields["letter_number"]
        _letter(ctx, "disposisi", extra)  # the Atasan's instruction to the Bidang
        return
    reasons = require_letter_text(ctx, "step.dismiss_needs_reasons")
    case.decision, case.decision_note = "dismissed", reasons
    _send_answer(ctx, "tanggapan", {"upheld": True, "reasons_text": reasons, "items": []})


def _fulfil(ctx: StepContext) -> None:
    items = fulfilment_items(ctx)
    ctx.case.decision = {"available": "released"}.get(ctx.decision, ctx.decision)
    ctx.case.decision_note = ctx.note
    if ctx.decision == "available":
        dip.link_items(ctx.session, ctx.case, items)
    elif ctx.decision == "exempt":
        letter, consequence = exemption(ctx, items)
        ctx.event_data.update(pasal17=letter, consequence=consequence)
    ctx.event_data["dip_items"] = [item.id for item in items]


def _sign(ctx: StepContext) -> None:
    if ctx.decision == "revise":
        require_note(ctx, NOTE_NEEDED["revise"])
        return
    fulfilment = last_step_event(ctx.case, "fulfil")
    found = fulfilment.data if fulfilment else {}
    if ctx.case.decision == "released":
        release_by = add_working_days(
            ctx.cal, ctx.today, ctx.settings.workflow.release_working_days
        )
        extra = {
            "upheld": False,
            "reasons_text": ctx.letter_text or "",
            "items": dip.items_given(ctx.session, ctx.case),
            "release_by": tanggal(release_by),
        }
        _send_answer(ctx, "tanggapan", extra)
        ctx.case.status = CaseStatus.ANSWERED
        return
    letter = found.get("pasal17")
    extra = {
        "ground": "exempt" if ctx.case.decision == "exempt" else "not_held",
        "pasal17": letter,
        "pasal17_text": dip.PASAL17_TEXTS.get(letter or "", ""),
        "consequence": found.get("consequence") or "",
        "reasons_text": ctx.letter_text or "",
    }
    _send_answer(ctx, "penolakan", extra)
    ctx.case.status = CaseStatus.REJECTED


def _signed(ctx: StepContext) -> None:
    """The signed paper copy is back: from a scan found by its QR code, or confirmed by hand."""
    awaited = awaited_letter(ctx.case)
    scan_id = ctx.data.get("signed_document")
    if scan_id is None:
        require_note(ctx, NOTE_NEEDED["signed"])
        ctx.event_data.update(manual=True, signs=awaited)
        return
    scan = next((d for d in ctx.case.documents if d.id == int(scan_id)), None)
    if scan is None or scan.kind != DocumentKind.SIGNED:
        raise BadInputError("step.not_signed_copy", document=scan_id, number=ctx.case.number)
    ctx.event_data.update(
        manual=False,
        signs=awaited,
        signed_document=scan.id,
        source_file=ctx.data.get("source_file") or scan.path,
    )


def _close(ctx: StepContext) -> None:
    ctx.case.applicant_response = RESPONSE_LABELS[ctx.decision]
    if ctx.note:
        ctx.case.remarks = ctx.note


HANDLERS = {
    "verify": _verify,
    "examine": _examine,
    "decide": _decide,
    "fulfil": _fulfil,
    "sign": _sign,
    SIGNED_STEP: _signed,
    "close": _close,
}


def complete_signature(
    session: Session, settings: Settings, case: Case, scan: CaseDocument, source_file: str
) -> bool:
    """A signed copy came back through the inbox: finish the step that waits for it, if any.

    Only the letter the case waits for counts (a signed receipt is filed, nothing more). Runs in
    the caller's transaction; the event's actor is the system and it names the scanned file.
    """
    if current_step(case) is not STEPS[SIGNED_STEP]:
        return False
    awaited = awaited_letter(case)
    signs = (scan.fields or {}).get("signs")
    if awaited is not None and signs != awaited:
        return False
    note = history_note("signed.from_scan", source=source_file)
    data = {"signed_document": scan.id, "source_file": source_file}
    advance(session, settings, case, Role.PETUGAS, SYSTEM_ACTOR, "signed", note, data)
    return True


def _send_answer(ctx: StepContext, kind: str, extra: dict[str, Any]) -> None:
    """The Atasan's letter to the applicant: number and date go into the register row."""
    case, settings = ctx.case, ctx.settings
    case.atasan_name = settings.office.atasan_name
    case.atasan_position = settings.office.atasan_position
    dispute_by = add_working_days(ctx.cal, ctx.today, settings.dispute_window_working_days)
    document = _letter(ctx, kind, {**extra, "dispute_by": tanggal(dispute_by)})
    case.answer_letter_number = document.fields["letter_number"]
    case.answered_on = ctx.today
    ctx.session.flush()  # the letter's id: the signed copy scanned back names it in its QR code
    ctx.event_data["awaits_signature"] = document.id


def _letter(ctx: StepContext, kind: str, extra: dict[str, Any]) -> Any:
    document = issue_letter(
        ctx.session,
        ctx.settings,
        ctx.cal,
        ctx.case,
        kind,
        on=ctx.today,
        actor=ctx.actor,
        extra={"on_time": _on_time(ctx), **extra},
    )
    ctx.event_data.setdefault("letters", []).append(document.fields["letter_number"])
    return document


def _on_time(ctx: StepContext) -> bool:
    return ctx.case.answer_due is None or ctx.today <= ctx.case.answer_due


# --- corrections -------------------------------------------------------------------------------


def _close_tasks(ctx: StepContext, step: str) -> None:
    for task in ctx.case.tasks:
        if task.status == TaskStatus.OPEN and task.step == step:
            finish_task(task, ctx.at, ctx.actor, ctx.decision)


# --- the stages of one step ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseStep:
    """The stages of one SOP step on one case, in their one order: take the step (one write
    transaction, `advance_number`), then bring the case's archive up to date.

    The advance-case flow runs them as its Prefect tasks; the CLI and the web app, while
    Prefect is not running, as the plain functions (`ppid.archive.sequences.DIRECT_STEP`).
    The archive stage is handed in because `ppid.archive` is a layer above casework.
    """

    take: Callable[..., dict[str, Any]]
    archive: Callable[[Settings, Any, str], object]

    def run(self, settings: Settings, sessions: Any, parameters: dict[str, Any]) -> dict[str, Any]:
        result = self.take(sessions, settings, **parameters)
        self.archive(settings, sessions, str(result["number"]))
        return result
