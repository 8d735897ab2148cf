"""Letters the office owes, rendered from templates/letters/ through the one rendering path.

The receipt (with the numbered copy of the form), the written order and the Atasan's disposition
sheet to the Bidang, the answer, the rejection and the return of an incomplete objection: each
numbered, PDF/A-3b, filed on its case. A letter keeps what it was made from (`fields.context`),
so when a person corrects a value it printed it is issued again under its own number and date
(`reissue`), the old file kept beside it, marked as replaced.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework import dip
from ppid.casework.register import format_register_number, next_counter
from ppid.core.calendar import WorkCalendar, format_tanggal, format_waktu, next_working_moment
from ppid.core.errors import ConfigError
from ppid.core.files import sha256_file
from ppid.core.masking import mask_nik
from ppid.core.models import Case, CaseDocument, CaseEvent, LetterCounter
from ppid.core.paths import form_copy_path, next_output_path
from ppid.core.settings import Settings
from ppid.core.vocabulary import DOCUMENT_LABELS, REASON_TEXTS, DocumentKind
from ppid.output.forms import render_filled_form
from ppid.output.pdfa import ARCHIVAL
from ppid.output.qr import document_payload, qr_svg
from ppid.output.render import render_pdf

log = logging.getLogger(__name__)

# Letter kinds numbered from `workflow.letter_number_formats`: kind -> (template, file stem).
# Their titles are `DOCUMENT_LABELS[kind]` (ppid/core/vocabulary.py), as everywhere else.
LETTERS = {
    "perintah": ("letters/order.html", "surat-perintah"),
    "tanggapan": ("letters/answer.html", "tanggapan-atas-keberatan"),
    "penolakan": ("letters/rejection.html", "surat-penolakan"),
    "disposisi": ("letters/disposition.html", "lembar-disposisi"),
    "pengembalian": ("letters/return.html", "surat-pengembalian"),
}
RECEIPT = "receipt"
RECEIPT_STEM = "tanda-terima"
# The case values each output prints: correcting one of them issues the output again.
_APPLICANT = ("applicant_name", "applicant_address", "applicant_email", "proxy_name")
PRINTED: dict[str, tuple[str, ...]] = {
    RECEIPT: (
        *_APPLICANT,
        "applicant_nik",
        "applicant_occupation",
        "applicant_phone",
        "proxy_address",
        "proxy_phone",
        "request_number",
        "purpose",
        "reason_letters",
        "case_description",
        "signed_place",
        "signed_date",
    ),
    "perintah": (
        "applicant_name",
        "applicant_nik",
        "request_number",
        "information_requested",
        "reason_letters",
    ),
    "disposisi": (
        "applicant_name",
        "applicant_occupation",
        "proxy_name",
        "request_number",
        "information_requested",
        "reason_letters",
    ),
    "tanggapan": (*_APPLICANT, "request_number", "reason_letters"),
    "penolakan": (*_APPLICANT, "request_number", "information_requested"),
    "pengembalian": (*_APPLICANT, "request_number"),
}
REISSUED = "document_reissued"


def letter_context(
    settings: Settings, cal: WorkCalendar, case: Case, document: str, on: date | None = None
) -> dict[str, Any]:
    """What every letter template needs: office, case, footer and QR; dated `on` (default today)."""
    today = on or datetime.now(cal.tz).date()
    counted = next_working_moment(cal, case.received_at)
    return {
        "office": settings.office,
        "case": case,
        "today": format_tanggal(today, weekday=False),
        "footer": f"{case.number} · {document}",
        "qr_svg": qr_svg(document_payload(case.number, document)),
        "nik_masked": mask_nik(case.applicant_nik) or "-",
        "received_on": format_waktu(cal, case.received_at),
        "registered_on": format_tanggal(_local_date(cal, counted)),
        # Received outside working hours or on a day off: the count starts the next working
        # day, and a letter dated the day it came in must say why it cites a later date.
        "after_hours": _local_date(cal, counted) != _local_date(cal, case.received_at),
        "reissued": False,
    }


def render_receipt(
    settings: Settings, cal: WorkCalendar, case: Case, out: Path, *, reissued: bool = False
) -> Path:
    """Tanda terima (archival PDF) and, beside it, the numbered copy of the form."""
    context = letter_context(settings, cal, case, RECEIPT_STEM)
    context.update(
        received=format_waktu(cal, case.received_at),
        counted_from=format_waktu(cal, next_working_moment(cal, case.received_at)),
        answer_due=format_tanggal(case.answer_due) if case.answer_due else "-",
        reasons=[(letter, REASON_TEXTS[letter]) for letter in case.reasons],
        reissued=reissued,
    )
    render_pdf("letters/receipt.html", context, out, pdf_variant=ARCHIVAL)
    render_filled_form(settings, numbered_form_values(case), form_copy_path(out))
    return out


def numbered_form_values(case: Case) -> dict[str, Any]:
    """The case as form values, with the register number and answer date the officer fills in."""
    proxy = None
    if case.proxy_name:
        proxy = {"name": case.proxy_name, "address": case.proxy_address, "phone": case.proxy_phone}
    return {
        "registration_number": case.number,
        "request_number": case.request_number,
        "purpose": case.purpose,
        "applicant": {
            "name": case.applicant_name,
            "nik": case.applicant_nik,
            "address": case.applicant_address,
            "occupation": case.applicant_occupation,
            "phone": case.applicant_phone,
            "email": case.applicant_email,
        },
        "proxy": proxy,
        "reasons": case.reasons,
        "case_description": case.case_description,
        "response_date": case.answer_due.isoformat() if case.answer_due else None,
        "place": case.signed_place,
        "date": case.signed_date.isoformat() if case.signed_date else None,
        "signed": True,
    }


# --- numbered letters stored in the case folder ----------------------------------------------


def letter_number(session: Session, settings: Settings, kind: str, on: date) -> str:
    """The next number of letter `kind` in `on`'s year: gap-free, a rollback gives it back.

    Take it late in a transaction that began with `ppid.core.db.begin_write` (SQLite write lock).
    """
    pattern = settings.workflow.letter_number_formats.get(kind)
    if pattern is None:
        raise ConfigError("letter.no_number_format", kind=kind, upper=kind.upper())
    setting = f"workflow.letter_number_formats.{kind}"
    format_register_number(pattern, 1, on, setting)  # fail on a bad pattern before counting
    key = {"kind": kind, "year": on.year}
    seq = next_counter(session.connection(), LetterCounter.__table__, key)
    return format_register_number(pattern, seq, on, setting)


def store_output(
    session: Session,
    archive: Path,
    case: Case,
    path: Path,
    *,
    role: str,
    note: str,
    actor: str,
    fields: dict[str, Any] | None = None,
    action: str = "document_generated",
) -> CaseDocument:
    """Record a generated file of the case folder as a document, with a history entry."""
    relative = path.relative_to(archive).as_posix()
    document = CaseDocument(
        case=case,
        kind=DocumentKind.OUTPUT,
        document_type=role,
        role=role,
        path=relative,
        sha256=sha256_file(path),
        media_type="application/pdf",
        fields=fields or {},
    )
    session.add(document)
    shown = {k: v for k, v in (fields or {}).items() if k != "context"}
    session.add(
        CaseEvent(
            case=case, actor=actor, action=action, note=note, data={"path": relative, **shown}
        )
    )
    return document


def issue_letter(
    session: Session,
    settings: Settings,
    cal: WorkCalendar,
    case: Case,
    kind: str,
    *,
    on: date,
    actor: str,
    extra: dict[str, Any],
) -> CaseDocument:
    """Number, render (PDF/A-3b) and file one letter of `kind` in the case folder.

    Runs inside the caller's transaction: if it rolls back, the number is given back (the file
    left behind is overwritten by the next letter of that name, never listed as a document).
    `extra` is what this letter says beyond the case (JSON values; DIP items as `items`).
    """
    title = DOCUMENT_LABELS[kind]
    assert settings.archive is not None
    number = letter_number(session, settings, kind, on)
    out = _render_letter(settings, cal, case, kind, number, on, extra)
    fields = {
        "letter_kind": kind,
        "letter_number": number,
        "letter_date": on.isoformat(),
        "context": _stored(extra),
    }
    note = f"{title} {number}"
    return store_output(
        session, settings.archive, case, out, role=kind, note=note, actor=actor, fields=fields
    )


def _render_letter(
    settings: Settings,
    cal: WorkCalendar,
    case: Case,
    kind: str,
    number: str,
    on: date,
    extra: dict[str, Any],
) -> Path:
    template, stem = LETTERS[kind]
    context = letter_context(settings, cal, case, stem, on)
    context.update(
        letter_number=number,
        reasons=[(letter, REASON_TEXTS[letter]) for letter in case.reasons],
        answer_due=format_tanggal(case.answer_due) if case.answer_due else "-",
        **extra,
    )
    out = next_output_path(settings, case, stem)
    render_pdf(template, context, out, pdf_variant=ARCHIVAL)
    return out


def _stored(extra: dict[str, Any]) -> dict[str, Any]:
    """A letter's `extra` as kept with it: DIP items by id."""
    stored = {k: v for k, v in extra.items() if k != "items"}
    if "items" in extra:
        stored["dip_items"] = [item.id for item in extra["items"]]
    return stored


# --- issuing again what printed a corrected value -------------------------------------------


def outputs_to_reissue(case: Case, changed: set[str]) -> list[CaseDocument]:
    """The case's current outputs that printed one of the `changed` case values."""
    return [
        document
        for document in case.documents
        if document.kind == DocumentKind.OUTPUT
        and not (document.fields or {}).get("superseded_by")
        and changed & set(PRINTED.get(document.role or "", ()))
    ]


def reissue(
    session: Session,
    settings: Settings,
    cal: WorkCalendar,
    case: Case,
    document: CaseDocument,
    *,
    actor: str,
    on: date,
) -> CaseDocument:
    """Issue `document` again from the case as it now stands: a letter under its own number
    and date, saying it replaces the earlier one; a receipt with its numbered form copy. The
    old document stays, marked `superseded_by` the new one."""
    assert settings.archive is not None
    fields = dict(document.fields or {})
    if document.role == RECEIPT:
        out = next_output_path(settings, case, RECEIPT_STEM)
        render_receipt(settings, cal, case, out, reissued=True)
        title, kept = DOCUMENT_LABELS[RECEIPT], {}
    else:
        kind = str(document.role)
        context = dict(fields.get("context") or {})
        ids = context.pop("dip_items", None)
        extra = {**context, "reissued": True}
        if ids is not None:
            extra["items"] = dip.get_items(session, ids) if ids else []
        day = date.fromisoformat(fields["letter_date"])
        out = _render_letter(settings, cal, case, kind, fields["letter_number"], day, extra)
        title = DOCUMENT_LABELS[kind]
        kept = {k: fields[k] for k in ("letter_kind", "letter_number", "letter_date", "context")}
    new = store_output(
        session,
        settings.archive,
        case,
        out,
        role=str(document.role),
        note=f"{title} {fields.get('letter_number', '')}".strip() + " diterbitkan ulang",
        actor=actor,
        fields={**kept, "reissue_of": document.id, "reissued_on": on.isoformat()},
        action=REISSUED,
    )
    session.flush()
    document.fields = {**fields, "superseded_by": new.id}  # a new dict, so it is saved
    log.info("case %s: %s reissued as document %s", case.number, document.path, new.id)
    return new


def _local_date(cal: WorkCalendar, moment: datetime) -> date:
    return moment.astimezone(cal.tz).date()
