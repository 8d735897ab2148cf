"""Objection forms in other offices' layouts: the Perki 1/2010 form and a typed letter (WeasyPrint).

These are the "foreign" inputs the label-based reader must handle: the same information as our
form, laid out as other PPIDs print it, with the text in a real PDF text layer.
"""

from __future__ import annotations

import base64
import io
import math
import random
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image, ImageDraw

from ppid.core.calendar import format_tanggal

TEMPLATES = Path(__file__).parent / "templates"
REASONS = (
    ("a", "Permohonan informasi ditolak"),
    ("b", "Informasi berkala tidak disediakan"),
    ("c", "Permintaan informasi tidak ditanggapi"),
    ("d", "Permintaan informasi ditanggapi tidak sebagaimana yang diminta"),
    ("e", "Permintaan informasi tidak dipenuhi"),
    ("f", "Pengenaan biaya yang tidak wajar"),
    ("g", "Penyampaian informasi yang melebihi waktu yang diatur"),
)
OFFICES = (
    ("PEMERINTAH KABUPATEN SAMBAS", "DINAS KOMUNIKASI DAN INFORMATIKA", "Jalan Pembangunan No. 2"),
    ("PEMERINTAH KOTA PONTIANAK", "PPID KOTA PONTIANAK", "Jalan Rahadi Usman No. 3"),
    ("PEMERINTAH KABUPATEN KUBU RAYA", "DINAS PERDAGANGAN", "Jalan Arteri Supadio Km. 9"),
)
FONTS = ("DejaVu Sans", "Liberation Sans", "Liberation Serif", "DejaVu Serif")
# Where glyphs a font lacks (ticks) come from, named so that more fonts on the system change
# nothing: the fonts fontconfig chose when only DejaVu and Liberation were installed.
FALLBACK = {"Liberation Serif": "DejaVu Math TeX Gyre", "DejaVu Serif": "DejaVu Math TeX Gyre"}


def signature_img(rng: random.Random, width: int = 280, height: int = 100) -> str:
    """A scanned signature pasted as a PNG image, as people do on typed forms and letters."""
    img = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    points = []
    for i in range(30):
        t = i / 29
        x = 10 + (width - 20) * t
        y = height / 2 + height * 0.35 * math.sin(t * rng.uniform(9, 15) + rng.uniform(0, 1))
        points.append((x, y))
    ImageDraw.Draw(img).line(points, fill=(26, 26, 80, 255), width=4)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" style="width: 35mm; height: 12.5mm">'


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def foreign_truth(fields: dict[str, Any], variant: str) -> dict[str, Any]:
    """The truth a letter can carry: it has no officer-filled registration or response date."""
    if variant == "form":
        return fields
    return {**fields, "registration_number": None, "response_date": None}


def render_foreign(
    fields: dict[str, Any], out: Path, rng: random.Random, *, variant: str = "form"
) -> dict[str, Any]:
    """Write the Perki-style form (`form`) or a typed `letter` as a PDF; return its truth."""
    from weasyprint import HTML

    office = rng.choice(OFFICES)
    font = rng.choice(FONTS)
    context = {
        "f": fields,
        "font": font,
        "fallback": FALLBACK.get(font, "DejaVu Sans"),
        "size": rng.choice((10, 10, 11)),
        "margin": rng.choice((15, 18, 20)),
        "boxed_case": rng.random() < 0.5,
        "dots": rng.choice(("", "....................")),
        "tick": rng.choice(("X", "✓", "√")),
        "reasons": REASONS,
        "date_text": format_tanggal(date.fromisoformat(fields["date"]), weekday=False),
        "response_date": (
            format_tanggal(date.fromisoformat(fields["response_date"]))
            if fields["response_date"]
            else None
        ),
        "signature": signature_img(rng) if fields["signed"] else "",
        "office_government": office[0],
        "office_name": office[1],
        "office_address": office[2],
        "office_short": "Dinas Koperasi, Usaha Kecil dan Menengah Provinsi Kalimantan Barat",
    }
    template = "perki_form.html" if variant == "form" else "letter.html"
    html = _environment().get_template(template).render(**context)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(out)
    return foreign_truth(fields, variant)
