"""Find an ID card in an image: a crop, a card-shaped object (scan, phone photo), or an ink block.

The result is the card upright at about 300 dpi, with the matrix that maps its pixels back to
the image it came from, so the fields read on it get boxes in the original image's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from parsers.geometry import components, order_corners, rotate_by, skew_angle, to_grey, warp_quad

CARD_ASPECT = 85.6 / 54.0
CARD_WIDTH = 1011  # pixels: the card at 300 dpi, where Tesseract reads its small print well
CARD_HEIGHT = round(CARD_WIDTH / CARD_ASPECT)


@dataclass
class CardImage:
    """The card cut out of the page, upright, and the matrix mapping its pixels back."""

    grey: np.ndarray
    to_page: np.ndarray | None
    method: str  # "crop" | "quad" | "ink" (how the card was found)


def find_card(image: Image.Image) -> CardImage:
    """Locate the card: already cropped, a quadrilateral (scan or phone photo), or an ink block.

    A bitonal photocopy often loses the card's edge, so the last resort is the cluster of dark
    text: on an A4 copy of an ID card the card's print is the only dense ink on the page.
    """
    grey = to_grey(image)
    height, width = grey.shape
    if 1.45 < width / height < 1.8 and _edge_fraction(grey) < 0.5:
        return _deskewed_crop(grey)
    page = _overview(grey)
    printed = _printed_card(grey, page)
    if printed is not None:
        return CardImage(*printed, "quad")
    block = _ink_block(page)
    if block is not None:
        warped, back = warp_quad(grey, block, _block_size(block))
        return _normalised(warped, back, "ink")
    return _normalised(grey, None, "crop")


def _edge_fraction(grey: np.ndarray) -> float:
    """How much of the border is dark: a crop has light card stock at its edges."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return float((border < 100).mean())


def _deskewed_crop(grey: np.ndarray) -> CardImage:
    """A cropped card, levelled when its text lines are tilted."""
    angle = skew_angle(grey)
    if abs(angle) < 0.3:
        return _normalised(grey, None, "crop")
    level, back = rotate_by(grey, angle)
    return _normalised(level, back, "crop")


def _normalised(grey: np.ndarray, back: np.ndarray | None, method: str) -> CardImage:
    """Scale so the card is CARD_WIDTH wide (small photocopied cards are upscaled)."""
    height, width = grey.shape
    scale = CARD_WIDTH / width
    if abs(scale - 1) < 0.05:
        return CardImage(grey, back, method)
    size = (CARD_WIDTH, max(1, round(height * scale)))
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    resized = cv2.resize(grey, size, interpolation=interpolation)
    if scale > 1.2:  # soften the staircase edges of upscaled (often bitonal) copies
        resized = cv2.GaussianBlur(resized, (0, 0), 0.5 * scale)
    scaling = np.diag([1 / scale, 1 / scale, 1.0])
    combined = scaling if back is None else back @ scaling
    return CardImage(resized, combined, method)


_Overview = tuple[np.ndarray, float]  # the page shrunk, and its pixels per page pixel


def _overview(grey: np.ndarray, long_side: int = 1200) -> _Overview:
    """The page shrunk once for both card searches: shrinking a 300 dpi page costs 10 ms,
    as much as either search."""
    factor = min(1.0, long_side / max(grey.shape))
    if factor >= 1.0:
        return grey, factor
    # not `shrink`: its halvings moved an A4 photocopy's ink block enough to lose a KTP's NIK
    return cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), factor


def _card_quads(page: _Overview) -> list[np.ndarray]:
    """Card-shaped quadrilaterals (aspect ≈ 1.59) on the page, largest first, in source pixels.

    Edges are looked for four ways: plain edges, the two sides of a global threshold, and
    faint edges on a median-smoothed copy (a light card on a light, patterned table); a shape
    is judged by its convex hull, so glare that eats into an edge does not lose the card."""
    small, shrunk = _overview(page[0], 1000)
    factor = shrunk * page[1]
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    edges = cv2.dilate(cv2.Canny(blurred, 30, 90), np.ones((3, 3), np.uint8))
    smooth = cv2.medianBlur(small, 9)
    faint = cv2.dilate(cv2.Canny(smooth, 10, 30), np.ones((7, 7), np.uint8))
    _, otsu = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    total = small.shape[0] * small.shape[1]
    found: list[tuple[float, np.ndarray]] = []
    for mask in (edges, otsu, 255 - otsu, faint):
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            quad = _card_shape(contour, total)
            if quad is not None:
                found.append((cv2.contourArea(quad), quad.reshape(4, 2) / factor))
    quads = []
    for _, corners in sorted(found, key=lambda item: -item[0]):
        corners = order_corners(corners)
        if np.linalg.norm(corners[1] - corners[0]) < np.linalg.norm(corners[3] - corners[0]):
            corners = np.roll(corners, -1, axis=0)  # portrait quad: make the long side the top
        if not any(np.abs(corners - other).max() < 0.02 * max(page[0].shape) for other in quads):
            quads.append(corners)
    return quads


def _card_shape(contour: np.ndarray, total: float) -> np.ndarray | None:
    """The contour's four corners when its hull is a filled rectangle of a card's aspect."""
    hull = cv2.convexHull(contour)
    area = cv2.contourArea(hull)
    if not 0.02 * total < area < 0.97 * total:
        return None
    rect = cv2.minAreaRect(hull)
    (rw, rh) = rect[1]
    if min(rw, rh) == 0 or area / (rw * rh) < 0.85 or not 1.4 < max(rw, rh) / min(rw, rh) < 1.8:
        return None
    approx = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
    corners = approx if len(approx) == 4 else cv2.boxPoints(rect)
    return corners.reshape(4, 1, 2).astype(np.float32)


PRINTED_GLYPHS = 40  # small dark marks a card's print shows at 500 px wide (a photo: none)


def has_print(grey: np.ndarray) -> bool:
    """Whether an image shows rows of small print (a card), not a photo's plain area."""
    small = cv2.resize(grey, (500, 316), interpolation=cv2.INTER_AREA)
    binary = cv2.adaptiveThreshold(
        small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 21, 12
    )
    _, _, stats, _ = components(binary, 8)
    height, width = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    return int(((height >= 4) & (height <= 22) & (width <= 25)).sum()) >= PRINTED_GLYPHS


def _printed_card(grey: np.ndarray, page: _Overview) -> tuple[np.ndarray, np.ndarray] | None:
    """The largest card-shaped quadrilateral that shows print, warped to the card's size."""
    for quad in _card_quads(page):
        warped, back = warp_quad(grey, quad, (CARD_WIDTH, CARD_HEIGHT))
        if has_print(warped):
            return warped, back
    return None


def _ink_block(page: _Overview) -> np.ndarray | None:
    """The densest cluster of dark ink, as a slightly padded rotated rectangle."""
    small, factor = page
    ink = (small < 128).astype(np.uint8) * 255
    size = max(5, round(max(small.shape) / 60))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((size, size * 2), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
    if rw * rh < 0.005 * small.shape[0] * small.shape[1]:
        return None
    if rw < rh:  # keep the long side horizontal: a card lies landscape
        rw, rh, angle = rh, rw, angle - 90
    pad = 0.04 * rw
    box = cv2.boxPoints(((cx, cy), (rw + 2 * pad, rh + 2 * pad), angle))
    corners = order_corners(box / factor)
    if np.linalg.norm(corners[1] - corners[0]) < np.linalg.norm(corners[3] - corners[0]):
        corners = np.roll(corners, -1, axis=0)
    return corners


def _block_size(corners: np.ndarray) -> tuple[int, int]:
    width = float(np.linalg.norm(corners[1] - corners[0]))
    height = float(np.linalg.norm(corners[3] - corners[0]))
    return max(1, round(width)), max(1, round(height))


def card_candidate(image: Image.Image) -> CardImage | None:
    """The card when the image plainly shows one (a crop, or a card-shaped object); else None.

    Lets the page reader try the card first, before paying for orientation detection and a
    full-page OCR; a text page yields no card-shaped object and so costs only this check.
    """
    grey = to_grey(image)
    height, width = grey.shape
    if 1.45 < width / height < 1.8 and _edge_fraction(grey) < 0.5:
        return photo_right(_deskewed_crop(grey))
    if 1.45 < height / width < 1.8 and _edge_fraction(grey) < 0.5:
        return photo_right(_portrait_crop(grey))  # a crop scanned a quarter turn off
    page = _overview(grey)
    printed = _printed_card(grey, page)
    if printed is not None and np.median(printed[0]) < 245:  # card stock is tinted; a ruled
        return CardImage(*printed, "quad")  # box on paper is white
    block = _ink_block(page)
    if block is None:
        return None
    block_w, block_h = _block_size(block)
    small = block_w * block_h < 0.3 * width * height
    if small and 1.25 < block_w / max(1, block_h) < 2.2 and _card_sized(block_w, grey.shape):
        warped, back = warp_quad(grey, block, (block_w, block_h))
        return _normalised(warped, back, "ink")
    return None


def _card_sized(block_w: int, shape: tuple[int, ...]) -> bool:
    """On an A4 page, a card's print is 50–95 mm wide; a letter's paragraph is far wider."""
    long_px, short_px = max(shape[:2]), min(shape[:2])
    if not 1.3 < long_px / short_px < 1.5:  # not an A4 page: no scale to judge by
        return True
    mm = block_w / long_px * 297.0
    return 50.0 <= mm <= 95.0


TEXT_MARGIN = (0.06, 0.12)  # of the print's width and height: the card's edge around its text


def card_around(
    image: Image.Image, boxes: list[tuple[float, float, float, float]]
) -> CardImage | None:
    """The card where a reading of the whole page found its print (`boxes`, upright page
    pixels): a light card on a patterned table shows no edge, but its text shows where it is."""
    if len(boxes) < 3:
        return None
    grey = to_grey(image)
    points = np.array(
        [(x, y) for x0, y0, x1, y1 in boxes for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))],
        dtype=np.float32,
    )
    (cx, cy), (width, height), angle = cv2.minAreaRect(points)
    if width < height:
        width, height, angle = height, width, angle - 90
    width, height = width * (1 + 2 * TEXT_MARGIN[0]), height * (1 + 2 * TEXT_MARGIN[1])
    corners = order_corners(cv2.boxPoints(((cx, cy), (width, height), angle)))
    if np.linalg.norm(corners[1] - corners[0]) < np.linalg.norm(corners[3] - corners[0]):
        corners = np.roll(corners, -1, axis=0)
    warped, back = warp_quad(grey, corners, (max(1, round(width)), max(1, round(height))))
    return _normalised(warped, back, "text")


DITHERED = 0.08  # share of dark pixels standing alone: a dithered (halftone) copy
DESCREEN_SIGMA = 1.5  # blur that turns a dithered copy's dots back into grey strokes


def descreened(card: CardImage) -> CardImage:
    """A card copied with dithering (print as scattered dots, which OCR cannot read) blurred
    back to grey strokes; any other card as it is."""
    dark = (card.grey < 128).astype(np.uint8)
    around = cv2.filter2D(dark, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT)
    alone = int(((dark == 1) & (around - dark <= 1)).sum())
    if alone <= DITHERED * max(1, int(dark.sum())):
        return card
    smooth = cv2.GaussianBlur(card.grey, (0, 0), DESCREEN_SIGMA)
    return CardImage(smooth, card.to_page, card.method)


def turned_over(card: CardImage) -> CardImage:
    """The same card turned 180° (a card photographed or copied upside down)."""
    height, width = card.grey.shape
    flip = np.array([[-1, 0, width], [0, -1, height], [0, 0, 1]], dtype=np.float64)
    back = flip if card.to_page is None else card.to_page @ flip
    return CardImage(np.ascontiguousarray(card.grey[::-1, ::-1]), back, card.method)


def _portrait_crop(grey: np.ndarray) -> CardImage:
    """A cropped card standing on its side, turned a quarter clockwise (`photo_right` settles
    which way up), with the matrix back to the image's pixels."""
    height = grey.shape[0]
    turned = np.ascontiguousarray(np.rot90(grey, k=-1))
    quarter = np.array([[0, 1, 0], [-1, 0, height - 1], [0, 0, 1]], dtype=np.float64)
    card = _deskewed_crop(turned)
    back = quarter if card.to_page is None else quarter @ card.to_page
    return CardImage(card.grey, back, card.method)


def photo_side(grey: np.ndarray) -> int:
    """+1 when the card's photo is on the right (the KTP's layout), -1 on the left (the card
    is upside down), 0 when the two sides do not tell: the photo is a solid block darker than
    the card stock, the labels on the other side are thin print."""
    height, width = grey.shape
    rows = grey[round(0.22 * height) : round(0.62 * height)]
    stock = float(np.median(grey))
    dark = rows < stock - 35

    def share(x0: float, x1: float) -> float:
        band = dark[:, round(x0 * width) : round(x1 * width)]
        return float(band.mean()) if band.size else 0.0

    right, left = share(0.78, 0.95), share(0.05, 0.22)
    if right - left > 0.25:
        return 1
    if left - right > 0.25:
        return -1
    return 0


def photo_right(card: CardImage) -> CardImage:
    """The card turned so its photo is on the right, when its two sides tell; else as it is.

    Saves reading an upside-down card once for nothing: the reader still retries the other
    way up when the first reading shows no card labels.
    """
    return turned_over(card) if photo_side(card.grey) < 0 else card
