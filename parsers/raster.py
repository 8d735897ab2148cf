"""PDF pages to images one by one: a scan's own image decoded, anything else drawn by pdftoppm."""

from __future__ import annotations

import io
import logging
import resource
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageChops
from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream, StreamObject

from parsers.files import Deadline, time_limit_message
from parsers.model import ExtractionError, ExtractionLimits
from parsers.pdf_safety import page_size_points

log = logging.getLogger(__name__)


RASTER_DPI = 300


MIN_RASTER_DPI = 50


POINTS_PER_INCH = 72.0


PDFTOPPM_MEMORY_BYTES = 2 * 1024**3


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
