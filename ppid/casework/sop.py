"""The SOP after registration as data: its steps, who takes each, and where each decision leads.

A case moves Petugas (verify) → Bidang (examine) → Atasan (decide: order or dismiss) → Bidang
(fulfil from the DIP: available, exempt, not held) → Atasan (sign and send) → the signed paper
copy comes back (scanned into the inbox, or confirmed by a Petugas) → Petugas (close with the
applicant's reaction). `ppid.casework.workflow` takes the steps; this module only describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ppid.core.models import Case
from ppid.core.vocabulary import STEP_LABELS, CaseStatus, Role, TaskStatus

CORRECTION = "correction"
STEP_ACTION = "step"
VALUE_CORRECTED = "value_corrected"  # a misread value corrected (`ppid.casework.amendments`)
SYSTEM_ACTOR = "sistem"  # who completes a step from a scanned signed copy
SIGNED_STEP = "signed"


@dataclass(frozen=True)
class Step:
    """One SOP step: its role, the statuses it is taken in, and each decision's next status."""

    name: str
    role: Role
    decisions: dict[str, CaseStatus | None] = field(default_factory=dict)  # None: unchanged
    next_step: dict[str, str] = field(default_factory=dict)  # decision -> the step it opens

    @property
    def label(self) -> str:
        return STEP_LABELS[self.name]


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "verify",
            Role.PETUGAS,
            {"forward": CaseStatus.EXAMINING, "return": CaseStatus.CLOSED},
            {"forward": "examine"},
        ),
        Step(
            "examine",
            Role.BIDANG,
            {"recommend": CaseStatus.AWAITING_DECISION},
            {"recommend": "decide"},
        ),
        Step(
            "decide",
            Role.ATASAN,
            {"order": CaseStatus.ORDERED, "dismiss": CaseStatus.DISMISSED},
            {"order": "fulfil", "dismiss": "close"},
        ),
        Step(
            "fulfil",
            Role.BIDANG,
            {
                "available": CaseStatus.FULFILLING,
                "exempt": CaseStatus.FULFILLING,
                "not_held": CaseStatus.FULFILLING,
            },
            {"available": "sign", "exempt": "sign", "not_held": "sign"},
        ),
        Step(
            "sign",
            Role.ATASAN,
            {"send": None, "revise": CaseStatus.ORDERED},  # send: answered or rejected
            {"send": "close", "revise": "fulfil"},
        ),
        Step(
            SIGNED_STEP,
            Role.PETUGAS,
            {"signed": None},
            {"signed": "close"},
        ),
        Step(
            "close",
            Role.PETUGAS,
            {
                "accepted": CaseStatus.CLOSED,
                "dispute": CaseStatus.CLOSED,
                "no_response": CaseStatus.CLOSED,
            },
        ),
    )
}

STEP_OF_STATUS = {
    CaseStatus.REGISTERED: "verify",
    CaseStatus.EXAMINING: "examine",
    CaseStatus.AWAITING_DECISION: "decide",
    CaseStatus.ORDERED: "fulfil",
    CaseStatus.FULFILLING: "sign",
    CaseStatus.ANSWERED: "close",
    CaseStatus.REJECTED: "close",
    CaseStatus.DISMISSED: "close",
}

# Case fields a step may change; their old values go into the event so a correction restores them.
TRACKED_FIELDS = (
    "status",
    "decision",
    "decision_note",
    "answer_letter_number",
    "answered_on",
    "atasan_name",
    "atasan_position",
    "applicant_response",
    "remarks",
    "information_requested",
)
# Fields the Petugas may correct at verification (the extraction may have misread them).
CORRECTABLE_FIELDS = (
    "applicant_name",
    "applicant_nik",
    "applicant_address",
    "applicant_occupation",
    "applicant_phone",
    "applicant_email",
    "request_number",
    "purpose",
    "information_requested",
    "case_description",
)

# Decisions that cannot be taken without an internal note: the catalogue error that asks for it.
NOTE_NEEDED = {
    "recommend": "step.recommend_needs_findings",
    "revise": "step.revise_needs_note",
    "signed": "step.signed_needs_note",
}
# Decisions that print a text the person writes for the letter's reader (`data["letter_text"]`,
# never the internal note): the error when it is missing, or None when it may stay empty.
LETTER_TEXT: dict[str, str | None] = {
    "return": "step.return_needs_reason",  # why, in the return letter to the applicant
    "order": None,  # the instruction on the written order and the disposition sheet
    "dismiss": "step.dismiss_needs_reasons",  # the written reasons (Pasal 36(3)) in the answer
    "send": None,  # the considerations printed in the answer or the rejection
}
# Decisions shown for confirmation, with the letters they would issue, before they are taken:
# each issues a letter or closes the case (a closed case's archive is sealed).
CONFIRM_FIRST = ("return", "order", "dismiss", "send", "accepted", "dispute", "no_response")


def current_step(case: Case) -> Step | None:
    """The step the case waits for, or None when it is closed (or not yet registered).

    The status says it, except while an answered or rejected case waits for its signed copy.
    """
    if any(t.status == TaskStatus.OPEN and t.step == SIGNED_STEP for t in case.tasks):
        return STEPS[SIGNED_STEP]
    name = STEP_OF_STATUS.get(CaseStatus(case.status))
    return STEPS[name] if name else None


def step_of_decision(decision: str) -> str:
    """The step a decision belongs to ("forward" → "verify"); the decision itself if unknown."""
    decision = decision.strip().lower()
    if decision == CORRECTION:
        return CORRECTION
    return next((s.name for s in STEPS.values() if decision in s.decisions), decision)
