"""Our form's zones as images to read: cut out, cleaned of rules and specks, set for OCR."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from parsers import form_layout as layout
from parsers.alignment import CANON_DPI
from parsers.geometry import components

INK = 128  # grey level below which a canonical pixel is ink


FAINT_INK = 200  # an underscore's grey once warped to 200 dpi (see restore_underscores)


HAND_HEIGHT_MM = 3.4  # median glyph height above which a page counts as hand-filled


DOT_SHARE = 0.5  # a speck inside a glyph's hole, at most this share of its height, is a dot


def zone_px(rect: layout.Rect) -> tuple[int, int, int, int]:
    return rect.px(CANON_DPI)


def zone_crop(canon: np.ndarray, rect: layout.Rect) -> np.ndarray:
    x0, y0, x1, y1 = zone_px(rect)
    return canon[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]


def ink_ratio(canon: np.ndarray, rect: layout.Rect) -> float:
    crop = zone_crop(canon, rect)
    return float((crop < INK).mean()) if crop.size else 0.0


def clean_crop(crop: np.ndarray, min_area: int = 6) -> np.ndarray:
    """Binarise, drop specks and long ruled lines (box edges, writing lines that survived).

    The result is black ink on white: Tesseract's own threshold is easily thrown by the
    speckled remains of the drop-out colour in grey scans.
    """
    ink = (crop < INK).astype(np.uint8)
    h, w = ink.shape
    lines = np.zeros_like(ink)
    if w >= 40:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(40, w // 3)), np.uint8))
    if h >= 40:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(40, h // 2), 1), np.uint8))
    ink[lines > 0] = 0
    count, labels, stats, _ = components(ink, 8)
    small = np.nonzero(stats[:, cv2.CC_STAT_AREA] < min_area)[0]
    small = small[small > 0]
    if count > 1 and len(small):
        specks = np.isin(labels, small)
        strokes = ink.copy()
        strokes[specks] = 0
        dots = [i for i in small if _dot_over_stroke(stats[i], strokes)]
        ink[specks & ~np.isin(labels, dots)] = 0
    return np.where(ink > 0, 0, 255).astype(np.uint8)


def restore_underscores(raw: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Put back an e-mail's underscores that were too faint to count as ink.

    A one-pixel underscore warped down to 200 dpi turns light grey, the ink threshold drops it
    and 'wahyu_joko' reads 'wahyujoko' with no sign of doubt. A short, thin, level run of faint
    ink standing apart from the letters is an underscore.
    """
    faint = (raw < FAINT_INK).astype(np.uint8)
    runs = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, 5), np.uint8))
    letters = cv2.dilate((clean < INK).astype(np.uint8), np.ones((3, 3), np.uint8))
    runs[letters > 0] = 0
    _, labels, stats, _ = components(runs)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    underscores = np.nonzero((height <= 3) & (width >= 6) & (width <= 40))[0]
    out = clean.copy()
    out[np.isin(labels, underscores[underscores > 0])] = 0
    return out


def _dot_over_stroke(stat: np.ndarray, strokes: np.ndarray) -> bool:
    """A speck with a letter's stroke just below it is the dot of an i or j, not noise: without
    it a typed 'i' reads as '1' ('ekow1bowo61@...')."""
    x, y, w, h = (int(v) for v in stat[:4])
    below = strokes[y + h : y + h + max(3, 2 * h), x : x + w]
    return bool(below.any())


def narrow(crop: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1.0 or crop.shape[1] < 8:
        return crop
    width = max(1, round(crop.shape[1] * factor))
    return cv2.resize(crop, (width, crop.shape[0]), interpolation=cv2.INTER_AREA)


def narrow_image(image: Image.Image, factor: float) -> Image.Image:
    return Image.fromarray(narrow(np.asarray(image), factor))


def drop_enclosed_dots(crop: np.ndarray) -> np.ndarray:
    """Ink on white with every small speck inside another glyph's hole removed.

    Typewriter and programmers' fonts dot their zero; Tesseract's models, trained on plain
    zeros, read the dotted one as 9, Q or 8. No letter or digit has a separate mark inside its
    counter, so a speck there (under `DOT_SHARE` of the hole's height) is the dot and goes. Ink
    counts as joined only edge to edge: a dot touching its ring at a corner is still a dot.
    """
    ink = (crop < INK).astype(np.uint8)
    height, width = ink.shape
    if height < 3 or width < 3:
        return crop
    count, labels, stats, _ = components(ink, 4)
    if count < 3:
        return crop
    _, hole_labels, hole_stats, _ = components(1 - ink, 8)
    out = crop.copy()
    tallest_dot = DOT_SHARE * float(np.median(stats[1:, cv2.CC_STAT_HEIGHT]))
    for i in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if h > tallest_dot or x == 0 or y == 0 or x + w >= width or y + h >= height:
            continue
        window = (slice(y - 1, y + h + 1), slice(x - 1, x + w + 1))
        mine = (labels[window] == i).astype(np.uint8)
        ring = cv2.dilate(mine, np.ones((3, 3), np.uint8)) > mine
        around = np.unique(hole_labels[window][ring & (ink[window] == 0)])
        if len(around) != 1 or around[0] == 0:
            continue
        hx, hy, hw, hh, _ = (int(v) for v in hole_stats[around[0]])
        enclosed = hx > 0 and hy > 0 and hx + hw < width and hy + hh < height
        if enclosed and h <= DOT_SHARE * hh and w < hw - 2:  # room beside it: inside
            out[window][mine > 0] = 255
    return out


def handwritten(canon: np.ndarray, zones: list[layout.Zone]) -> bool:
    """Handwriting stands taller than print in the same boxes (capitals ≥ 3.4 mm vs ≈ 2.9 mm).

    Tesseract is often confidently wrong on handwriting, so its scores cannot be trusted there.
    """
    heights: list[int] = []
    for zone in zones:
        if zone.kind not in ("text", "comb", "date", "lines"):
            continue
        crop = clean_crop(zone_crop(canon, zone.rect.inset(0.6)), min_area=10)
        _, _, stats, _ = components((crop < INK).astype(np.uint8))
        heights.extend(int(h) for h in stats[1:, cv2.CC_STAT_HEIGHT] if h >= 8)
    if len(heights) < 10:
        return False
    median_mm = float(np.median(heights)) / CANON_DPI * layout.MM_PER_INCH
    return median_mm >= HAND_HEIGHT_MM


def trim(crop: np.ndarray) -> np.ndarray:
    """Cut white margins around the ink (keeps the strip small, Tesseract fast)."""
    ys, xs = np.nonzero(crop < INK)
    if not len(xs):
        return crop
    pad = 6
    y0, y1 = max(0, ys.min() - pad), min(crop.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(crop.shape[1], xs.max() + pad + 1)
    return crop[y0:y1, x0:x1]


@dataclass(frozen=True)
class CombStrip:
    image: Image.Image
    filled: int  # cells holding a character


def comb_strip(canon: np.ndarray, zone: layout.Zone) -> CombStrip | None:
    """The characters of a comb, cut tight from their cells and set as one word; None if blank.

    Cell edges are dropped and the characters packed at an even pitch, so Tesseract sees an
    ordinary number rather than sixteen one-letter words (which it reads less surely).
    """
    glyphs = []
    for cell in zone.cells:
        crop = clean_crop(zone_crop(canon, cell.inset(0.7)), min_area=10)
        if crop.size == 0:
            continue
        columns = np.nonzero((crop < INK).sum(axis=0) > 0)[0]
        if len(columns) == 0 or (crop < INK).sum() < 12:
            continue
        glyphs.append(crop[:, max(0, columns[0] - 1) : columns[-1] + 2])
    if not glyphs:
        return None
    height = max(g.shape[0] for g in glyphs)
    gap = np.full((height, max(3, height // 8)), 255, np.uint8)
    parts = [gap]
    for glyph in glyphs:
        pad = height - glyph.shape[0]
        parts += [np.pad(glyph, ((0, pad), (0, 0)), constant_values=255), gap]
    return CombStrip(Image.fromarray(np.hstack(parts)), len(glyphs))
