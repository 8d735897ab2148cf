"""The dossier: one PDF/A per case with bookmarks — cover, form, masked ID, letters, history.

Pages of the received form, the ID card and our letters are shown as images (rasterised with
pdftoppm), so one WeasyPrint document holds them all and stays PDF/A-3b; the letters themselves
stay searchable in `data/outputs/`. The ID card's NIK is blacked out where the extraction found
it; when it was not found the whole card is blurred, and the page says so.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader

from ppid.archive.bagmeta import case_metadata
from ppid.core.calendar import calendar_from_settings, format_tanggal
from ppid.core.errors import BadInputError
from ppid.core.masking import mask_nik
from ppid.core.messages import file_note
from ppid.core.models import Case, CaseDocument
from ppid.core.settings import Settings
from ppid.core.vocabulary import REASON_TEXTS, DocumentKind
from ppid.output.pdfa import ARCHIVAL, make_archival
from ppid.output.qr import document_payload, qr_svg
from ppid.output.render import render_pdf

log = logging.getLogger(__name__)

DPI = 100  # enough to read a letter on screen; keeps the dossier small


@dataclass
class Section:
    """One bookmarked part of the dossier: a title, images of pages, an optional note."""

    title: str
    images: list[str]
    note: str = ""


def render_dossier(settings: Settings, case: Case, out: Path) -> Path:
    """Write the case's dossier to `out` as PDF/A-3b with case.json attached."""
    assert settings.archive is not None
    cal = calendar_from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="ppid-dossier-") as tmp:
        work = Path(tmp)
        sections = _sections(settings.archive, case, out, work)
        context = {
            "office": settings.office,
            "case": case,
            "nik": mask_nik(case.applicant_nik) or "-",
            "qr_svg": qr_svg(document_payload(case.number, "berkas-lengkap")),
            "received": format_tanggal(case.received_at.astimezone(cal.tz).date(), weekday=False),
            "due": format_tanggal(case.answer_due, weekday=False) if case.answer_due else "-",
            "reasons": [(r, REASON_TEXTS[r]) for r in case.reasons],
            "sections": sections,
            "events": [
                {
                    "at": e.at.astimezone(cal.tz).strftime("%d-%m-%Y %H:%M"),
                    "actor": e.actor,
                    "action": e.action,
                    "note": e.note or "",
                }
                for e in case.events
            ],
        }
        draft = work / "dossier.pdf"
        render_pdf("archive/dossier.html", context, draft, pdf_variant=ARCHIVAL)
        metadata = json.dumps(case_metadata(case), ensure_ascii=False, indent=2).encode()
        title = file_note("dossier.title", number=case.number)
        number = str(case.number)
        return make_archival(draft, out, metadata=metadata, title=title, identifier=number)


def _sections(archive: Path, case: Case, out: Path, work: Path) -> list[Section]:
    originals = [d for d in case.documents if d.kind != DocumentKind.OUTPUT]
    outputs = sorted(
        (d for d in case.documents if d.kind == DocumentKind.OUTPUT),
        key=lambda d: (d.created_at, Path(d.path).name),
    )
    sections = []
    for document in originals:
        source = archive / document.path
        if not source.is_file():
            sections.append(
                Section(_original_title(document), [], file_note("dossier.original_missing"))
            )
            continue
        images = _page_images(source, work, f"o{document.id}")
        note = ""
        if document.role == "id_card" or document.document_type in ("id_card", "bundle"):
            images, note = _mask_id_pages(document, images)
        sections.append(Section(_original_title(document), [i.as_uri() for i in images], note))
    for document in outputs:
        source = archive / document.path
        if source.resolve() == out.resolve() or not source.is_file():
            continue
        images = _page_images(source, work, f"d{document.id}")
        sections.append(Section(_letter_title(source), [i.as_uri() for i in images]))
    known = {(archive / d.path).resolve() for d in outputs} | {out.resolve()}
    for index, pdf in enumerate(sorted(out.parent.glob("*.pdf"))):
        if pdf.resolve() not in known:  # made beside a letter, e.g. the numbered form copy
            images = _page_images(pdf, work, f"x{index}")
            sections.append(Section(_letter_title(pdf), [i.as_uri() for i in images]))
    return sections


def _original_title(document: CaseDocument) -> str:
    name = Path(document.path).name
    if document.kind == DocumentKind.SIGNED:  # a printed letter back with its wet signature
        return file_note("dossier.signed", name=name)
    role = str(document.role) if document.role in ("form", "id_card") else "received"
    return file_note(f"dossier.{role}", name=name)


def _letter_title(path: Path) -> str:
    name = path.stem
    return file_note("dossier.document", name=name.split("-", 1)[-1].replace("-", " ").capitalize())


def _page_images(source: Path, work: Path, prefix: str) -> list[Path]:
    """Every page of `source` (a PDF or an image) as a PNG/JPEG under `work`."""
    if source.suffix.lower() == ".pdf" or source.read_bytes()[:5] == b"%PDF-":
        command = ["pdftoppm", "-r", str(DPI), "-png", str(source), str(work / prefix)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        except (subprocess.SubprocessError, OSError) as error:
            raise BadInputError(
                "archive.rasterise", source=str(source), name=source.name, problem=str(error)
            ) from error
        return sorted(work.glob(f"{prefix}-*.png"))
    pages = []
    with Image.open(source) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            target = work / f"{prefix}-{index + 1:03d}.jpg"
            image.convert("RGB").save(target, quality=85)
            pages.append(target)
    return pages


def _mask_id_pages(document: CaseDocument, images: list[Path]) -> tuple[list[Path], str]:
    """Black out the NIK on the card's page(s); blur a page whose NIK was not located."""
    extracted: list[dict[str, Any]] = (document.fields or {}).get("documents") or []
    cards = [d for d in extracted if d.get("document_type") == "id_card"]
    note = file_note("dossier.card_masked")
    masked = []
    card_pages = {p for c in cards for p in c.get("pages") or []} or {1}
    for number, path in enumerate(images, 1):
        if number not in card_pages:
            masked.append(path)
            continue
        boxes = [c.get("boxes", {}).get("nik") for c in cards]
        box = next((b for b in boxes if b and int(b[0]) == number), None)
        masked.append(_mask(path, box, document))
        if box is None:
            note = file_note("dossier.card_blurred")
    return masked, note


def _mask(path: Path, box: list[float] | None, document: CaseDocument) -> Path:
    with Image.open(path) as image:
        page = image.convert("RGB")
    if box is None:
        page = page.filter(ImageFilter.GaussianBlur(radius=max(6, page.width // 80)))
    else:
        scale = _box_scale(path, page, document)
        x0, y0, x1, y1 = (float(v) * scale for v in box[1:5])
        pad = 0.2 * min(x1 - x0, y1 - y0)  # the NIK line may run either way on a turned card
        ImageDraw.Draw(page).rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill="black")
    target = path.with_name(path.stem + "-masked.jpg")
    page.save(target, quality=85)
    return target


def _box_scale(path: Path, page: Image.Image, document: CaseDocument) -> float:
    """Boxes are in image pixels for images, in points or 300-dpi pixels for PDF pages."""
    if not document.path.lower().endswith(".pdf"):
        return 1.0
    methods = {d.get("method") for d in (document.fields or {}).get("documents") or []}
    if methods & {"digital", "text"}:
        return DPI / 72
    return DPI / 300


def pages_of(path: Path) -> int:
    return len(PdfReader(path).pages)
