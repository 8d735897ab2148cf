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
import threading
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from ppid.core.errors import BadInputError, NotFoundError

log = logging.getLogger(__name__)


PREVIEW_DPI = 150
SCAN_DPI = 300  # parsers rasterise scanned PDF pages at 300 dpi unless the pixel limit forbids
MARGIN = 12
MAX_SIDE = 1400


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


def crop_png(
    original: Path,
    media_type: str,
    box: list[float] | tuple[float, ...],
    method: str,
    cache: Path,
    hidden: list[list[float]] | None = None,
) -> bytes:
    """The PNG crop of `box` (page, x0, y0, x1, y1) with a small margin; `hidden` boxes (same
    units) are blacked out on the page first, so no margin shows a piece of them."""
    if len(box) != 5:
        raise BadInputError("crop.bad_box", box=list(box))
    image, dpi = page_image(original, media_type, int(box[0]), cache)
    scale = dpi / (72.0 if method in ("acroform", "text") else SCAN_DPI) if dpi else 1.0
    covered = [b for b in hidden or [] if len(b) == 5 and int(b[0]) == int(box[0])]
    if covered:
        image = image.copy()  # the page is cached for other crops
        draw = ImageDraw.Draw(image)
        for _, *corners in covered:
            x0, y0, x1, y1 = (float(v) * scale for v in corners)
            draw.rectangle(
                (
                    min(x0, x1) - MARGIN,
                    min(y0, y1) - MARGIN,
                    max(x0, x1) + MARGIN,
                    max(y0, y1) + MARGIN,
                ),
                fill="black",
            )
    x0, y0, x1, y1 = (float(v) * scale for v in box[1:5])
    left = max(0, int(min(x0, x1)) - MARGIN)
    top = max(0, int(min(y0, y1)) - MARGIN)
    right = min(image.width, int(max(x0, x1)) + MARGIN)
    bottom = min(image.height, int(max(y0, y1)) + MARGIN)
    if right <= left or bottom <= top:
        raise NotFoundError("crop.outside")
    piece = image.crop((left, top, right, bottom))
    if piece.height > 1.5 * piece.width:
        # A one-line field taller than wide lies on a sideways scan (boxes are in the stored
        # image's coordinates): turn it so the line reads across, as a phone photo usually needs.
        piece = piece.rotate(-90, expand=True)
    piece.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    piece.save(buffer, format="PNG")
    return buffer.getvalue()
