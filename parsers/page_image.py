"""A page photographed on a table: found as the bright sheet in the frame and flattened.

A phone photo shows the page small, tilted and in perspective, on a darker table; OCR of the
whole frame reads the table's grain and the page's text at a third of its size. The sheet is
the largest bright, pale quadrilateral of about A4's proportions; warped flat to 200 dpi it
reads like a scan, and the matrix back maps every box found onto the photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from parsers.geometry import order_corners, to_grey, warp_quad

A4_PX = (1654, 2339)  # an A4 page at 200 dpi, portrait
MIN_SHARE, MAX_SHARE = 0.15, 0.85  # of the frame a photographed page covers (a scan: all)
ASPECT = (1.15, 1.75)  # long over short side of the page's outline, perspective allowed
MIN_SIDE = 200  # pixels: a photo narrower than this shows no readable page


@dataclass(frozen=True)
class FlatPage:
    """The page warped flat and upright-ish (as photographed: quarter turns are left to the
    reader), and the 3×3 matrix mapping its pixels back to the photo's."""

    image: Image.Image
    back: np.ndarray


def flat_page(image: Image.Image) -> FlatPage | None:
    """The sheet of paper in a photo, flattened; None when the image is itself the page (a
    scan) or shows no sheet."""
    if min(image.size) < MIN_SIDE:
        return None
    grey = to_grey(image)
    corners = _sheet(grey)
    if corners is None:
        return None
    top, right = np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[1])
    size = A4_PX if right >= top else A4_PX[::-1]
    warped, back = warp_quad(grey, corners, size)
    return FlatPage(Image.fromarray(warped), back)


def _sheet(grey: np.ndarray) -> np.ndarray | None:
    scale = 800 / max(grey.shape)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    smooth = cv2.medianBlur(small, 7)
    _, bright = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    total = small.shape[0] * small.shape[1]
    contour = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(contour)
    area = cv2.contourArea(hull)
    if not MIN_SHARE * total <= area <= MAX_SHARE * total:
        return None
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(approx) != 4:
        rect = cv2.minAreaRect(hull)
        if area / max(1.0, rect[1][0] * rect[1][1]) < 0.85:
            return None
        approx = cv2.boxPoints(rect)
    corners = order_corners(approx.reshape(4, 2).astype(np.float32)) / scale
    sides = [np.linalg.norm(corners[i] - corners[(i + 1) % 4]) for i in range(4)]
    long, short = (
        max(sides[0] + sides[2], sides[1] + sides[3]),
        min(sides[0] + sides[2], sides[1] + sides[3]),
    )
    if not ASPECT[0] <= long / max(short, 1.0) <= ASPECT[1]:
        return None
    return corners
