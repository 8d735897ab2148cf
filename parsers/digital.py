"""Digital PDFs: AcroForm values from our fillable form, and text-layer lines with positions.

Reading a text layer costs milliseconds; rasterising and OCR cost seconds. So this module is
tried first and pages are only rasterised when it finds nothing usable.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from parsers.labels import collapse, nest_fields, parse_date
from parsers.model import OBJECTION_FIELDS, REASON_LETTERS, Box, Document, TextLine
from parsers.nik import correct_ocr_nik

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40  # fewer non-blank characters than this on a page means "scan, needs OCR"
_LINE_TOLERANCE = 2.5  # points: fragments whose baselines differ less are on one line
_GAP_FOR_SPACE = 0.25  # of the font size: a wider gap between fragments becomes a space
_CHAR_WIDTH = 0.5  # of the font size: rough glyph width, enough for boxes a reviewer crops
_OFF = {"", "/Off", "Off", "/0", "0", "/No", "No", "false", "False"}
_DATE_FIELDS = {"date", "response_date"}


# --- AcroForm ----------------------------------------------------------------------------------


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


# --- text layer --------------------------------------------------------------------------------

_PAGE = re.compile(r"<page\b")
_WORD = re.compile(
    r'<word xMin="([\d.\-]+)" yMin="([\d.\-]+)" xMax="([\d.\-]+)" yMax="([\d.\-]+)">([^<]*)</word>'
)


@dataclass
class PageText:
    """One page's text layer: words (for our form's zones) and lines (for labels)."""

    words: list[TextLine]
    lines: list[TextLine]


def text_layer(pdf: Path, timeout: float) -> dict[int, PageText] | None:
    """Every page's words and lines via poppler's `pdftotext -bbox`: exact word boxes, and about
    a fifth of the CPU of pypdf's text extraction. None when the tool fails (then use pypdf).
    """
    try:
        # No memory rlimit here (a preexec_fn would cost a slow fork per file): the caller has
        # already bounded the decompressed content streams, and pdftotext decodes no images.
        done = subprocess.run(
            ["pdftotext", "-q", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        log.info("pdftotext failed on %s (%s); using pypdf", pdf.name, error)
        return None
    out = done.stdout.decode("utf-8", errors="replace")
    pages: dict[int, PageText] = {}
    for number, chunk in enumerate(_PAGE.split(out)[1:], start=1):
        words = [
            TextLine(html.unescape(text), number, (float(x0), float(y0), float(x1), float(y1)))
            for x0, y0, x1, y1, text in _WORD.findall(chunk)
        ]
        joined = [(w.box[3], w.box[0], w.box[3] - w.box[1], w.text, w.box[2]) for w in words]
        pages[number] = PageText(words, _join_words(joined, number))
    return pages


def _join_words(words: list[tuple[float, float, float, str, float]], number: int) -> list[TextLine]:
    """Words (baseline y, x0, height, text, x1) on one baseline become one line, left to right."""
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for word in sorted(words, key=lambda w: (round(w[0], 1), w[1])):
        if rows and abs(rows[-1][0][0] - word[0]) <= _LINE_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    lines: list[TextLine] = []
    for row in rows:
        row.sort(key=lambda w: w[1])
        text = collapse(" ".join(w[3] for w in row))
        top, right = min(w[0] - w[2] for w in row), max(w[4] for w in row)
        if text:
            lines.append(TextLine(text, number, (row[0][1], top, right, row[0][0])))
    return lines


def page_lines(reader: PdfReader, index: int) -> list[TextLine]:
    """The text layer of one page as lines, top to bottom, boxes in points (origin top-left)."""
    page = reader.pages[index]
    height = float(page.mediabox.top)
    fragments: list[tuple[float, float, float, str]] = []  # (y_top, x, font size, text)

    def visit(text: str, cm: Any, tm: Any, _font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0) * (size or 10.0)
        for piece in text.splitlines():
            if piece.strip():
                fragments.append((height - y, x, scale, piece))

    page.extract_text(visitor_text=visit)
    return _join_fragments(fragments, index + 1)


def _join_fragments(
    fragments: list[tuple[float, float, float, str]], number: int
) -> list[TextLine]:
    rows: list[list[tuple[float, float, float, str]]] = []
    for fragment in sorted(fragments, key=lambda f: (round(f[0], 1), f[1])):
        if rows and abs(rows[-1][0][0] - fragment[0]) <= _LINE_TOLERANCE:
            rows[-1].append(fragment)
        else:
            rows.append([fragment])
    lines: list[TextLine] = []
    for row in rows:
        row.sort(key=lambda f: f[1])
        text, right = "", None
        for _y, x, size, piece in row:
            if right is not None and x - right > _GAP_FOR_SPACE * size and not text.endswith(" "):
                text += " "
            text += piece
            right = max(right or x, x + len(piece) * size * _CHAR_WIDTH)
        y, size = row[0][0], max(f[2] for f in row)
        text = collapse(text)
        if text:
            lines.append(TextLine(text, number, (row[0][1], y - size, right or row[0][1], y)))
    return lines


def usable_text(lines: list[TextLine]) -> bool:
    """Whether a page's text layer carries real content (not just a scan with a stray header)."""
    return sum(len(line.text.replace(" ", "")) for line in lines) >= MIN_TEXT_CHARS


# --- our form, printed to PDF with typed values -----------------------------------------------

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
    from parsers import form_layout as layout

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


# --- signatures pasted as images ----------------------------------------------------------------

_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[^>]*>|[\[\]]|/[^\s/\[\]()<>{}]+|[^\s/\[\]()<>{}]+")


def mark_signature(reader: PdfReader, document: Document) -> None:
    """A text layer cannot show ink, but a pasted signature is an image drawn under the date.

    Sets `signed` when a small image lies below the place-and-date line (at the top of a letter,
    at the bottom of a form) on that page or a later one; otherwise the label reader's verdict
    stands. A logo sits above that line, a full-page scan is not small.
    """
    anchor = document.boxes.get("date") or document.boxes.get("place")
    first = anchor[0] if anchor else document.pages[-1]
    top = anchor[2] - 10 if anchor else None
    try:
        for number in (n for n in document.pages if n >= first):
            height = float(reader.pages[number - 1].mediabox.top)
            floor = (top if top is not None else height / 2) if number == first else 0.0
            for x0, y0, x1, y1 in image_boxes(reader, number - 1):
                if y0 >= floor and (x1 - x0) * (y1 - y0) < 0.25 * height * height:
                    document.fields["signed"] = True
                    document.confidence["signed"] = 0.85
                    document.boxes["signed"] = (number, x0, y0, x1, y1)
                    return
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return


def image_boxes(reader: PdfReader, index: int) -> list[tuple[float, float, float, float]]:
    """Where the page draws image XObjects: (x0, y0, x1, y1) in points, origin top-left.

    A tiny content-stream walk that follows only q/Q/cm/Do, far cheaper than a full parse.
    """
    page = reader.pages[index]
    xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
    xobjects = xobjects.get_object() if hasattr(xobjects, "get_object") else xobjects
    images = {
        name[1:] for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"
    }
    if not images:
        return []
    height = float(page.mediabox.top)
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    ctm, stack, operands = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), [], []
    boxes = []
    for token in _TOKEN.findall(data):
        if token[:1] in b"-.0123456789" and token[:1]:
            operands.append(token)
            continue
        if token.startswith(b"/"):
            operands.append(token)
            continue
        if token == b"q":
            stack.append(ctm)
        elif token == b"Q" and stack:
            ctm = stack.pop()
        elif token == b"cm" and len(operands) >= 6:
            with contextlib.suppress(ValueError):
                ctm = _multiply(tuple(float(v) for v in operands[-6:]), ctm)
        elif token == b"Do" and operands and operands[-1][1:].decode("latin-1") in images:
            corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            boxes.append((min(xs), height - max(ys), max(xs), height - min(ys)))
        operands = []
    return boxes


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
