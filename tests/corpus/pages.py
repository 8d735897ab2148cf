"""Page plumbing for the corpus: rasterising PDFs, our form via ppid.forms, saving scans.

Kept apart from the kinds so each maker in kinds.py reads as a short recipe.
"""

from __future__ import annotations

import random
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from .ktp import font

HAND_FONTS = (
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
)
FIXED_TIME = time.gmtime(1_767_225_600)  # 2026-01-01T00:00:00Z
Record = dict[str, Any]


class CorpusError(RuntimeError):
    """The corpus could not be written (a tool is missing, a renderer failed)."""


def rasterise(pdf: Path, dpi: int, work: Path, *, grey: bool = False) -> list[Image.Image]:
    """Render every page of `pdf` at `dpi` with pdftoppm (the printer-then-scanner path)."""
    prefix = work / f"{pdf.stem}-{dpi}"
    command = [
        "pdftoppm",
        "-r",
        str(dpi),
        "-png",
        *(["-gray"] if grey else []),
        str(pdf),
        str(prefix),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CorpusError(f"pdftoppm failed on {pdf}: {exc}; install poppler-utils") from exc
    pages = sorted(work.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    images = []
    for page in pages:
        with Image.open(page) as img:
            images.append(img.copy())
        page.unlink()
    return images


def our_form(
    fields: Record, out: Path, rng: random.Random, *, style: str = "typed", fillable: bool = False
) -> None:
    """Our own objection form, filled, via the form engineer's renderer in ppid.forms."""
    try:
        from ppid.core.settings import Settings
        from ppid.output.forms import render_filled_form
    except ImportError as exc:
        raise CorpusError(
            f"ppid.forms is not available yet ({exc}); skip the our-form kinds"
        ) from exc
    hand_font = rng.choice(HAND_FONTS) if style == "hand" else None
    render_filled_form(
        Settings(home=out.parent), fields, out, style=style, font=hand_font, fillable=fillable
    )


def other_page(rng: random.Random, dpi: int = 200) -> Image.Image:
    """A page that is neither form nor ID: a covering note, as people staple to their objection."""
    width, height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    size = round(11 / 72 * dpi)
    text_font = font("LiberationSerif-Regular.ttf", size)
    body = rng.choice(
        (
            "Bersama ini saya lampirkan salinan bukti pengiriman permohonan informasi dan tanda "
            "terima dari petugas. Mohon kiranya keberatan saya dapat diproses sesuai ketentuan "
            "yang berlaku. Apabila diperlukan keterangan tambahan, saya bersedia dihubungi.",
            "Tanda terima permohonan informasi publik. Telah diterima berkas permohonan informasi "
            "berupa satu bundel dokumen. Berkas ini merupakan arsip pemohon dan harap disimpan "
            "sebagai bukti apabila diperlukan di kemudian hari.",
        )
    )
    y = round(0.1 * height)
    draw.text((round(0.12 * width), y), "SURAT PENGANTAR", font=text_font, fill=0)
    for line in textwrap.wrap(body, 70):
        y += round(size * 1.6)
        draw.text((round(0.12 * width), y), line, font=text_font, fill=0)
    return page


def save_pdf(images: list[Image.Image], path: Path, dpi: int, quality: int = 75) -> None:
    """Image-only PDF, one image per page, with fixed dates so a seed gives identical bytes.

    Black-and-white pages go in as CCITT group 4, which takes no JPEG quality; then PIL's
    default applies to any grey page beside them.
    """
    first, *rest = images
    extra = {} if any(img.mode == "1" for img in images) else {"quality": quality}
    first.save(
        path,
        "PDF",
        resolution=dpi,
        save_all=True,
        append_images=rest,
        creationDate=FIXED_TIME,
        modDate=FIXED_TIME,
        **extra,
    )


def save_tiff(images: list[Image.Image], path: Path, dpi: int) -> None:
    """Multi-page TIFF: group 4 for black-and-white pages (as fax machines send), else deflate."""
    first, *rest = images
    compression = "group4" if all(img.mode == "1" for img in images) else "tiff_deflate"
    first.save(path, compression=compression, dpi=(dpi, dpi), save_all=True, append_images=rest)


def save_scan(
    images: list[Image.Image], out_stem: Path, rng: random.Random, dpi: int, quality: int = 75
) -> Path:
    """Save scanned pages the way scanners do: image PDF, or JPEG/PNG/TIFF for a single page."""
    if len(images) > 1 or rng.random() < 0.4:
        path = out_stem.with_suffix(".pdf")
        first, *rest = [img if img.mode in ("1", "L") else img.convert("RGB") for img in images]
        save_pdf([first, *rest], path, dpi, quality=quality)
        return path
    img = images[0]
    if img.mode == "1":
        path = out_stem.with_suffix(".tif")
        img.save(path, compression="group4", dpi=(dpi, dpi))
    else:
        path = out_stem.with_suffix(".jpg")
        img.save(path, quality=quality, dpi=(dpi, dpi))
    return path


def page_numbers(pdf: Path) -> list[int]:
    from pypdf import PdfReader

    return list(range(1, len(PdfReader(pdf).pages) + 1))


def fields_on_pages(fields: Record, pages: set[int]) -> Record:
    """The truth restricted to what is printed on `pages` of our form; the rest becomes null."""
    from parsers.form_layout import ZONES

    def visible(name: str) -> bool:
        zone_name = {"reasons": "reasons.a", "signed": "signature"}.get(name, name)
        return ZONES[zone_name].page in pages

    out: Record = {}
    for key, value in fields.items():
        if key in ("applicant", "proxy") and value is not None:
            out[key] = {k: (v if visible(f"{key}.{k}") else None) for k, v in value.items()}
        elif key in ("applicant", "proxy"):
            out[key] = None
        else:
            out[key] = value if visible(key) else None
    return out
