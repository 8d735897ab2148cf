"""The Register Keberatan for a period and the annual objection report, as data and as PDFs."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ppid.casework.register import list_cases
from ppid.core.calendar import (
    BULAN,
    WorkCalendar,
    calendar_from_settings,
    format_tanggal,
    next_working_moment,
)
from ppid.core.masking import mask_nik
from ppid.core.models import Case
from ppid.core.settings import Settings
from ppid.core.vocabulary import (
    CHANNEL_LABELS,
    CHANNEL_UNRECORDED,
    DECISION_LABELS,
    REASON_LETTERS,
    REASON_TEXTS,
    RESPONSE_LABELS,
)
from ppid.output.pdfa import ARCHIVAL
from ppid.output.render import render_pdf

log = logging.getLogger(__name__)

ANSWERED = ("released", "exempt", "not_held", "dismissed")


def registered_on(cal: WorkCalendar, case: Case) -> date:
    """The office date the case counts from (received outside hours → next working day)."""
    return next_working_moment(cal, case.received_at).astimezone(cal.tz).date()


def register_rows(
    session: Session, settings: Settings, year: int, month: int | None = None
) -> list[dict[str, Any]]:
    """One row per objection with every column of the Perki register; the NIK masked."""
    cal = calendar_from_settings(settings)
    rows = []
    for case in list_cases(session, year):
        on = registered_on(cal, case)
        if month is not None and on.month != month:
            continue
        rows.append(_register_row(case, on, len(rows) + 1))
    return rows


def _register_row(case: Case, on: date, index: int) -> dict[str, Any]:
    answered = None
    if case.answered_on:
        answered = format_tanggal(case.answered_on)
        if case.answer_letter_number:
            answered += f" ({case.answer_letter_number})"
    atasan = ", ".join(p for p in (case.atasan_name, case.atasan_position) if p) or None
    remarks = [case.remarks] if case.remarks else []
    if case.decision is None:
        remarks.append(f"{case.status_label}; batas tanggapan {format_tanggal(case.answer_due)}")
    return {
        "no": index,
        "date": on.strftime("%d-%m-%Y"),
        "number": case.number,
        "channel": case.channel_label,
        "name": case.applicant_name,
        "nik": mask_nik(case.applicant_nik),
        "address": case.applicant_address,
        "occupation": case.applicant_occupation,
        "phone": case.applicant_phone,
        "email": case.applicant_email,
        "request_number": case.request_number,
        "information": case.information_requested,
        "purpose": case.purpose,
        "reasons": {letter: letter in case.reasons for letter in REASON_LETTERS},
        "decision": DECISION_LABELS.get(case.decision or "", None),
        "answered": answered,
        "atasan": atasan,
        "applicant_response": case.applicant_response,
        "remarks": "; ".join(remarks) or None,
    }


def render_register(
    session: Session, settings: Settings, year: int, month: int | None, out: Path
) -> Path:
    """The Register Keberatan of a year or one month: landscape A4, archival PDF."""
    period = f"{BULAN[month - 1]} {year}" if month else f"Tahun {year}"
    document = f"register-keberatan-{year}" + (f"-{month:02d}" if month else "")
    context = _base_context(settings, document)
    context.update(
        period=period,
        rows=register_rows(session, settings, year, month),
        reason_letters=list(REASON_LETTERS),
        reason_texts=REASON_TEXTS,
    )
    render_pdf("letters/register.html", context, out, pdf_variant=ARCHIVAL)
    return out


def annual_report(
    session: Session, settings: Settings, year: int, today: date | None = None
) -> dict[str, Any]:
    """What the PPID reports on a year's objections: received, answered on time or late, ..."""
    cal = calendar_from_settings(settings)
    today = today or datetime.now(cal.tz).date()
    cases = list_cases(session, year)
    answered = [c for c in cases if c.decision in ANSWERED and c.answered_on]
    on_time = [c for c in answered if c.answer_due and c.answered_on <= c.answer_due]
    open_cases = [c for c in cases if c.decision is None]
    decisions = Counter(c.decision or "pending" for c in cases)
    months = Counter(registered_on(cal, c).month for c in cases)
    channels = Counter(c.channel_label for c in cases)
    return {
        "year": year,
        "received": len(cases),
        "answered": len(answered),
        "on_time": len(on_time),
        "late": len(answered) - len(on_time),
        "returned": decisions.get("returned", 0),
        "open": len(open_cases),
        "open_overdue": sum(1 for c in open_cases if c.answer_due and c.answer_due < today),
        "by_reason": {letter: sum(letter in c.reasons for c in cases) for letter in REASON_LETTERS},
        "by_decision": {key: decisions.get(key, 0) for key in (*DECISION_LABELS, "pending")},
        "disputes": sum(c.applicant_response == RESPONSE_LABELS["dispute"] for c in cases),
        "accepted": sum(c.applicant_response == RESPONSE_LABELS["accepted"] for c in cases),
        "by_month": {month: months.get(month, 0) for month in range(1, 13)},
        "by_channel": {
            label: channels.get(label, 0)
            for label in (*CHANNEL_LABELS.values(), CHANNEL_UNRECORDED)
        },
    }


def render_report(session: Session, settings: Settings, year: int, out: Path) -> Path:
    """The annual objection report (Laporan Tahunan Keberatan) as an archival PDF."""
    context = _base_context(settings, f"laporan-keberatan-{year}")
    context.update(
        report=annual_report(session, settings, year),
        decision_labels={**DECISION_LABELS, "pending": "Dalam proses"},
        reason_texts=REASON_TEXTS,
        months=BULAN,
    )
    render_pdf("letters/report.html", context, out, pdf_variant=ARCHIVAL)
    return out


def _base_context(settings: Settings, document: str) -> dict[str, Any]:
    cal = calendar_from_settings(settings)
    return {
        "office": settings.office,
        "footer": document,
        "today": format_tanggal(datetime.now(cal.tz).date(), weekday=False),
    }
