"""Image files (PNG, JPEG, TIFF …) to page images, decoded one frame at a time within the limits."""

from __future__ import annotations

import io
import logging
import math
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageFile, ImageOps

from parsers.files import Deadline
from parsers.model import ExtractionError, ExtractionLimits

log = logging.getLogger(__name__)
WORK_PIXELS = 25_000_000  # the most pixels a page image is read at (see `within_working_size`)


# Besides OSError and friends, Pillow lets these escape on damaged headers (found by
# tests/test_hostile_fuzz.py: e.g. TypeError "Missing dimensions" for a TIFF without a width).
_PILLOW_DAMAGE = (TypeError, KeyError, IndexError, ZeroDivisionError, struct.error)


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
    ImageOps.exif_transpose(frame, in_place=True)  # no second page-sized copy
    mode = "L" if frame.mode in ("1", "L", "I;16", "I", "F") else "RGB"
    page = frame if frame.mode == mode else frame.convert(mode)
    return within_working_size(page)


def within_working_size(page: Image.Image) -> Image.Image:
    """A page image of more than `WORK_PIXELS` reduced by a whole factor to fit.

    A 50-Mpx phone photo or a 600 dpi scan holds nothing the readers need beyond ~25 Mpx (an A4
    page at 500 dpi; sheets and cards are flattened to 200–300 dpi anyway), while every page-sized
    copy the readers make costs its full size: a legal 56-Mpx PNG took 870 MB to read whole.
    The page's `dpi` is scaled with it, so sizes read from it stay true.
    """
    factor = math.ceil(math.sqrt(page.width * page.height / WORK_PIXELS))
    if factor <= 1:
        return page.copy()  # the caller owns it, apart from the file's handle
    reduced = page.reduce(factor)
    dpi = page.info.get("dpi")
    if dpi:
        reduced.info["dpi"] = (float(dpi[0]) / factor, float(dpi[1]) / factor)
    return reduced


def pixel_message(name: str, size: tuple[int, int] | int | None, limits: ExtractionLimits) -> str:
    if isinstance(size, tuple):
        dims = f"is {size[0]}×{size[1]} pixels"
    else:
        dims = f"has {size:,} pixels" if size else "has too many pixels"
    return (
        f"{name}: the image {dims}, over the {limits.max_pixels:,} pixel limit "
        "(limits.max_pixels); it was not decoded. Scan at 300 dpi or raise the limit."
    )
