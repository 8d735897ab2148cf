"""What the case page shows: every field beside its scan, documents, the step forms, history.

Plain functions from a case (and the user who looks) to rows for the template; the routes in
`ppid.web.case` call them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from ppid.casework import dip
from ppid.casework.sop import CORRECTABLE_FIELDS, STEPS
from ppid.core.masking import mask_niks_in
from ppid.core.messages import (
    DECISION_TEXTS,
    FIELD_LABELS,
    action_label,
    actor_label,
    reading_note,
)
from ppid.core.models import Case, CaseDocument, User
from ppid.core.vocabulary import (
    DOCUMENT_LABELS,
    TaskStatus,
    step_label,
)
from ppid.web.deps import WebContext, can_see_nik, shown_nik
from ppid.web.disclosure import Disclosure, disclosure, is_id_scan
from ppid.web.labels import CASE_FIELDS

log = logging.getLogger(__name__)


LOW_CONFIDENCE = 0.7


def dotted(fields: dict[str, Any], name: str) -> Any:
    value: Any = fields
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def shown_value(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return str(value)


def field_rows(user: User, document: CaseDocument, case: Case) -> list[dict[str, Any]]:
    """Every extracted field of one archived original, with its crop URL and confidence."""
    rows = []
    for index, extracted in enumerate((document.fields or {}).get("documents") or []):
        kind = extracted.get("document_type")
        if kind == "id_card" and not can_see_nik(user):
            continue
        names = OBJECTION_FIELDS if kind == "objection_form" else ID_CARD_FIELDS
        fields, confidence = extracted.get("fields") or {}, extracted.get("confidence") or {}
        boxes = extracted.get("boxes") or {}
        for name in names:
            value = dotted(fields, name)
            if value in (None, "", []) and name not in boxes:
                continue
            is_nik = name.endswith("nik")
            crop_allowed = name in boxes and (can_see_nik(user) or not is_nik)
            editable = kind == "objection_form" and CASE_FIELDS.get(name) in CORRECTABLE_FIELDS
            current = getattr(case, CASE_FIELDS[name]) if name in CASE_FIELDS else None
            rows.append(
                {
                    "name": name,
                    "document": "Formulir" if kind == "objection_form" else "KTP",
                    "label": FIELD_LABELS.get(name, name),
                    "value": shown_nik(user, value) if is_nik else shown_value(value),
                    "current": (shown_nik(user, current) if is_nik else shown_value(current)),
                    "editable": editable and (can_see_nik(user) or not is_nik),
                    "confidence": confidence.get(name),
                    "low": confidence.get(name) is not None and confidence[name] < LOW_CONFIDENCE,
                    "crop": f"/dokumen/{document.id}/potongan?d={index}&f={name}"
                    if crop_allowed
                    else None,
                }
            )
    return rows


# What the parsers warn about a file that a clerk must know before opening it elsewhere.
CAUTIONS = ("JavaScript", "launch action", "embedded files", "hidden in it", "precede the PDF")


def reading_notes(document: CaseDocument, full_nik: bool) -> tuple[list[str], list[str]]:
    """(cautions, every note) of one archived original, in Bahasa Indonesia.

    The extraction stored its (English) warnings with the file; the clerk reads them through
    the catalogue, and learns of a PDF carrying JavaScript or a hidden ZIP here rather than
    from `ppid extract`. NIKs in a note are masked for who may not see them.
    """
    warnings: list[str] = []
    for extracted in (document.fields or {}).get("documents") or []:
        for warning in extracted.get("warnings") or []:
            if warning not in warnings:
                warnings.append(warning)
    cautions = _unique(reading_note(w) for w in warnings if any(k in w for k in CAUTIONS))
    notes = _unique(reading_note(w) for w in warnings)
    if not full_nik:
        notes = [mask_niks_in(note) for note in notes]
    return cautions, notes


def _unique(texts: Any) -> list[str]:
    return list(dict.fromkeys(texts))


def document_rows(user: User, case: Case) -> list[dict[str, Any]]:
    rows = []
    for document in case.documents:
        restricted = disclosure(user, document) == Disclosure.WITHHELD
        cautions, notes = reading_notes(document, can_see_nik(user))
        rows.append(
            {
                "id": document.id,
                "kind": str(document.kind),
                "label": DOCUMENT_LABELS.get(document.role or "other", document.role or "Berkas"),
                "name": Path(document.path).name,
                "restricted": restricted,
                "id_scan": is_id_scan(document),
                "created": document.created_at,
                "cautions": cautions,
                "notes": [] if restricted else notes,
            }
        )
    return rows


def decision_forms(session: Session, user: User, case: Case) -> list[dict[str, Any]]:
    """The open steps this user's role may take on the case, with the workflow's decisions."""
    forms = []
    for task in case.tasks:
        if task.status != TaskStatus.OPEN or str(task.role) != user.role:
            continue
        step = STEPS.get(task.step)
        decisions = list(step.decisions) if step else []
        forms.append(
            {
                "task_id": task.id,
                "step": task.step,
                "label": step_label(task.step),
                "options": [(d, DECISION_TEXTS.get(d, d)) for d in decisions],
                "dip": _dip_choices(session) if task.step == "fulfil" else [],
            }
        )
    return forms


def _dip_choices(session: Session) -> list[dict[str, Any]]:

    return [
        {"id": item.id, "title": item.title, "category": item.category_label}
        for item in dip.search(session, "", limit=200)
    ]


def step_data(form: FormData, case: Case) -> dict[str, Any]:
    """The workflow's `data` from the step form: corrections, DIP items, Pasal 17 ground."""
    data: dict[str, Any] = {}
    corrections = {}
    for key, value in form.multi_items():
        name = CASE_FIELDS.get(key[2:]) if key.startswith("f:") else None
        if name is None or name not in CORRECTABLE_FIELDS:
            continue
        text = str(value).strip()
        if text != (getattr(case, name) or ""):
            corrections[name] = text or None
    if corrections:
        data["corrections"] = corrections
    items = [int(v) for v in form.getlist("dip_item") if str(v).isdigit()]
    if items:
        data["dip_items"] = items
    for key in ("information_requested", "pasal17", "consequence"):
        if value := str(form.get(key, "")).strip():
            data[key] = value
    return data


def history_rows(ctx: WebContext, case: Case, user: User) -> list[dict[str, Any]]:
    """The case's events for the page; a step taken as a Prefect flow run links to it. Notes
    (a corrected NIK among them) show NIKs masked to who may not see them."""
    shown = (lambda text: text) if can_see_nik(user) else mask_niks_in
    prefect = f"http://127.0.0.1:{ctx.settings.intake.prefect_port}/runs/flow-run/"
    return [
        {
            "at": event.at.astimezone(ctx.calendar.tz).strftime("%d-%m-%Y %H:%M"),
            "actor": actor_label(event.actor),
            "role": event.role or "",
            "action": action_label(event.action),
            "decision": DECISION_TEXTS.get(event.decision or "", event.decision or ""),
            "note": shown(" ".join(filter(None, [event.note, _corrections_text(event.data)]))),
            "flow_run_url": prefect + run["id"]
            if (run := (event.data or {}).get("flow_run"))
            else None,
        }
        for event in case.events
    ]


def _corrections_text(data: dict[str, Any] | None) -> str:
    """Field corrections recorded with a verification step, as "Kolom: lama → baru"."""
    changes = (data or {}).get("corrections") or {}
    labels = {attr: FIELD_LABELS.get(name, attr) for name, attr in CASE_FIELDS.items()}
    return "; ".join(
        f"{labels.get(name, name)}: {change.get('old') or '-'} → {change.get('new') or '-'}"
        for name, change in changes.items()
        if isinstance(change, dict)
    )
