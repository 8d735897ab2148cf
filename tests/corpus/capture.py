"""Ways in for families b and c: flatbed scans, photocopies, phone photos, WhatsApp, fax.

Independent of degrade.py (family a): uneven lamp light and colour casts on scans, toner and
dithering on copies, phone photos on varied surfaces with perspective, vignetting, shadow,
glare, blur and JPEG loss, WhatsApp's downscale and recompression, fax at 204 × 98 dpi.
Each function takes a clean image and a seeded `random.Random`, returns the image and a meta dict.
"""

from __future__ import annotations

import io
import random
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

A4_MM = (210.0, 297.0)
Meta = dict[str, Any]


def _rgb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def _image(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jpeg_roundtrip(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.convert("RGB" if img.mode not in ("L", "RGB") else img.mode).save(
        buffer, "JPEG", quality=quality
    )
    return Image.open(io.BytesIO(buffer.getvalue())).copy()


def rescale(img: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
    return img.resize(size, Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)


def rotate(img: Image.Image, degrees: float, fill: int | tuple = (255, 255, 255)) -> Image.Image:
    """Rotate about the centre, growing the canvas (a page fed crooked)."""
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def lamp(arr: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    """Uneven light along one axis and a faint colour cast, as a flatbed's lamp gives."""
    h, w = arr.shape[:2]
    along = np.linspace(0, 1, w if rng.random() < 0.5 else h, dtype=np.float32)
    light = 1 - strength * (along - rng.uniform(0.2, 0.8)) ** 2
    light = light[None, :] if len(light) == w else light[:, None]
    cast = np.asarray([rng.uniform(0.96, 1.02) for _ in range(3)], np.float32)
    return arr * light[..., None] * cast


def noise(arr: np.ndarray, rng: random.Random, sigma: float) -> np.ndarray:
    gen = np.random.default_rng(rng.getrandbits(32))
    return arr + gen.normal(0, sigma, arr.shape[:2]).astype(np.float32)[..., None]


def to_mode(img: Image.Image, mode: str, rng: random.Random) -> Image.Image:
    """`color`, `grey`, or `bitonal` (Otsu or a fixed cut, as scanner drivers do)."""
    if mode == "color":
        return img.convert("RGB")
    grey = img.convert("L")
    if mode == "grey":
        return grey
    arr = np.asarray(grey)
    if rng.random() < 0.5:
        _, out = cv2.threshold(arr, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    else:
        out = np.where(arr < rng.randint(120, 170), 0, 255).astype(np.uint8)
    return Image.fromarray(out).convert("1", dither=Image.Dither.NONE)


def flatbed(
    img: Image.Image, rng: random.Random, *, src_dpi: int, dpi: int, mode: str, max_skew: float
) -> tuple[Image.Image, Meta]:
    """A flatbed or feeder scan at `dpi`: skew, lamp light, noise, colour mode, JPEG quality."""
    angle = round(rng.uniform(-max_skew, max_skew), 2)
    out = rotate(rescale(img.convert("RGB"), dpi / src_dpi), angle)
    arr = noise(lamp(_rgb(out), rng, rng.uniform(0.05, 0.2)), rng, rng.uniform(1, 4))
    out = to_mode(_image(arr), mode, rng)
    quality = None if mode == "bitonal" else rng.randint(60, 92)
    if quality:
        out = jpeg_roundtrip(out, quality)
    return out, {"dpi": dpi, "mode": mode, "skew": angle, "jpeg": quality}


def photocopy(img: Image.Image, rng: random.Random, *, dpi: int) -> tuple[Image.Image, Meta]:
    """A copier's copy scanned back: darker, grainy toner, grey speckle, sometimes dithered."""
    arr = _rgb(img.convert("L").convert("RGB"))
    arr = (arr - 255) * rng.uniform(1.1, 1.5) + 255 - rng.uniform(0, 25)
    arr = noise(arr, rng, rng.uniform(6, 14))
    grey = _image(arr).convert("L").filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    if rng.random() < 0.5:
        out = grey.convert("1")  # Floyd–Steinberg: a copier's halftone
        mode = "bitonal-dither"
    else:
        out = to_mode(grey, "bitonal", rng)
        mode = "bitonal"
    return out, {"dpi": dpi, "mode": mode}


def fax(
    img: Image.Image, rng: random.Random, *, src_dpi: int, sender: str
) -> tuple[Image.Image, Meta]:
    """Fine-mode fax: 204 × 98 dpi, bitonal, a header line, sometimes upside down."""
    angle = round(rng.uniform(-1.5, 1.5), 2)
    page = rotate(img.convert("L"), angle, fill=255)
    page = page.resize((round(page.width * 204 / src_dpi), round(page.height * 98 / src_dpi)))
    page = page.resize((page.width, page.height * 2))  # shown at 204 × 196 again
    draw = ImageDraw.Draw(page)
    face = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 22)
    draw.text(
        (20, 8), f"{sender}   FAX 0561-{rng.randint(700000, 799999)}   P.01", font=face, fill=0
    )
    out = to_mode(page, "bitonal", rng)
    turned = rng.random() < 0.2
    if turned:
        out = out.rotate(180)
    return out, {"dpi": 204, "mode": "bitonal", "skew": angle, "rotation": 180 if turned else 0}


def whatsapp(img: Image.Image, rng: random.Random) -> tuple[Image.Image, Meta]:
    """What a chat app does to a photo: long side to about 1600 px, JPEG quality 60–75."""
    long_side = rng.randint(1280, 1600)
    factor = min(1.0, long_side / max(img.size))
    quality = rng.randint(60, 75)
    return jpeg_roundtrip(rescale(img.convert("RGB"), factor), quality), {
        "whatsapp": long_side,
        "jpeg": quality,
    }


def _surface(w: int, h: int, rng: random.Random) -> np.ndarray:
    """A table cloth, a dark desk, a light desk or a patterned batik-like cloth."""
    gen = np.random.default_rng(rng.getrandbits(32))
    base = np.asarray(
        rng.choice(((40, 40, 45), (200, 195, 185), (120, 60, 40), (60, 80, 120), (150, 120, 80))),
        np.float32,
    )
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    pattern = 12 * np.sin(xs / rng.uniform(6, 30)) * np.sin(ys / rng.uniform(6, 30))
    return base + pattern[..., None] + gen.normal(0, 5, (h, w, 1)).astype(np.float32)


def glare(
    arr: np.ndarray, rng: random.Random, where: tuple[float, float], size: float
) -> np.ndarray:
    """A soft bright spot, as a lamp reflected in a laminated card or glossy paper."""
    h, w = arr.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = where
    spot = np.exp(-(((xs - cx) / size) ** 2 + ((ys - cy) / (size * 0.6)) ** 2))
    return arr + spot[..., None] * rng.uniform(80, 170)


def phone(
    img: Image.Image, rng: random.Random, *, fill: float, long_side: int, shine: bool
) -> tuple[Image.Image, Meta]:
    """A phone photo of a page or card on a surface: perspective, light, glare, blur, JPEG."""
    src = _rgb(img)
    h, w = src.shape[:2]
    portrait = h >= w
    out_w, out_h = (
        (round(long_side * 0.75), long_side) if portrait else (long_side, round(long_side * 0.75))
    )
    scale = fill * min(out_w / w, out_h / h)
    cx, cy = (
        out_w / 2 + rng.uniform(-0.06, 0.06) * out_w,
        out_h / 2 + rng.uniform(-0.06, 0.06) * out_h,
    )
    ow, oh = w * scale / 2, h * scale / 2
    tilt = rng.uniform(0.03, 0.12)  # keystone: the far edge narrower
    corners = np.float32(
        [
            [cx - ow * (1 - tilt), cy - oh],
            [cx + ow * (1 - tilt), cy - oh],
            [cx + ow, cy + oh],
            [cx - ow, cy + oh],
        ]
    )
    corners += np.float32(
        [[rng.uniform(-1, 1) * 0.04 * ow, rng.uniform(-1, 1) * 0.04 * oh] for _ in range(4)]
    )
    turn = np.deg2rad(rng.uniform(-7, 7))
    rot = np.float32([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    corners = (corners - [cx, cy]) @ rot.T + [cx, cy]
    matrix = cv2.getPerspectiveTransform(
        np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners.astype(np.float32)
    )
    canvas = _surface(out_w, out_h, rng)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 1, np.float32), matrix, (out_w, out_h))
    canvas = canvas * (1 - mask[..., None]) + warped * mask[..., None]
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    vignette = 1 - rng.uniform(0.15, 0.35) * (
        ((xs / out_w - 0.5) ** 2 + (ys / out_h - 0.5) ** 2) * 2
    )
    shade = 1 - rng.uniform(0.1, 0.35) * (xs / out_w if rng.random() < 0.5 else ys / out_h)
    canvas = canvas * (vignette * shade)[..., None] * rng.uniform(0.85, 1.05)
    if shine:
        spot = (rng.uniform(0.3, 0.7) * out_w, rng.uniform(0.3, 0.7) * out_h)
        canvas = glare(canvas, rng, spot, rng.uniform(0.08, 0.18) * out_w)
    canvas = noise(canvas, rng, rng.uniform(2, 5))
    out = _image(canvas)
    if rng.random() < 0.4:  # a shaky hand: a short motion blur
        length = rng.randint(3, 7)
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1 / length
        out = _image(cv2.filter2D(np.asarray(out, np.float32), -1, kernel))
    else:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.3)))
    quality = rng.randint(70, 88)
    meta = {"corners": corners.round(1).tolist(), "jpeg": quality, "mode": "color", "glare": shine}
    return jpeg_roundtrip(out, quality), meta


def on_a4(
    card: Image.Image, rng: random.Random, *, card_dpi: int, dpi: int, mode: str
) -> tuple[Image.Image, Meta]:
    """A card laid on an A4 glass and scanned or copied, somewhere on the upper half."""
    page_w, page_h = (round(mm / 25.4 * dpi) for mm in A4_MM)
    page = Image.new("RGB", (page_w, page_h), "white")
    small = rotate(rescale(card, dpi / card_dpi), rng.uniform(-4, 4))
    x = rng.randint(round(0.06 * page_w), page_w - small.width - round(0.06 * page_w))
    y = rng.randint(round(0.05 * page_h), round(0.5 * page_h))
    page.paste(small, (x, y))
    if mode.startswith("bitonal"):
        out, meta = photocopy(page, rng, dpi=dpi)
    else:
        out, meta = flatbed(page, rng, src_dpi=dpi, dpi=dpi, mode=mode, max_skew=0.8)
    return out, {**meta, "card_at": [x, y, x + small.width, y + small.height]}
