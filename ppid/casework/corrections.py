"""Undoing a mistaken step: a new "correction" event that restores the case as it was before it.

Only the role that took the step, or the Atasan PPID, may correct it, and only with a note saying
why. Letters already issued stay in the case folder (they were sent or printed).
"""

from __future__ import annotations

from ppid.casework import dip
from ppid.casework.history import (
    StepContext,
    latest_uncorrected_step,
    plain,
    record,
    require_note,
    typed,
)
from ppid.casework.sop import CORRECTION, TRACKED_FIELDS
from ppid.casework.tasks import finish_task, open_task
from ppid.core.errors import BadInputError, ForbiddenError
from ppid.core.models import Case, CaseEvent
from ppid.core.vocabulary import ROLE_LABELS, Role, TaskStatus, step_label


def correct(ctx: StepContext) -> Case:
    """Undo the latest uncorrected step by a new event: status, fields and tasks as before it.

    Only the role that took the step, or the Atasan PPID, may correct it, and only with a note
    saying why. Letters already issued stay in the case folder (they were sent or printed).
    """
    case = ctx.case
    target = correction_target(ctx)
    now = {name: plain(getattr(case, name)) for name in TRACKED_FIELDS}
    for name, value in target.data["before"].items():
        setattr(case, name, typed(name, value))
    if target.data.get("step") == "fulfil" and target.decision == "available":
        dip.unlink_items(ctx.session, case)
    for task in case.tasks:
        if task.status == TaskStatus.OPEN:
            finish_task(task, ctx.at, ctx.actor, CORRECTION)
    open_task(ctx.session, ctx.settings, ctx.cal, case, str(target.data["step"]), ctx.today)
    record(ctx, CORRECTION, {"corrects": target.id, "step": target.data["step"], "before": now})
    ctx.session.flush()
    return case


def correction_target(ctx: StepContext) -> CaseEvent:
    """The step a correction undoes, once the role and the note allow it."""
    target = latest_uncorrected_step(ctx.case)
    if target is None:
        raise BadInputError("correction.nothing_to_undo", number=ctx.case.number)
    if ctx.role not in (Role(target.role), Role.ATASAN):
        step = str(target.data.get("step"))
        raise ForbiddenError(
            "correction.other_role",
            step=step,
            step_label=step_label(step),
            decision=target.decision,
            role_label=ROLE_LABELS[Role(target.role)],
        )
    require_note(ctx, "correction.needs_note")
    return target
