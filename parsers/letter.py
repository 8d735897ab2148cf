"""Typed objection letters: what their prose says where a form would have a label.

A letter names the request in a sentence ('… atas permohonan informasi saya dengan nomor
065/PPID-DKUKM/XI/2025 …', the number possibly broken over two lines), says what the information
is for ('… untuk keperluan kajian akademik.'), lists its reasons as bullets or sentences in the
Perki wording, and tells its story in the paragraphs between the identity block and the closing.
"""

from __future__ import annotations

import re

from parsers.field_checks import Found, checked
from parsers.form_rows import is_boundary, split_row
from parsers.label_words import heading_of, place_date, without_rulings
from parsers.model import TextLine
from parsers.reasons import letters_in
from parsers.text_lines import collapse, union_box, value_box

# 'permohonan informasi (saya) (dengan/ber)nomor (pendaftaran/registrasi) (:) VALUE'
_REQUEST = re.compile(
    r"(?:permohonan|permintaan)\s+informasi(?:\s+publik)?(?:\s+\w+){0,3}?\s+(?:dengan\s+|ber)?"
    r"(?:nomor|no\.?)(?:\s+(?:pendaftaran|registrasi|register|permohonan))*\s*[:.]?\s*"
    r"(?P<value>[A-Za-z0-9][\w./\-]*\d[\w./\-]*)",
    re.IGNORECASE,
)
_BROKEN_TAIL = re.compile(r"\s*\n\s*(?P<rest>[A-Za-z0-9/][\w./\-]*)")
# 'untuk keperluan X.', 'dengan tujuan X.', 'yang saya ajukan untuk X.', 'saya gunakan untuk X.'
_PURPOSE = re.compile(
    r"(?:untuk\s+keperluan|dengan\s+tujuan|bertujuan\s+(?:untuk\s+)?|tujuan\s+penggunaan(?:\s+"
    r"informasi)?(?:\s+tersebut)?\s+(?:adalah|ialah|yaitu)|(?:saya\s+)?gunakan\s+untuk|"
    r"(?:saya\s+)?ajukan\s+untuk|digunakan\s+untuk|guna\s+keperluan)\s*:?\s*(?P<value>[^.;\n]"
    r"(?:[^.;]|\.(?=\w))*?)\s*(?:[.;]|$)",
    re.IGNORECASE,
)
PROSE_REASONS = 0.6  # reasons stated in prose: taken, for a person to confirm
PROSE_PURPOSE = 0.8  # a purpose cut out of a sentence: its end may be off


def read_letter_extras(lines: list[TextLine], found: dict[str, Found]) -> None:
    """Typed letters put the request number, purpose and story in prose, not after labels."""
    if _missing(found, "request_number"):
        _request_in_prose(lines, found)
    if _missing(found, "purpose"):
        _purpose_in_prose(lines, found)
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
        conf = round(PROSE_REASONS * min(ln.confidence for ln in body), 3)
        found["reasons"] = Found(sorted(set(letters)), body, conf, union_box(body))


def _missing(found: dict[str, Found], name: str) -> bool:
    return name not in found or found[name].value is None


def _request_in_prose(lines: list[TextLine], found: dict[str, Found]) -> None:
    """'… permohonan informasi nomor 077/PPID/IX/2026 …', possibly across a line break."""
    text = "\n".join(ln.text for ln in lines)
    match = _REQUEST.search(text)
    if not match:
        return
    value = match.group("value").rstrip(".,")
    used = [_line_at(lines, text, match.start("value"))]
    if value.endswith(("-", "/")):
        rest = _BROKEN_TAIL.match(text, match.end("value"))
        if rest:
            value += rest.group("rest").rstrip(".,")
            used.append(_line_at(lines, text, rest.start("rest")))
    line, offset = used[0]
    box = value_box(line, offset)
    found["request_number"] = checked("request_number", value, [ln for ln, _ in used], box)


def _purpose_in_prose(lines: list[TextLine], found: dict[str, Found]) -> None:
    """'… yang saya ajukan untuk keperluan kajian akademik.' The purpose is the phrase."""
    body = [ln for ln in lines if split_row(ln) is None]
    text = " ".join(collapse(ln.text) for ln in body)
    match = _PURPOSE.search(text)
    if not match or len(match.group("value").split()) < 2:
        return
    value = re.sub(r"^(?:keperluan|kepentingan)\s+", "", match.group("value").strip(), flags=re.I)
    value = value[0].upper() + value[1:]
    where = [ln for ln in body if ln.text and ln.text.split()[0] in match.group(0)] or body[:1]
    item = checked("purpose", value, where[:2], union_box(where[:2]))
    item.confidence = round(item.confidence * PROSE_PURPOSE, 3)
    found["purpose"] = item


def _line_at(lines: list[TextLine], text: str, position: int) -> tuple[TextLine, int]:
    """The line holding character `position` of the lines joined by newlines, and the offset."""
    row = text.count("\n", 0, position)
    return lines[row], position - (text.rfind("\n", 0, position) + 1)


def _letter_body(lines: list[TextLine], found: dict[str, Found]) -> list[TextLine]:
    """Lines between the identity block and the closing, not used by any other field."""
    if not any(re.search(r"yang\s+bertanda\s+tangan", ln.text, re.I) for ln in lines):
        return []
    used = {
        id(ln)
        for name, item in found.items()
        if name not in ("request_number", "purpose")
        for ln in item.lines
    }
    last_label = max((i for i, ln in enumerate(lines) if split_row(ln) is not None), default=-1)
    body: list[TextLine] = []
    for line in lines[last_label + 1 :]:
        heading = heading_of(line.text)
        if heading == "closing" or place_date(line.text):
            break
        if id(line) not in used and heading is None and not is_boundary(line):
            body.append(line)
    return body
