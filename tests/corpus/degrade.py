"""Simulate a clean page's way in: scanners, fax machines, phone cameras, photocopiers.

Each function takes a clean PIL image plus a seeded `random.Random` and returns a new image and a
small dict describing what was done (kept in truth.jsonl so a failure can be reproduced).
"""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
from PIL import Image

A4_MM = (210.0, 297.0)
WHITE = 255


def _to_array(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _to_image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def resample(img: Image.Image, src_dpi: int, dpi: int) -> Image.Image:
    """Change resolution as a scanner set to `dpi` would see a page rendered at `src_dpi`."""
    if src_dpi == dpi:
        return img.copy()
    scale = dpi / src_dpi
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)


def skew(img: Image.Image, degrees: float) -> Image.Image:
    """Rotate by a small angle about the centre, growing the canvas and filling with white."""
    arr = _to_array(img)
    h, w = arr.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    out = cv2.warpAffine(
        arr,
        matrix,
        (new_w, new_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(WHITE, WHITE, WHITE),
    )
    return _to_image(out)


def rotate_quarter(img: Image.Image, degrees: int) -> Image.Image:
    """Turn the page by 0/90/180/270 degrees counter-clockwise (a page fed the wrong way)."""
    turns = {
        0: None,
        90: Image.Transpose.ROTATE_90,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_270,
    }
    op = turns[degrees % 360]
    return img.copy() if op is None else img.transpose(op)


def add_noise(img: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Gaussian sensor noise plus a sprinkle of dust specks."""
    arr = _to_array(img).astype(np.int16)
    gen = np.random.default_rng(rng.getrandbits(32))
    arr += (gen.standard_normal(arr.shape[:2], dtype=np.float32) * sigma)[..., None].astype(
        np.int16
    )
    specks = gen.random(arr.shape[:2]) < 0.0004
    arr[specks] = gen.integers(0, 90)
    return _to_image(arr)


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    """Round-trip through JPEG at `quality` to get its block artefacts."""
    ok, buf = cv2.imencode(".jpg", _to_array(img)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return _to_image(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def bitonal(img: Image.Image, rng: random.Random, threshold: int | None = None) -> Image.Image:
    """Threshold to black and white, like a fax or a cheap photocopier, with a little salt noise."""
    grey = np.asarray(img.convert("L"), dtype=np.int16)
    gen = np.random.default_rng(rng.getrandbits(32))
    grey = grey + (gen.standard_normal(grey.shape, dtype=np.float32) * 12).astype(np.int16)
    cut = threshold if threshold is not None else rng.randint(140, 180)
    out = np.where(grey < cut, 0, 255).astype(np.uint8)
    flips = gen.random(out.shape) < 0.0008
    out[flips] = 255 - out[flips]
    return Image.fromarray(out).convert("1")


def scan(
    img: Image.Image,
    rng: random.Random,
    *,
    src_dpi: int,
    dpi: int | None = None,
    mode: str | None = None,
    rotation: int | None = None,
    max_skew: float = 5.0,
    max_quality: int = 90,
) -> tuple[Image.Image, dict[str, Any]]:
    """A flatbed or feeder scan: resolution, colour mode, skew, quarter turn, noise, JPEG."""
    dpi = dpi or rng.choice((150, 200, 300, 300, 400, 600))
    mode = mode or rng.choice(("color", "grey", "bitonal"))
    rotation = rng.choice((0, 0, 0, 90, 180, 270)) if rotation is None else rotation
    angle = round(rng.uniform(-max_skew, max_skew), 2)
    out = resample(img, src_dpi, dpi)
    out = skew(out, angle)
    out = add_noise(out, rng, sigma=rng.uniform(1.5, 5))
    quality = None
    if mode == "bitonal":
        out = bitonal(out, rng)
    else:
        quality = min(rng.randint(55, 90), max_quality)
        out = jpeg(out, quality)
        if mode == "grey":
            out = out.convert("L")
    out = rotate_quarter(out, rotation)
    meta = {"dpi": dpi, "mode": mode, "skew": angle, "rotation": rotation, "jpeg": quality}
    return out, meta


def fax(img: Image.Image, rng: random.Random, *, src_dpi: int) -> tuple[Image.Image, dict]:
    """A fax: 200 dpi, bitonal, slightly skewed, sometimes received upside down."""
    rotation = rng.choice((0, 0, 0, 180))
    angle = round(rng.uniform(-2.0, 2.0), 2)
    out = skew(resample(img, src_dpi, 200), angle)
    # fax lines are 200 x 100 dpi on the cheapest machines: squash then restore the rows
    if rng.random() < 0.5:
        out = out.resize((out.width, out.height // 2)).resize((out.width, out.height))
    out = rotate_quarter(bitonal(out, rng), rotation)
    return out, {"dpi": 200, "mode": "bitonal", "skew": angle, "rotation": rotation}


def _table(size: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """A wood-coloured table top: a brown base with grain stripes and noise."""
    w, h = size
    base = np.array([gen.integers(95, 150), gen.integers(65, 100), gen.integers(35, 60)])
    xs = np.arange(w)[None, :]
    ys = np.arange(h)[:, None]
    grain = 14 * np.sin(xs / gen.uniform(9, 25) + 3 * np.sin(ys / gen.uniform(60, 140)))
    arr = base[None, None, :] + grain[..., None] + gen.normal(0, 6, (h, w, 1))
    return np.clip(arr, 0, 255).astype(np.uint8)


def _shadow(arr: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Darken one side, as a hand or phone shading the page does."""
    h, w = arr.shape[:2]
    theta = gen.uniform(0, 2 * np.pi)
    xs, ys = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    ramp = (xs * np.cos(theta) + ys * np.sin(theta) + 1.42) / 2.84
    factor = 1.0 - gen.uniform(0.25, 0.45) * (1 - ramp)
    return np.clip(arr * factor[..., None], 0, 255).astype(np.uint8)


def photograph(
    img: Image.Image,
    rng: random.Random,
    *,
    fill: float = 0.8,
    out_long_side: int = 2000,
    max_quality: int = 90,
) -> tuple[Image.Image, dict[str, Any]]:
    """A phone photo of a page or card lying on a table: perspective, shadow, blur, JPEG.

    `fill` is roughly how much of the frame's short side the object spans.
    """
    gen = np.random.default_rng(rng.getrandbits(32))
    src = _to_array(img)
    h, w = src.shape[:2]
    portrait = h >= w
    out_w, out_h = (
        (round(out_long_side * 0.75), out_long_side)
        if portrait
        else (out_long_side, round(out_long_side * 0.75))
    )
    scale = fill * min(out_w / w, out_h / h)
    obj_w, obj_h = w * scale, h * scale
    cx, cy = (
        out_w / 2 + gen.uniform(-0.05, 0.05) * out_w,
        out_h / 2 + gen.uniform(-0.05, 0.05) * out_h,
    )
    jitter = 0.06 * min(obj_w, obj_h)
    corners = np.array(
        [
            [cx - obj_w / 2, cy - obj_h / 2],
            [cx + obj_w / 2, cy - obj_h / 2],
            [cx + obj_w / 2, cy + obj_h / 2],
            [cx - obj_w / 2, cy + obj_h / 2],
        ]
    )
    corners += gen.uniform(-jitter, jitter, corners.shape)
    angle = np.deg2rad(gen.uniform(-8, 8))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (corners - [cx, cy]) @ rot.T + [cx, cy]
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    canvas = _table((out_w, out_h), gen)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (out_w, out_h))
    canvas[mask > 127] = warped[mask > 127]
    canvas = _shadow(canvas, gen)
    canvas = cv2.GaussianBlur(canvas, (3, 3), gen.uniform(0.3, 1.0))
    quality = min(int(gen.integers(70, 90)), max_quality)
    out = jpeg(add_noise(_to_image(canvas), rng, sigma=3), quality)
    meta = {"corners": corners.round(1).tolist(), "jpeg": quality, "mode": "color"}
    return out, meta


def photocopy_card(
    card: Image.Image, rng: random.Random, *, card_dpi: int, dpi: int = 200
) -> tuple[Image.Image, dict[str, Any]]:
    """A KTP on an A4 page: photocopied (bitonal) or scanned on a flatbed (grey or colour)."""
    page_w, page_h = (round(mm / 25.4 * dpi) for mm in A4_MM)
    page = Image.new("RGB", (page_w, page_h), "white")
    small = skew(resample(card, card_dpi, dpi), rng.uniform(-3, 3))
    x = rng.randint(round(0.08 * page_w), page_w - small.width - round(0.08 * page_w))
    y = rng.randint(round(0.06 * page_h), round(0.45 * page_h))
    page.paste(small, (x, y))
    page = add_noise(page, rng, sigma=2)
    draw = rng.random()  # mostly a bitonal photocopy; sometimes a grey or colour flatbed scan
    mode = "bitonal" if draw < 0.6 else "grey" if draw < 0.8 else "color"
    if mode == "bitonal":
        out = bitonal(page, rng, threshold=rng.randint(170, 200))
    else:
        out = page.convert("L") if mode == "grey" else page
    return out, {"dpi": dpi, "mode": mode, "card_at": [x, y, x + small.width, y + small.height]}
