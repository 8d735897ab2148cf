"""Reading objection forms by their printed labels: Perki-style forms and typed letters, any source.

Input is a list of `TextLine` (a PDF text layer or OCR output), so the same reader serves digital
files and scans. Each field gets a confidence (the OCR confidence of its lines, lowered when the
value fails validation) and a box, so a reviewer can see the crop beside the value.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from parsers.field_checks import Found, checked
from parsers.label_words import (
    LABEL_TAIL,
    SECTIONS,
    after_colon,
    clean_value,
    is_boundary,
    label_of,
    label_tail,
    place_date,
    section_of,
    without_lead,
    without_rulings,
)
from parsers.letter import read_letter_extras
from parsers.model import OBJECTION_FIELDS, Box, Document, Method, TextLine, nest_fields
from parsers.reasons import chosen_reasons, letters_in, reason_item
from parsers.signature import INK_BLANK, INK_SIGNED, signature_from_lines
from parsers.text_lines import collapse, union_box, value_box
from parsers.upright import upright_lines

log = logging.getLogger(__name__)

_REQUIRED = ("applicant.name", "applicant.nik", "applicant.address", "reasons", "date")
_MULTILINE = {"applicant.address", "proxy.address", "purpose"}
_IDENTITY_KEYS = {"name", "address", "phone"}


def objection_from_lines(lines: list[TextLine], method: Method = "text") -> Document:
    """Read an objection form or letter from its lines into a Document.

    Lines come in reading order per page (a text layer sorted top to bottom, or OCR output);
    their boxes may be in a turned page's pixels: layout is judged on upright copies and the
    returned boxes are in the coordinates the lines came in.
    """
    ordered, restore = upright_lines(sorted(lines, key=lambda ln: ln.page))  # stable sort
    found: dict[str, Found] = {}
    _read_labelled(ordered, found)
    _read_reasons(ordered, found)
    _read_place_date(ordered, found)
    read_letter_extras(ordered, found)
    document = _to_document(ordered, found, method)
    document.boxes = {name: restore(box) for name, box in document.boxes.items()}
    return document


def _read_labelled(lines: list[TextLine], found: dict[str, Found]) -> None:
    section = "applicant"
    index = 0
    while index < len(lines):
        line = lines[index]
        label = label_of(line.text)
        heading = section_of(line.text)
        if heading and not (label and heading in ("applicant", "proxy")):
            section = heading
        late = label is not None and label[0] in ("response_date", "case_description")
        if label is None or (section in ("reasons", "closing") and not late):
            index += 1
            continue
        key, start = label
        name = _field_name(key, section)
        if key == "case_description":
            section = "case"
            index = _read_case(lines, index, start, found)
            continue
        index = _read_value(lines, index, start, name, found)


def _field_name(key: str, section: str) -> str:
    if key in _IDENTITY_KEYS:
        return f"proxy.{key}" if section == "proxy" else f"applicant.{key}"
    if key in ("nik", "occupation", "email"):
        return f"applicant.{key}"
    return key


def _read_value(
    lines: list[TextLine], index: int, start: int, name: str, found: dict[str, Found]
) -> int:
    line = lines[index]
    start = after_colon(line.text, start)
    value = clean_value(line.text[start:])
    used, box = [line], value_box(line, start)
    after = index + 1
    nxt = lines[after] if after < len(lines) else None
    beside = _beside(lines, index) if value is None else []
    if beside:
        used = [lines[i] for i in beside]
        value = clean_value(" ".join(ln.text for ln in used))
        box, after = union_box(used), max(after, beside[-1] + 1)
    elif value is None and nxt is not None and _just_below(line, nxt) and not is_boundary(nxt):
        cut = label_tail(nxt.text)
        value, used, after = clean_value(nxt.text[cut:]), [nxt], after + 1
        box = value_box(nxt, cut)
    if value is not None and name in _MULTILINE:
        indent = box[1] - 0.02 * max(1.0, line.box[2] - line.box[0]) - 3
        while after < len(lines) and len(used) < 4:
            cont = lines[after]
            text = without_rulings(collapse(cont.text))
            if cont.page != line.page or is_boundary(cont):
                break
            if cont.box[0] < indent:  # a wrapped label ('Informasi') may share the row
                tail = LABEL_TAIL.match(text)
                if tail is None:
                    break
                text = tail.group(1)
            value += " " + text
            used.append(cont)
            after += 1
        box = union_box(used[1:], box) if len(used) > 1 else box
    if name not in found or (found[name].value is None and value is not None):
        found[name] = checked(name, value, used, box)
    return after


def _beside(lines: list[TextLine], index: int) -> list[int]:
    """Lines right of an empty label within its row band: a value cell centred beside its label."""
    line = lines[index]
    height = line.box[3] - line.box[1]
    top, bottom = line.box[1] - 0.75 * height, line.box[3] + 0.75 * height
    found = []
    for other in range(max(0, index - 3), min(len(lines), index + 4)):
        cand = lines[other]
        if other == index or cand.page != line.page or cand.box[0] < line.box[2] - 2:
            continue
        if top <= cand.box[1] and cand.box[3] <= bottom and not is_boundary(cand):
            found.append(other)
    return found


def _just_below(line: TextLine, nxt: TextLine) -> bool:
    height = line.box[3] - line.box[1]
    return nxt.page == line.page and nxt.box[1] - line.box[3] < 2 * height + 1


def _read_case(lines: list[TextLine], index: int, start: int, found: dict[str, Found]) -> int:
    parts, used = [], []
    first = clean_value(lines[index].text[start:])
    if first:
        parts.append(first)
        used.append(lines[index])
    after = index + 1
    while after < len(lines):
        line = lines[after]
        label = label_of(line.text)
        if section_of(line.text) or place_date(line.text) or label:
            break
        value = clean_value(line.text)
        if value:
            parts.append(value)
            used.append(line)
        after += 1
    if "case_description" not in found:
        value = " ".join(parts) or None
        box = union_box(used) if used else None
        found["case_description"] = checked("case_description", value, used, box)
    return after


def _read_reasons(lines: list[TextLine], found: dict[str, Found]) -> None:
    items: list[tuple[str, str, str, TextLine]] = []  # (letter, state, mark, line)
    inline: list[tuple[str, TextLine]] = []
    in_section = False
    for line in lines:
        section = section_of(line.text)
        if section is not None:
            in_section = section == "reasons"
            if in_section:
                rest = clean_value(re.sub(SECTIONS[2][1], "", without_lead(line.text), count=1))
                inline.extend((letter, line) for letter in letters_in(rest or ""))
            continue
        if not in_section:
            continue
        if label_of(line.text) or place_date(line.text):
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
    page_conf = min((ln.confidence for ln in lines), default=1.0)
    flat: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    warnings: list[str] = []
    for name in OBJECTION_FIELDS:
        item = found.get(name)
        if item is None or item.value is None:
            flat[name] = None
            sure_absent = page_conf if name not in _REQUIRED else min(page_conf, 0.5)
            confidence[name] = round(item.confidence if item else sure_absent, 3)
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
    return Document(
        document_type="objection_form",
        pages=pages,
        method=method,
        fields=nest_fields(flat),
        confidence=confidence,
        boxes=boxes,
        warnings=list(dict.fromkeys(warnings)),
        text="\n".join(ln.text for ln in lines if ln.text not in (INK_SIGNED, INK_BLANK)),
    )
