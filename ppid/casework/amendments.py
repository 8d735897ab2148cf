"""Correcting values the extraction misread: each correction one event with who and why, and
every output that printed a corrected value issued again.

The petugas corrects what the form or the ID card says, at verification or later while the case
is open: a case value (name, request number, reasons a–g, ...) or a value only a document keeps
(a field read from the ID card, the form's signature). History stays append-only: one
`value_corrected` event names each value with its old and new reading and the reason given.
The receipt and letters that printed a changed value are rendered again under their own number
(`ppid.casework.letters.reissue`); the old file stays in the case folder and its bag, marked as
replaced.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework.history import awaited_letter
from ppid.casework.letters import outputs_to_reissue, reissue
from ppid.casework.sop import VALUE_CORRECTED
from ppid.core.calendar import WorkCalendar
from ppid.core.errors import BadInputError, ForbiddenError, NotFoundError
from ppid.core.models import Case, CaseDocument, CaseEvent, utcnow
from ppid.core.settings import Settings
from ppid.core.vocabulary import REASON_LETTERS, CaseStatus, Role, parse_role

log = logging.getLogger(__name__)

CORRECTED = VALUE_CORRECTED
# Case values a person may correct, and how a typed value is read.
CASE_VALUES: dict[str, str] = {
    "applicant_name": "text",
    "applicant_nik": "nik",
    "applicant_address": "text",
    "applicant_occupation": "text",
    "applicant_phone": "text",
    "applicant_email": "text",
    "proxy_name": "text",
    "proxy_address": "text",
    "proxy_phone": "text",
    "request_number": "text",
    "purpose": "text",
    "information_requested": "text",
    "case_description": "text",
    "reason_letters": "reasons",
    "signed_place": "text",
    "signed_date": "date",
}
# Values read from a document that no case column holds (the ID card's fields, the signature).
DOCUMENT_KINDS = {"signed": "yes_no", "birth_date": "text", "nik": "nik"}
# Who may correct: the desk (the petugas verifies what was read) and the Atasan PPID.
CORRECTING_ROLES = (Role.PETUGAS, Role.ATASAN)


@dataclass(frozen=True)
class DocumentValue:
    """One value of one extracted document: (archived file, document index in it, field name)."""

    document: int
    index: int
    name: str


@dataclass
class Amendment:
    """What one correction changed and which outputs it issued again."""

    event: CaseEvent
    changes: list[dict[str, Any]]
    reissued: list[CaseDocument]


def amend(
    session: Session,
    settings: Settings,
    cal: WorkCalendar,
    case: Case,
    *,
    role: Role | str,
    actor: str,
    reason: str,
    values: dict[str, str | None] | None = None,
    document_values: dict[DocumentValue, str | None] | None = None,
    at: datetime | None = None,
    unchanged_ok: bool = False,
) -> Amendment | None:
    """Correct case values and document values of `case`; the caller commits.

    Raises ForbiddenError for another role or a closed case, BadInputError for an unknown field,
    an unreadable value, a missing reason or when nothing differs from what is recorded (None
    with `unchanged_ok`: a verification that confirms the values it was given).
    """
    if parse_role(role) not in CORRECTING_ROLES:
        raise ForbiddenError("web.role_forbidden", role=str(role))
    if case.status == CaseStatus.CLOSED:
        raise ForbiddenError("amend.closed", number=case.number)
    changes = _case_changes(case, values or {}) + _document_changes(case, document_values or {})
    if not changes:
        if unchanged_ok:
            return None
        raise BadInputError("amend.nothing_changed")
    if not reason.strip():
        raise BadInputError("amend.needs_reason")
    at = at or utcnow()
    for change in changes:
        _apply(case, change)
    session.flush()
    changed = {c["field"] for c in changes if c["document"] is None}
    awaited, today = awaited_letter(case), at.astimezone(cal.tz).date()
    data: dict[str, Any] = {"changes": changes, "reissued": []}
    reissued = []
    for document in outputs_to_reissue(case, changed):
        new = reissue(session, settings, cal, case, document, actor=actor, on=today)
        reissued.append(new)
        data["reissued"].append(new.id)
        if document.id == awaited:  # the signed copy now expected is the new letter's
            data["awaits_signature"] = new.id
    event = CaseEvent(
        case=case,
        at=at,
        actor=actor.strip() or "tanpa-nama",
        role=parse_role(role).value,
        action=CORRECTED,
        note=reason.strip(),
        data=data,
    )
    session.add(event)
    session.flush()
    log.info("case %s: %d value(s) corrected by %s", case.number, len(changes), actor)
    return Amendment(event, changes, reissued)


def _case_changes(case: Case, values: dict[str, str | None]) -> list[dict[str, Any]]:
    unknown = sorted(set(values) - set(CASE_VALUES))
    if unknown:
        raise BadInputError("amend.unknown_field", fields=unknown, correctable=list(CASE_VALUES))
    changes = []
    for name, typed in values.items():
        new = read_value(CASE_VALUES[name], typed)
        old = _plain(getattr(case, name))
        if new != old:
            changes.append({"document": None, "index": None, "field": name, "old": old, "new": new})
    return changes


def _document_changes(case: Case, values: dict[DocumentValue, str | None]) -> list[dict[str, Any]]:
    changes = []
    for where, typed in values.items():
        document = _document(case, where.document)
        new = read_value(DOCUMENT_KINDS.get(where.name, "text"), typed)
        old = _plain(document_value(document, where.index, where.name))
        if new != old:
            change = {"document": where.document, "index": where.index, "field": where.name}
            changes.append({**change, "old": old, "new": new})
    return changes


def _document(case: Case, document_id: int) -> CaseDocument:
    document = next((d for d in case.documents if d.id == document_id), None)
    if document is None:
        raise NotFoundError("amend.no_such_document", document=document_id, number=case.number)
    return document


def document_value(document: CaseDocument, index: int, name: str) -> Any:
    """A document's value as recorded: its correction if any, else what was read."""
    corrected = (document.fields or {}).get("corrected") or {}
    if f"{index}:{name}" in corrected:
        return corrected[f"{index}:{name}"]
    extracted = (document.fields or {}).get("documents") or []
    value: Any = extracted[index].get("fields") if 0 <= index < len(extracted) else None
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _apply(case: Case, change: dict[str, Any]) -> None:
    if change["document"] is None:
        name, new = change["field"], change["new"]
        setattr(case, name, date.fromisoformat(new) if name == "signed_date" and new else new)
        return
    document = _document(case, change["document"])
    corrected = dict((document.fields or {}).get("corrected") or {})
    corrected[f"{change['index']}:{change['field']}"] = change["new"]
    document.fields = {**(document.fields or {}), "corrected": corrected}  # a new dict: tracked


def read_value(kind: str, typed: str | None) -> Any:
    """A typed value as stored: text trimmed (empty is none), a NIK's 16 digits, a date, the
    reasons' letters, yes or no."""
    text = " ".join((typed or "").split())
    if kind == "reasons":
        letters = sorted({c for c in text.lower() if c.isalpha()})
        if any(c not in REASON_LETTERS for c in letters):
            raise BadInputError("amend.bad_reasons", letters=letters)
        return "".join(letters)
    if not text:
        return None
    if kind == "nik":
        digits = re.sub(r"[\s.\-]", "", text)
        if not re.fullmatch(r"\d{16}", digits):
            raise BadInputError("amend.bad_nik", value=text)
        return digits
    if kind == "date":
        return _date(text).isoformat()
    if kind == "yes_no":
        return text.lower() in ("ya", "yes", "true", "1", "ada")
    return text


def _date(text: str) -> date:
    for pattern in (r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})", r"(\d{4})-(\d{1,2})-(\d{1,2})"):
        if found := re.fullmatch(pattern, text):
            parts = [int(p) for p in found.groups()]
            day, month, year = parts if pattern.startswith("(\\d{1,2})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise BadInputError("amend.bad_date", value=text)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
