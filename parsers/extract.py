"""The extraction pipeline: one file in, its documents out, within limits, never raising.

Steps, in order: check and sniff the file (files.py); for a PDF, take AcroForm values and text
layers first (digital.py, labels.py) and rasterise only pages without usable text; for images and
rasterised pages, hand over to the OCR readers (scan.py) one page at a time (each drawn or decoded
when it is read, never all at once); classify pages, split a bundle into documents of consecutive
pages, and cross-check the form's NIK against the ID card's. Last, each field's confidence:
the doubt rules, then the fitted calibration table (confidence.py).
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

from parsers.acroform import acroform_document
from parsers.classify import PPID_CODE, classify_text
from parsers.confidence import calibrate, doubt_empty_fields, doubt_garbled_values
from parsers.files import (
    PDF,
    Deadline,
    bomb_message,
    corrupt_message,
    read_input,
    time_limit_message,
)
from parsers.image_files import image_pages
from parsers.labels import objection_from_lines
from parsers.model import (
    Document,
    DocumentType,
    ExtractionError,
    ExtractionLimits,
    FileResult,
    TextLine,
)
from parsers.nik import check_niks_match
from parsers.ourform_text import our_form_document, our_form_page
from parsers.page_drawing import Drawing, page_drawing
from parsers.pasted_signature import mark_signature
from parsers.pdf_safety import open_pdf, page_size_points
from parsers.raster import rasterise_pages
from parsers.reasons import mark_painted_boxes
from parsers.scan import read_scanned_pages
from parsers.text_layer import PageText, page_lines, text_layer, usable_text

log = logging.getLogger(__name__)


class _Timeout(Exception):
    """Raised inside the worker by the alarm when a file exceeds its time limit."""


def extract_file(
    path: Path, limits: ExtractionLimits | None = None, calibrated: bool = True
) -> FileResult:
    """Read one file into documents; any failure becomes `error`, a sentence a clerk can act on.

    `calibrated=False` leaves each confidence as the evidence and doubt rules set it, before the
    fitted table maps it: the scores bench/calibrate.py fits that table on.
    """
    limits = limits or ExtractionLimits()
    path = Path(path)
    result = FileResult(file=str(path))
    deadline = Deadline.start(limits.max_seconds)
    try:
        with _alarm(limits.max_seconds):
            result.documents = _extract(path, limits, deadline, calibrated)
    except ExtractionError as error:
        result.error = str(error)
    except _Timeout:
        result.error = time_limit_message(path.name, limits.max_seconds)
    except LimitReachedError:
        result.error = bomb_message(path.name)
    except MemoryError:
        result.error = f"{path.name}: the file needs more memory than we allow; it was not read."
    except RecursionError as error:
        result.error = corrupt_message(path.name, error)
    except Exception as error:  # the contract: never raise, always say what happened
        log.exception("unexpected failure reading %s", path)
        result.error = (
            f"{path.name}: unexpected {type(error).__name__} while reading ({error}). "
            "Please report this file to the system administrator."
        )
    if result.error:
        result.documents = []
    return result


def extract_files(
    paths: Iterable[Path],
    jobs: int = 1,
    limits: ExtractionLimits | None = None,
    calibrated: bool = True,
) -> Iterator[FileResult]:
    """Results in input order; with jobs > 1 files are read in parallel processes."""
    paths = [Path(p) for p in paths]
    limits = limits or ExtractionLimits()
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            yield extract_file(path, limits, calibrated)
        return
    chunk = max(1, min(16, len(paths) // (jobs * 4)))
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            each = [limits] * len(paths), [calibrated] * len(paths)
            for result in pool.map(extract_file, paths, *each, chunksize=chunk):
                done += 1
                yield result
    except BrokenProcessPool:
        for path in paths[done:]:
            yield FileResult(
                file=str(path),
                error=f"{path.name}: the reader process crashed (out of memory?); not read.",
            )


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """A hard stop for pure-Python loops on a hostile file; only possible in the main thread."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def ring(_signum: int, _frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extract(
    path: Path, limits: ExtractionLimits, deadline: Deadline, calibrated: bool
) -> list[Document]:
    kind, data = read_input(path, limits)
    if kind == PDF:
        reader, notes = open_pdf(data, path.name, limits)
        documents = _read_pdf(path, reader, limits, deadline)
    else:
        count, images = image_pages(data, path.name, limits, deadline)
        notes = []
        documents = _read_scans(images, list(range(1, count + 1)), deadline, path.name)
    documents = _merge_continuations(sorted(documents, key=lambda d: d.pages[0]))
    cross_check(documents)
    for document in documents:
        document.warnings[:0] = notes
        doubt_garbled_values(document)
        doubt_empty_fields(document)
        if calibrated:
            calibrate(document)
    return documents


# --- PDF ---------------------------------------------------------------------------------------


def _read_pdf(
    path: Path, reader: PdfReader, limits: ExtractionLimits, deadline: Deadline
) -> list[Document]:
    documents: list[Document] = []
    acro = acroform_document(reader)
    covered = set(acro.pages) if acro else set()
    if acro:
        documents.append(acro)
    text_pages: list[tuple[int, DocumentType, list[TextLine]]] = []
    to_scan: list[int] = []
    layer = _text_layer(path, deadline) if len(covered) < len(reader.pages) else {}
    if layer:
        ours, blank = _our_form_documents(layer, covered)
        documents.extend(ours)
        covered |= {number for document in ours for number in document.pages}
        to_scan.extend(blank)  # our form with no typed values: handwriting or drawn ink
        covered |= set(blank)
    for index in range(len(reader.pages)):
        number = index + 1
        if number in covered:
            continue
        deadline.check(path.name)
        page = layer.get(number) if layer is not None else None
        lines = page.lines if page is not None else _lines(reader, index, path.name)
        kind = classify_text("\n".join(line.text for line in lines)) if usable_text(lines) else None
        if kind == "objection_form":
            lines = mark_painted_boxes(lines, _drawing(reader, index).squares)
        after_form = bool(text_pages) and text_pages[-1][:2] == (number - 1, "objection_form")
        if after_form and kind in (None, "other") and lines and _is_tail(lines):
            kind = "objection_form"  # the signature block or last lines spilled onto this page
        if kind is None or kind == "id_card":
            to_scan.append(number)  # no text layer, or a card: its photo needs the OCR reader
        else:
            text_pages.append((number, kind, lines))
    to_scan.sort()
    documents.extend(_text_documents(text_pages))
    for document in documents:
        if document.method == "text" and document.document_type == "objection_form":
            mark_signature(reader, document)
    if to_scan:
        sizes = [(n, *page_size_points(reader, n - 1)) for n in to_scan]
        pages = rasterise_pages(path, sizes, limits, deadline, reader)  # drawn one by one
        documents.extend(_read_scans(pages, to_scan, deadline, path.name))
    return documents


def _our_form_documents(
    layer: dict[int, PageText], covered: set[int]
) -> tuple[list[Document], list[int]]:
    """Pages of our own form: typed ones read zone by zone (one document per form), and the
    page numbers of those with nothing typed, which need the scan reader for their ink.
    """
    forms: list[list[tuple[int, int, list[TextLine]]]] = []
    for number in sorted(set(layer) - covered):
        form_page = our_form_page(layer[number].lines)
        if form_page is None:
            continue
        last = forms[-1][-1] if forms else None
        if last and last[0] == number - 1 and last[1] < form_page:
            forms[-1].append((number, form_page, layer[number].words))
        else:
            forms.append([(number, form_page, layer[number].words)])
    typed, blank = [], []
    for pages in forms:
        document = our_form_document(pages)
        if (document.fields.get("applicant") or {}).get("name"):
            typed.append(document)
        else:
            blank.extend(number for number, _, _ in pages)
    return typed, blank


def _text_layer(path: Path, deadline: Deadline) -> dict[int, PageText] | None:
    try:
        return text_layer(path, max(0.5, deadline.remaining()))
    except subprocess.TimeoutExpired as error:
        raise ExtractionError(time_limit_message(path.name, deadline.limit)) from error


def _drawing(reader: PdfReader, index: int) -> Drawing:
    try:
        return page_drawing(reader, index)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        log.info(
            "page %d drawing unreadable (%s); boxes painted on it are not seen", index + 1, error
        )
        return Drawing()


def _lines(reader: PdfReader, index: int, name: str) -> list[TextLine]:
    try:
        return page_lines(reader, index)
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        log.info("%s: page %d text layer unreadable (%s); will rasterise", name, index + 1, error)
        return []


def _text_documents(pages: list[tuple[int, DocumentType, list[TextLine]]]) -> list[Document]:
    """Consecutive pages of one kind become one document; each cover sheet stands alone."""
    groups: list[list[tuple[int, DocumentType, list[TextLine]]]] = []
    for page in pages:
        last = groups[-1][-1] if groups else None
        joins = last and last[0] == page[0] - 1 and last[1] == page[1] != "cover_sheet"
        if joins and not (page[1] == "objection_form" and _starts_form(page[2])):
            groups[-1].append(page)
        else:
            groups.append([page])
    return [_text_document(group) for group in groups]


def _is_tail(lines: list[TextLine]) -> bool:
    """A short page, or one holding a signature block, is the end of the form before it."""
    return _is_tail_text(" ".join(line.text for line in lines))


def _is_tail_text(text: str) -> bool:
    closing = re.search(r"pengaju\s+keberatan|hormat\s+saya|mengetahui|tanda\s+tangan", text, re.I)
    return 0 < len(text.split()) < 12 or closing is not None


def _starts_form(lines: list[TextLine]) -> bool:
    """A page that opens a new form (title at the top) rather than continuing the last one."""
    top = " ".join(line.text for line in lines[:4]).lower()
    return bool(re.search(r"formulir|yang\s+bertanda\s+tangan|perihal", top))


def _text_document(group: list[tuple[int, DocumentType, list[TextLine]]]) -> Document:
    kind = group[0][1]
    lines = [line for _, _, page_lines_ in group for line in page_lines_]
    numbers = [number for number, _, _ in group]
    if kind == "objection_form":
        document = objection_from_lines(lines, method="text")
        document.pages = numbers
        return document
    text = "\n".join(line.text for line in lines)
    fields: dict[str, object] = {}
    if kind == "cover_sheet":
        codes = PPID_CODE.findall(text)
        fields = {"code": codes[0] if codes else None}
    return Document(document_type=kind, pages=numbers, method="text", fields=fields, text=text)


# --- scans -------------------------------------------------------------------------------------


def _read_scans(
    images: Iterator[Image.Image], numbers: list[int], deadline: Deadline, name: str
) -> list[Document]:
    """Hand page images to the OCR side, which finds our form, KTPs and foreign forms.

    `images` is lazy (each page drawn or decoded when the reader takes it, after a deadline
    check); it is passed on as it is, never turned into a list, so pages are read and let go
    one by one and a long bundle costs the memory of a page or two, not of all of them.
    """
    deadline.check(name)
    return read_scanned_pages(images, numbers)


# --- whole file ----------------------------------------------------------------------------------


def _merge_continuations(documents: list[Document]) -> list[Document]:
    """A form page without an applicant name right after a form is that form's next page; so is
    a short page or a signature block (an 'other' page) right after it.
    """
    merged: list[Document] = []
    for document in documents:
        last = merged[-1] if merged else None
        continues = (
            last is not None
            and last.document_type == document.document_type == "objection_form"
            and last.method == document.method
            and last.pages[-1] + 1 == document.pages[0]
            and not (document.fields.get("applicant") or {}).get("name")
        )
        tail = (
            last is not None
            and last.document_type == "objection_form"
            and document.document_type == "other"
            and last.pages[-1] + 1 == document.pages[0]
            and _is_tail_text(document.text)
        )
        if (continues or tail) and last is not None:
            _absorb(last, document)
        else:
            merged.append(document)
    return merged


def _absorb(into: Document, other: Document) -> None:
    for key, value in other.fields.items():
        if isinstance(value, dict) and isinstance(into.fields.get(key), dict):
            for leaf, leaf_value in value.items():
                if into.fields[key].get(leaf) in (None, "", []):
                    into.fields[key][leaf] = leaf_value
        elif into.fields.get(key) in (None, "", [], False) and value not in (None, "", []):
            into.fields[key] = value
            if key in other.confidence:
                into.confidence[key] = other.confidence[key]
    for key, box in other.boxes.items():
        into.boxes.setdefault(key, box)
    into.pages.extend(other.pages)
    into.warnings.extend(w for w in other.warnings if w not in into.warnings)
    into.text = "\n".join(filter(None, (into.text, other.text)))


def cross_check(documents: list[Document]) -> None:
    """The NIK on the form must be the NIK on a card in the same file; else warn and doubt it."""
    cards = [d.fields.get("nik") for d in documents if d.document_type == "id_card"]
    for form in (d for d in documents if d.document_type == "objection_form"):
        form_nik = (form.fields.get("applicant") or {}).get("nik")
        problems = [p for card in cards for p in check_niks_match(form_nik, card)]
        if problems and len(problems) == len([c for c in cards if c]):
            form.warnings.extend(problems)
            form.confidence["applicant.nik"] = min(form.confidence.get("applicant.nik", 1.0), 0.5)
