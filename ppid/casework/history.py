"""A case's history as the steps read and write it: one step's context, its event, the latest step.

History is append-only: a step records a `CaseEvent` with the fields it changed (their values
before), and a correction is a new event that restores them (`ppid.casework.corrections`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework.sop import CORRECTION, STEP_ACTION, VALUE_CORRECTED
from ppid.core.calendar import WorkCalendar, calendar_from_settings, format_tanggal
from ppid.core.errors import BadInputError
from ppid.core.models import Case, CaseEvent, utcnow
from ppid.core.settings import Settings
from ppid.core.vocabulary import CaseStatus, Role, parse_role


@dataclass
class StepContext:
    """One `advance` call: who acts, on which case, when, and what they decided."""

    session: Session
    settings: Settings
    cal: WorkCalendar
    case: Case
    role: Role
    actor: str
    decision: str
    note: str | None
    data: dict[str, Any]
    at: datetime
    event_data: dict[str, Any] = field(default_factory=dict)
    flow_run: dict[str, str] | None = None  # the Prefect flow run that took the step, if any

    @property
    def today(self) -> date:
        return self.at.astimezone(self.cal.tz).date()

    @property
    def letter_text(self) -> str | None:
        """What the person wrote to be printed in the step's letter (never the internal note)."""
        return str(self.data.get("letter_text") or "").strip() or None


def step_context(
    session: Session,
    settings: Settings,
    case: Case,
    role: Role | str,
    actor: str,
    decision: str,
    note: str | None,
    data: dict[str, Any] | None,
    at: datetime | None,
) -> StepContext:
    return StepContext(
        session=session,
        settings=settings,
        cal=calendar_from_settings(settings),
        case=case,
        role=parse_role(role),
        actor=actor.strip() or "tanpa-nama",
        decision=decision.strip().lower(),
        note=(note or "").strip() or None,
        data=dict(data or {}),
        at=at or utcnow(),
    )


def require_note(ctx: StepContext, code: str) -> str:
    """The step's note, or the error `code` (from the message catalogue) that asks for it."""
    if not ctx.note:
        raise BadInputError(code)
    return ctx.note


def require_letter_text(ctx: StepContext, code: str) -> str:
    """The text to print in the step's letter, or the error `code` that asks for it."""
    if not ctx.letter_text:
        raise BadInputError(code)
    return ctx.letter_text


def record(ctx: StepContext, action: str, data: dict[str, Any]) -> None:
    if ctx.flow_run:
        data = {**data, "flow_run": ctx.flow_run}
    if ctx.letter_text:
        data = {**data, "letter_text": ctx.letter_text}
    ctx.case.events.append(
        CaseEvent(
            at=ctx.at,
            actor=ctx.actor,
            role=ctx.role.value,
            action=action,
            decision=ctx.decision,
            note=ctx.note,
            data=data,
        )
    )


def latest_uncorrected_step(case: Case) -> CaseEvent | None:
    corrected = {e.data.get("corrects") for e in case.events if e.action == CORRECTION}
    steps = [e for e in case.events if e.action == STEP_ACTION and e.id not in corrected]
    return steps[-1] if steps else None


def last_step_event(case: Case, step: str) -> CaseEvent | None:
    corrected = {e.data.get("corrects") for e in case.events if e.action == CORRECTION}
    found = [
        e
        for e in case.events
        if e.action == STEP_ACTION and e.data.get("step") == step and e.id not in corrected
    ]
    return found[-1] if found else None


def awaited_letter(case: Case) -> int | None:
    """The id of the letter whose signed copy the case waits for: named by the sending step,
    or by a correction that issued that letter again."""
    for event in reversed(case.events):
        if event.action in (STEP_ACTION, VALUE_CORRECTED) and (event.data or {}).get(
            "awaits_signature"
        ):
            return int(event.data["awaits_signature"])
    return None


def history(case: Case) -> list[CaseEvent]:
    """The case's events in order (append-only; corrections are events too)."""
    return list(case.events)


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def typed(name: str, value: Any) -> Any:
    if name == "answered_on" and isinstance(value, str):
        return date.fromisoformat(value)
    if name == "status" and value is not None:
        return CaseStatus(value)
    return value


def tanggal(day: date) -> str:
    return format_tanggal(day)
