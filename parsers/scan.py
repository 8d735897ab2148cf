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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from parsers import alignment, card_image, ktp, ourform
from parsers.classify import KTP_MIN_LABELS, PPID_CODE, classify_reading, ktp_label_score
from parsers.form_rows import pair_label_rows
from parsers.geometry import erase_leaders, map_box, rotate_by, skew_angle, to_grey
from parsers.labels import objection_from_lines
from parsers.model import Box, Document, DocumentType, TextLine
from parsers.ocr import (
    OcrError,
    Word,
    detect_rotation,
    ocr_words,
    reading_quality,
    rotate_box,
    rotate_upright,
    text_direction,
    unrotate_box,
    words_to_lines,
)
from parsers.page_image import flat_page
from parsers.signature import mark_ink
from parsers.upright import UPSIDE_DOWN_SURE, Quad, updown_score

log = logging.getLogger(__name__)

COVER_PREFIX = "PPIDSEP"
RETURN_PREFIX = "PPIDDOC"  # a printed document of ours coming back (signed): a cover_sheet too
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
    back: np.ndarray | None = None  # a flattened photo's pixels to the photo's (see page_image)


# Pages of one file read at once (threads: the OCR runs in Tesseract subprocesses), and what each
# page holds while it is read. A caller sharing the machine's OCR capacity with other files grants
# threads and a slot with `page_threads` (parsers read no settings).
PAGE_THREADS: ContextVar[int] = ContextVar("PAGE_THREADS", default=1)
PAGE_SLOT: ContextVar[Callable[[], AbstractContextManager[object]]] = ContextVar(
    "PAGE_SLOT", default=nullcontext
)


@contextmanager
def page_threads(
    count: int, slot: Callable[[], AbstractContextManager[object]] = nullcontext
) -> Iterator[None]:
    """Let `read_scanned_pages` read up to `count` pages of a file in parallel in this block,
    each page inside a `slot()` block: capacity is taken page by page, so a page that ends
    early frees its share for another file at once, not when this file is done."""
    threads, slots = PAGE_THREADS.set(max(1, count)), PAGE_SLOT.set(slot)
    try:
        yield
    finally:
        PAGE_THREADS.reset(threads)
        PAGE_SLOT.reset(slots)


def read_scanned_pages(images: Iterable[Image.Image], page_numbers: list[int]) -> list[Document]:
    """Read page images (numbered as in their file) into documents, grouping their pages.

    `images` may be lazy (files.rasterise_pages draws each page when it is taken): a page is
    taken only when a reader is free for it and let go once read, so a long bundle never has
    more page images alive than pages being read; only the small readings are kept.
    """
    source = iter(images)
    threads, slot = min(PAGE_THREADS.get(), len(page_numbers)), PAGE_SLOT.get()
    if threads > 1:
        return _group(_continue_forms(_read_in_parallel(source, page_numbers, threads, slot)))
    pages: list[_Page] = []
    for number in page_numbers:
        after_form = bool(pages) and pages[-1].kind == "objection_form" and not pages[-1].form
        with slot():  # drawn inside: rasterising a page is work too
            # never bound to a name here (nor kept in a zip tuple): gone when _read_page returns
            pages.append(_read_page(_next_page(source, number), number, after_form))
    _no_more_pages(source)
    return _group(pages)


def _read_in_parallel(
    images: Iterator[Image.Image],
    numbers: list[int],
    threads: int,
    slot: Callable[[], AbstractContextManager[object]],
) -> list[_Page]:
    """Up to `threads` pages read at once; the next page is taken only when one of them is done,
    so at most `threads` page images are alive (not `pool.map`, which takes every page first)."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="page")
    futures: list[Future[_Page]] = []
    running: set[Future[_Page]] = set()
    try:
        for number in numbers:
            while len(running) >= threads:
                done, pending = wait(running, return_when=FIRST_COMPLETED)
                running = set(pending)
                for finished in done:
                    finished.result()  # a page that failed stops the file now, not at the end
            futures.append(pool.submit(_read_taken, [_next_page(images, number)], number, slot))
            running.add(futures[-1])
        _no_more_pages(images)
        return [future.result() for future in futures]
    finally:  # a time limit hit in the caller does not wait for the pages still being read
        pool.shutdown(wait=False, cancel_futures=True)


def _read_taken(
    held: list[Image.Image], number: int, slot: Callable[[], AbstractContextManager[object]]
) -> _Page:
    """A pool thread's page: taken out of `held`, so once read neither the work item nor the
    future keeps the image alive while the next page is drawn."""
    with slot():
        return _read_page(held.pop(), number)


def _next_page(images: Iterator[Image.Image], number: int) -> Image.Image:
    image = next(images, None)
    if image is None:
        raise ValueError(f"no image for page {number}: fewer page images than page numbers")
    return image


def _no_more_pages(images: Iterator[Image.Image]) -> None:
    if next(images, None) is not None:
        raise ValueError("more page images than page numbers")


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
        if card is not None and card.fields.get("nik"):
            return _Page(number, "id_card", document=card)
        # a card whose outline was found but whose NIK was not read is read again as a page: a
        # small card (a crop pasted on A4, a quarter turn off) can read better from the whole page
        page = _read_sheet(image, number, after_form)
        if card is None or (page.kind == "id_card" and page.document.fields.get("nik")):
            return page
        return _Page(number, "id_card", document=card)  # the card's labels, if not its NIK
    except OcrError as err:
        document = Document("other", [number], "ocr", warnings=[f"page {number}: {err}"])
        return _Page(number, "other", document=document)


def _read_sheet(image: Image.Image, number: int, after_form: bool) -> _Page:
    """A photographed sheet is flattened and read like a scan; anything else as it is. The
    boxes found on a flattened sheet are mapped back onto the photo."""
    flat = flat_page(image)
    if flat is None:
        return _read_by_text(image, number, after_form)
    page = _read_by_text(flat.image, number, after_form)
    if page.document is not None:
        page.document.boxes = {
            name: (box[0], *map_box(flat.back, box[1:]))
            for name, box in page.document.boxes.items()
        }
    page.back = flat.back  # an objection form's boxes are mapped once it is read
    return page


def _card_first(image: Image.Image, number: int) -> Document | None:
    """An image that plainly shows a card is read as one (upside down too) without a page OCR."""
    card = card_image.card_candidate(image)
    if card is None:
        return None
    # An ink block may be any short text; only a real card outline earns the upside-down retry.
    turns = (card,) if card.method == "ink" else (card, card_image.turned_over(card))
    for candidate in turns:
        document = ktp.read_ktp(image, number, card=candidate)
        if ktp_label_score(document.text) >= KTP_MIN_LABELS or ktp.header_and_nik(document):
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
    kind = classify_reading(text)
    if kind == "other" and after_form and _CONTINUATION.search(text):
        kind = "objection_form"
    if kind == "id_card":
        upright = rotate_upright(image, rotate)
        printed = [
            rotate_box(line.box, rotate, image.size) for line in read.lines if _is_print(line)
        ]
        card = card_image.card_around(upright, printed)
        document = ktp.read_ktp(upright, number, card=card)
        document.boxes = {k: _unrotate(b, rotate, image.size) for k, b in document.boxes.items()}
        document.warnings[:0] = warnings
        return _Page(number, "id_card", document=document)
    if kind == "cover_sheet":
        codes = PPID_CODE.findall(text)
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
    """OCR the page the right way up, in one reading unless the page really is not upright.

    The line direction settles 0/180 against 90/270 and the balance of ascenders and
    descenders settles up against down (both a few ms, no Tesseract). A reading is upright
    when it shows known words, or reads with good confidence (print read upside down scores
    under 0.5; a short closing page of names and signatures shows no known words); low
    confidence alone proves nothing (a bitonal 200 dpi page reads upright at under 0.7). Only a
    reading that is neither turns the page over and reads again; Tesseract's OSD is the last
    resort.
    """
    grey = to_grey(image)
    base = text_direction(grey)
    levelled = _level(grey, base)
    score = updown_score(levelled.clean)
    first = levelled if score >= 0 else levelled.turned_over()
    tried: list[tuple[tuple[int, float], int, list[TextLine]]] = []
    for page in (first, None):  # the other way round only when the first reading fails
        page = page or (levelled.turned_over() if first is levelled else levelled)
        lines, quality, known = _read_levelled(page, image.size, number)
        tried.append(((known, quality), page.rotate, lines))
        sure = abs(score) >= UPSIDE_DOWN_SURE and quality >= GOOD_READING / 2
        if known >= KNOWN_WORDS_UPRIGHT or quality >= GOOD_READING or (sure and page is first):
            return _Read(lines, page.rotate)
    osd = detect_rotation(image)
    if osd is not None and osd not in {rotate for _, rotate, _ in tried}:
        lines, quality, known = _read_levelled(_level(grey, osd), image.size, number)
        tried.append(((known, quality), osd, lines))
    (known, quality), rotate, lines = max(tried, key=lambda item: item[0])
    good = known >= KNOWN_WORDS_UPRIGHT or quality >= GOOD_READING / 2
    return _Read(lines, rotate if good else None)


KNOWN_WORDS_UPRIGHT = 3  # distinct form/letter words a reading must show to count as upright
_KNOWN_WORDS = frozenset(
    re.findall(
        r"\w+",
        "nama alamat pekerjaan nomor telepon informasi permohonan keberatan pengajuan kasus posisi "
        "alasan identitas pemohon kuasa tujuan penggunaan tanggal hari dengan yang saya untuk "
        "tidak atas hormat kepada provinsi kabupaten kota dinas jalan formulir surat perihal "
        "lampiran bersama kami telah pada dari akan oleh dalam ini berkas demikian petugas "
        "mengetahui agama kawin berlaku hingga kelamin darah lahir desa kecamatan",
    )
)


def known_words(words: list[Word]) -> int:
    """Distinct everyday form and letter words in a reading: upright print shows dozens,
    the same page read upside down shows none (its 'words' are shapes, not Indonesian)."""
    found = {re.sub(r"[^a-z]", "", word.text.lower()) for word in words}
    return len(found & _KNOWN_WORDS)


@dataclass(frozen=True)
class _Levelled:
    """A page turned by `rotate` and levelled: the image OCR reads and the way back."""

    rotate: int  # clockwise quarter turns applied to the original image
    level: np.ndarray  # grey, levelled
    clean: np.ndarray  # `level` with dotted leaders and rules blanked
    back: np.ndarray | None  # levelled pixels to the turned image's pixels
    flipped: bool = False  # `level` is the levelled page turned over (180°) once more

    def turned_over(self) -> _Levelled:
        """The same page upside down, without levelling it again."""
        return _Levelled(
            (self.rotate + 180) % 360,
            np.ascontiguousarray(self.level[::-1, ::-1]),
            np.ascontiguousarray(self.clean[::-1, ::-1]),
            self.back,
            not self.flipped,
        )

    def to_image(self, box: Quad, size: tuple[int, int]) -> Quad:
        """A box on this levelled page in the original image's pixels."""
        if self.flipped:
            height, width = self.level.shape
            box = (width - box[2], height - box[3], width - box[0], height - box[1])
        turn = (self.rotate + 180) % 360 if self.flipped else self.rotate
        return unrotate_box(map_box(self.back, box), turn, size)


def _level(grey: np.ndarray, rotate: int) -> _Levelled:
    turned = to_grey(rotate_upright(Image.fromarray(grey), rotate))
    angle = skew_angle(turned)
    level, back = rotate_by(turned, angle) if abs(angle) >= 0.3 else (turned, None)
    return _Levelled(rotate % 360, level, erase_leaders(level), back)


def _read_levelled(
    page: _Levelled, size: tuple[int, int], number: int
) -> tuple[list[TextLine], float, int]:
    """One OCR of a levelled page: its lines (ink marks added, boxes in the original image's
    pixels), the reading's quality and how many known words it shows."""
    words = ocr_words(Image.fromarray(page.clean))
    levelled = words_to_lines(words, number)
    marked = mark_ink(pair_label_rows(levelled), page.level)
    lines = [replace(line, box=page.to_image(line.box, size)) for line in marked]
    return lines, reading_quality(words), known_words(words)


def _is_print(line: TextLine) -> bool:
    """A line a page reading is sure of: a card's print, not marks read off a table's grain."""
    return line.confidence >= 0.6 and sum(ch.isalnum() for ch in line.text) >= 3


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
        flattened = {page.number: page.back for page in group if page.back is not None}
        document.boxes = {
            name: (box[0], *map_box(flattened[box[0]], box[1:])) if box[0] in flattened else box
            for name, box in document.boxes.items()
        }
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
