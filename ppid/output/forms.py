"""Our objection form as PDF: the printable machine-readable form, its AcroForm twin, and specimens.

Geometry comes from `parsers.form_layout` so the printed boxes and the reader's zones cannot
drift apart. `render_filled_form` writes synthetic values into the zones, typed or hand-like, for
the extraction corpus; it never needs a real person's data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from parsers import form_layout as layout
from ppid.core.errors import BadInputError
from ppid.core.messages import field_label, file_note
from ppid.core.settings import Office, Settings
from ppid.output.ink import Style, ink_layer
from ppid.output.render import render_pdf, save

log = logging.getLogger(__name__)

TEMPLATE = "form/keberatan.html"
COMB_FLAG = 1 << 24  # PDF text field flag "Comb": one character per cell


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
        raise BadInputError("form.bad_date", name=name, value=value) from error


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
                problem = BadInputError(
                    "form.too_long",
                    name=zone.name,
                    value=value,
                    length=len(value),
                    boxes=len(zone.cells),
                )
                if strict:
                    raise problem
                log.warning("%s; cut to fit", problem.message)
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
    prefix = name.split(".")[0]
    group = file_note(f"form.{prefix}") if prefix in ("applicant", "proxy") else None
    label = zone.label or field_label("case_description")
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
    writer.add_metadata({"/Title": file_note("form.title")})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- ink of a filled-in specimen ----------------------------------------------------------------
