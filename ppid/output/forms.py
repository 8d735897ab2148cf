"""Our objection form as PDF: the printable machine-readable form, its AcroForm twin, and specimens.

Geometry comes from `parsers.form_layout` so the printed boxes and the reader's zones cannot
drift apart. `render_filled_form` writes synthetic values into the zones, typed or hand-like, for
the extraction corpus; it never needs a real person's data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import subprocess
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from parsers import form_layout as layout
from ppid.core.errors import BadInputError
from ppid.core.settings import Office, Settings
from ppid.output.render import render_pdf, save

log = logging.getLogger(__name__)

TEMPLATE = "form/keberatan.html"
TYPED_FONTS = ("Liberation Mono", "DejaVu Sans Mono")
HAND_FONTS = ("Humor Sans", "Comic Neue", "DkgHandwriting")
HAND_INKS = ("#1b2f8a", "#15307a", "#141414")
COMB_FLAG = 1 << 24  # PDF text field flag "Comb": one character per cell
Style = Literal["typed", "hand"]


def render_form(settings: Settings, out: Path, *, fillable: bool = False) -> Path:
    """Write the blank form to `out`: printable (markers, QR, drop-out boxes) or AcroForm."""
    return _write(settings, out, fillable=fillable, values={}, ink={})


def render_filled_form(
    settings: Settings,
    values: dict[str, Any],
    out: Path,
    *,
    style: Style = "typed",
    font: str | None = None,
    fillable: bool = False,
    seed: int | None = None,
    strict: bool = False,
) -> Path:
    """Write a filled-in specimen: ink in the zones (typed or hand-like), or a filled AcroForm.

    `values` uses the nested schema of parsers/model.py (applicant: {...}, proxy: {...} | None,
    reasons: ["a", "c"], dates as ISO strings or `date`). Printed text is upper case except the
    e-mail. The jitter is seeded from the values (or `seed`), so a specimen is reproducible.
    Text too long for its boxes is shrunk, then cut with "…" (a warning is logged); with
    `strict=True` it raises BadInputError instead, so a corpus never has ground truth that
    differs from what is printed.
    """
    if fillable:
        return _write(settings, out, fillable=True, values=acroform_values(values), ink={})
    if seed is None:
        blob = json.dumps(values, sort_keys=True, default=str).encode()
        seed = int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")
    text = printed_text(values, strict=strict)
    ink = ink_layer(values, text, style=style, font=font, seed=seed, strict=strict)
    return _write(settings, out, fillable=False, values={}, ink=ink)


def _write(
    settings: Settings,
    out: Path,
    *,
    fillable: bool,
    values: dict[str, Any],
    ink: dict[int, list[dict[str, Any]]],
) -> Path:
    if fillable:
        context = form_context(settings.office, fillable=True, values=values)
        return save(_finish_acroform(render_pdf(TEMPLATE, context, pdf_forms=True)), out)
    blank = _blank_form(settings.office.model_dump_json())
    return save(_ink_over_blank(settings.office, blank, ink) if ink else blank, out)


def _ink_over_blank(office: Office, blank: bytes, ink: dict[int, list[dict[str, Any]]]) -> bytes:
    """Only the ink is laid out; it is stamped on a blank form rendered once per process.

    Every registered case gets a numbered copy of the form, and the form's ~250 placed boxes
    were WeasyPrint's slowest layout of ours (0.22 s against 0.09 s this way; the pages
    rasterise identically).
    """
    from pypdf import PdfReader, PdfWriter

    context = form_context(office, ink=ink, ink_only=True)
    ink_pages = PdfReader(BytesIO(render_pdf(TEMPLATE, context))).pages
    writer = PdfWriter(clone_from=PdfReader(BytesIO(blank)))
    for page, ink_page in zip(writer.pages, ink_pages, strict=True):
        page.merge_page(ink_page)
        page.compress_content_streams()
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=4)
def _blank_form(office_json: str) -> bytes:
    """The printable blank form of one office (keyed by its settings, which the form shows)."""
    return render_pdf(TEMPLATE, form_context(Office.model_validate_json(office_json)))


def form_context(
    office: Office,
    *,
    fillable: bool = False,
    values: dict[str, Any] | None = None,
    ink: dict[int, list[dict[str, Any]]] | None = None,
    ink_only: bool = False,
) -> dict[str, Any]:
    """Everything the template needs: office, and per page its marks, QR, blocks, zones, ink.

    `ink_only` leaves out the printed form (for stamping the ink on a blank one).
    """
    pages = []
    for number in range(1, layout.PAGE_COUNT + 1):
        text = layout.qr_payload(number)
        path, n = qr_modules(text)
        pages.append(
            {
                "number": number,
                "count": layout.PAGE_COUNT,
                "markers": [
                    {"rect": m.rect, "path": marker_modules(m.id)[0], "n": 6}
                    for m in layout.MARKERS[number]
                ],
                "qr": {"rect": layout.QR_RECTS[number], "path": path, "n": n, "text": text},
                "blocks": [b for b in layout.BLOCKS if b.page == number],
                "zones": layout.zones_on_page(number)
                + [z for z in layout.OFFICE_ZONES.values() if z.page == number],
                "ink": [_with_runs(item) for item in (ink or {}).get(number, [])],
            }
        )
    return {
        "office": office,
        "pages": pages,
        "dropout": layout.DROPOUT_COLOUR,
        "fillable": fillable,
        "values": values or {},
        "version": layout.FORM_VERSION,
        "ink_only": ink_only,
    }


def _with_runs(item: dict[str, Any]) -> dict[str, Any]:
    """The item with neighbouring characters that carry no jitter merged into one plain run.

    Typed ink has no jitter at all, and laying out ~400 one-glyph inline-block boxes would be
    most of the cost of the numbered copy on the receipt. A plain run of a monospace font puts
    the glyphs at the same places (no kerning).
    """
    if "chars" not in item:
        return item
    merged: list[dict[str, Any]] = []
    for char in item["chars"]:
        plain = not (char["dy"] or char["dx"] or char["rot"] or char["w"]) and char["scale"] == 1
        if plain and merged and merged[-1].get("run"):
            merged[-1] = {**merged[-1], "c": merged[-1]["c"] + char["c"]}
        else:
            merged.append({**char, "run": plain})
    return {**item, "chars": merged}


def _modules_path(dark: list[list[bool]]) -> str:
    """SVG path of the dark modules, one subpath per horizontal run (no seams when rasterised)."""
    parts = []
    for y, row in enumerate(dark):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return "".join(parts)


def marker_modules(marker_id: int) -> tuple[str, int]:
    """SVG path of ArUco marker `marker_id` (DICT_4X4_50, border included) and its side (6)."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, layout.ARUCO_DICTIONARY))
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6, borderBits=1)
    return _modules_path([[v < 128 for v in row] for row in image.tolist()]), 6


def qr_modules(text: str) -> tuple[str, int]:
    """SVG path of the QR code for `text` (error correction M, no quiet zone) and its side."""
    import segno

    rows = [[bool(v) for v in row] for row in segno.make(text, error="m", micro=False).matrix]
    return _modules_path(rows), len(rows)


# --- values -----------------------------------------------------------------------------------


def _get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _iso_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise BadInputError(f"{name}: {value!r} is not a date; give YYYY-MM-DD") from error


def printed_text(values: dict[str, Any], *, strict: bool = False) -> dict[str, str]:
    """What goes on paper per zone: upper case (not the e-mail), NIK/phone/date as cell text.

    NIK and phone lose spaces, dashes, dots, parentheses and slashes (one character per box).
    """
    text: dict[str, str] = {}
    for zone in layout.ZONES.values():
        if zone.kind in ("tick", "signature"):
            continue
        value = _get(values, zone.name)
        if zone.kind == "date":
            day = _iso_date(value, zone.name)
            text[zone.name] = day.strftime("%d%m%Y") if day else ""
            continue
        value = " ".join(str(value or "").split())
        if zone.kind == "comb":
            value = "".join(c for c in value if c not in " -.()/")
            if len(value) > len(zone.cells):
                problem = (
                    f"{zone.name}: {value!r} has {len(value)} characters, the form has "
                    f"{len(zone.cells)} boxes"
                )
                if strict:
                    raise BadInputError(problem)
                log.warning("%s; cut to fit", problem)
                value = value[: len(zone.cells)]
        text[zone.name] = value if zone.name.endswith("email") else value.upper()
    return text


def acroform_values(values: dict[str, Any]) -> dict[str, str | bool]:
    """The nested values flattened to AcroForm field names (dates as DD-MM-YYYY)."""
    reasons = set(values.get("reasons") or [])
    flat: dict[str, str | bool] = {}
    for name in layout.ACROFORM_FIELDS:
        if name.startswith("reasons."):
            flat[name] = name.rsplit(".", 1)[1] in reasons
        elif layout.ZONES[name].kind == "date":
            day = _iso_date(_get(values, name), name)
            flat[name] = day.strftime("%d-%m-%Y") if day else ""
        else:
            flat[name] = " ".join(str(_get(values, name) or "").split())
    return flat


# --- AcroForm -----------------------------------------------------------------------------------


def _tooltip(name: str) -> str:
    zone = layout.ZONES[name]
    group = {"applicant": "Pemohon", "proxy": "Kuasa pemohon"}.get(name.split(".")[0])
    label = zone.label or "Kasus posisi"
    if zone.kind == "date":
        label = f"{label} (DD-MM-YYYY)"
    return f"{group} — {label}" if group else label


def _finish_acroform(pdf: bytes) -> bytes:
    """Make comb fields show one digit per box and give every field an Indonesian tooltip."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        BooleanObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            name = annot.get("/T")
            if name not in layout.ZONES:
                continue
            annot[NameObject("/TU")] = TextStringObject(_tooltip(name))
            if annot.get("/FT") == "/Btn":  # lets viewers that regenerate draw the tick (✓)
                annot[NameObject("/DA")] = TextStringObject("/ZaDb 0 Tf 0 g")
                mk = annot.get("/MK") or DictionaryObject()
                mk[NameObject("/CA")] = TextStringObject("4")
                annot[NameObject("/MK")] = mk
            if layout.ZONES[name].kind == "comb":
                flags = int(annot.get("/Ff", 0)) | COMB_FLAG
                annot[NameObject("/Ff")] = NumberObject(flags)
                annot[NameObject("/MaxLen")] = NumberObject(len(layout.ZONES[name].cells))
    acroform = writer._root_object.get("/AcroForm")
    if acroform is not None:
        acroform = acroform.get_object()
        acroform[NameObject("/NeedAppearances")] = BooleanObject(True)
        fonts = acroform["/DR"].get_object().get("/Font")
        if fonts is not None:
            fonts.get_object()[NameObject("/ZaDb")] = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/ZapfDingbats"),
                }
            )
    writer.add_metadata({"/Title": "Formulir Pengajuan Keberatan Informasi Publik"})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- ink of a filled-in specimen ----------------------------------------------------------------


@lru_cache(maxsize=16)
def _font(family: str) -> Any:
    """A PIL font of `family` at 100 px per mm, to measure text before placing it."""
    from PIL import ImageFont

    path = subprocess.run(
        ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True
    ).stdout
    return ImageFont.truetype(path, 100)


def _text_width(text: str, family: str, size: float) -> float:
    """Width in mm of `text` set at `size` mm."""
    return _font(family).getlength(text) / 100 * size


class _Pen:
    """Places characters the way a typewriter or a hand would, with seeded jitter."""

    def __init__(self, style: Style, font: str | None, rng: random.Random, strict: bool) -> None:
        self.style, self.rng, self.strict = style, rng, strict
        self.hand = style == "hand"
        fonts = HAND_FONTS if self.hand else TYPED_FONTS
        self.font = font or rng.choice(fonts)
        self.colour = rng.choice(HAND_INKS) if self.hand else "#111111"
        self.mark = rng.choice("✓X") if self.hand else "X"  # one habit per writer
        self.size = 5.6 if self.hand else 4.0  # font size in mm: capitals about 4 mm / 2.9 mm

    def _jitter(self, amount: float) -> float:
        return self.rng.uniform(-amount, amount) if self.hand else 0.0

    def chars(self, text: str, size: float) -> list[dict[str, Any]]:
        out = []
        for c in text:
            out.append(
                {
                    "c": "\u00a0" if c == " " else c,
                    "dy": round(self._jitter(0.07 * size), 2),
                    "dx": round(self.rng.uniform(0, 0.15), 2) if self.hand else 0,
                    "rot": round(self._jitter(4.0), 1),
                    "scale": round(1 + self._jitter(0.07), 3),
                    "w": 0,
                }
            )
        return out

    def _fits(self, text: str, size: float, width: float) -> bool:
        slack = 1.08 * _text_width(text, self.font, size) + (0.15 * len(text) if self.hand else 0)
        return slack <= width

    def _wrap(self, text: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            trial = f"{current} {word}".strip()
            if self._fits(trial, size, width):
                current = trial
                continue
            if current:
                lines.append(current)
            current = word
            while not self._fits(current, size, width) and len(current) > 1:
                cut = 1
                while cut < len(current) and self._fits(current[: cut + 1], size, width):
                    cut += 1
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        return lines

    def lines(self, zone: layout.Zone, text: str) -> list[dict[str, Any]]:
        """Text wrapped onto the zone's writing lines, shrunk (down to 52 %) when it must be."""
        width = zone.rect.w - 3.5
        for factor in (1.0, 0.9, 0.8, 0.72, 0.65, 0.58, 0.52):
            size = self.size * factor
            wrapped = self._wrap(text, size, width)
            if len(wrapped) <= zone.lines:
                break
        else:
            problem = (
                f"{zone.name}: {len(text)} characters do not fit in {zone.lines} line(s) of the "
                "form; shorten the text"
            )
            if self.strict:
                raise BadInputError(problem)
            log.warning("%s; cut with an ellipsis", problem)
            wrapped = wrapped[: zone.lines]
            last = wrapped[-1]
            while len(last) > 1 and not self._fits(last + "…", size, width):
                last = last[:-1]
            wrapped[-1] = last + "…"
        items = []
        for line, rect in zip(wrapped, zone.line_rects, strict=False):
            x = rect.x + 1.5 + (self.rng.uniform(0, 1.5) if self.hand else 0)
            items.append(self._item(x, rect.y + self._jitter(0.6), rect.h, size, line))
        return items

    def cells(self, zone: layout.Zone, text: str) -> list[dict[str, Any]]:
        """One character per comb cell, left-aligned in the comb."""
        items = []
        for c, cell in zip(text, zone.cells, strict=False):
            item = self._item(
                cell.x + self._jitter(0.5), cell.y + self._jitter(0.5), cell.h, self.size, c
            )
            item["chars"][0]["w"] = cell.w
            items.append(item)
        return items

    def tick(self, zone: layout.Zone) -> dict[str, Any]:
        mark = self.mark
        size = zone.rect.h * (1.1 if self.hand else 0.9)
        r = zone.rect
        item = self._item(r.x + self._jitter(0.6), r.y + self._jitter(0.6), r.h, size, mark)
        item["font"] = "DejaVu Sans" if mark == "✓" else self.font
        item["chars"][0]["w"] = r.w
        return item

    def signature(self, zone: layout.Zone) -> dict[str, Any]:
        """A cursive-looking scribble: a drifting loop curve and an underline, new per seed."""
        r = zone.rect.inset(2.0)
        rng = self.rng
        width = rng.uniform(0.55, 0.9) * r.w
        x0, mid = rng.uniform(1, r.w - width), r.h * rng.uniform(0.4, 0.55)
        loops, amp = rng.randint(4, 8), rng.uniform(0.25, 0.4) * r.h
        phase, wobble = rng.uniform(0, 6.3), rng.uniform(1.5, 3.0)
        points = []
        for i in range(161):
            t = i / 160
            angle = 2 * math.pi * loops * t + phase
            x = x0 + t * width + wobble * math.cos(angle)
            y = mid + amp * math.sin(angle) * (0.6 + 0.4 * math.sin(3 * t + phase))
            points.append(f"{x:.2f} {y:.2f}")
        path = "M" + " L".join(points)
        under = r.h * rng.uniform(0.8, 0.92)
        path += f" M{x0 + rng.uniform(-2, 4):.1f} {under:.1f} L{x0 + width:.1f} {under - 1:.1f}"
        colour = self.colour if self.hand else rng.choice(HAND_INKS)
        return {"kind": "signature", "rect": r, "path": path, "colour": colour, "stroke": 0.4}

    def _item(self, x: float, y: float, h: float, size: float, text: str) -> dict[str, Any]:
        return {
            "kind": "text",
            "x": round(x, 2),
            "y": round(y, 2),
            "h": h,
            "size": round(size, 2),
            "font": self.font,
            "colour": self.colour,
            "chars": self.chars(text, size),
        }


def ink_layer(
    values: dict[str, Any],
    text: dict[str, str],
    *,
    style: Style,
    font: str | None,
    seed: int,
    strict: bool = False,
) -> dict[int, list[dict[str, Any]]]:
    """Per page, the ink items the template draws: text, comb digits, ticks, the signature."""
    if style not in ("typed", "hand"):
        raise BadInputError(f"style {style!r} is unknown; use 'typed' or 'hand'")
    # seeded jitter of specimen handwriting (repeatable test forms), not a secret
    pen = _Pen(style, font, random.Random(seed), strict)  # nosec B311
    reasons = set(values.get("reasons") or [])
    pages: dict[int, list[dict[str, Any]]] = {}
    for zone in layout.ZONES.values():
        items: list[dict[str, Any]] = []
        if zone.kind == "tick":
            if zone.name.rsplit(".", 1)[1] in reasons:
                items = [pen.tick(zone)]
        elif zone.kind == "signature":
            if values.get("signed", True):
                items = [pen.signature(zone)]
        elif text.get(zone.name):
            if zone.kind in ("comb", "date"):
                items = pen.cells(zone, text[zone.name])
            else:
                items = pen.lines(zone, text[zone.name])
        pages.setdefault(zone.page, []).extend(items)
    return pages
