"""Copies of a file with every full NIK taken out, for those who may see only masked NIKs.

A PDF we made prints the NIK masked but carries the full one in its attached `case.json`: its
attachments and metadata are masked, and if the copy still holds a full NIK anywhere (page text,
a form field, any stream) it is drawn instead. A drawn copy is every page as an image, with
every place a NIK sits blacked out: the words that spell one (the text layer), the form fields
that hold one, and the boxes where extraction read one; it keeps no text, fields or
attachments. An image (a scan) is redrawn with the same boxes blacked out, its metadata left
behind. When a file holds a NIK and no place for it is known, there is no safe copy
(CannotRedact): the caller refuses.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

import pikepdf
from PIL import Image, ImageDraw, ImageOps

from ppid.core.masking import mask_nik, mask_niks_in

log = logging.getLogger(__name__)

DRAW_DPI = 150
POINTS_PER_INCH = 72.0
SCAN_DPI = 300  # extraction's boxes on scanned PDF pages are in pixels at this resolution
PAD = 3.0  # points around a blacked-out place
NIK_LENGTH = 16
NIK_RUN = re.compile(rb"(?<!\d)\d{16}(?!\d)")
_PUNCTUATION = ".,;:()[]/-'\"«»"

Unit = Literal["pt", "px300", "px"]


class CannotRedact(Exception):
    """The file holds a NIK whose place is not known: no copy without it can be made."""


@dataclass(frozen=True)
class Region:
    """A place on a page (from 1), origin top-left: PDF points, 300-dpi pixels of a scanned PDF
    page, or pixels of an image file."""

    page: int
    box: tuple[float, float, float, float]
    unit: Unit = "pt"


@dataclass(frozen=True)
class Redacted:
    data: bytes
    media_type: str
    suffix: str  # of the copy's file name: ".pdf", ".png", ".jpg"


def redact_text(text: str, niks: set[str]) -> str:
    """`text` with the known NIKs and any other sixteen-digit run masked."""
    for nik in niks:
        text = text.replace(nik, mask_nik(nik) or "")
    return mask_niks_in(text)


def holds_nik(data: bytes, niks: set[str]) -> bool:
    """Whether these bytes spell a known NIK or any sixteen-digit run."""
    return any(nik.encode() in data for nik in niks) or NIK_RUN.search(data) is not None


def redact(path: Path, niks: set[str], regions: list[Region], expected: bool) -> Redacted:
    """A copy of `path` (a PDF or an image) without a full NIK. `expected`: the file is known to
    hold one (a form, a value read from it), so finding no place for it means no safe copy."""
    with path.open("rb") as head:
        is_pdf = b"%PDF-" in head.read(1024)
    if is_pdf:
        return redact_pdf(path, niks, regions, expected)
    return redact_image(path, regions, expected)


# --- PDF -----------------------------------------------------------------------------------------


def redact_pdf(path: Path, niks: set[str], regions: list[Region], expected: bool) -> Redacted:
    """A PDF not known to hold a NIK on its pages keeps its pages, with attachments and metadata
    masked, when nothing of it then spells a NIK; any other is drawn."""
    if not regions and not expected:
        masked = masked_metadata(path, niks)
        if masked is not None and not pdf_holds_nik(masked, niks):
            return Redacted(masked, "application/pdf", ".pdf")
        expected = True  # it holds one: drawn, its place must be found
    return Redacted(drawn_pdf(path, niks, regions, expected), "application/pdf", ".pdf")


def masked_metadata(path: Path, niks: set[str]) -> bytes | None:
    """The PDF with its attached files, XMP and document info masked (None if it cannot be
    opened; it is drawn then)."""
    try:
        with pikepdf.open(path) as pdf:
            for spec in pdf.attachments.values():
                stream = spec.obj.get("/EF", {}).get("/F")
                if isinstance(stream, pikepdf.Stream):
                    _mask_stream(stream, niks)
            metadata = pdf.Root.get("/Metadata")
            if isinstance(metadata, pikepdf.Stream):
                _mask_stream(metadata, niks)
            for key, value in list(pdf.docinfo.items()):
                pdf.docinfo[key] = pikepdf.String(redact_text(str(value), niks))
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
    except (pikepdf.PdfError, OSError, ValueError) as error:
        log.info("%s: its metadata cannot be masked in place (%s); drawn instead", path, error)
        return None


def _mask_stream(stream: pikepdf.Stream, niks: set[str]) -> None:
    data = stream.read_bytes()
    if not holds_nik(data, niks):
        return
    masked = redact_text(data.decode("utf-8", errors="replace"), niks).encode("utf-8")
    stream.write(masked)
    params = stream.get("/Params")
    if isinstance(params, pikepdf.Dictionary):
        params.Size = len(masked)
        if "/CheckSum" in params:
            del params["/CheckSum"]


def pdf_holds_nik(data: bytes, niks: set[str]) -> bool:
    """Whether a PDF holds a full NIK anywhere: raw bytes, any non-image stream decoded, form
    field values, or the words of its pages."""
    if holds_nik(data, niks):
        return True
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for thing in pdf.objects:
            if isinstance(thing, pikepdf.Stream) and thing.get("/Subtype") != "/Image":
                try:
                    if holds_nik(thing.read_bytes(), niks):
                        return True
                except pikepdf.PdfError:
                    continue
        if _field_regions(pdf, niks):
            return True
    with tempfile.TemporaryDirectory(prefix="ppid-redact-") as tmp:
        copy = Path(tmp) / "copy.pdf"
        copy.write_bytes(data)
        return bool(_word_regions(copy, niks))


def drawn_pdf(path: Path, niks: set[str], regions: list[Region], expected: bool) -> bytes:
    """Every page drawn at DRAW_DPI with every known place of a NIK blacked out, as an
    image-only PDF."""
    with pikepdf.open(path) as pdf:
        places = list(regions) + _field_regions(pdf, niks)
    places += _word_regions(path, niks)
    if expected and not places:
        raise CannotRedact(f"{path.name}: it holds a NIK whose place on the page is unknown")
    with tempfile.TemporaryDirectory(prefix="ppid-redact-") as tmp:
        command = ["pdftoppm", "-r", str(DRAW_DPI), "-png", str(path), str(Path(tmp) / "p")]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as error:
            raise CannotRedact(f"{path.name}: its pages could not be drawn ({error})") from error
        pages = []
        for number, drawn in enumerate(sorted(Path(tmp).glob("p-*.png")), start=1):
            with Image.open(drawn) as image:
                page = image.convert("RGB")
            _black_out(page, [r for r in places if r.page == number], DRAW_DPI)
            pages.append(page)
    if not pages:
        raise CannotRedact(f"{path.name}: it has no page to draw")
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DRAW_DPI)
    return out.getvalue()


def _field_regions(pdf: pikepdf.Pdf, niks: set[str]) -> list[Region]:
    """The widgets of form fields whose value holds a NIK, in points from the top left."""
    found = []
    for number, page in enumerate(pdf.pages, start=1):
        top = float(page.mediabox[3])
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") != "/Widget":
                continue
            value = annot.get("/V", annot.get("/Parent", {}).get("/V"))
            if value is None or not holds_nik(str(value).encode("utf-8", "replace"), niks):
                continue
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            found.append(Region(number, (x0, top - max(y0, y1), x1, top - min(y0, y1))))
    return found


def _word_regions(path: Path, niks: set[str]) -> list[Region]:
    """The words of the text layer that spell a NIK, in points from the top left.

    Read line by line: a number is a run of neighbouring words made of digits (a NIK written one
    digit to a box is sixteen words), and any such number of sixteen digits or more, or holding
    a known NIK, is a place to black out (a longer one may hide a NIK in it).
    """
    command = ["pdftotext", "-bbox", str(path), "-"]
    try:
        done = subprocess.run(command, check=True, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    pages = _bbox_pages(done.stdout.decode("utf-8", errors="replace"))
    for number, words in enumerate(pages, start=1):
        for line in _lines([w for w in words if any(c.isdigit() for c in w[0])]):
            found += [Region(number, box) for box in _numbers_holding_a_nik(line, niks)]
    return found


Word = tuple[str, tuple[float, float, float, float]]


class _BboxReader(HTMLParser):
    """The words of `pdftotext -bbox` output, page by page (an HTML parser: no XML entities or
    external references are ever resolved)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pages: list[list[Word]] = []
        self._box: tuple[float, float, float, float] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "page":
            self.pages.append([])
        elif tag == "word" and self.pages:
            values = dict(attrs)
            self._box = tuple(  # type: ignore[assignment]
                float(values.get(k) or 0) for k in ("xmin", "ymin", "xmax", "ymax")
            )
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._box is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "word" and self._box is not None:
            self.pages[-1].append(("".join(self._text).strip(), self._box))
            self._box = None


def _bbox_pages(text: str) -> list[list[Word]]:
    reader = _BboxReader()
    reader.feed(text)
    reader.close()
    return reader.pages


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines by their vertical middle, each line from left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w[1][1] + w[1][3]) / 2):
        middle, height = (word[1][1] + word[1][3]) / 2, word[1][3] - word[1][1]
        last = lines[-1] if lines else None
        if last and abs((last[0][1][1] + last[0][1][3]) / 2 - middle) <= height / 2:
            last.append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w[1][0]) for line in lines]


def _numbers_holding_a_nik(
    line: list[Word], niks: set[str]
) -> list[tuple[float, float, float, float]]:
    boxes = []
    for group in _numbers(line):
        digits = "".join(c for text, _ in group for c in text if c.isdigit())
        if len(digits) >= NIK_LENGTH or any(nik in digits for nik in niks):
            used = [box for _, box in group]
            boxes.append(
                (
                    min(b[0] for b in used),
                    min(b[1] for b in used),
                    max(b[2] for b in used),
                    max(b[3] for b in used),
                )
            )
    return boxes


def _digits(text: str) -> str:
    return text.strip(_PUNCTUATION)


def _numbers(line: list[Word]) -> list[list[Word]]:
    """Runs of neighbouring words that are numbers (punctuation around them aside)."""
    groups: list[list[Word]] = []
    current: list[Word] = []
    for word in line:
        if _digits(word[0]).isdigit():
            current.append(word)
            continue
        if current:
            groups.append(current)
        current = []
        if sum(c.isdigit() for c in word[0]) >= NIK_LENGTH:  # digits inside a longer word
            groups.append([word])
    if current:
        groups.append(current)
    return groups


# --- images --------------------------------------------------------------------------------------


def redact_image(path: Path, regions: list[Region], expected: bool) -> Redacted:
    """The scan redrawn with each region blacked out (no metadata); PNG, or a PDF of pages."""
    if expected and not regions:
        raise CannotRedact(f"{path.name}: it holds a NIK whose place on the image is unknown")
    pages = []
    with Image.open(path) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            # upright as the parsers read it: their boxes are in the turned image's pixels
            page = (ImageOps.exif_transpose(image) or image).convert("RGB")
            _black_out(page, [r for r in regions if r.page == index + 1], None)
            pages.append(page)
    out = io.BytesIO()
    if len(pages) > 1:
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:])
        return Redacted(out.getvalue(), "application/pdf", ".pdf")
    pages[0].save(out, format="PNG")
    return Redacted(out.getvalue(), "image/png", ".png")


def _black_out(page: Image.Image, regions: list[Region], dpi: int | None) -> None:
    """Fill each region on the drawn page (at `dpi`; None: the image's own pixels)."""
    draw = ImageDraw.Draw(page)
    for region in regions:
        scale = _scale(region.unit, dpi)
        x0, y0, x1, y1 = (v * scale for v in region.box)
        pad = PAD * (dpi or POINTS_PER_INCH) / POINTS_PER_INCH
        draw.rectangle(
            (min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad, max(y0, y1) + pad),
            fill="black",
        )


def _scale(unit: Unit, dpi: int | None) -> float:
    if dpi is None or unit == "px":
        return 1.0
    return dpi / (POINTS_PER_INCH if unit == "pt" else SCAN_DPI)
