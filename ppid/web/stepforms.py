"""The step forms of the case page: what a person types for a decision, what the decider needs to
see beside it, and the errors of a refused attempt shown beside their fields with the input kept.

`StepInput` is one submitted step form (read from the POST, carried through the confirmation
page as hidden fields); `step_forms` describes each open step the user's role may take.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ppid.casework import dip
from ppid.casework.history import last_step_event
from ppid.casework.sop import LETTER_TEXT, NOTE_NEEDED, STEPS
from ppid.core.calendar import format_tanggal
from ppid.core.errors import PpidError
from ppid.core.messages import (
    DECISION_TEXTS,
    LETTER_TEXT_HINTS,
    NOTE_HINTS,
    field_label,
    page_words,
)
from ppid.core.models import Case, User
from ppid.core.vocabulary import DECISION_LABELS, REASON_TEXTS, TaskStatus, step_label

log = logging.getLogger(__name__)

DIP_SHOWN = 50  # items listed at once; the search narrows the rest


@dataclass
class StepInput:
    """One submitted step form."""

    task: str = ""
    decision: str = ""
    note: str = ""
    letter_text: str = ""
    information_requested: str = ""
    pasal17: str = ""
    consequence: str = ""
    dip_items: list[int] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData) -> StepInput:
        def text(name: str) -> str:
            return str(form.get(name, "")).strip()

        items = [int(v) for v in form.getlist("dip_item") if str(v).isdigit()]
        return cls(
            task=text("tugas"),
            decision=text("decision").lower(),
            note=text("note"),
            letter_text=text("letter_text"),
            information_requested=text("information_requested"),
            pasal17=text("pasal17").lower(),
            consequence=text("consequence"),
            dip_items=items,
        )

    def data(self, case: Case) -> dict[str, Any]:
        """The workflow's `data` of this decision (only what it asks for)."""
        data: dict[str, Any] = {}
        if self.letter_text and self.decision in LETTER_TEXT:
            data["letter_text"] = self.letter_text
        if self.decision == "available" and self.dip_items:
            data["dip_items"] = self.dip_items
        if self.decision == "exempt":
            data.update(pasal17=self.pasal17, consequence=self.consequence)
            if self.dip_items:
                data["dip_items"] = self.dip_items
        if self.information_requested and self.information_requested != (
            case.information_requested or ""
        ):
            data["information_requested"] = self.information_requested
        return data

    def hidden(self) -> list[tuple[str, str]]:
        """The form's values as hidden inputs (the confirmation page sends them again)."""
        pairs = [
            ("tugas", self.task),
            ("decision", self.decision),
            ("note", self.note),
            ("letter_text", self.letter_text),
            ("information_requested", self.information_requested),
            ("pasal17", self.pasal17),
            ("consequence", self.consequence),
        ]
        return [p for p in pairs if p[1]] + [("dip_item", str(i)) for i in self.dip_items]


def errors_by_field(errors: list[PpidError]) -> dict[str, list[str]]:
    """Error texts by the form field they belong beside ("" for the form as a whole)."""
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(error.field or "", []).append(error.text)
    return found


def step_forms(
    session: Session,
    user: User,
    case: Case,
    *,
    entry: StepInput | None = None,
    errors: list[PpidError] | None = None,
    dip_query: str = "",
) -> list[dict[str, Any]]:
    """The open steps this user's role may take on the case, each with its decisions, the
    fields each decision asks for, what the decider needs to know, and a refused attempt's
    input and errors."""
    forms = []
    for task in case.tasks:
        if task.status != TaskStatus.OPEN or str(task.role) != user.role:
            continue
        step = STEPS[task.step]
        decisions = list(step.decisions)
        mine = entry if entry is not None and entry.task == str(task.id) else None
        shown = mine or StepInput(task=str(task.id), decision=decisions[0])
        if task.step == "examine" and not shown.information_requested:
            shown.information_requested = case.information_requested or ""
        forms.append(
            {
                "task_id": task.id,
                "step": task.step,
                "label": step_label(task.step),
                "due": format_tanggal(task.due, weekday=False) if task.due else "-",
                "options": [(d, DECISION_TEXTS[d]) for d in decisions],
                "input": shown,
                "errors": errors_by_field(errors or []) if mine else {},
                "letter": {d: LETTER_TEXT_HINTS[d] for d in decisions if d in LETTER_TEXT},
                "letter_required": [d for d in decisions if LETTER_TEXT.get(d)],
                "note_hints": {d: NOTE_HINTS[d] for d in decisions if d in NOTE_HINTS},
                "note_required": [d for d in decisions if d in NOTE_NEEDED],
                "dip": _dip_choices(session, dip_query, shown) if task.step == "fulfil" else None,
                "pasal17": list(dip.PASAL17_TEXTS.items()) if task.step == "fulfil" else [],
                "context": decision_context(session, case, task.step),
            }
        )
    return forms


def _dip_choices(session: Session, query: str, shown: StepInput) -> dict[str, Any]:
    """The DIP items to choose from: the search's matches, the chosen ones always among them."""
    found = dip.search(session, query, limit=DIP_SHOWN + 1)
    chosen = set(shown.dip_items)
    missing = [i for i in chosen if i not in {item.id for item in found}]
    extra = dip.get_items(session, missing) if missing else []
    items = [*extra, *found[:DIP_SHOWN]]
    return {
        "query": query,
        "more": len(found) > DIP_SHOWN,
        "items": [
            {
                "id": item.id,
                "title": item.title,
                "category": item.category_label,
                "year": item.year,
                "exempt": item.exempt,
                "chosen": item.id in chosen,
            }
            for item in items
        ],
    }


def decision_context(session: Session, case: Case, step: str) -> list[tuple[str, str]]:
    """What the person deciding this step needs in front of them: the request, the reasons,
    the Bidang's findings, the Atasan's instruction, the fulfilment."""
    if step not in ("decide", "fulfil", "sign"):
        return []
    reasons = "; ".join(f"{letter}. {REASON_TEXTS[letter]}" for letter in case.reasons)
    rows = [
        (page_words("summary.information_requested"), case.information_requested or "-"),
        (field_label("request_number"), case.request_number or "-"),
        (field_label("purpose"), case.purpose or "-"),
        (field_label("case_description"), case.case_description or "-"),
        (field_label("reasons"), reasons or "-"),
    ]
    if examined := last_step_event(case, "examine"):
        rows.append((page_words("summary.findings"), examined.note or "-"))
    if step in ("fulfil", "sign") and (decided := last_step_event(case, "decide")):
        instruction = (decided.data or {}).get("letter_text") or "-"
        rows.append((page_words("summary.instruction"), instruction))
    if step == "sign" and (fulfilled := last_step_event(case, "fulfil")):
        rows += _fulfilment_rows(session, fulfilled.decision or "", fulfilled.data or {})
        rows.append((page_words("summary.bidang_note"), fulfilled.note or "-"))
    return rows


def _fulfilment_rows(
    session: Session, decision: str, data: dict[str, Any]
) -> list[tuple[str, str]]:
    rows = [(page_words("summary.fulfilment"), DECISION_LABELS.get(_decision_of(decision), "-"))]
    ids = [int(i) for i in data.get("dip_items") or []]
    if ids:
        titles = [item.title for item in dip.get_items(session, ids)]
        rows.append((page_words("summary.dip"), "; ".join(titles)))
    if letter := data.get("pasal17"):
        ground = page_words(
            "summary.exemption_ground", letter=letter, text=dip.PASAL17_TEXTS[letter]
        )
        rows.append((page_words("summary.exemption"), ground))
    if consequence := data.get("consequence"):
        rows.append((page_words("summary.consequence"), consequence))
    return rows


def _decision_of(fulfilment: str) -> str:
    return {"available": "released"}.get(fulfilment, fulfilment)
