"""Our form printed to PDF with typed values: each field is the words inside its zone."""

from __future__ import annotations

import logging
import re
from typing import Any

from parsers import form_layout as layout
from parsers.dates import parse_date
from parsers.model import OBJECTION_FIELDS, Box, Document, TextLine, nest_fields
from parsers.nik import correct_ocr_nik
from parsers.text_lines import collapse

log = logging.getLogger(__name__)


_OUR_PAGE = re.compile(r"PPIDKEB1\|form=keberatan\|v=\d+\|p=(\d+)/(\d+)")


def our_form_page(lines: list[TextLine]) -> int | None:
    """Which page of our form this is (its footer repeats the QR text), or None."""
    for line in reversed(lines):
        match = _OUR_PAGE.search(line.text)
        if match:
            return int(match.group(1))
    return None


def our_form_document(pages: list[tuple[int, int, list[TextLine]]]) -> Document:
    """Our form with typed values in its text layer: each field is the words inside its zone.

    `pages` holds (page number in the file, page number of the form, words). Zones come from
    parsers.form_layout, the same geometry the printed form was drawn from, so no label
    guessing is needed and every value is exact.
    """

    flat: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    warnings: list[str] = []
    reasons: list[str] = []
    for file_page, form_page, words in pages:
        for zone in layout.zones_on_page(form_page):
            x0, y0, x1, y1 = zone.rect.pt()
            inside = [w for w in words if _centre_in(w.box, (x0 - 1, y0 - 1, x1 + 1, y1 + 1))]
            text = _zone_text(inside, zone.hint)
            if zone.kind == "tick":
                if text:
                    reasons.append(zone.name.rsplit(".", 1)[1])
                continue
            if zone.kind == "signature":
                flat["signed"] = bool(text)
                confidence["signed"] = 1.0 if text else 0.5  # ink drawn as a picture is unseen
                continue
            value, conf, notes = _our_value(zone.kind, zone.name, text)
            flat[zone.name], confidence[zone.name] = value, conf
            warnings.extend(notes)
            if value is not None:
                boxes[zone.name] = (file_page, x0, y0, x1, y1)
    flat["reasons"] = reasons
    confidence["reasons"] = 1.0
    for name in OBJECTION_FIELDS:
        confidence.setdefault(name, 1.0)
    return Document(
        document_type="objection_form",
        pages=[file_page for file_page, _, _ in pages],
        method="text",
        fields=nest_fields(flat),
        confidence=confidence,
        boxes=boxes,
        warnings=warnings,
        text="\n".join(w.text for _, _, words in pages for w in words),
    )


def _centre_in(box: tuple[float, float, float, float], rect: tuple[float, ...]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return rect[0] <= cx <= rect[2] and rect[1] <= cy <= rect[3]


def _zone_text(words: list[TextLine], hint: str) -> str:
    ordered = sorted(words, key=lambda w: (round(w.box[3] / 4), w.box[0]))
    text = collapse(" ".join(w.text for w in ordered))
    if hint:
        text = collapse(text.replace(collapse(hint), " "))
    return text


def _our_value(kind: str, name: str, text: str) -> tuple[Any, float, list[str]]:
    if not text:
        return None, 1.0, []
    if kind == "date":
        digits = re.sub(r"\D", "", text)
        if not digits:
            return None, 1.0, []
        parsed = (
            parse_date(f"{digits[:2]}-{digits[2:4]}-{digits[4:]}") if len(digits) == 8 else None
        )
        if parsed is None:
            return text, 0.3, [f"{name}: {text!r} is not a date (DD MM YYYY)"]
        return parsed.isoformat(), 1.0, []
    if kind == "comb":
        text = text.replace(" ", "")
    if name.endswith("nik"):
        nik, conf, notes = correct_ocr_nik(text)
        return nik or text, conf, notes
    return text, 1.0, []
