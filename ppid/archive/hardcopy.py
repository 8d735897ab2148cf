"""Hardcopy: print versions with a QR code per page, daily print batches, separator sheets,
and filing what comes back — a signed copy or the pages behind a separator sheet — by its QR.

A print version is the document with, in the binding margin of every page, a QR code
`PPIDDOC1|case=<number>|doc=<document id>|p=<n>/<N>` and the same in text. Scanned back and
dropped into the inbox, the scan parser reports such a page (and a separator sheet's
`PPIDSEP1|case=<number>`) as a `cover_sheet` with its `code`; `file_by_qr` then attaches the
whole file to that case — as the signed version of the document, or as received originals.
A signed copy of the letter a case waits for (`ppid.casework.workflow`'s "signed" step)
completes that step. The receipt prints together with the numbered copy of the form made beside it.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.casework.workflow import complete_signature
from ppid.core.calendar import calendar_from_settings, format_tanggal
from ppid.core.db import write_session
from ppid.core.errors import ConfigError, NotFoundError
from ppid.core.messages import history_note
from ppid.core.models import Case, CaseDocument, CaseEvent, IntakeFile, IntakeStatus
from ppid.core.paths import DOSSIER_NAME, archived, form_copy_path, print_folder
from ppid.core.settings import Settings
from ppid.core.vocabulary import DocumentKind
from ppid.intake.ledger import IntakeContext
from ppid.output.pdfa import ARCHIVAL, to_pdfa
from ppid.output.qr import page_payload, parse_payload, qr_svg, separator_payload
from ppid.output.render import render_pdf, save

log = logging.getLogger(__name__)

AGENT = "sistem-arsip"
# --- print versions ---------------------------------------------------------------------------


def printed_parts(settings: Settings, document: CaseDocument) -> list[Path]:
    """The files one printed document is made of: the receipt brings the numbered form copy.

    The form copy (`letters.render_receipt`) is a PDF of the bag without a database row, so a
    print batch built from documents would leave it out; it prints behind its receipt.
    """
    assert settings.archive is not None
    main = archived(settings, document.path)
    beside = form_copy_path(main)
    if document.role == "receipt" and beside.is_file():
        return [main, beside]
    return [main]


def print_version(settings: Settings, case: Case, document: CaseDocument, out: Path) -> Path:
    """`document` ready to print: every page stamped with its QR code, number and page n/N."""
    first, *more = printed_parts(settings, document)
    writer = PdfWriter(clone_from=PdfReader(first))
    for part in more:
        writer.append(PdfReader(part))
    on_form = [False] * len(PdfReader(first).pages)
    for part in more:  # the numbered form copy: QR clear of the form's corner markers
        on_form += [part == form_copy_path(first)] * len(PdfReader(part).pages)
    pages = len(writer.pages)
    stamps = [
        {
            "qr_svg": qr_svg(page_payload(str(case.number), document.id, n, pages)),
            "text": f"{case.number} · dok. {document.id} · hal. {n}/{pages}",
            "side": on_form[n - 1],
        }
        for n in range(1, pages + 1)
    ]
    overlay = PdfReader(io.BytesIO(render_pdf("archive/stamp.html", {"stamps": stamps})))
    for page, stamp in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(stamp)
    buffer = io.BytesIO()
    writer.write(buffer)
    title = f"Cetakan dokumen {document.id} — {case.number}"
    return save(to_pdfa(buffer.getvalue(), title=title, identifier=str(case.number)), out)


def print_batch(
    settings: Settings, session: Session, day: date | None = None
) -> tuple[Path | None, int]:
    """One print-ready PDF of every document generated on `day` (office date; default today).

    Written to `archive/print/<day>.pdf` and, when `archival.printer` is set, sent with `lp`.
    Returns the file (None when there is nothing) and the number of documents in it.
    """
    assert settings.archive is not None
    cal = calendar_from_settings(settings)
    day = day or datetime.now(cal.tz).date()
    documents = [
        d
        for d in session.scalars(select(CaseDocument).order_by(CaseDocument.id))
        if d.kind == DocumentKind.OUTPUT
        and d.created_at.astimezone(cal.tz).date() == day
        and archived(settings, d.path).is_file()
        and Path(d.path).name != DOSSIER_NAME  # the dossier is read, not filed
    ]
    if not documents:
        return None, 0
    folder = print_folder(settings)
    batch = PdfWriter()
    for document in documents:
        single = print_version(settings, document.case, document, folder / f".{document.id}.pdf")
        batch.append(single)
        single.unlink()
    out = folder / f"{day.isoformat()}.pdf"
    buffer = io.BytesIO()
    batch.write(buffer)
    save(to_pdfa(buffer.getvalue(), title=f"Cetakan {day.isoformat()}"), out)
    if settings.archival.printer:
        send_to_printer(settings.archival.printer, out)
    return out, len(documents)


def send_to_printer(printer: str, pdf: Path) -> None:
    """Hand the batch to CUPS; a missing `lp` or an unknown printer is a configuration error."""
    if shutil.which("lp") is None:
        raise ConfigError("print.no_cups", printer=printer, pdf=str(pdf))
    done = subprocess.run(["lp", "-d", printer, str(pdf)], capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(
            "print.refused", printer=printer, pdf=str(pdf), problem=done.stderr.strip()
        )


def separator_sheet(settings: Settings, case: Case, out: Path) -> Path:
    """A cover page for paper originals: scanned on top of a stack, it files the pages behind it."""
    context = {
        "office": settings.office,
        "case": case,
        "qr_svg": qr_svg(separator_payload(str(case.number))),
        "today": format_tanggal(datetime.now(calendar_from_settings(settings).tz).date()),
    }
    render_pdf("archive/separator.html", context, out, pdf_variant=ARCHIVAL)
    return out


# --- filing what comes back -------------------------------------------------------------------


@dataclass
class Filed:
    """A scanned file attached to its case by a QR code (a signed copy, or separated pages)."""

    number: str
    kind: str  # "signed" | "separated"
    document_id: int
    completed_step: bool = False  # the signed copy finished the step that waited for it

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.kind,
            "register_number": self.number,
            "document": self.document_id,
            "completed_step": self.completed_step,
        }


def codes_of(extraction: dict[str, Any]) -> list[dict[str, str]]:
    """Our QR payloads found on the file's cover-sheet pages, in page order."""
    found = []
    for document in extraction.get("documents") or []:
        if document.get("document_type") == "cover_sheet":
            payload = parse_payload(str((document.get("fields") or {}).get("code") or ""))
            if payload:
                found.append(payload)
    return found


def file_by_qr(ctx: IntakeContext, intake_id: int) -> Filed | None:
    """Attach an extracted file to a case when its first page carries one of our QR codes.

    Returns None (intake goes on as usual) when the file has no such code. A signed copy
    becomes a SIGNED document naming the document it signs; pages behind a separator sheet
    become ORIGINAL documents of the case. The case's archive is the intake flow's next stage.
    """
    with ctx.sessions() as session:  # most files carry no code: a read, no write lock
        codes = codes_of(session.get_one(IntakeFile, intake_id).extraction or {})
    if not codes:
        return None
    first = codes[0]
    with write_session(ctx.sessions) as session:  # reads the case, then files on it
        row = session.get_one(IntakeFile, intake_id)
        case = session.scalars(select(Case).where(Case.number == first["case"])).first()
        if case is None:
            raise NotFoundError("qr.unknown_case", name=row.original_name, number=first["case"])
        signed_of = _document_of(case, first.get("doc")) if first["kind"] == "doc" else None
        kind = "signed" if first["kind"] == "doc" else "separated"
        already = next((d for d in case.documents if d.sha256 == row.sha256), None)
        if already is not None:  # resumed after a crash: filed once only
            return Filed(str(case.number), kind, already.id)
        document = CaseDocument(
            case=case,
            kind=DocumentKind.SIGNED if kind == "signed" else DocumentKind.ORIGINAL,
            document_type=signed_of.document_type if signed_of else "other",
            role=f"signed:{signed_of.role}" if signed_of else "separated",
            path=str(row.stored_path),
            sha256=row.sha256,
            media_type="application/octet-stream",
            fields={
                "documents": (row.extraction or {}).get("documents") or [],
                "signs": signed_of.id if signed_of else None,
            },
        )
        session.add(document)
        note = (
            history_note("hardcopy.signed", document=signed_of.id, name=row.original_name)
            if signed_of
            else history_note("hardcopy.separated", name=row.original_name)
        )
        session.add(
            CaseEvent(
                case=case,
                actor=AGENT,
                action="document_signed" if signed_of else "document_received",
                note=note,
                data={"sha256": row.sha256, "signs": signed_of.id if signed_of else None},
            )
        )
        row.status = IntakeStatus.ASSEMBLED
        session.flush()
        completed = signed_of is not None and complete_signature(
            session, ctx.settings, case, document, row.original_name
        )
        filed = Filed(str(case.number), kind, document.id, completed)
    log.info("filed %s on %s as %s", intake_id, filed.number, filed.kind)
    return filed


def _document_of(case: Case, reference: str | None) -> CaseDocument | None:
    """The document a QR names: by id (print versions) or by name (a letter's own QR)."""
    for document in case.documents:
        if reference and reference.isdigit() and document.id == int(reference):
            return document
    for document in case.documents:
        if reference and document.kind == DocumentKind.OUTPUT and reference in document.path:
            return document
    return None
