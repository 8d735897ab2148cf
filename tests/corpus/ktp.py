"""Render a KTP-el look-alike card (85.6 × 54 mm) for a synthetic person, with PIL.

It is a test fixture, not a forgery aid: the photo is a grey rectangle, the signature a scribble,
and the card carries no security features. Layout follows the printed order in domain.md.
"""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .people import Person

CARD_MM = (85.6, 54.0)
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
LABELS = (
    "Nama",
    "Tempat/Tgl Lahir",
    "Jenis Kelamin",
    "Alamat",
    "RT/RW",
    "Kel/Desa",
    "Kecamatan",
    "Agama",
    "Status Perkawinan",
    "Pekerjaan",
    "Kewarganegaraan",
    "Berlaku Hingga",
)


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A TrueType font by file name from the system font folders (DejaVu, Liberation)."""
    for folder in FONT_DIRS:
        path = folder / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    raise FileNotFoundError(f"font {name} not found in {[str(d) for d in FONT_DIRS]}")


def card_size(dpi: int) -> tuple[int, int]:
    """Card size in pixels at `dpi`."""
    return round(CARD_MM[0] / 25.4 * dpi), round(CARD_MM[1] / 25.4 * dpi)


def _dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def card_lines(person: Person) -> list[tuple[str, str]]:
    """The labelled rows as printed (label, value); Gol. Darah shares the Jenis Kelamin row."""
    valid = _dmy(date.fromisoformat(person.valid_until)) if person.valid_until else "SEUMUR HIDUP"
    return [
        ("Nama", person.name),
        ("Tempat/Tgl Lahir", f"{person.birth_place}, {_dmy(person.birth_date)}"),
        ("Jenis Kelamin", person.sex),
        ("Alamat", person.address),
        ("RT/RW", person.rt_rw),
        ("Kel/Desa", person.village),
        ("Kecamatan", person.district),
        ("Agama", person.religion),
        ("Status Perkawinan", person.marital_status),
        ("Pekerjaan", person.occupation),
        ("Kewarganegaraan", person.nationality),
        ("Berlaku Hingga", valid),
    ]


def _background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Light-blue gradient with faint guilloche waves, like the printed card stock."""
    width, height = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    top, bottom = (198, 226, 244), (232, 244, 252)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    phase = rng.uniform(0, math.pi)
    step = max(6, height // 40)
    for k in range(0, height + step * 4, step):
        points = [
            (x, k + step * 1.5 * math.sin(x / width * 6 * math.pi + phase + k / 37))
            for x in range(0, width + 8, 8)
        ]
        draw.line(points, fill=(184, 214, 236), width=1)
    return img


def _signature(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random
) -> None:
    x0, y0, x1, y1 = box
    points = []
    for i in range(40):
        t = i / 39
        x = x0 + (x1 - x0) * t
        y = (y0 + y1) / 2 + (y1 - y0) * 0.4 * math.sin(t * rng.uniform(8, 14) + rng.uniform(0, 1))
        points.append((x, y))
    draw.line(points, fill=(30, 30, 60), width=max(1, (y1 - y0) // 14))


def render_ktp(person: Person, *, dpi: int = 300, seed: int = 0) -> Image.Image:
    """The card as an RGB image at `dpi` (300 dpi ≈ 1011 × 638 px)."""
    rng = random.Random(seed)
    width, height = card_size(dpi)
    u = width / 1011  # layout units are pixels at 300 dpi
    img = _background((width, height), rng)
    draw = ImageDraw.Draw(img)
    ink = (20, 20, 20)
    head = font("DejaVuSans-Bold.ttf", round(30 * u))
    draw.text((width / 2, 22 * u), f"PROVINSI {person.province}", font=head, fill=ink, anchor="ma")
    draw.text((width / 2, 60 * u), person.regency, font=head, fill=ink, anchor="ma")
    nik_font = font("DejaVuSansMono-Bold.ttf", round(38 * u))
    nik_label = font("DejaVuSans-Bold.ttf", round(36 * u))
    draw.text((28 * u, 110 * u), "NIK", font=nik_label, fill=ink)
    draw.text((150 * u, 110 * u), ":", font=nik_label, fill=ink)
    draw.text((175 * u, 110 * u), person.nik, font=nik_font, fill=ink)
    label_font = font("DejaVuSans.ttf", round(21 * u))
    value_font = font("DejaVuSans.ttf", round(21 * u))
    x_label, x_colon, x_value = 28 * u, 238 * u, 256 * u
    y, row = 168 * u, 30 * u
    for label, value in card_lines(person):
        draw.text((x_label, y), label, font=label_font, fill=ink)
        draw.text((x_colon, y), ":", font=label_font, fill=ink)
        draw.text((x_value, y), value, font=value_font, fill=ink)
        if label == "Jenis Kelamin":
            draw.text((470 * u, y), "Gol. Darah", font=label_font, fill=ink)
            draw.text((590 * u, y), f": {person.blood_type}", font=label_font, fill=ink)
        y += row
    photo = (775 * u, 130 * u, 975 * u, 400 * u)
    draw.rectangle(photo, fill=(150, 150, 155), outline=(120, 120, 125))
    small = font("DejaVuSans.ttf", round(19 * u))
    cx = (photo[0] + photo[2]) / 2
    draw.text((cx, 418 * u), person.issue_place, font=small, fill=ink, anchor="ma")
    draw.text((cx, 444 * u), _dmy(person.issue_date), font=small, fill=ink, anchor="ma")
    _signature(draw, (round(800 * u), round(480 * u), round(950 * u), round(540 * u)), rng)
    return img
