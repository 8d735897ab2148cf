"""Scanned pages to documents: our form by its marks, ID cards, foreign forms by labels, the rest.

Per page, cheapest test first: our form's markers and QR codes (no OCR at all), a cover sheet's
QR code, a card-shaped object (one OCR of the card); only then orientation detection and one
full-page OCR, whose text decides between a KTP, a foreign objection form and anything else.
Consecutive pages of one document are grouped: our form's pages 1/2 and 2/2, the pages of a
foreign form, a run of other pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from PIL import Image

from parsers import alignment, card_image, ktp, ourform
from parsers.geometry import erase_leaders, map_box, rotate_by, skew_angle, to_grey
from parsers.labels import objection_from_lines
from parsers.model import Box, Document, DocumentType, TextLine
from parsers.ocr import (
    OcrError,
    detect_rotation,
    ocr_words,
    reading_quality,
    rotate_upright,
    text_direction,
    unrotate_box,
    words_to_lines,
)

log = logging.getLogger(__name__)

COVER_PREFIX = "PPIDSEP"
RETURN_PREFIX = "PPIDDOC"  # a printed document of ours coming back (signed): a cover_sheet too
KTP_MIN_LABELS = 3  # distinct card-only labels a read must show to count as an ID card
_CODE = re.compile(r"PPID(?:SEP|KEB)\S*")
_SPLIT_EMAIL = re.compile(r"(:\s*)([a-z0-9.]+) ([a-z0-9._-]+@)")
GOOD_READING = 0.7  # reading quality of upright print; upside-down text scores under 0.5
_CONTINUATION = re.compile(
    r"keberatan|kasus\s+posisi|alasan|mengetahui|hormat\s+saya|demikian|tanda\s+tangan", re.I
)


@dataclass
class _Page:
    """One page read: either a page of our form, or a kind with its document or lines."""

    number: int
    kind: DocumentType
    form: ourform.PageReading | None = None
    document: Document | None = None
    lines: list[TextLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# Pages of one file read at once (threads: the OCR runs in Tesseract subprocesses). A caller that
# holds more of the machine's OCR capacity grants it with `page_threads` (parsers read no settings).
PAGE_THREADS: ContextVar[int] = ContextVar("PAGE_THREADS", default=1)


@contextmanager
def page_threads(count: int) -> Iterator[None]:
    """Let `read_scanned_pages` read up to `count` pages of a file in parallel in this block."""
    token = PAGE_THREADS.set(max(1, count))
    try:
        yield
    finally:
        PAGE_THREADS.reset(token)


def read_scanned_pages(images: list[Image.Image], page_numbers: list[int]) -> list[Document]:
    """Read page images (numbered as in their file) into documents, grouping their pages."""
    threads = min(PAGE_THREADS.get(), len(images))
    if threads > 1:
        return _group(_continue_forms(_read_in_parallel(images, page_numbers, threads)))
    pages: list[_Page] = []
    for image, number in zip(images, page_numbers, strict=True):
        after_form = bool(pages) and pages[-1].kind == "objection_form" and not pages[-1].form
        pages.append(_read_page(image, number, after_form))
    return _group(pages)


def _read_in_parallel(images: list[Image.Image], numbers: list[int], threads: int) -> list[_Page]:
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="page")
    try:
        return list(pool.map(_read_page, images, numbers))
    finally:  # a time limit hit in the caller does not wait for the pages still being read
        pool.shutdown(wait=False, cancel_futures=True)


def _continue_forms(pages: list[_Page]) -> list[_Page]:
    """What the sequential reading decides page by page: a foreign form's closing page after it."""
    for index in range(1, len(pages)):
        last, page = pages[index - 1], pages[index]
        after_form = last.kind == "objection_form" and not last.form
        text = page.document.text if page.document is not None else ""
        if after_form and page.kind == "other" and page.lines and _CONTINUATION.search(text):
            warnings = page.document.warnings if page.document is not None else []
            pages[index] = _Page(page.number, "objection_form", lines=page.lines, warnings=warnings)
    return pages


def _read_page(image: Image.Image, number: int, after_form: bool = False) -> _Page:
    codes, grey, scale = alignment.find_codes(image)
    aligned = alignment.align_codes(codes, grey, scale)
    if aligned is not None:
        return _Page(number, "objection_form", form=ourform.read_page(aligned, number))
    covers = [text for text, _ in codes.qr if text.startswith((COVER_PREFIX, RETURN_PREFIX))]
    if covers:
        return _Page(number, "cover_sheet", document=_cover(covers[0], number, ""))
    try:
        card = _card_first(image, number)
        if card is not None:
            return _Page(number, "id_card", document=card)
        return _read_by_text(image, number, after_form)
    except OcrError as err:
        document = Document("other", [number], "ocr", warnings=[f"page {number}: {err}"])
        return _Page(number, "other", document=document)


def _card_first(image: Image.Image, number: int) -> Document | None:
    """An image that plainly shows a card is read as one (upside down too) without a page OCR."""
    card = card_image.card_candidate(image)
    if card is None:
        return None
    # An ink block may be any short text; only a real card outline earns the upside-down retry.
    turns = (card,) if card.method == "ink" else (card, card_image.turned_over(card))
    for candidate in turns:
        document = ktp.read_ktp(image, number, card=candidate)
        if ktp.ktp_label_score(document.text) >= KTP_MIN_LABELS:
            return document
    return None


def _read_by_text(image: Image.Image, number: int, after_form: bool) -> _Page:
    """Orientation, one full-page OCR, then classify by the words found.

    A page right after a foreign form's page that only holds its closing (signatures, "Kasus
    Posisi", "Mengetahui") continues that form rather than being "other".
    """
    warnings: list[str] = []
    read = _upright_read(image, number)
    if read.rotate is None:
        warnings.append(f"page {number}: orientation uncertain; text may be unreadable")
    rotate = read.rotate or 0
    text = "\n".join(line.text for line in read.lines)
    kind = _classify(text)
    if kind == "other" and after_form and _CONTINUATION.search(text):
        kind = "objection_form"
    if kind == "id_card":
        document = ktp.read_ktp(rotate_upright(image, rotate), number)
        document.boxes = {k: _unrotate(b, rotate, image.size) for k, b in document.boxes.items()}
        document.warnings[:0] = warnings
        return _Page(number, "id_card", document=document)
    if kind == "cover_sheet":
        codes = _CODE.findall(text)
        return _Page(number, kind, document=_cover(codes[0] if codes else None, number, text))
    if kind == "objection_form":
        return _Page(number, kind, lines=read.lines, warnings=warnings)
    document = Document("other", [number], "ocr", warnings=warnings, text=text)
    return _Page(number, "other", document=document, lines=read.lines)  # lines: _continue_forms


@dataclass
class _Read:
    lines: list[TextLine]  # boxes in the original image's pixels
    rotate: int | None  # clockwise correction applied; None when no orientation read well


def _upright_read(image: Image.Image, number: int) -> _Read:
    """OCR the page the right way up, paying for a second reading only when the first is bad.

    The line direction (cheap) settles 0/180 against 90/270; the first OCR's own confidence
    then tells upright print (≈ 0.9) from upside-down (< 0.5), where the page is turned and
    read again. Tesseract's OSD costs as much as an OCR, so it is only the last resort.
    """
    base = text_direction(to_grey(image))
    tried: list[tuple[float, int, list[TextLine]]] = []
    for rotate in (base, base + 180):
        lines, quality = _read_turned(image, rotate % 360, number)
        tried.append((quality, rotate % 360, lines))
        if quality >= GOOD_READING:
            return _Read(lines, rotate % 360)
    osd = detect_rotation(image)
    if osd is not None and osd not in (base, (base + 180) % 360):
        lines, quality = _read_turned(image, osd, number)
        tried.append((quality, osd, lines))
    quality, rotate, lines = max(tried, key=lambda item: item[0])
    return _Read(lines, rotate if quality >= GOOD_READING / 2 else None)


def _read_turned(image: Image.Image, rotate: int, number: int) -> tuple[list[TextLine], float]:
    """One OCR of the page turned by `rotate`, levelled and cleaned; boxes mapped back."""
    grey = to_grey(rotate_upright(image, rotate))
    angle = skew_angle(grey)
    level, back = rotate_by(grey, angle) if abs(angle) >= 0.3 else (grey, None)
    words = ocr_words(Image.fromarray(erase_leaders(level)))

    def to_image(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return unrotate_box(map_box(back, box), rotate, image.size)

    lines = [
        TextLine(_rejoin_email(line.text), line.page, to_image(line.box), line.confidence)
        for line in words_to_lines(words, number)
    ]
    return lines, reading_quality(words)


def _rejoin_email(text: str) -> str:
    """'E-mail : siti hasan67@x.org' → 'siti_hasan67@x.org': Tesseract's Indonesian model reads
    an underscore as a space, and an address after a label never holds one."""
    return _SPLIT_EMAIL.sub(r"\1\2_\3", text)


def _classify(text: str) -> DocumentType:
    if ktp.ktp_label_score(text) >= KTP_MIN_LABELS + 1:
        return "id_card"
    from parsers.extract import classify_text  # the text-layer reader's rules, shared

    return classify_text(text)


def _unrotate(box: Box, rotate: int, size: tuple[int, int]) -> Box:
    return (box[0], *unrotate_box(box[1:], rotate, size))


def _cover(code: str | None, number: int, text: str) -> Document:
    return Document(
        "cover_sheet",
        [number],
        "ocr",
        fields={"code": code},
        confidence={"code": 1.0 if code else 0.0},
        text=text or (code or ""),
    )


def _group(pages: list[_Page]) -> list[Document]:
    """Consecutive pages of one document become one: form pages in order, foreign forms, others."""
    groups: list[list[_Page]] = []
    for page in pages:
        last = groups[-1][-1] if groups else None
        if last is not None and _continues(last, page):
            groups[-1].append(page)
        else:
            groups.append([page])
    return [_document(group) for group in groups]


def _continues(last: _Page, page: _Page) -> bool:
    if last.kind != page.kind or page.number != last.number + 1:
        return False
    if page.form is not None and last.form is not None:
        return page.form.form_page > last.form.form_page
    return page.kind in ("objection_form", "other") and (page.form is None) == (last.form is None)


def _document(group: list[_Page]) -> Document:
    first = group[0]
    if first.form is not None:
        return ourform.form_document([page.form for page in group if page.form is not None])
    if first.kind == "objection_form":
        lines = [line for page in group for line in page.lines]
        document = objection_from_lines(lines, method="ocr")
        document.pages = [page.number for page in group]
        document.warnings[:0] = [w for page in group for w in page.warnings]
        return document
    if len(group) == 1 and first.document is not None:
        return first.document
    documents = [page.document for page in group if page.document is not None]
    return Document(
        "other",
        [page.number for page in group],
        "ocr",
        warnings=[w for d in documents for w in d.warnings],
        text="\n\f".join(d.text for d in documents),
    )
