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
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, ImageSequence
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

from parsers.model import ExtractionError, ExtractionLimits

log = logging.getLogger(__name__)

PDF = "pdf"
IMAGE_KINDS = ("png", "jpeg", "tiff", "gif", "bmp", "webp")
RASTER_DPI = 300
MIN_RASTER_DPI = 50
POINTS_PER_INCH = 72.0
PDFTOPPM_MEMORY_BYTES = 2 * 1024**3
MAX_CONTENT_BYTES = 100_000_000  # all pages' drawing instructions together, decompressed

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
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise ExtractionError(corrupt_message(name, error)) from error
    except RecursionError as error:
        raise ExtractionError(corrupt_message(name, error)) from error
    if page_count == 0:
        raise ExtractionError(f"{name}: the PDF has no pages (it may be truncated). {_FIX_HINT}")
    if page_count > limits.max_pages:
        raise ExtractionError(
            f"{name}: the PDF has {page_count} pages, over the {limits.max_pages}-page limit "
            "(limits.max_pages). Split it into smaller files (one objection per file) "
            "or raise the limit."
        )
    check_content_streams(reader, name)
    if _has_javascript(reader, data):
        warnings_out.append(
            f"{name}: the PDF contains JavaScript; it was ignored and never run. "
            "Treat the file with care."
        )
    return reader, warnings_out


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
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
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


def _has_javascript(reader: PdfReader, data: bytes) -> bool:
    """JavaScript anywhere in the catalog, actions, or the raw bytes; we never run it."""
    if b"/JavaScript" in data or b"/JS" in data:
        return True
    try:
        root = reader.trailer["/Root"]
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names.get_object():
            return True
        action = root.get("/OpenAction")
        action = action.get_object() if action is not None else None
        return isinstance(action, dict) and action.get("/S") == "/JavaScript"
    except (PyPdfError, AttributeError, KeyError, TypeError):
        return False


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
) -> list[Image.Image]:
    """Render PDF pages (number, width pt, height pt) with pdftoppm in bounded time and memory."""
    images: list[Image.Image] = []
    for number, width, height in pages:
        dpi = raster_dpi(width, height, limits)
        if dpi is None:
            raise ExtractionError(
                f"{pdf.name}: page {number} is {width / 72 * 2.54:.0f}×{height / 72 * 2.54:.0f} "
                f"cm, too large to read within the {limits.max_pixels:,} pixel limit "
                "(limits.max_pixels)."
            )
        images.append(_pdftoppm(pdf, number, dpi, deadline))
    return images


def _pdftoppm(pdf: Path, number: int, dpi: int, deadline: Deadline) -> Image.Image:
    deadline.check(pdf.name)
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
            return image.copy()


def limit_child_memory() -> None:
    """Runs in a poppler child: a bomb page then fails there instead of exhausting memory."""
    resource.setrlimit(resource.RLIMIT_AS, (PDFTOPPM_MEMORY_BYTES, PDFTOPPM_MEMORY_BYTES))


# --- images ----------------------------------------------------------------------------------


def load_images(data: bytes, name: str, limits: ExtractionLimits) -> list[Image.Image]:
    """Decode an image file (every frame of a multi-page TIFF), upright per EXIF, within limits.

    Dimensions are checked from the header before any pixel is decoded, so a 20000×20000 PNG
    costs nothing. Truncated files are refused even though WeasyPrint, once imported, tells
    Pillow to accept them process-wide (ImageFile.LOAD_TRUNCATED_IMAGES).
    """
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode_all(data, name, limits)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode_all(data: bytes, name: str, limits: ExtractionLimits) -> list[Image.Image]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > limits.max_pages:
                    raise ExtractionError(
                        f"{name}: the image has {frames} pages (frames), over the "
                        f"{limits.max_pages}-page limit (limits.max_pages). Split it or raise it."
                    )
                return [
                    _decode_frame(frame, name, limits) for frame in ImageSequence.Iterator(image)
                ]
    except ExtractionError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        raise ExtractionError(
            pixel_message(name, int(pixels[1]) if pixels else None, limits)
        ) from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ExtractionError(
            f"{name}: the image is damaged or truncated and cannot be read ({error}). "
            "Ask the sender to scan it again."
        ) from error


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
