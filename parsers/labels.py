"""Reading objection forms by their printed labels: Perki-style forms and typed letters, any source.

Input is a list of `TextLine` (a PDF text layer or OCR output), so the same reader serves digital
files and scans. Each field gets a confidence (the OCR confidence of its lines, lowered when the
value fails validation) and a box, so a reviewer can see the crop beside the value.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from parsers.confidence import NOT_FOUND, doubt_empty_fields
from parsers.field_checks import Found, checked
from parsers.form_rows import Cell, is_boundary, read_cell, split_row
from parsers.label_words import clean_value, heading_of, label_of, label_words_only, place_date
from parsers.letter import read_letter_extras
from parsers.model import OBJECTION_FIELDS, Box, Document, Method, TextLine, nest_fields
from parsers.reasons import chosen_reasons, letters_in, reason_item
from parsers.signature import INK_BLANK, INK_SIGNED, signature_from_lines
from parsers.text_lines import collapse, union_box, value_box
from parsers.upright import upright_lines

log = logging.getLogger(__name__)

_REQUIRED = ("applicant.name", "applicant.nik", "applicant.address", "reasons", "date")
_IDENTITY_KEYS = {"name", "address", "phone"}
_NUMBERS = ("request_number", "registration_number")
MIN_CELLS = 4  # labelled values needed to compare how surely values and labels were read
UNSURE_GAP = 0.25  # labels read this much surer than their values: the values are doubtful
HAND_CONFIDENCE = 0.65  # ceiling for every value of such a form
_CASE_ROWS = 15  # lines a case description may take
_LABEL_ECHO = 2  # words of a value that, read as a label, make it a label and not a value


def objection_from_lines(lines: list[TextLine], method: Method = "text") -> Document:
    """Read an objection form or letter from its lines into a Document.

    Lines come in reading order per page (a text layer sorted top to bottom, or OCR output);
    their boxes may be in a turned page's pixels: layout is judged on upright copies and the
    returned boxes are in the coordinates the lines came in.
    """
    ordered, restore = upright_lines(sorted(lines, key=lambda ln: ln.page))  # stable sort
    found: dict[str, Found] = {}
    reads = _read_labelled(ordered, found)
    _read_reasons(ordered, found)
    _read_place_date(ordered, found)
    read_letter_extras(ordered, found)
    document = _to_document(ordered, found, method)
    document.boxes = {name: restore(box) for name, box in document.boxes.items()}
    if method == "ocr" and _values_unsure(reads):
        _doubt_every_value(document)
    return document


def _values_unsure(reads: list[tuple[float, float]]) -> bool:
    """Values read far less surely than the labels printed beside them: handwriting (or a
    page OCR could hardly read), whose readings Tesseract gives no trustworthy score."""
    if len(reads) < MIN_CELLS:
        return False
    labels = sorted(label for label, _ in reads)[len(reads) // 2]
    values = sorted(value for _, value in reads)[len(reads) // 2]
    return labels - values >= UNSURE_GAP


def _doubt_every_value(document: Document) -> None:
    for name, score in document.confidence.items():
        document.confidence[name] = round(min(score, HAND_CONFIDENCE), 3)
    document.warnings.append(
        "values read far less surely than the form's print (handwriting?); "
        "check every value against the scan"
    )


def _read_labelled(lines: list[TextLine], found: dict[str, Found]) -> list[tuple[float, float]]:
    """Every labelled value, in the section (applicant, proxy, …) its heading opens; returns
    how surely each label and its value were read, side by side."""
    reads: list[tuple[float, float]] = []
    section = "applicant"
    index = 0
    while index < len(lines):
        line = lines[index]
        split = split_row(line)
        heading = heading_of(line.text) if split is None else None
        if heading is not None:
            section = heading
            if heading == "case":
                index = _read_case(lines, index + 1, None, found)
                continue
        if split is None or section == "closing":
            index += 1
            continue
        cell = read_cell(lines, index, split)
        name = _field_name(cell.key, section)
        if cell.key == "case_description":
            first = cell.text if cell.rows[-1] == index else None
            index = _read_case(lines, index + 1, (first, line, cell.start), found)
            continue
        _store_cell(lines, cell, name, found)
        if cell.text and cell.confidence is not None and cell.label_confidence is not None:
            reads.append((cell.label_confidence, cell.confidence))
        index = max(cell.rows) + 1
    return reads


def _field_name(key: str, section: str) -> str:
    if key in _IDENTITY_KEYS:
        return f"proxy.{key}" if section == "proxy" else f"applicant.{key}"
    if key in ("nik", "occupation", "email"):
        return f"applicant.{key}"
    return key


def _store_cell(lines: list[TextLine], cell: Cell, name: str, found: dict[str, Found]) -> None:
    """Keep the first value read for a field (a later, empty label does not undo it)."""
    used = [lines[i] for i in cell.rows]
    value, notes = cell.text, list(cell.notes)
    if value is not None and name in _NUMBERS:
        value = _without_label_words(value)
    if value is not None and _is_label_text(value):
        notes.append(f"{name}: {value!r} is label text, not a value")
        value = None
    first = lines[cell.first_row]
    box = value_box(first, cell.start)
    if len(cell.rows) > 1:
        box = union_box(used[1:], box)
    if name in found and found[name].value is not None:
        return
    item = checked(name, value, used, box, cell.confidence)
    item.notes[:0] = notes
    found[name] = item


def _is_label_text(value: str) -> bool:
    """A value made of label words ('Nomor Registrasi Permohonan …') is the next label."""
    words = value.split()
    for end in range(min(len(words), 6), _LABEL_ECHO - 1, -1):
        label = label_of(" ".join(words[:end]))
        if label is not None and label.share >= 0.99:
            return True
    return label_words_only(value)


def _without_label_words(value: str) -> str | None:
    """A number with a label's wrapped rest before it ('Informasi : PPID/0120/IX/2026')."""
    words = value.split()
    start = 0
    while start < len(words) - 1 and label_words_only(words[start]):
        start += 1
    if not start or label_of(" ".join(words[:start])) is not None:
        return value  # no label words, or a whole label: the next row, judged as such
    return clean_value(" ".join(words[start:]))


def _read_case(
    lines: list[TextLine],
    index: int,
    first: tuple[str | None, TextLine, int] | None,
    found: dict[str, Found],
) -> int:
    """The case description: the text after its label and the lines below, to the next label,
    heading or the place and date of signing."""
    parts, used = [], []
    if first is not None and first[0]:
        parts.append(first[0])
        used.append(first[1])
    after = index
    while after < len(lines) and after - index < _CASE_ROWS:
        line = lines[after]
        if line.text in (INK_SIGNED, INK_BLANK) or is_boundary(line):
            break  # the signature's place (the scan reader's ink line) ends it too
        if used and line.page != used[-1].page and len(parts) > 3:
            break
        value = clean_value(line.text)
        if value:
            parts.append(value)
            used.append(line)
        after += 1
    if "case_description" not in found or found["case_description"].value is None:
        value = " ".join(parts) or None
        box = union_box(used) if used else None
        found["case_description"] = checked("case_description", value, used, box)
    return after


def _read_reasons(lines: list[TextLine], found: dict[str, Found]) -> None:
    items: list[tuple[str, str, str, TextLine]] = []  # (letter, state, mark, line)
    inline: list[tuple[str, TextLine]] = []
    in_section = False
    for line in lines:
        heading = heading_of(line.text)
        if heading == "reasons" or (heading is not None and reason_item(line) is None):
            in_section = heading == "reasons"
            if in_section:
                rest = re.sub(r"^.*?alasan\b[^:]*:?", "", line.text, count=1, flags=re.I)
                inline.extend((letter, line) for letter in letters_in(rest))
            continue
        if not in_section:
            continue
        if split_row(line) is not None or place_date(line.text):
            in_section = False
            continue
        item = reason_item(line)
        if item:
            items.append((*item, line))
    _store_reasons(items, inline, found)


def _store_reasons(
    items: list[tuple[str, str, str, TextLine]],
    inline: list[tuple[str, TextLine]],
    found: dict[str, Found],
) -> None:
    chosen, factor = chosen_reasons(items)
    chosen += inline
    used = [line for _, line in chosen] or [line for *_, line in items]
    letters = sorted({letter for letter, _ in chosen})
    notes = [] if letters else ["no reason for the objection (a–g) is ticked"]
    if factor < 1.0 and letters:
        notes.append("reason ticks read from unclear marks; please check")
    base = min((ln.confidence for ln in used), default=1.0)
    conf = round(base * (factor if letters else 0.5), 3)
    found["reasons"] = Found(letters, used, conf, union_box(used) if used else None, notes)


def _read_place_date(lines: list[TextLine], found: dict[str, Found]) -> None:
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        match = place_date(line.text)
        if not match:
            continue
        place, when = collapse(match.group("place")), match.group("date")
        found["place"] = checked("place", place, [line], (line.page, *line.box))
        found["date"] = checked("date", when, [line], value_box(line, match.start("date")))
        name = found.get("applicant.name")
        signer = name.value if name is not None and isinstance(name.value, str) else None
        found["signed"] = signature_from_lines(lines[index + 1 :], lines, signer)
        return


def _to_document(lines: list[TextLine], found: dict[str, Found], method: Method) -> Document:
    flat: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    warnings: list[str] = []
    for name in OBJECTION_FIELDS:
        item = found.get(name)
        if item is None or item.value is None:
            flat[name] = None
            confidence[name] = round(item.confidence if item else NOT_FOUND, 3)
            if name in _REQUIRED:
                warnings.append(f"{name} not found")
        else:
            flat[name] = item.value
            confidence[name] = item.confidence
        if item is not None:
            warnings.extend(item.notes)
            if item.box is not None:
                boxes[name] = item.box
    pages = sorted({ln.page for ln in lines}) or [1]
    document = Document(
        document_type="objection_form",
        pages=pages,
        method=method,
        fields=nest_fields(flat),
        confidence=confidence,
        boxes=boxes,
        warnings=list(dict.fromkeys(warnings)),
        text="\n".join(ln.text for ln in lines if ln.text not in (INK_SIGNED, INK_BLANK)),
    )
    doubt_empty_fields(document)
    return document
