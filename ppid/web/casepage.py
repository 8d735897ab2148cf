"""What the case page shows: every value beside its scan, the step forms with what the decider
needs, documents and history, in the words and the one date format users read.

Plain functions from a case (and the user who looks) to rows for the template; the routes in
`ppid.web.case` call them. The step forms themselves are described in `ppid.web.stepforms`.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from ppid.casework.amendments import CASE_VALUES, CORRECTED, document_value
from ppid.core.calendar import format_tanggal, next_working_moment
from ppid.core.masking import mask_niks_in
from ppid.core.messages import (
    DECISION_TEXTS,
    PAGE_WORDS,
    action_label,
    actor_label,
    field_label,
    page_words,
    reading_note,
)
from ppid.core.models import Case, CaseDocument, CaseEvent, User
from ppid.core.vocabulary import DOCUMENT_LABELS, REASON_TEXTS, ROLE_LABELS, DocumentKind, Role
from ppid.web.deps import WebContext, can_see_nik, shown_nik
from ppid.web.disclosure import Disclosure, disclosure, is_id_scan
from ppid.web.labels import CASE_FIELDS
from ppid.web.pages import waktu

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.7
# How a value is typed when corrected (anything else is one line of text).
VALUE_KINDS = {"reasons": "reasons", "signed": "yes_no"}
# Fields filled by the office, not read from the applicant: shown, never corrected here.
OFFICE_FIELDS = ("registration_number", "response_date")


def shown_value(value: Any, name: str = "") -> str:
    """A value as a person reads it: lists and reasons joined ("c, e"), yes or no, a date in
    the pages' one format ("25 Januari 2027")."""
    if value is None or value == "" or value == []:
        return ""
    if name in ("reasons", "reason_letters") or isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        if name == "signed":
            return page_words("value.present" if value else "value.absent")
        return page_words("value.yes" if value else "value.no")
    if isinstance(value, date):
        return format_tanggal(value, weekday=False)
    if isinstance(value, str) and (day := _date_in(value)) is not None:
        return format_tanggal(day, weekday=False)
    return str(value)


def _date_in(text: str) -> date | None:
    """The date a value holds as 2027-01-25 or as 25-01-2027 (the KTP's print), if it is one."""
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})|(\d{2})-(\d{2})-(\d{4})", text.strip())
    if found is None:
        return None
    year, month, day = found.groups()[:3] if found.group(1) else found.groups()[3:][::-1]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- the values read from the scans -------------------------------------------------------------


def field_groups(user: User, case: Case, editable: bool) -> list[dict[str, Any]]:
    """The form's values, then each ID card's: what was read, what is recorded, the crop."""
    forms, cards = [], []
    for document in case.documents:
        if document.kind != DocumentKind.ORIGINAL:
            continue
        for index, extracted in enumerate((document.fields or {}).get("documents") or []):
            kind = extracted.get("document_type")
            if kind == "objection_form":
                forms.append(_form_rows(user, case, document, index, extracted, editable))
            elif kind == "id_card" and can_see_nik(user):
                cards.append(_card_rows(user, document, index, extracted, editable))
    groups = [{"title": page_words("group.form"), "rows": rows} for rows in forms]
    return groups + [{"title": page_words("group.id_card"), "rows": rows} for rows in cards]


def _form_rows(
    user: User,
    case: Case,
    document: CaseDocument,
    index: int,
    extracted: dict[str, Any],
    editable: bool,
) -> list[dict[str, Any]]:
    rows = []
    for name in OBJECTION_FIELDS:
        attribute = CASE_FIELDS.get(name)
        read = _dotted(extracted.get("fields") or {}, name)
        if name in OFFICE_FIELDS and read in (None, ""):
            continue
        if attribute in CASE_VALUES:
            current: Any = getattr(case, attribute)
            key = f"nilai:{attribute}"
        elif name == "signed":
            current, key = (
                document_value(document, index, name),
                f"dok:{document.id}:{index}:{name}",
            )
        else:
            current, key = read, ""
        row = _row(user, document, index, extracted, name, read, current)
        row.update(key=key, editable=editable and bool(key) and _may_edit(user, name))
        rows.append(row)
    return rows


def _card_rows(
    user: User, document: CaseDocument, index: int, extracted: dict[str, Any], editable: bool
) -> list[dict[str, Any]]:
    rows = []
    boxes = extracted.get("boxes") or {}
    for name in ID_CARD_FIELDS:
        read = (extracted.get("fields") or {}).get(name)
        current = document_value(document, index, name)
        if read in (None, "") and current in (None, "") and name not in boxes and not editable:
            continue
        row = _row(user, document, index, extracted, name, read, current)
        row.update(key=f"dok:{document.id}:{index}:{name}", editable=editable)
        rows.append(row)
    return rows


def _row(
    user: User,
    document: CaseDocument,
    index: int,
    extracted: dict[str, Any],
    name: str,
    read: Any,
    current: Any,
) -> dict[str, Any]:
    confidence = (extracted.get("confidence") or {}).get(name)
    is_nik = name.endswith("nik")
    has_box = name in (extracted.get("boxes") or {})
    crop_allowed = has_box and (can_see_nik(user) or not is_nik)
    return {
        "name": name,
        "label": field_label(name),
        "kind": VALUE_KINDS.get(name, "text"),
        "read": shown_nik(user, read) if is_nik else shown_value(read, name),
        "current": shown_nik(user, current) if is_nik else shown_value(current, name),
        "typed": _typed(current, name),
        "confidence": confidence,
        "low": confidence is not None and confidence < LOW_CONFIDENCE,
        "crop": f"/dokumen/{document.id}/potongan?d={index}&f={name}" if crop_allowed else None,
        "block": name == "reasons",
    }


def _typed(value: Any, name: str) -> Any:
    """What the correction input holds: the recorded value as typed (a date as 25-01-2027)."""
    if name == "reasons":
        return list(value or [])
    if name == "signed":
        return value
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, str) and name == "date" and (day := _date_in(value)) is not None:
        return day.strftime("%d-%m-%Y")
    return "" if value is None else str(value)


def _may_edit(user: User, name: str) -> bool:
    return can_see_nik(user) or not name.endswith("nik")


def _dotted(fields: dict[str, Any], name: str) -> Any:
    value: Any = fields
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# --- documents ------------------------------------------------------------------------------------


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


def document_label(document: CaseDocument) -> str:
    """What the page calls a document: its kind, and a letter's number."""
    role = (document.role or "other").removeprefix("signed:")
    label = DOCUMENT_LABELS.get(role, DOCUMENT_LABELS["other"])
    number = (document.fields or {}).get("letter_number")
    return f"{label} {number}" if number else label


def kind_label(kind: str) -> str:
    """What the page calls a kind of file: received, made by the system, signed."""
    code = f"kind.{kind}"
    return page_words(code if code in PAGE_WORDS else "kind.other")


def document_rows(ctx: WebContext, user: User, case: Case) -> list[dict[str, Any]]:
    rows = []
    for document in case.documents:
        restricted = disclosure(user, document) == Disclosure.WITHHELD
        cautions, notes = reading_notes(document, can_see_nik(user))
        fields = document.fields or {}
        role = (document.role or "other").removeprefix("signed:")
        rows.append(
            {
                "id": document.id,
                "kind": kind_label(str(document.kind)),
                "label": DOCUMENT_LABELS.get(role, DOCUMENT_LABELS["other"]),
                "number": fields.get("letter_number"),
                "name": Path(document.path).name,
                "restricted": restricted,
                "id_scan": is_id_scan(document),
                "created": waktu(ctx, document.created_at),
                "replaced": bool(fields.get("superseded_by")),
                "reissue": bool(fields.get("reissue_of")),
                "cautions": cautions,
                "notes": [] if restricted else notes,
            }
        )
    return rows


# --- history --------------------------------------------------------------------------------------


def history_rows(ctx: WebContext, user: User, case: Case) -> list[dict[str, Any]]:
    """The case's events in the words of the page; a step taken as a Prefect flow run links to
    it only where the Prefect UI is reachable (`prefect.public_url`)."""
    public = ctx.settings.prefect.public_url.rstrip("/")
    rows = []
    for event in case.events:
        data = event.data or {}
        run = data.get("flow_run")
        rows.append(
            {
                "at": waktu(ctx, event.at),
                "actor": actor_label(event.actor),
                "role": ROLE_LABELS.get(Role(event.role), "") if _is_role(event.role) else "",
                "action": action_label(event.action),
                "decision": DECISION_TEXTS.get(event.decision or "", ""),
                "note": _note(event, can_see_nik(user)),
                "letter_text": data.get("letter_text") or "",
                "changes": _changes(event, can_see_nik(user)),
                "flow_run_url": f"{public}/runs/flow-run/{run['id']}" if run and public else None,
            }
        )
    return rows


def _is_role(value: str | None) -> bool:
    return value in {r.value for r in Role}


def _note(event: CaseEvent, full_nik: bool) -> str:
    note = event.note or ""
    return note if full_nik else mask_niks_in(note)


def _changes(event: CaseEvent, full_nik: bool) -> list[str]:
    """Corrected values as "Kolom: lama → baru" (from a correction or a verification step)."""
    data = event.data or {}
    if event.action == CORRECTED:
        items = [(c["field"], c.get("old"), c.get("new")) for c in data.get("changes") or []]
    else:
        corrections = data.get("corrections") or {}
        items = [
            (k, v.get("old"), v.get("new")) for k, v in corrections.items() if isinstance(v, dict)
        ]
    labels = {attribute: name for name, attribute in CASE_FIELDS.items()}
    lines = []
    for name, old, new in items:
        label = field_label(labels.get(name, name))
        old_text, new_text = shown_value(old, name) or "-", shown_value(new, name) or "-"
        if name.endswith("nik") and not full_nik:
            old_text, new_text = mask_niks_in(old_text), mask_niks_in(new_text)
        lines.append(f"{label}: {old_text} → {new_text}")
    return lines


# --- dates ----------------------------------------------------------------------------------------


def summary(ctx: WebContext, case: Case) -> dict[str, Any]:
    """The case's dates in words; whether its count starts a later day (it came after hours)."""
    counted = next_working_moment(ctx.calendar, case.received_at)
    received_day = case.received_at.astimezone(ctx.calendar.tz).date()
    counted_day = counted.astimezone(ctx.calendar.tz).date()
    return {
        "received": waktu(ctx, case.received_at),
        "counted": format_tanggal(counted_day, weekday=False),
        "answer_due": format_tanggal(case.answer_due, weekday=False) if case.answer_due else "-",
        "after_hours": counted_day != received_day,
        "reasons": [(letter, REASON_TEXTS[letter]) for letter in case.reasons],
    }
