"""Interface to Tesseract: the one place that runs it (words, lines, orientation, batched zones)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
from PIL import Image, ImageOps

from parsers.geometry import shrink
from parsers.model import TextLine
from parsers.text_lines import line_of_words

log = logging.getLogger(__name__)

# Tesseract starts an OpenMP thread per core for every page; we already read pages in parallel,
# one core each, so its own threads would only oversubscribe the machine (≈2× the CPU for the
# same text). Set here, where Tesseract is run, so `prefect worker` processes get it too.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

DEFAULT_LANG = "ind+eng"
DEFAULT_TIMEOUT = 60.0  # seconds per Tesseract process; a page never needs more
DIGITS = "0123456789 "  # the space lets Tesseract separate groups instead of inventing digits
OSD_MIN_CONFIDENCE = 1.5  # Tesseract's orientation confidence below this is a guess


class OcrError(Exception):
    """Tesseract failed or ran out of time; the message names what to do."""


@dataclass(frozen=True)
class Word:
    """One recognised word in image pixels, with Tesseract's confidence scaled to 0..1."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    line_key: tuple[int, int, int]  # (block, paragraph, line) as Tesseract grouped them


@dataclass(frozen=True)
class ZoneText:
    """What a batched OCR call found inside one zone crop."""

    text: str
    confidence: float  # mean word confidence 0..1; 0.0 when nothing was read
    words: tuple[Word, ...]


def _config(psm: int, whitelist: str | None) -> str:
    parts = ["--oem 1", f"--psm {psm}"]
    if whitelist is not None:
        # Quoted so that a space in the whitelist survives pytesseract's shlex split.
        parts.append(f'-c "tessedit_char_whitelist={whitelist}"')
    return " ".join(parts)


def ocr_words(
    image: Image.Image,
    *,
    lang: str = DEFAULT_LANG,
    psm: int = 3,
    whitelist: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Word]:
    """Run Tesseract once over `image` and return its words in reading order."""
    try:
        with _as_file(image) as path:
            data = pytesseract.image_to_data(
                path,
                lang=lang,
                config=_config(psm, whitelist),
                output_type=pytesseract.Output.DICT,
                timeout=timeout,
            )
    except RuntimeError as err:  # pytesseract's way of saying the timeout struck
        raise OcrError(
            f"Tesseract took longer than {timeout:.0f} s on one page; "
            "rescan at a lower resolution or raise the time limit"
        ) from err
    except pytesseract.TesseractError as err:
        raise OcrError(
            f"Tesseract failed: {err}; check that the 'ind' and 'eng' models are installed"
        ) from err
    words: list[Word] = []
    for i, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(Word(text, max(0.0, min(1.0, conf / 100.0)), (x, y, x + w, y + h), key))
    return words


@contextmanager
def _as_file(image: Image.Image) -> Iterator[str]:
    """The image as an uncompressed PNM file: pytesseract's own PNG encoding costs more CPU
    than a small OCR call, and Tesseract reads PNM directly."""
    with tempfile.NamedTemporaryFile(prefix="ppid-ocr-", suffix=".pnm") as handle:
        _prepare(image).save(handle, format="PPM")
        handle.flush()
        yield handle.name


def _prepare(image: Image.Image) -> Image.Image:
    """Tesseract wants 8-bit grey or RGB; bitonal and palette images are converted once here."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "P"):
        return image.convert("RGB")
    return image.convert("L")


def words_to_lines(words: list[Word], page: int, *, max_gap: float = 20.0) -> list[TextLine]:
    """Group words into printed lines: Tesseract's lines, rejoined when they share a row.

    Tesseract's page segmentation often cuts "NIK : 6171..." into separate blocks because of
    the wide gap after the label; label readers need the pair on one line. Words on one row
    stay together unless the gap between them exceeds `max_gap` line heights (a column break).
    """
    lines = []
    for row in group_rows(words):
        for segment in _split_at_gaps(row, max_gap):
            line = line_of_words([(w.text, w.box, w.confidence) for w in segment], page)
            if line is not None:
                lines.append(line)
    lines.sort(key=lambda line: (round(line.box[1] / 8), line.box[0]))
    return lines


def group_rows(words: list[Word]) -> list[list[Word]]:
    """Words in printed rows, top to bottom, each left to right.

    Starts from Tesseract's own lines (robust to slight skew) and joins lines that overlap
    vertically by half their height: a label and its value split into two blocks.
    """
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        groups.setdefault(word.line_key, []).append(word)
    rows: list[list[Word]] = []
    for members in sorted(groups.values(), key=lambda ws: _row_centre(ws)):
        if rows and _same_row(rows[-1], members):
            rows[-1].extend(members)
        else:
            rows.append(list(members))
    return [sorted(row, key=lambda w: w.box[0]) for row in rows]


def _same_row(row: list[Word], other: list[Word]) -> bool:
    top = max(min(w.box[1] for w in row), min(w.box[1] for w in other))
    bottom = min(max(w.box[3] for w in row), max(w.box[3] for w in other))
    smaller = min(_row_height(row), _row_height(other))
    return smaller > 0 and (bottom - top) >= 0.5 * smaller


def _split_at_gaps(row: list[Word], max_gap: float) -> list[list[Word]]:
    heights = sorted(w.box[3] - w.box[1] for w in row)
    limit = max_gap * max(1, heights[len(heights) // 2])
    segments = [[row[0]]]
    for word in row[1:]:
        if word.box[0] - segments[-1][-1].box[2] > limit:
            segments.append([word])
        else:
            segments[-1].append(word)
    return segments


def ocr_lines(
    image: Image.Image, page: int, *, lang: str = DEFAULT_LANG, psm: int = 3
) -> list[TextLine]:
    """Full-page OCR as TextLines (the input label-based readers expect)."""
    return words_to_lines(ocr_words(image, lang=lang, psm=psm), page)


def detect_rotation(image: Image.Image, *, timeout: float = 30.0) -> int | None:
    """Degrees (0/90/180/270, clockwise) that would turn the page upright; None when unsure.

    Two cheap steps instead of a full-page OSD (which costs as much as the OCR itself): the
    direction of the text lines (row versus column profiles, skew-tolerant) settles 0/180
    against 90/270; Tesseract's OSD on the densest band of text then settles up versus down.
    On a page with too little text OSD fails, and the caller keeps the page as it is.
    """
    grey = np.asarray(ImageOps.grayscale(_prepare(image)))
    base = text_direction(grey)
    turned = np.ascontiguousarray(np.rot90(grey, k=-1)) if base == 90 else grey
    longest = max(turned.shape)
    if longest > 2400:  # OSD gains nothing from more pixels than ~200 dpi A4
        scale = 2400 / longest
        turned = shrink(turned, scale)
    for candidate in (_densest_band(turned), turned):
        found = _osd(Image.fromarray(candidate), timeout)
        if found is not None:
            return (base + found) % 360
    return None


def _osd(image: Image.Image, timeout: float) -> int | None:
    try:
        with _as_file(image) as path:
            osd = pytesseract.image_to_osd(
                path, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=timeout
            )
    except (pytesseract.TesseractError, RuntimeError) as err:
        log.debug("orientation detection failed: %s", err)
        return None
    if float(osd.get("orientation_conf", 0.0)) < OSD_MIN_CONFIDENCE:
        return None
    return int(osd.get("rotate", 0)) % 360


def text_direction(grey: np.ndarray) -> int:
    """0 when the text lines run across the image, 90 when they run down it (turned page)."""
    return 0 if _lines_run_across(grey) else 90


def reading_quality(words: list[Word]) -> float:
    """Mean confidence of the words of three or more letters/digits: about 0.9 for upright
    print, under 0.5 for the same page read upside down."""
    long = [w.confidence for w in words if sum(ch.isalnum() for ch in w.text) >= 3]
    return sum(long) / len(long) if long else 0.0


def _lines_run_across(grey: np.ndarray) -> bool:
    """True when text lines run horizontally: rows then show a sharper profile than columns."""
    factor = 600 / max(grey.shape)
    if factor < 1.0:
        small = shrink(grey, factor)
    else:  # a small image is enlarged to the same working size, as before `shrink`
        small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = ink.astype(np.float32)
    return _profile_energy(ink) >= _profile_energy(np.ascontiguousarray(ink.T))


def _profile_energy(ink: np.ndarray) -> float:
    """Sharpest row-profile energy over small tilts, per unit width (skewed pages too)."""
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)
    best = 0.0
    for angle in np.arange(-6.0, 6.01, 1.0):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        turned = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]))
        best = max(best, float(np.square(np.diff(turned.sum(axis=1))).sum()))
    return best / ink.shape[1]


def _densest_band(grey: np.ndarray, share: float = 0.3) -> np.ndarray:
    """The full-width band (a `share` of the height) holding the most ink: enough text for
    OSD at a third of its cost."""
    ink = (grey < 128).sum(axis=1).astype(np.float64)
    height = max(1, round(share * grey.shape[0]))
    sums = np.convolve(ink, np.ones(height), mode="valid")
    top = int(np.argmax(sums)) if len(sums) else 0
    return grey[top : top + height]


def rotate_upright(image: Image.Image, rotate: int) -> Image.Image:
    """Apply a clockwise correction as reported by `detect_rotation`."""
    turns = {
        90: Image.Transpose.ROTATE_270,  # PIL names counter-clockwise turns
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    step = turns.get(rotate % 360)
    return image if step is None else image.transpose(step)


def unrotate_box(
    box: tuple[float, float, float, float], rotate: int, size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """A box on the upright page mapped back to the image as it was (`size` = its width, height)."""
    width, height = size
    x0, y0, x1, y1 = box
    turn = rotate % 360
    if turn == 90:  # upright = original turned clockwise
        x0, y0, x1, y1 = y0, height - x1, y1, height - x0
    elif turn == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    elif turn == 270:
        x0, y0, x1, y1 = width - y1, x0, width - y0, x1
    return (float(x0), float(y0), float(x1), float(y1))


def rotate_box(
    box: tuple[float, float, float, float], rotate: int, size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """A box on the image as it was (`size` = its width, height) on the page turned upright;
    the inverse of `unrotate_box`."""
    width, height = size
    a, b, c, d = box
    turn = rotate % 360
    if turn == 90:
        return (float(height - d), float(a), float(height - b), float(c))
    if turn == 180:
        return (float(width - c), float(height - d), float(width - a), float(height - b))
    if turn == 270:
        return (float(b), float(width - c), float(d), float(width - a))
    return (float(a), float(b), float(c), float(d))


def ocr_zones(
    crops: Mapping[str, Image.Image],
    *,
    lang: str = DEFAULT_LANG,
    psm: int = 6,
    whitelist: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, ZoneText]:
    """OCR many zone crops with ONE Tesseract call: stack them in a tall strip, map words back.

    Each crop gets its own band of the strip, separated by white space taller than a text line
    so Tesseract never joins two zones into one line. A word belongs to the band holding its
    vertical centre. Zones with no crop content come back empty with confidence 0.
    """
    names = [name for name, crop in crops.items() if crop.width > 0 and crop.height > 0]
    result = {name: ZoneText("", 0.0, ()) for name in crops}
    if not names:
        return result
    grey = {name: ImageOps.grayscale(_prepare(crops[name])) for name in names}
    tallest = max(img.height for img in grey.values())
    gap = max(24, min(80, tallest // 2))
    width = max(img.width for img in grey.values()) + 2 * gap
    height = sum(img.height for img in grey.values()) + gap * (len(names) + 1)
    strip = Image.new("L", (width, height), 255)
    bands: list[tuple[str, int, int]] = []
    y = gap
    for name in names:
        strip.paste(grey[name], (gap, y))
        bands.append((name, y, y + grey[name].height))
        y += grey[name].height + gap
    words = ocr_words(strip, lang=lang, psm=psm, whitelist=whitelist, timeout=timeout)
    per_zone: dict[str, list[Word]] = {name: [] for name in names}
    for word in words:
        centre = (word.box[1] + word.box[3]) / 2
        for name, top, bottom in bands:
            if top - gap / 2 <= centre < bottom + gap / 2:
                shifted = (
                    word.box[0] - gap,
                    word.box[1] - top,
                    word.box[2] - gap,
                    word.box[3] - top,
                )
                per_zone[name].append(Word(word.text, word.confidence, shifted, word.line_key))
                break
    for name, members in per_zone.items():
        result[name] = _zone_text(members)
    return result


def _zone_text(words: list[Word]) -> ZoneText:
    """Join a zone's words line by line (top to bottom, left to right)."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        centre = (word.box[1] + word.box[3]) / 2
        if rows and abs(centre - _row_centre(rows[-1])) < 0.6 * _row_height(rows[-1]):
            rows[-1].append(word)
        else:
            rows.append([word])
    ordered = [w for row in rows for w in sorted(row, key=lambda w: w.box[0])]
    text = re.sub(r"\s+", " ", " ".join(w.text for w in ordered)).strip()
    return ZoneText(text, _mean([w.confidence for w in ordered]), tuple(ordered))


def _row_centre(row: list[Word]) -> float:
    return sum((w.box[1] + w.box[3]) / 2 for w in row) / len(row)


def _row_height(row: list[Word]) -> float:
    return max(w.box[3] - w.box[1] for w in row)


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[float, float, float, float]:
    return (
        float(min(b[0] for b in boxes)),
        float(min(b[1] for b in boxes)),
        float(max(b[2] for b in boxes)),
        float(max(b[3] for b in boxes)),
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def words_box(words: list[Word]) -> tuple[float, float, float, float]:
    """The box around some words (x0, y0, x1, y1)."""
    return _union([w.box for w in words])
