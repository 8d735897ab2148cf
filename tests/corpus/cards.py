"""KTP-el look-alike cards of families b and c: other fonts, label spellings, backgrounds, layouts.

Independent of ktp.py (family a): each family names its fonts, label spellings, colon habits,
backgrounds and photo places in a `CardLook`; every card draws its own choices from it. Still a
fixture, not a forgery aid: the photo is a grey silhouette, the signature a scribble, no security
features.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .people import Person

WIDTH, HEIGHT = 1011, 638  # 85.6 × 54 mm at 300 dpi
FONT_FILES = {
    "Liberation Sans": (
        "truetype/liberation2/LiberationSans-Regular.ttf",
        "truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    "FreeSans": ("truetype/freefont/FreeSans.ttf", "truetype/freefont/FreeSansBold.ttf"),
    "DejaVu Sans Condensed": (
        "truetype/dejavu/DejaVuSansCondensed.ttf",
        "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    ),
    "Nimbus Sans": (
        "opentype/urw-base35/NimbusSans-Regular.otf",
        "opentype/urw-base35/NimbusSans-Bold.otf",
    ),
    "Nimbus Sans Narrow": (
        "opentype/urw-base35/NimbusSansNarrow-Regular.otf",
        "opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    ),
    "DejaVu Sans": ("truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf"),
}
FONT_ROOT = Path("/usr/share/fonts")


@dataclass(frozen=True)
class CardLook:
    """What one family's cards may look like; each card picks from every tuple."""

    fonts: tuple[str, ...]
    birth_labels: tuple[str, ...]
    blood_labels: tuple[str, ...]
    rtrw_labels: tuple[str, ...]
    village_labels: tuple[str, ...]
    colon_styles: tuple[str, ...]  # "column" (aligned), "after" (`Nama :`), "value" (`: NAMA`)
    backgrounds: tuple[str, ...]  # "gradient", "guilloche", "rosette", "flat"
    photo_places: tuple[str, ...]  # "right", "right-low", "left"
    tints: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...]


def load_font(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = FONT_ROOT / FONT_FILES[family][1 if bold else 0]
    if not path.exists():
        raise FileNotFoundError(f"{path} missing; run scripts/setup-system.sh")
    return ImageFont.truetype(str(path), size)


def _dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def card_rows(person: Person, rng: random.Random, look: CardLook) -> list[tuple[str, str]]:
    """Labelled rows as this card prints them (label spellings vary by card)."""
    valid = _dmy(date.fromisoformat(person.valid_until)) if person.valid_until else "SEUMUR HIDUP"
    return [
        ("Nama", person.name),
        (rng.choice(look.birth_labels), f"{person.birth_place}, {_dmy(person.birth_date)}"),
        ("Jenis Kelamin", person.sex),
        ("Alamat", person.address),
        (rng.choice(look.rtrw_labels), person.rt_rw),
        (rng.choice(look.village_labels), person.village),
        ("Kecamatan", person.district),
        ("Agama", person.religion),
        ("Status Perkawinan", person.marital_status),
        ("Pekerjaan", person.occupation),
        ("Kewarganegaraan", person.nationality),
        ("Berlaku Hingga", valid),
    ]


def background(rng: random.Random, look: CardLook) -> Image.Image:
    """Card stock: a two-colour gradient, with guilloche waves or a rosette on some cards."""
    top, bottom = rng.choice(look.tints)
    angle = rng.uniform(0, math.pi)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    t = (xs / WIDTH * math.cos(angle) + ys / HEIGHT * math.sin(angle) + 1) / 3
    t = (t - t.min()) / max(1e-6, t.max() - t.min())
    arr = (
        np.asarray(top, np.float32)
        + (np.asarray(bottom, np.float32) - np.asarray(top, np.float32)) * t[..., None]
    )
    kind = rng.choice(look.backgrounds)
    line = np.asarray(top, np.float32) * rng.uniform(0.8, 0.9)
    if kind == "guilloche":
        for k in range(rng.randint(5, 9)):
            freq, phase = rng.uniform(2, 7), rng.uniform(0, 6.3)
            wave = np.sin(xs / WIDTH * freq * 2 * math.pi + phase + ys / rng.uniform(9, 20))
            mask = np.abs(wave) < 0.05 + 0.01 * k % 3
            arr[mask] = arr[mask] * 0.5 + line * 0.5
    elif kind == "rosette":
        cx, cy = rng.uniform(0.3, 0.7) * WIDTH, rng.uniform(0.35, 0.65) * HEIGHT
        radius = np.hypot(xs - cx, ys - cy)
        theta = np.arctan2(ys - cy, xs - cx)
        petals = np.sin(radius / rng.uniform(5, 9) + rng.randint(6, 14) * theta)
        mask = (np.abs(petals) < 0.12) & (radius < rng.uniform(180, 320))
        arr[mask] = arr[mask] * 0.55 + line * 0.45
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img.filter(ImageFilter.GaussianBlur(0.6))


def _fit(draw: ImageDraw.ImageDraw, text: str, family: str, size: int, width: float, bold=False):
    """The largest font of `family` up to `size` in which `text` fits `width` pixels."""
    while size > 10:
        face = load_font(family, size, bold)
        if draw.textlength(text, font=face) <= width:
            return face
        size -= 1
    return load_font(family, size, bold)


def _photo(img: Image.Image, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A grey silhouette on a red or blue ground: head and shoulders, nobody in particular."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    photo = Image.new("RGB", (w, h), rng.choice(((178, 60, 60), (60, 92, 170))))
    draw = ImageDraw.Draw(photo)
    draw.ellipse((w * 0.28, h * 0.16, w * 0.72, h * 0.56), fill=(120, 120, 124))
    draw.ellipse((w * 0.05, h * 0.62, w * 0.95, h * 1.3), fill=(70, 70, 76))
    img.paste(photo, (x0, y0))


def _signature(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float, rng) -> None:
    points = []
    loops, phase = rng.randint(3, 6), rng.uniform(0, 6)
    for i in range(60):
        t = i / 59
        points.append(
            (
                x + w * t + 6 * math.cos(t * loops * 6.3 + phase),
                y + h / 2 + h * 0.4 * math.sin(t * loops * 6.3),
            )
        )
    draw.line(points, fill=(25, 25, 70), width=3)


def render_card(person: Person, look: CardLook, rng: random.Random) -> tuple[Image.Image, dict]:
    """The card at 300 dpi (1011 × 638) and what was chosen for it."""
    family = rng.choice(look.fonts)
    img = background(rng, look)
    draw = ImageDraw.Draw(img)
    ink = rng.choice(((15, 15, 15), (25, 25, 40), (35, 30, 30)))
    place = rng.choice(look.photo_places)
    photo_w, photo_h = rng.randint(185, 210), rng.randint(240, 270)
    if place == "left":
        photo_x, text_x = rng.randint(24, 40), 0
        text_x = photo_x + photo_w + rng.randint(22, 34)
    else:
        photo_x, text_x = WIDTH - photo_w - rng.randint(28, 45), rng.randint(24, 36)
    photo_y = rng.randint(118, 135) + (40 if place == "right-low" else 0)
    head = rng.randint(26, 31)
    draw.text(
        (WIDTH / 2, rng.randint(14, 24)),
        f"PROVINSI {person.province}",
        fill=ink,
        anchor="ma",
        font=_fit(draw, f"PROVINSI {person.province}", family, head, WIDTH - 60, bold=True),
    )
    draw.text(
        (WIDTH / 2, rng.randint(52, 60)),
        person.regency,
        fill=ink,
        anchor="ma",
        font=_fit(draw, person.regency, family, head, WIDTH - 60, bold=True),
    )
    value_size = rng.randint(19, 22)
    label_face = load_font(family, value_size, bold=rng.random() < 0.3)
    colon = rng.choice(look.colon_styles)
    rows = card_rows(person, rng, look)
    label_w = max(draw.textlength(label, font=label_face) for label, _ in rows)
    x_colon = text_x + label_w + rng.randint(8, 22)
    x_value = x_colon + rng.randint(14, 20)
    nik_y = rng.randint(100, 112)
    nik_face = load_font(family, rng.randint(33, 38), bold=True)
    draw.text((text_x, nik_y), "NIK", font=nik_face, fill=ink)
    draw.text((x_colon - 6, nik_y), ":", font=nik_face, fill=ink)
    draw.text((x_value, nik_y), person.nik, font=nik_face, fill=ink)
    y, step = nik_y + rng.randint(52, 60), rng.uniform(27.5, 31)
    right_edge = (photo_x - 12) if place != "left" else WIDTH - 20
    for label, value in rows:
        if colon == "after":
            draw.text((text_x, y), f"{label} :", font=label_face, fill=ink)
        else:
            draw.text((text_x, y), label, font=label_face, fill=ink)
        shown = value if colon != "value" else f": {value}"
        if colon == "column":
            draw.text((x_colon, y), ":", font=label_face, fill=ink)
        width = right_edge - x_value
        if label == "Jenis Kelamin":
            blood_x = x_value + rng.randint(190, 230)
            blood = f"{rng.choice(look.blood_labels)} : {person.blood_type}"
            draw.text((blood_x, y), blood, font=label_face, fill=ink)
            width = blood_x - x_value - 10
        face = _fit(draw, shown, family, value_size, width)
        draw.text((x_value, y), shown, font=face, fill=ink)
        y += step
    _photo(img, (photo_x, photo_y, photo_x + photo_w, photo_y + photo_h), rng)
    small = load_font(family, rng.randint(17, 20))
    cx = photo_x + photo_w / 2
    below = photo_y + photo_h + 10
    draw.text((cx, below), person.issue_place, font=small, fill=ink, anchor="ma")
    draw.text((cx, below + 24), _dmy(person.issue_date), font=small, fill=ink, anchor="ma")
    if below + 110 < HEIGHT:
        _signature(draw, photo_x + 10, below + 55, photo_w - 20, 40, rng)
    else:
        _signature(draw, max(20, photo_x - 170), HEIGHT - 70, 150, 40, rng)
    return img, {"font": family, "colon": colon, "photo": place}
