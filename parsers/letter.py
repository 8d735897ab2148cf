"""Typed objection letters: what their prose says where a form would have a label."""

from __future__ import annotations

import re

from parsers.field_checks import Found, checked
from parsers.label_words import label_of, place_date, section_of, without_rulings
from parsers.model import TextLine
from parsers.reasons import letters_in
from parsers.text_lines import collapse, union_box, value_box

_LETTER_REQUEST = re.compile(
    r"permohonan\s+informasi\s+(?:dengan\s+)?(?:nomor|no\.?)\s*(?:pendaftaran\s*)?[:.]?\s*"
    r"(?P<value>[A-Za-z0-9][\w./\-]*\d[\w./\-]*)",
    re.IGNORECASE,
)


def read_letter_extras(lines: list[TextLine], found: dict[str, Found]) -> None:
    """Typed letters put the request number and the story in prose rather than after labels."""
    if "request_number" not in found or found["request_number"].value is None:
        _request_in_prose(lines, found)
    case = found.get("case_description")
    if case is not None and case.value:
        return
    body = _letter_body(lines, found)
    if not body:
        return
    value = " ".join(without_rulings(collapse(line.text)) for line in body)
    found["case_description"] = checked("case_description", value, body, union_box(body))
    reasons = found.get("reasons")
    letters = letters_in(value)
    if letters and (reasons is None or not reasons.value):
        # a letter states its reason in prose: take it, but ask a person to confirm
        conf = round(0.6 * min(ln.confidence for ln in body), 3)
        found["reasons"] = Found(sorted(set(letters)), body, conf, union_box(body))


def _request_in_prose(lines: list[TextLine], found: dict[str, Found]) -> None:
    """'... permohonan informasi nomor 077/PPID/IX/2026 ...', possibly across a line break."""
    text = "\n".join(ln.text for ln in lines)
    match = _LETTER_REQUEST.search(text)
    if not match:
        return
    start = match.start("value")
    row = text.count("\n", 0, start)
    line = lines[row]
    offset = start - (text.rfind("\n", 0, start) + 1)
    box = value_box(line, offset)
    found["request_number"] = checked("request_number", match.group("value"), [line], box)


def _letter_body(lines: list[TextLine], found: dict[str, Found]) -> list[TextLine]:
    """Lines between the identity block and the closing, not used by any other field."""
    if not any(re.search(r"yang\s+bertanda\s+tangan", ln.text, re.I) for ln in lines):
        return []
    used = {
        id(ln)
        for name, item in found.items()
        if name not in ("request_number", "reasons")
        for ln in item.lines
    }
    last_label = max((i for i, ln in enumerate(lines) if label_of(ln.text) is not None), default=-1)
    body: list[TextLine] = []
    for line in lines[last_label + 1 :]:
        if section_of(line.text) == "closing" or place_date(line.text):
            break
        if id(line) not in used and section_of(line.text) is None:
            body.append(line)
    return body
