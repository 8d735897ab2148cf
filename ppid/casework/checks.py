"""What a step needs before it is taken: the right role, its turn, and every value it asks for.

`step_problems` lists every problem of a decision at once (a missing note, letter text, DIP item,
Pasal 17 ground or consequence test), so a form can show each beside its field and keep what was
typed; `allowed_step` refuses another role's step or one out of order. The workflow checks the
same again when it takes the step (`ppid.casework.workflow.advance`).
"""

from __future__ import annotations

from ppid.casework import dip
from ppid.casework.history import StepContext
from ppid.casework.sop import CORRECTION, LETTER_TEXT, NOTE_NEEDED, STEPS, Step, current_step
from ppid.core.errors import BadInputError, ForbiddenError, PpidError
from ppid.core.messages import DECISION_TEXTS
from ppid.core.models import DipItem
from ppid.core.vocabulary import ROLE_LABELS, STATUS_LABELS, CaseStatus


def allowed_step(ctx: StepContext) -> Step:
    """The case's open step, if `ctx.decision` belongs to it and `ctx.role` takes it."""
    step = current_step(ctx.case)
    number, status = ctx.case.number, CaseStatus(ctx.case.status)
    if step is None:
        label = STATUS_LABELS[status]
        raise ForbiddenError("step.none_open", number=number, status=status, status_label=label)
    owner = next((s for s in STEPS.values() if ctx.decision in s.decisions), None)
    if owner is None:
        known = sorted({d for s in STEPS.values() for d in s.decisions} | {CORRECTION})
        raise BadInputError("step.unknown_decision", decision=ctx.decision, known=known)
    if ctx.role != step.role:
        raise ForbiddenError(
            "step.other_role",
            number=number,
            step_label=step.label,
            role=step.role.value,
            role_label=ROLE_LABELS[step.role],
            acting=ctx.role.value,
            acting_label=ROLE_LABELS[ctx.role],
        )
    if owner.name != step.name:
        raise ForbiddenError(
            "step.out_of_order",
            decision=ctx.decision,
            decision_label=DECISION_TEXTS.get(ctx.decision, ctx.decision),
            owner_label=owner.label,
            number=number,
            step_label=step.label,
            status=STATUS_LABELS[status],
            decisions=list(step.decisions),
        )
    return step


def step_problems(ctx: StepContext) -> list[PpidError]:
    """Every value the decision lacks, each an error naming its field; empty when it can go."""
    problems: list[PpidError] = []
    from_scan = ctx.decision == "signed" and ctx.data.get("signed_document")
    if (code := NOTE_NEEDED.get(ctx.decision)) and not ctx.note and not from_scan:
        problems.append(BadInputError(code))
    if (code := LETTER_TEXT.get(ctx.decision)) and not ctx.letter_text:
        problems.append(BadInputError(code))
    items: list[DipItem] = []
    try:
        items = fulfilment_items(ctx)
    except PpidError as error:
        problems.append(error)
    if ctx.decision == "exempt":
        problems += exemption_problems(ctx, items)
    return problems


def fulfilment_items(ctx: StepContext) -> list[DipItem]:
    """The DIP items a fulfilment names; for "available" at least one, none of them exempt."""
    ids = [int(i) for i in ctx.data.get("dip_items") or []]
    items = dip.get_items(ctx.session, ids) if ids else []
    if ctx.decision == "available":
        if not items:
            raise BadInputError("step.needs_dip_items")
        if exempt := [item.title for item in items if item.exempt]:
            raise BadInputError("step.dip_items_exempt", titles=exempt)
    return items


def exemption(ctx: StepContext, items: list[DipItem]) -> tuple[str, str]:
    """The Pasal 17 letter and the consequence test of an "exempt" fulfilment."""
    if problems := exemption_problems(ctx, items):
        raise problems[0]
    return _ground(ctx, items), str(ctx.data["consequence"]).strip()


def exemption_problems(ctx: StepContext, items: list[DipItem]) -> list[PpidError]:
    """What an "exempt" fulfilment lacks: a Pasal 17 ground (a–j), the consequence test."""
    problems: list[PpidError] = []
    if _ground(ctx, items) not in tuple(dip.PASAL17_LETTERS):
        problems.append(BadInputError("step.exempt_needs_ground"))
    if not str(ctx.data.get("consequence") or "").strip():
        problems.append(BadInputError("step.exempt_needs_consequence"))
    return problems


def _ground(ctx: StepContext, items: list[DipItem]) -> str:
    """The ground chosen, else the one an exempt DIP item names."""
    letter = ctx.data.get("pasal17") or next((i.pasal17 for i in items if i.exempt), "")
    return str(letter or "").strip().lower()
