"""Crops of archived scans: the piece of the page a field was read from, for side-by-side review.

Boxes come from the extraction contract (parsers/model.py): page pixels for scans, PDF points
for digital pages. PDF pages are rasterised once with pdftoppm and cached under `var/crops/`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from ppid.core.errors import BadInputError, NotFoundError

log = logging.getLogger(__name__)


PREVIEW_DPI = 150
SCAN_DPI = 300  # parsers rasterise scanned PDF pages at 300 dpi unless the pixel limit forbids
MAX_SIDE = 1400
# A crop shows its field and a little around it: a quarter of the line's height above and
# below (never the neighbouring lines), a line's height to the left and right.
MARGIN_Y, MARGIN_X, MIN_MARGIN = 0.25, 1.0, 4
HIDDEN_PAD = 12  # pixels blacked out around a hidden box, so no crop shows its edge
MIN_HEIGHT = 56  # pixels: a line read from a small phone photo is enlarged to read it
MAX_ENLARGE = 3.0
LETTER_DPI = 70  # pages of a letter shown for confirmation before it is issued


def page_image(
    original: Path, media_type: str, page: int, cache: Path
) -> tuple[Image.Image, float]:
    """Page `page` (from 1) of an archived original, and its resolution in dpi (0 for images).

    A case page asks for a dozen crops of the same page at once: the decoded page is kept in
    memory (a few pages) and rasterised once, under a per-page lock.
    """
    with _LOCK:
        lock = _PAGE_LOCKS.setdefault((str(original), page), threading.Lock())
    with lock:
        return _page_image(original, media_type, page, cache, original.stat().st_mtime_ns)


_LOCK = threading.Lock()
_PAGE_LOCKS: dict[tuple[str, int], threading.Lock] = {}


@lru_cache(maxsize=8)
def _page_image(
    original: Path, media_type: str, page: int, cache: Path, mtime_ns: int
) -> tuple[Image.Image, float]:
    if media_type == "application/pdf" or original.suffix.lower() == ".pdf":
        return _pdf_page(original, page, cache), float(PREVIEW_DPI)
    try:
        image = Image.open(original)
        image.seek(max(0, page - 1))
        return image.convert("RGB"), 0.0
    except (OSError, EOFError) as error:
        raise NotFoundError("crop.page_unreadable", page=page, name=original.name) from error


def _pdf_page(original: Path, page: int, cache: Path) -> Image.Image:
    digest = hashlib.sha256(str(original).encode()).hexdigest()[:24]
    target = cache / f"{digest}-p{page}-{PREVIEW_DPI}.png"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.stem + ".partial")
        command = ["pdftoppm", "-r", str(PREVIEW_DPI), "-f", str(page), "-l", str(page)]
        command += ["-singlefile", "-png", str(original), str(partial)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            raise BadInputError("crop.page_unrendered", page=page, name=original.name) from error
        os.replace(partial.with_suffix(".partial.png"), target)
    return Image.open(target).convert("RGB")


def _blacked_out(image: Image.Image, boxes: list[list[float]]) -> Image.Image:
    """A copy of the page (it is cached for other crops) with each box blacked out."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in boxes:
        corners = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        padded = (corners[0] - HIDDEN_PAD, corners[1] - HIDDEN_PAD)
        draw.rectangle((*padded, corners[2] + HIDDEN_PAD, corners[3] + HIDDEN_PAD), fill="black")
    return image


def crop_png(
    original: Path,
    media_type: str,
    box: list[float] | tuple[float, ...],
    method: str,
    cache: Path,
    hidden: list[list[float]] | None = None,
    *,
    block: tuple[int, int] | None = None,
) -> bytes:
    """The PNG crop of `box` (page, x0, y0, x1, y1): the field with a margin that stays clear of
    the lines around it, enlarged when small. `block` (first, last of 7 lines) widens the box
    of the lines read to the whole list it belongs to (the reasons a–g). `hidden` boxes (same
    units) are blacked out on the page first, so no margin shows a piece of them."""
    if len(box) != 5:
        raise BadInputError("crop.bad_box", box=list(box))
    image, dpi = page_image(original, media_type, int(box[0]), cache)
    scale = dpi / (72.0 if method in ("acroform", "text") else SCAN_DPI) if dpi else 1.0
    covered = [b for b in hidden or [] if len(b) == 5 and int(b[0]) == int(box[0])]
    if covered:
        image = _blacked_out(image, [[float(v) * scale for v in b[1:5]] for b in covered])
    x0, y0, x1, y1 = (float(v) * scale for v in box[1:5])
    left, top, right, bottom = min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    if block is not None:
        left, top, right, bottom = _whole_block(left, top, right, bottom, image.width, block)
    line = max(bottom - top, 1.0) if block is None else max((bottom - top) / 7, 1.0)
    margin_y, margin_x = max(line * MARGIN_Y, MIN_MARGIN), max(line * MARGIN_X, MIN_MARGIN)
    left, right = max(0, int(left - margin_x)), min(image.width, int(right + margin_x))
    top, bottom = max(0, int(top - margin_y)), min(image.height, int(bottom + margin_y))
    if right <= left or bottom <= top:
        raise NotFoundError("crop.outside")
    piece = image.crop((left, top, right, bottom))
    if piece.height > 1.5 * piece.width and block is None:
        # A one-line field taller than wide lies on a sideways scan (boxes are in the stored
        # image's coordinates): turn it so the line reads across, as a phone photo usually needs.
        piece = piece.rotate(-90, expand=True)
    if piece.height < MIN_HEIGHT:
        factor = min(MIN_HEIGHT / piece.height, MAX_ENLARGE)
        size = (round(piece.width * factor), round(piece.height * factor))
        piece = piece.resize(size, Image.Resampling.LANCZOS)
    piece.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    piece.save(buffer, format="PNG")
    return buffer.getvalue()


def _whole_block(
    left: float, top: float, right: float, bottom: float, width: int, lines: tuple[int, int]
) -> tuple[float, float, float, float]:
    """The box of the whole list of reasons a–g from the box of the lines that were read.

    A box taller than wide already spans the list's tick boxes (our form): it is widened to
    the text beside them. A line (or a few) of a printed list is extended up and down by the
    lines before the first and after the last one read, at its own line pitch.
    """
    first, last = lines
    right = max(right, width * 0.95)
    if bottom - top > right - left:
        return left, top, right, bottom
    pitch = (bottom - top) / (last - first + 1) * 1.4
    return left, top - first * pitch, right, bottom + (6 - last) * pitch


def pdf_pages_png(pdf: bytes, dpi: int = LETTER_DPI) -> list[bytes]:
    """Every page of a PDF as a PNG (a letter shown before it is issued)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "surat.pdf"
        source.write_bytes(pdf)
        command = ["pdftoppm", "-r", str(dpi), "-png", str(source), str(Path(folder) / "hal")]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            raise BadInputError("crop.page_unrendered", page=1, name=source.name) from error
        return [page.read_bytes() for page in sorted(Path(folder).glob("hal*.png"))]
