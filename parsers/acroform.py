"""Our fillable form as filled in a PDF viewer: its AcroForm values under the contract's names."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from parsers.dates import parse_date
from parsers.model import OBJECTION_FIELDS, REASON_LETTERS, Box, Document, nest_fields
from parsers.nik import correct_ocr_nik
from parsers.text_lines import collapse

log = logging.getLogger(__name__)


_OFF = {"", "/Off", "Off", "/0", "0", "/No", "No", "false", "False"}


_DATE_FIELDS = {"date", "response_date"}


def acroform_document(reader: PdfReader) -> Document | None:
    """Our fillable form, as filled in a PDF viewer; None when the PDF has no filled fields of ours.

    Fields are keyed by the dotted schema names (`applicant.nik`, `reasons.c`, `signed`).
    """
    try:
        raw = reader.get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    ours = {name: field for name, field in raw.items() if _schema_name(name)}
    if not ours or not any(_is_filled(field) for field in ours.values()):
        return None
    values: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    warnings: list[str] = []
    for name, field in ours.items():
        key = _schema_name(name)
        if key is None or key.startswith("reasons."):
            continue
        value, conf, notes = _field_value(key, field)
        values[key] = value
        confidence[key] = conf
        warnings.extend(notes)
    values["reasons"] = [
        letter
        for letter in REASON_LETTERS
        if (field := ours.get(_find(ours, f"reasons.{letter}"))) is not None and _ticked(field)
    ]
    confidence["reasons"] = 1.0
    for name in OBJECTION_FIELDS:
        confidence.setdefault(name, 1.0)
    return Document(
        document_type="objection_form",
        pages=_widget_pages(reader, set(ours)) or [1],
        method="acroform",
        fields=nest_fields(values),
        confidence=confidence,
        boxes=_widget_boxes(reader, ours),
        warnings=warnings,
    )


def _schema_name(name: str) -> str | None:
    """Map a PDF field's full name to our dotted name; forms may prefix a root (`keberatan.`)."""
    known = set(OBJECTION_FIELDS) | {f"reasons.{letter}" for letter in REASON_LETTERS}
    for start in range(len(name.split("."))):
        candidate = ".".join(name.split(".")[start:])
        if candidate in known:
            return candidate
    return None


def _find(fields: dict[str, Any], key: str) -> str:
    return next((name for name in fields if _schema_name(name) == key), key)


def _is_filled(field: Any) -> bool:
    value = field.get("/V")
    return value is not None and str(value).strip() not in _OFF


def _ticked(field: Any) -> bool:
    return _is_filled(field)


def _field_value(key: str, field: Any) -> tuple[Any, float, list[str]]:
    value = field.get("/V")
    if key == "signed":
        return _ticked(field) or (field.get("/FT") == "/Sig" and value is not None), 1.0, []
    text = collapse(str(value)) if value is not None else ""
    if not text:
        return None, 1.0, []
    if key.endswith("nik"):
        nik, conf, notes = correct_ocr_nik(text)
        return (nik or re.sub(r"\D", "", text) or None), conf, notes
    if key in _DATE_FIELDS:
        parsed = parse_date(text)
        if parsed is None:
            return text, 0.5, [f"date {text!r} in field {key} is not a date"]
        return parsed.isoformat() if isinstance(parsed, date) else parsed, 1.0, []
    return text, 1.0, []


def _widget_pages(reader: PdfReader, names: set[str]) -> list[int]:
    pages: list[int] = []
    for index, page in enumerate(reader.pages):
        for annot in _annotations(page):
            if _full_name(annot) in names and index + 1 not in pages:
                pages.append(index + 1)
    return pages


def _widget_boxes(reader: PdfReader, fields: dict[str, Any]) -> dict[str, Box]:
    boxes: dict[str, Box] = {}
    for index, page in enumerate(reader.pages):
        height = float(page.mediabox.top)
        for annot in _annotations(page):
            key = _schema_name(_full_name(annot) or "")
            rect = annot.get("/Rect")
            if key is None or rect is None or key.startswith("reasons."):
                continue
            x0, y0, x1, y1 = (float(v) for v in rect)
            boxes[key] = (
                index + 1,
                min(x0, x1),
                height - max(y0, y1),
                max(x0, x1),
                height - min(y0, y1),
            )
    return boxes


def _annotations(page: Any) -> list[Any]:
    try:
        return [a.get_object() for a in page.get("/Annots") or []]
    except (PyPdfError, AttributeError, TypeError):
        return []


def _full_name(annot: Any) -> str | None:
    parts: list[str] = []
    node = annot
    for _ in range(16):
        if node is None:
            break
        if "/T" in node:
            parts.append(str(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts)) or None
