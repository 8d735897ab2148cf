"""File intake safety: sniff the real type, enforce limits, open PDFs and images, rasterise pages.

Everything a hostile or broken file can do to us is stopped here, before any parser sees it:
the type comes from magic bytes (never the extension), sizes, pages, pixels and time are bounded,
and every refusal is an `ExtractionError` whose message tells a person what to do.
"""

from __future__ import annotations

import io
import logging
import re
import resource
import struct
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFile, ImageOps
from pypdf import PageObject, PdfReader
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import ContentStream, IndirectObject, StreamObject

from parsers.model import ExtractionError, ExtractionLimits

log = logging.getLogger(__name__)

PDF = "pdf"
IMAGE_KINDS = ("png", "jpeg", "tiff", "gif", "bmp", "webp")
RASTER_DPI = 300
MIN_RASTER_DPI = 50
POINTS_PER_INCH = 72.0
PDFTOPPM_MEMORY_BYTES = 2 * 1024**3
MAX_CONTENT_BYTES = 100_000_000  # all pages' drawing instructions together, decompressed
MAX_XOBJECT_DEPTH = 8  # form XObjects inside form XObjects, searched for oversized images
MAX_WALK_OBJECTS = 200_000  # PDF objects visited looking for scripts and actions
MAX_TRAILING_BYTES = 512  # after %%EOF: more than a stray line means something is hidden there

# Besides OSError and friends, Pillow lets these escape on damaged headers (found by
# tests/test_hostile_fuzz.py: e.g. TypeError "Missing dimensions" for a TIFF without a width).
_PILLOW_DAMAGE = (TypeError, KeyError, IndexError, ZeroDivisionError, struct.error)

# What pypdf raises on a damaged file (tests/test_hostile_fuzz.py finds these): all mean
# "cannot be read", e.g. NotImplementedError for an unknown stream filter.
PDF_DAMAGE = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    ZeroDivisionError,
    NotImplementedError,
    RecursionError,
    struct.error,
)

_FIX_HINT = "Ask the sender for a PDF or a scan (JPEG, PNG or TIFF)."


@dataclass
class Deadline:
    """Seconds left for one file; every slow step asks it before starting and gives up in time."""

    limit: float
    started: float

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(limit=seconds, started=time.monotonic())

    def remaining(self) -> float:
        return self.limit - (time.monotonic() - self.started)

    def check(self, name: str) -> None:
        if self.remaining() <= 0:
            raise ExtractionError(time_limit_message(name, self.limit))


def time_limit_message(name: str, seconds: float) -> str:
    return (
        f"{name}: reading took longer than the {seconds:g} s limit (limits.max_seconds_per_file) "
        "and was stopped. Split the file into smaller ones or raise the limit."
    )


def sniff(data: bytes) -> str:
    """The real kind from the first bytes: pdf, an image kind, html, svg, zip, empty, unknown."""
    if not data:
        return "empty"
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return PDF
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"BM", "bmp"),
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if b"%PDF-" in head:  # the format allows junk before the header
        return PDF
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text:
        return "svg"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return "html"
    return "unknown"


def read_input(path: Path, limits: ExtractionLimits) -> tuple[str, bytes]:
    """Read a file after checking it exists, is not empty or oversized, and is a kind we read."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ExtractionError(f"{name}: cannot open the file ({error.strerror}).") from error
    if not path.is_file():
        raise ExtractionError(f"{name}: is not a regular file.")
    if size == 0:
        raise ExtractionError(f"{name}: the file is empty (0 bytes). {_FIX_HINT}")
    if size > limits.max_file_bytes:
        raise ExtractionError(
            f"{name}: the file is {size / 1024**2:.1f} MB, over the "
            f"{limits.max_file_bytes / 1024**2:.1f} MB limit (limits.max_file_mb). "
            "Ask for a smaller file or raise the limit."
        )
    data = path.read_bytes()
    kind = sniff(data)
    if kind == PDF or kind in IMAGE_KINDS:
        return kind, data
    raise ExtractionError(f"{name}: {_kind_refusal(kind, path.suffix)} {_FIX_HINT}")


def _kind_refusal(kind: str, suffix: str) -> str:
    named = f" although it is named {suffix}" if suffix else ""
    return {
        "html": f"this is a web page (HTML){named}, not a document we can read.",
        "svg": f"this is an SVG drawing{named}; SVG is not accepted because it can carry scripts.",
        "zip": f"this is a ZIP archive (or an Office document){named}; unpack it or save as PDF.",
        "empty": "the file is empty.",
    }.get(kind, f"the content is not a PDF or an image{named}.")


# --- PDF -------------------------------------------------------------------------------------


def open_pdf(data: bytes, name: str, limits: ExtractionLimits) -> tuple[PdfReader, list[str]]:
    """Open a PDF safely: not truncated, not locked by a password, within the page limits."""
    warnings_out: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                _unlock(reader, name, warnings_out)
            page_count = len(reader.pages)
    except ExtractionError:
        raise
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except NotImplementedError as error:  # pypdf: an encryption handler it does not have
        raise ExtractionError(password_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error
    if page_count == 0:
        raise ExtractionError(f"{name}: the PDF has no pages (it may be truncated). {_FIX_HINT}")
    if page_count > limits.max_pages:
        raise ExtractionError(
            f"{name}: the PDF has {page_count} pages, over the {limits.max_pages}-page limit "
            "(limits.max_pages). Split it into smaller files (one objection per file) "
            "or raise the limit."
        )
    check_page_sizes(reader, name)
    check_content_streams(reader, name)
    check_images(reader, name, limits)
    warnings_out += active_content_warnings(reader, data, name) + polyglot_warnings(data, name)
    return reader, warnings_out


def check_page_sizes(reader: PdfReader, name: str) -> None:
    """Every page must have a size we can read (a damaged /MediaBox fails here, not mid-way)."""
    for index in range(len(reader.pages)):
        try:
            width, height = page_size_points(reader, index)
        except PDF_DAMAGE as error:
            raise ExtractionError(corrupt_message(name, error)) from error
        if not (width > 0 and height > 0):  # also NaN
            raise ExtractionError(
                f"{name}: page {index + 1} has no size (its /MediaBox is empty or damaged). "
                "Ask the sender to send it again."
            )


def check_content_streams(reader: PdfReader, name: str, budget: int = MAX_CONTENT_BYTES) -> None:
    """Decompress every page's content streams under pypdf's per-stream cap and a total budget.

    This is what catches a 'decompression bomb' (a small file whose streams inflate to gigabytes)
    before poppler or the text extractor spend time and memory on it. Normal pages cost
    microseconds here: their content streams are kilobytes.
    """
    total = 0
    try:
        for page in reader.pages:
            contents = page.get("/Contents")
            contents = contents.get_object() if contents is not None else None
            streams = contents if isinstance(contents, list) else [contents]
            for stream in streams:
                if stream is None:
                    continue
                total += len(stream.get_object().get_data())
                if total > budget:
                    raise ExtractionError(bomb_message(name))
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error


def _unlock(reader: PdfReader, name: str, warnings_out: list[str]) -> None:
    """Open PDFs with only an owner password (printing/copy restrictions); refuse user passwords."""
    try:
        opened = reader.decrypt("")
    except (FileNotDecryptedError, NotImplementedError, PyPdfError) as error:
        raise ExtractionError(password_message(name)) from error
    if not opened:
        raise ExtractionError(password_message(name))
    warnings_out.append(f"{name}: the PDF is encrypted with an owner password only; read anyway.")


def password_message(name: str) -> str:
    return (
        f"{name}: the PDF is protected by a password, so it cannot be read. Ask the sender "
        "for an unprotected copy, or open it with the password and save it without one."
    )


def corrupt_message(name: str, error: BaseException) -> str:
    return (
        f"{name}: the PDF is damaged or truncated and cannot be read ({type(error).__name__}). "
        "Ask the sender to send it again."
    )


def bomb_message(name: str) -> str:
    return (
        f"{name}: the PDF contains a stream that expands to an unreasonable size (a possible "
        "'decompression bomb'); it was not read. Ask the sender for a normal PDF or a scan."
    )


def check_images(reader: PdfReader, name: str, limits: ExtractionLimits) -> None:
    """Refuse an embedded image with more pixels than the limit, from its header alone.

    A page can show a 20000×20000 image squeezed onto A4: tiny on disk (it compresses to
    nothing), but poppler would decode all of it to draw the page. Form XObjects are searched
    too, a few levels deep (they can nest images).
    """
    try:
        for number, page in enumerate(reader.pages, start=1):
            for width, height in _image_sizes(page.get("/Resources"), depth=0, seen=set()):
                if width * height > limits.max_pixels:
                    raise ExtractionError(
                        f"{name}: page {number} holds an image of {width}×{height} pixels, over "
                        f"the {limits.max_pixels:,} pixel limit (limits.max_pixels); it was not "
                        "decoded. Ask for a scan at 300 dpi or raise the limit."
                    )
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error


def _image_sizes(resources: object, depth: int, seen: set[int]) -> Iterator[tuple[int, int]]:
    resources = _resolved(resources)
    if not isinstance(resources, dict) or depth > MAX_XOBJECT_DEPTH:
        return
    xobjects = _resolved(resources.get("/XObject"))
    if not isinstance(xobjects, dict):
        return
    for value in xobjects.values():
        xobject = _resolved(value)
        if not isinstance(xobject, dict) or id(xobject) in seen:
            continue
        seen.add(id(xobject))
        if xobject.get("/Subtype") == "/Image":
            width, height = _resolved(xobject.get("/Width")), _resolved(xobject.get("/Height"))
            yield int(width or 0), int(height or 0)  # type: ignore[call-overload]
        elif xobject.get("/Subtype") == "/Form":
            yield from _image_sizes(xobject.get("/Resources"), depth + 1, seen)


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def active_content_warnings(reader: PdfReader, data: bytes, name: str) -> list[str]:
    """Warnings for what a PDF viewer might run or open: JavaScript, launch actions, files.

    None of it is ever run here (pypdf and poppler do not execute scripts or actions); the
    warning tells the clerk to treat the original with care when opening it elsewhere.
    """
    found = active_content(reader)
    if b"/JavaScript" in data or b"/JS" in data:
        found.add("javascript")
    messages = {
        "javascript": "the PDF contains JavaScript; it was ignored and never run.",
        "launch": "the PDF contains a launch action (it asks the viewer to start a program or "
        "open a file); it was ignored and never run.",
        "embedded": "the PDF carries embedded files; they were not opened.",
    }
    return [
        f"{name}: {messages[kind]} Treat the file with care." for kind in messages if kind in found
    ]


def active_content(reader: PdfReader, budget: int = MAX_WALK_OBJECTS) -> set[str]:
    """Kinds of active content anywhere in the object graph, compressed object streams included.

    Walks every dictionary and array reachable from the catalog (stream data is not decoded),
    each object once and at most `budget` of them, so a hostile file cannot make it slow.
    """
    found: set[str] = set()
    stack: list[object] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    try:
        while stack and visited < budget:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                item = item.get_object()
            visited += 1
            if isinstance(item, dict):
                found |= _active_kinds(item)
                stack.extend(v for k, v in item.items() if k not in ("/Parent", "/P"))
            elif isinstance(item, list):
                stack.extend(item)
    except PDF_DAMAGE:
        pass  # a broken object ends the search; what was found so far is reported
    return found


def _active_kinds(item: dict[str, object]) -> set[str]:
    kinds = set()
    action = item.get("/S")
    if "/JS" in item or action == "/JavaScript" or "/JavaScript" in item:
        kinds.add("javascript")
    if action == "/Launch":
        kinds.add("launch")
    if "/EmbeddedFiles" in item or item.get("/Type") == "/EmbeddedFile":
        kinds.add("embedded")
    return kinds


def polyglot_warnings(data: bytes, name: str) -> list[str]:
    """Bytes before the header or after the last %%EOF: another file hidden in the PDF.

    A PDF that is also a ZIP (or an executable) reads fine as a PDF; only the PDF part is ever
    used, but the clerk should know the original carries something else.
    """
    notes = []
    start = data.find(b"%PDF-")
    if start > 0:
        notes.append(f"{name}: {start:,} bytes precede the PDF header; they were ignored.")
    end = data.rfind(b"%%EOF")
    trailing = data[end + 5 :].strip(b"\r\n\t \x00") if end >= 0 else b""
    if len(trailing) > MAX_TRAILING_BYTES:
        hidden = " (a ZIP archive)" if b"PK\x03\x04" in trailing else ""
        notes.append(
            f"{name}: {len(trailing):,} bytes follow after the end of the PDF{hidden}, another "
            "file hidden in it; they were ignored and never opened. Treat the file with care."
        )
    return notes


def page_size_points(reader: PdfReader, index: int) -> tuple[float, float]:
    """Width and height of a page in PDF points, honouring /UserUnit and rotation."""
    page = reader.pages[index]
    box = page.mediabox
    unit = float(page.get("/UserUnit", 1) or 1)
    width, height = abs(float(box.width)) * unit, abs(float(box.height)) * unit
    if int(page.get("/Rotate", 0) or 0) % 180 == 90:
        width, height = height, width
    return width, height


def raster_dpi(width_pt: float, height_pt: float, limits: ExtractionLimits) -> int | None:
    """300 dpi, or lower to stay under the pixel limit; None when even 50 dpi is too big."""
    inches = (width_pt / POINTS_PER_INCH) * (height_pt / POINTS_PER_INCH)
    if inches <= 0:
        return None
    if inches * RASTER_DPI**2 <= limits.max_pixels:
        return RASTER_DPI
    dpi = int((limits.max_pixels / inches) ** 0.5)
    return dpi if dpi >= MIN_RASTER_DPI else None


def rasterise_pages(
    pdf: Path,
    pages: list[tuple[int, float, float]],
    limits: ExtractionLimits,
    deadline: Deadline,
    reader: PdfReader,
) -> Iterator[Image.Image]:
    """Render PDF pages (number, width pt, height pt) one at a time, on demand.

    Every page's size is checked against the pixel limit now, before anything is drawn; each
    page is then drawn only when the reader asks for it, so a 50-page bundle holds one page
    image (≈ 26 MB at 300 dpi in colour), not fifty. A page that is nothing but one JPEG or
    G4 scan at the resolution we read at (what scanners write) is decoded directly
    (`scanned_image`); anything else is drawn by pdftoppm.
    """
    plan: list[tuple[int, int]] = []
    for number, width, height in pages:
        dpi = raster_dpi(width, height, limits)
        if dpi is None:
            raise ExtractionError(
                f"{pdf.name}: page {number} is {width / 72 * 2.54:.0f}×{height / 72 * 2.54:.0f} "
                f"cm, too large to read within the {limits.max_pixels:,} pixel limit "
                "(limits.max_pixels)."
            )
        plan.append((number, dpi))
    return _drawn(pdf, plan, deadline, reader)


def _drawn(
    pdf: Path, plan: list[tuple[int, int]], deadline: Deadline, reader: PdfReader
) -> Iterator[Image.Image]:
    for number, dpi in plan:
        yield _page_image(pdf, number, dpi, deadline, reader)  # unnamed: the reader owns it


def _page_image(
    pdf: Path, number: int, dpi: int, deadline: Deadline, reader: PdfReader
) -> Image.Image:
    deadline.check(pdf.name)
    scan = scanned_image(reader, number - 1, dpi)
    return scan if scan is not None else _pdftoppm(pdf, number, dpi, deadline)


_SCAN_FILTERS = ("/DCTDecode", "/CCITTFaxDecode")
_SCAN_OPERATORS = {b"q", b"Q", b"cm", b"Do"}
MAX_SCAN_PAGE_CONTENT = 512  # bytes; a scanned page's content is "q w 0 0 h 0 0 cm /Im0 Do Q"


def scanned_image(reader: PdfReader, index: int, dpi: int) -> Image.Image | None:
    """The page's one scanned image when it already is the page at `dpi`; None otherwise.

    pdftoppm spends 0.2–0.25 CPU-s a page drawing a 300 dpi scan in colour and handing it over
    as a 26 MB PPM; decoding the JPEG or G4 image itself takes 0.02–0.08 s. Only the plainest
    page qualifies: one grey or RGB image filling the page at the resolution we read at (give
    or take a pixel of rounding), no rotation, mask, decode array or other drawing, its size as
    declared (which `check_images` has bounded). A scan at another resolution is left to
    pdftoppm: Tesseract reads its resampling better than Pillow's (measured on 200 dpi
    bundles), and so is anything unusual or damaged, which pdftoppm also judges.
    """
    try:
        page = reader.pages[index]
        found = _full_page_image(page)
        if found is None:
            return None
        name, xobject, scan_filter = found
        width, height = page_size_points(reader, index)
        wanted = (width * dpi / POINTS_PER_INCH, height * dpi / POINTS_PER_INCH)
        declared = (int(xobject["/Width"]), int(xobject["/Height"]))
        if any(abs(have - want) > 1 for have, want in zip(declared, wanted, strict=True)):
            return None
        image = _decoded_scan(page, name, xobject, scan_filter, declared)
        return _grey_if_colourless(image) if image is not None else None
    except Exception:  # an odd page is pdftoppm's to draw, and to judge
        log.debug("page %d drawn by pdftoppm: its image did not decode directly", index + 1)
        return None


def _decoded_scan(
    page: PageObject,
    name: str,
    xobject: StreamObject,
    scan_filter: str,
    declared: tuple[int, int],
) -> Image.Image | None:
    if scan_filter == "/DCTDecode":
        image = Image.open(io.BytesIO(xobject.get_data()), formats=("JPEG",))
        if image.size != declared or image.mode not in ("L", "RGB"):
            return None
        image.load()
        return image
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = page.images[name].image  # pypdf wraps the G4 data in a TIFF header for Pillow
    if image is None or image.size != declared or image.mode not in ("1", "L"):
        return None
    return image.convert("L")


def _full_page_image(page: PageObject) -> tuple[str, StreamObject, str] | None:
    """The XObject name, object and filter of the single plain image a page consists of."""
    if int(page.get("/Rotate", 0) or 0) % 360 or float(page.get("/UserUnit", 1) or 1) != 1:
        return None
    contents = page.get_contents()
    if contents is None or len(contents.get_data()) > MAX_SCAN_PAGE_CONTENT:
        return None  # drawing of its own: not a plain scan, and not worth parsing here
    operations = ContentStream(contents, page.pdf).operations
    operators = [operator for _, operator in operations]
    if set(operators) != _SCAN_OPERATORS or operators.count(b"Do") + operators.count(b"cm") != 2:
        return None
    a, b, c, d, e, f = (float(v) for v in next(o for o, op in operations if op == b"cm"))
    box = page.mediabox
    placed = (a, d, e, f)
    expected = (float(box.width), float(box.height), float(box.left), float(box.bottom))
    if b or c or any(abs(x - y) > 1 for x, y in zip(placed, expected, strict=True)):
        return None
    name = str(next(o for o, op in operations if op == b"Do")[0])
    image = page["/Resources"]["/XObject"][name].get_object()
    filters = image.get("/Filter")
    filters = list(filters) if isinstance(filters, list) else [filters]
    plain = not any(k in image for k in ("/SMask", "/Mask", "/Decode", "/ImageMask"))
    if image.get("/Subtype") != "/Image" or not plain or len(filters) != 1:
        return None
    return (name, image, str(filters[0])) if filters[0] in _SCAN_FILTERS else None


def _pdftoppm(pdf: Path, number: int, dpi: int, deadline: Deadline) -> Image.Image:
    with tempfile.TemporaryDirectory(prefix="ppid-raster-") as tmp:
        out = Path(tmp) / "page"
        command = ["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number), "-singlefile"]
        try:
            subprocess.run(
                [*command, str(pdf), str(out)],
                check=True,
                capture_output=True,
                timeout=max(1.0, deadline.remaining()),
                preexec_fn=limit_child_memory,
            )
        except subprocess.TimeoutExpired as error:
            raise ExtractionError(time_limit_message(pdf.name, deadline.limit)) from error
        except subprocess.CalledProcessError as error:
            detail = error.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise ExtractionError(
                f"{pdf.name}: page {number} could not be drawn ({detail[0]}). "
                "The PDF may be damaged; ask the sender to send it again."
            ) from error
        except FileNotFoundError as error:
            raise ExtractionError("pdftoppm (poppler-utils) is not installed.") from error
        with Image.open(out.with_suffix(".ppm")) as image:
            image.load()
            return _grey_if_colourless(image)


def _grey_if_colourless(image: Image.Image) -> Image.Image:
    """A drawn page with no colour on it (a grey or black-and-white scan) as its one channel.

    pdftoppm always draws in colour; where red, green and blue are equal everywhere, the grey
    every reader makes of the page is exactly that channel, so nothing read changes, while the
    page and each copy the readers make of it before going grey take a third of the memory.
    """
    if image.mode != "RGB":
        return image.copy()
    red, green, blue = image.split()
    same = ImageChops.difference(red, green).getbbox() is None
    if same and ImageChops.difference(red, blue).getbbox() is None:
        return red
    return image.copy()


def limit_child_memory() -> None:
    """Runs in a poppler child: a bomb page then fails there instead of exhausting memory."""
    resource.setrlimit(resource.RLIMIT_AS, (PDFTOPPM_MEMORY_BYTES, PDFTOPPM_MEMORY_BYTES))


# --- images ----------------------------------------------------------------------------------


def load_images(data: bytes, name: str, limits: ExtractionLimits) -> list[Image.Image]:
    """Every page of an image file decoded at once (small files, tests); see `image_pages`."""
    _, pages = image_pages(data, name, limits)
    return list(pages)


def image_pages(
    data: bytes, name: str, limits: ExtractionLimits, deadline: Deadline | None = None
) -> tuple[int, Iterator[Image.Image]]:
    """The page count of an image file and its pages, decoded one at a time as they are read.

    The page (frame) limit and every frame's dimensions are checked from the headers now, so a
    1000-page TIFF or a 20000×20000 PNG is refused before any pixel is decoded; each page is
    then decoded (upright per EXIF, in L or RGB) only when the reader asks for it, after the
    deadline allows it. Truncated files are refused even though WeasyPrint, once imported, tells
    Pillow to accept them process-wide (ImageFile.LOAD_TRUNCATED_IMAGES).
    """
    with _image_errors(name, limits), Image.open(io.BytesIO(data)) as image:
        if has_more_frames_than(image, limits.max_pages):
            raise ExtractionError(
                f"{name}: the image has more than {limits.max_pages} pages (frames), "
                f"over the {limits.max_pages}-page limit (limits.max_pages). "
                "Split it or raise the limit."
            )
    # a fresh handle: after a seek past the end Pillow's TIFF reader miscounts its frames
    with _image_errors(name, limits), Image.open(io.BytesIO(data)) as image:
        count = _checked_frames(image, name, limits)
    return count, _decoded(data, count, name, limits, deadline)


def _decoded(
    data: bytes, count: int, name: str, limits: ExtractionLimits, deadline: Deadline | None
) -> Iterator[Image.Image]:
    for index in range(count):
        if deadline is not None:
            deadline.check(name)
        yield _decode_page(data, index, name, limits)  # not bound to a name: the reader owns it


def _decode_page(data: bytes, index: int, name: str, limits: ExtractionLimits) -> Image.Image:
    """Frame `index` alone, from a fresh handle closed at once: the file's own decoded copy of
    the frame is let go as soon as the upright page is made."""
    with _image_errors(name, limits), Image.open(io.BytesIO(data)) as image:
        image.seek(index)
        return _decode_frame(image, name, limits)


def _checked_frames(image: Image.Image, name: str, limits: ExtractionLimits) -> int:
    """Frames in a file already within the page limit, each within the pixel limit (headers
    only: seeking a frame reads its header, not its pixels)."""
    count = 0
    while True:
        try:
            image.seek(count)
        except EOFError:
            return max(1, count)
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ExtractionError(pixel_message(name, (width, height), limits))
        count += 1


@contextmanager
def _image_errors(name: str, limits: ExtractionLimits) -> Iterator[None]:
    """Pillow's complaints as the plain refusals a clerk reads, with Pillow held to our limits."""
    # Pillow's limit is process-wide: set for this read only, so a caller's smaller limits never
    # leak into another reader (the web app's crops, a later file with larger limits)
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, limits.max_pixels
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except ExtractionError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        raise ExtractionError(
            pixel_message(name, int(pixels[1]) if pixels else None, limits)
        ) from error
    except (OSError, ValueError, SyntaxError, EOFError, *_PILLOW_DAMAGE) as error:
        raise ExtractionError(
            f"{name}: the image is damaged or truncated and cannot be read ({error}). "
            "Ask the sender to scan it again."
        ) from error
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = lenient, previous


def has_more_frames_than(image: Image.Image, limit: int) -> bool:
    """Whether a multi-page image has more than `limit` frames, reading at most limit + 1 headers.

    Pillow's `n_frames` walks every page header of a TIFF; a file of a million tiny pages would
    spend the whole time limit on counting alone. Nothing here decodes pixels.
    """
    if not getattr(image, "is_animated", False):
        return False
    try:
        image.seek(limit)  # frame numbers start at 0: this is page limit + 1
    except EOFError:
        return False
    finally:
        image.seek(0)
    return True


def _decode_frame(frame: Image.Image, name: str, limits: ExtractionLimits) -> Image.Image:
    width, height = frame.size
    if width * height > limits.max_pixels:
        raise ExtractionError(pixel_message(name, (width, height), limits))
    frame.load()
    upright = ImageOps.exif_transpose(frame) or frame
    if upright.mode in ("1", "L", "I;16", "I", "F"):
        return upright.convert("L")
    return upright.convert("RGB")


def pixel_message(name: str, size: tuple[int, int] | int | None, limits: ExtractionLimits) -> str:
    if isinstance(size, tuple):
        dims = f"is {size[0]}×{size[1]} pixels"
    else:
        dims = f"has {size:,} pixels" if size else "has too many pixels"
    return (
        f"{name}: the image {dims}, over the {limits.max_pixels:,} pixel limit "
        "(limits.max_pixels); it was not decoded. Scan at 300 dpi or raise the limit."
    )
