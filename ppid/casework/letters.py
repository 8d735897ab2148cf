"""Letters the office owes, rendered from templates/letters/ through the one rendering path.

The receipt (with the numbered copy of the form), the written order and the Atasan's disposition
sheet to the Bidang, the answer and the rejection: each numbered, PDF/A-3b, filed on its case.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework.register import format_register_number, next_counter
from ppid.core.calendar import WorkCalendar, format_tanggal, format_waktu, next_working_moment
from ppid.core.errors import ConfigError
from ppid.core.files import sha256_file
from ppid.core.masking import mask_nik
from ppid.core.models import Case, CaseDocument, CaseEvent, LetterCounter
from ppid.core.paths import FORM_COPY_NAME, next_output_path
from ppid.core.settings import Settings
from ppid.core.vocabulary import REASON_TEXTS, DocumentKind
from ppid.output.forms import render_filled_form
from ppid.output.pdfa import ARCHIVAL
from ppid.output.qr import document_payload, qr_svg
from ppid.output.render import render_pdf

log = logging.getLogger(__name__)

# Letter kinds numbered from `workflow.letter_number_formats`: kind -> (template, file stem, title).
LETTERS = {
    "perintah": ("letters/order.html", "surat-perintah", "Surat perintah"),
    "tanggapan": ("letters/answer.html", "tanggapan-atas-keberatan", "Tanggapan atas keberatan"),
    "penolakan": ("letters/rejection.html", "surat-penolakan", "Surat penolakan"),
    "disposisi": ("letters/disposition.html", "lembar-disposisi", "Lembar disposisi"),
}


def letter_context(
    settings: Settings, cal: WorkCalendar, case: Case, document: str, on: date | None = None
) -> dict[str, Any]:
    """What every letter template needs: office, case, footer and QR; dated `on` (default today)."""
    today = on or datetime.now(cal.tz).date()
    return {
        "office": settings.office,
        "case": case,
        "today": format_tanggal(today, weekday=False),
        "footer": f"{case.number} · {document}",
        "qr_svg": qr_svg(document_payload(case.number, document)),
        "nik_masked": mask_nik(case.applicant_nik) or "-",
    }


def render_receipt(settings: Settings, cal: WorkCalendar, case: Case, out: Path) -> Path:
    """Tanda terima (archival PDF) and, beside it, the numbered copy of the form."""
    context = letter_context(settings, cal, case, "tanda-terima")
    context.update(
        received=format_waktu(cal, case.received_at),
        counted_from=format_waktu(cal, next_working_moment(cal, case.received_at)),
        answer_due=format_tanggal(case.answer_due) if case.answer_due else "-",
        reasons=[(letter, REASON_TEXTS[letter]) for letter in case.reasons],
    )
    render_pdf("letters/receipt.html", context, out, pdf_variant=ARCHIVAL)
    render_filled_form(settings, numbered_form_values(case), out.with_name(FORM_COPY_NAME))
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
    session.add(
        CaseEvent(
            case=case,
            actor=actor,
            action="document_generated",
            note=note,
            data={"path": relative, **(fields or {})},
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
    """
    template, stem, title = LETTERS[kind]
    assert settings.archive is not None
    number = letter_number(session, settings, kind, on)
    context = letter_context(settings, cal, case, stem, on)
    context.update(
        letter_number=number,
        reasons=[(letter, REASON_TEXTS[letter]) for letter in case.reasons],
        registered_on=format_tanggal(_local_date(cal, next_working_moment(cal, case.received_at))),
        answer_due=format_tanggal(case.answer_due) if case.answer_due else "-",
        **extra,
    )
    out = next_output_path(settings, case, stem)
    render_pdf(template, context, out, pdf_variant=ARCHIVAL)
    fields = {"letter_kind": kind, "letter_number": number, "letter_date": on.isoformat()}
    return store_output(
        session,
        settings.archive,
        case,
        out,
        role=kind,
        note=f"{title} {number}",
        actor=actor,
        fields=fields,
    )


def _local_date(cal: WorkCalendar, moment: datetime) -> date:
    return moment.astimezone(cal.tz).date()
