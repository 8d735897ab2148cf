"""Image geometry shared by the scan readers: quadrilaterals, warps and mapping boxes back."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageOps

# OpenCV splits each operation over a thread per core; pages and files are already read in
# parallel, one core each, so its threads only add overhead (a quarter more CPU for
# `erase_leaders` on a 300 dpi page). Set where every scan reader's OpenCV calls come from.
cv2.setNumThreads(1)


def to_grey(image: Image.Image) -> np.ndarray:
    """8-bit grey array of any PIL image (bitonal, palette, colour)."""
    if image.mode == "1":
        image = image.convert("L")
    return np.asarray(ImageOps.grayscale(image.convert("RGB") if image.mode == "P" else image))


def shrink(grey: np.ndarray, factor: float) -> np.ndarray:
    """Scale down by `factor` with area averaging, through exact halvings first.

    OpenCV averages by exactly 2 in under a millisecond on a 300 dpi page but takes 10 ms for
    an arbitrary factor; halving first leaves the arbitrary step a small image. The page
    checks (markers, line direction, skew, up or down, OSD) work on a shrunk copy; the card
    search keeps one plain area resize (see `card_image._overview`). A factor of 1 or more
    returns the image unchanged.
    """
    if factor >= 1.0:
        return grey
    while factor <= 0.5:
        grey = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        factor *= 2.0
    if factor < 1.0:
        grey = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return grey


def components(
    ink: np.ndarray, connectivity: int = 8
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """`cv2.connectedComponentsWithStats` with 16-bit labels when they fit.

    On a 300 dpi page 16-bit labelling takes a third of the time of 32-bit (20 against 65 ms)
    for the same labels and stats; a speckled page with more than 65534 components is
    labelled again in 32 bits.
    """
    try:
        return cv2.connectedComponentsWithStatsWithAlgorithm(
            ink, connectivity, cv2.CV_16U, cv2.CCL_DEFAULT
        )
    except cv2.error:
        return cv2.connectedComponentsWithStats(ink, connectivity=connectivity)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (float32)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    total = pts.sum(axis=1)
    diff = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(total)], pts[np.argmin(diff)], pts[np.argmax(total)], pts[np.argmax(diff)]],
        dtype=np.float32,
    )


def warp_quad(
    grey: np.ndarray, corners: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Warp the quadrilateral `corners` (TL, TR, BR, BL) to an upright `size` image.

    Returns the warped image and the 3×3 matrix mapping warped pixels back to the source.
    """
    width, height = size
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    forward = cv2.getPerspectiveTransform(order_corners(corners), target)
    warped = cv2.warpPerspective(
        grey, forward, (width, height), flags=cv2.INTER_AREA, borderValue=255
    )
    return warped, np.linalg.inv(forward)


def map_box(
    matrix: np.ndarray | None, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Bounding box, in source pixels, of `box` given in warped pixels."""
    if matrix is None:
        return tuple(float(v) for v in box)  # type: ignore[return-value]
    x0, y0, x1, y1 = box
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float64)
    mapped = cv2.perspectiveTransform(corners, matrix)[0]
    return (
        round(float(mapped[:, 0].min()), 1),
        round(float(mapped[:, 1].min()), 1),
        round(float(mapped[:, 0].max()), 1),
        round(float(mapped[:, 1].max()), 1),
    )


def skew_angle(grey: np.ndarray, max_angle: float = 6.0, step: float = 0.25) -> float:
    """Text skew in degrees (counter-clockwise positive) by the sharpest row-profile.

    Rows of text give a spiky horizontal projection only when the lines are level; the angle
    that maximises the profile's energy is the skew. Works on a small copy: a few ms.
    """
    width = grey.shape[1]
    factor = min(1.0, 600 / width)
    small = shrink(grey, factor)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = ink.astype(np.float32)
    coarse = _best_angle(ink, np.arange(-max_angle, max_angle + 0.5, 1.0))
    return _best_angle(ink, np.arange(coarse - 0.75, coarse + 0.76, step))


def _best_angle(ink: np.ndarray, angles: np.ndarray) -> float:
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)
    best, best_score = 0.0, -1.0
    for angle in angles:
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        turned = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]))
        score = float(np.square(np.diff(turned.sum(axis=1))).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def rotate_by(grey: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by `angle` degrees (counter-clockwise) about the centre, white corners.

    Returns the rotated image and the 3×3 matrix mapping its pixels back to the input.
    """
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned = cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    forward = np.vstack([matrix, [0, 0, 1]])
    return turned, np.linalg.inv(forward)


MOSTLY_INK = 0.3  # share of dark pixels beyond which an image is no page of print


def erase_leaders(grey: np.ndarray) -> np.ndarray:
    """Blank dotted leaders ("Nama : ........") and ruled writing lines before a page OCR.

    Tesseract reads a row of dots as a word of n's and a's; a person reading the form sees an
    empty blank. Dots are small specks in long horizontal runs; rules are long thin lines.
    """
    unit = max(1.0, grey.shape[1] / 1654)  # pixels per pixel of a 200 dpi A4 page
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if cv2.countNonZero(ink) > MOSTLY_INK * ink.size:
        return grey  # not a page of print on paper (a photo's patterned table): nothing to blank
    _, labels, stats, _ = components(ink)
    area = stats[:, cv2.CC_STAT_AREA]
    small = (area <= 40 * unit * unit) & (stats[:, cv2.CC_STAT_HEIGHT] <= 8 * unit)
    small[0] = False
    # a uint8 lookup per label: `np.where(small[labels], 255, 0)` made a page of int64 (70 MB
    # at 300 dpi), the largest allocation of a page's reading; page-sized temporaries are
    # dropped as soon as used (a worker reads pages in parallel)
    specks = (small.astype(np.uint8) * 255)[labels]
    del labels  # 16 or 32 bits per pixel: up to 35 MB a page
    joined = cv2.dilate(specks, np.ones((1, round(14 * unit)), np.uint8))
    runs = cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones((1, round(90 * unit)), np.uint8))
    del joined
    leaders = cv2.bitwise_and(specks, runs)  # specks that lie in long runs
    del specks, runs
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, round(120 * unit)), np.uint8))
    del ink
    # only thin lines are rules: a dark patterned background (a table under a photographed
    # page) passes the horizontal opening in broad bands, and blanking it takes the text too
    broad = cv2.morphologyEx(rules, cv2.MORPH_OPEN, np.ones((round(6 * unit) + 1, 1), np.uint8))
    rules = cv2.dilate(cv2.subtract(rules, broad), np.ones((3, 1), np.uint8))
    del broad
    return cv2.max(cv2.max(grey, leaders), rules)  # 255 where either mask is set
