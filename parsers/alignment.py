"""Align a page of our printed form on its four ArUco markers and QR code.

The marker corners (and the QR code's, when markers are missing) give a homography from the
image to the layout's millimetres, whatever the rotation, skew, resolution or perspective; the
page is warped to a canonical 200 dpi image with the light-red drop-out colour removed and the
lighting flattened, so every zone can be cut out where the layout says it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from parsers import form_layout as layout
from parsers.geometry import shrink, to_grey

CANON_DPI = 200
CANON_SIZE = (
    round(layout.PAGE_WIDTH_MM / layout.MM_PER_INCH * CANON_DPI),
    round(layout.PAGE_HEIGHT_MM / layout.MM_PER_INCH * CANON_DPI),
)
DETECT_LONG_SIDE = 3600  # px: markers stay ≥ 50 px wide, and big scans are not processed in full
MIN_DETECT_SCALE = 0.85  # scale to DETECT_LONG_SIDE only when it takes a quarter of the pixels off


@dataclass
class Codes:
    """Markers and QR codes found on one image, in the image's pixels."""

    markers: dict[int, np.ndarray] = field(default_factory=dict)  # id → 4×2 corners
    qr: list[tuple[str, np.ndarray]] = field(default_factory=list)  # text, 4×2 corners


@dataclass
class Aligned:
    """A page of our form warped upright to CANON_DPI, and how to get back to the image."""

    form_page: int  # 1 or 2 from the QR code (1, with a warning, when it was unreadable)
    canon: np.ndarray  # grey, drop-out colour removed, background flattened
    to_image: np.ndarray  # 3×3: canonical pixels → original image pixels
    warnings: list[str]


def find_codes(image: Image.Image) -> tuple[Codes, np.ndarray, float]:
    """Detect ArUco markers and QR codes; returns them, the working grey image and its scale."""
    grey = dropout_grey(image)
    scale = DETECT_LONG_SIDE / max(grey.shape)
    if scale >= MIN_DETECT_SCALE:  # a 300 dpi page with margins: resizing costs more than it saves
        scale = 1.0
    else:
        grey = shrink(grey, scale)
    codes = Codes()
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(grey)
    if ids is not None:
        for marker_id, quad in zip(ids.ravel(), corners, strict=True):
            if 0 <= int(marker_id) <= 3:
                codes.markers[int(marker_id)] = quad.reshape(4, 2).astype(np.float64)
    for found in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode):
        p = found.position
        quad = np.array(
            [[q.x, q.y] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
            dtype=np.float64,
        )
        codes.qr.append((found.text, quad))
    return codes, grey, scale


def dropout_grey(image: Image.Image) -> np.ndarray:
    """Grey image keeping dark ink only: the red channel drops the light-red box printing.

    Black and dark-blue ink (what the form asks for) stay dark in red light; the form's boxes
    and guide text, printed light red, turn white. (The brightest channel would do the same for
    the boxes but would also lighten dark-blue ink to mid-grey.)
    """
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, 0])
    return to_grey(image)


def align(image: Image.Image) -> Aligned | None:
    """Align `image` on our form's marks; None when it is not our form (too few marks)."""
    return align_codes(*find_codes(image))


def align_codes(codes: Codes, grey: np.ndarray, scale: float) -> Aligned | None:
    """`align` for codes already found (the page reader looks for cover-sheet QR codes too)."""
    form_page, pages, qr_quad = None, None, None
    for text, quad in codes.qr:
        payload = layout.parse_qr_payload(text)
        if payload and payload.form == layout.FORM_ID:
            form_page, pages, qr_quad = payload.page, payload.pages, quad
            break
    src, dst = _correspondences(codes, form_page, qr_quad)
    if len(codes.markers) < 2 and qr_quad is None:
        return None
    if len(src) < 8:  # one marker, or the QR alone: too little to trust the geometry
        return None
    forward, _ = cv2.findHomography(np.array(src), np.array(dst), 0)
    if forward is None:
        return None
    canon = cv2.warpPerspective(grey, forward, CANON_SIZE, flags=cv2.INTER_LINEAR, borderValue=255)
    canon = _flatten(canon)
    to_image = np.diag([1 / scale, 1 / scale, 1.0]) @ np.linalg.inv(forward)
    warnings: list[str] = []
    if len(codes.markers) < 4:
        warnings.append(f"only {len(codes.markers)} of 4 corner marks found; alignment may be off")
    if form_page is None:
        form_page = _qr_page_from_canon(canon)
    if form_page is None:
        form_page = 1
        warnings.append("the form's QR code is unreadable; the page was taken to be page 1")
    if pages not in (None, layout.PAGE_COUNT):
        warnings.append(f"QR code says the form has {pages} pages; this reader knows 2")
    return Aligned(form_page, canon, to_image, warnings)


def _correspondences(
    codes: Codes, form_page: int | None, qr_quad: np.ndarray | None
) -> tuple[list[list[float]], list[list[float]]]:
    """Pairs (image px, canonical px) from every marker corner and the QR symbol's corners."""
    corners_of = {m.id: m for m in layout.MARKERS[form_page or 1]}
    src: list[list[float]] = []
    dst: list[list[float]] = []
    for marker_id, quad in codes.markers.items():
        rect = corners_of[marker_id].rect
        src.extend(quad.tolist())
        dst.extend(_rect_corners(rect))
    if qr_quad is not None and form_page is not None and len(codes.markers) < 3:
        src.extend(qr_quad.tolist())
        dst.extend(_rect_corners(layout.QR_RECTS[form_page]))
    return src, dst


def _rect_corners(rect: layout.Rect) -> list[list[float]]:
    s = CANON_DPI / layout.MM_PER_INCH
    return [
        [rect.x * s, rect.y * s],
        [rect.x1 * s, rect.y * s],
        [rect.x1 * s, rect.y1 * s],
        [rect.x * s, rect.y1 * s],
    ]


def _flatten(grey: np.ndarray) -> np.ndarray:
    """Divide out uneven lighting (phone shadows) so one ink threshold fits the whole page."""
    background = cv2.dilate(grey, np.ones((31, 31), np.uint8))
    background = cv2.blur(background, (31, 31))
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    return flat


def _qr_page_from_canon(canon: np.ndarray) -> int | None:
    """Second chance for the QR code: its known place on the aligned page, enlarged."""
    x0, y0, x1, y1 = layout.QR_RECTS[1].px(CANON_DPI)
    margin = round(4 / layout.MM_PER_INCH * CANON_DPI)
    crop = canon[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]
    if crop.size == 0:
        return None
    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    for found in zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.QRCode):
        payload = layout.parse_qr_payload(found.text)
        if payload:
            return payload.page
    return None
