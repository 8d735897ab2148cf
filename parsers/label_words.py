"""Printed labels and headings of objection forms and letters, and where a label's value starts."""

from __future__ import annotations

import re

from parsers.dates import WEEKDAYS
from parsers.model import TextLine
from parsers.text_lines import collapse, union_box

_NO = r"no(?:mor|\.)?\s*"


# (key, pattern at the start of a line). Keys name, address and phone belong to whichever
# identity section (applicant or proxy) the line sits in. Order matters: first match wins.
LABELS: tuple[tuple[str, str], ...] = (
    ("request_number", _NO + r"(?:pendaftaran|registrasi)\s+permohonan(?:\s+informasi)?"),
    ("registration_number", _NO + r"registrasi(?:\s+keberatan)?"),
    ("request_number", _NO + r"pendaftaran(?:\s+permohonan)?(?:\s+informasi)?"),
    ("request_number", _NO + r"permohonan(?:\s+informasi)?"),
    ("purpose", r"tujuan(?:\s+penggunaan)?(?:\s+informasi)?"),
    ("email", r"(?:alamat\s+)?(?:e\s*-?\s*mail|surel|surat\s+elektronik)"),
    ("nik", r"nik\b|nomor\s+induk\s+kependudukan|" + _NO + r"(?:ktp|identitas)"),
    ("proxy.name", r"nama\s+kuasa(?:\s+pemohon)?"),
    ("proxy.address", r"alamat\s+kuasa(?:\s+pemohon)?"),
    ("proxy.phone", _NO + r"(?:telepon|telp|hp)\s+kuasa(?:\s+pemohon)?"),
    ("name", r"nama(?!\s+dan\b)(?:\s+lengkap)?(?:\s+pemohon)?"),
    ("address", r"alamat(?:\s+lengkap)?(?:\s+pemohon)?"),
    ("occupation", r"pekerjaan"),
    ("phone", _NO + r"(?:telepon|telp|tlp|hp|handphone|ponsel|wa)(?:\s*/\s*(?:hp|wa|telp))*"),
    ("phone", r"(?:telepon|telp|hp|handphone|ponsel)(?:\s*/\s*(?:hp|wa|telp))*"),
    (
        "response_date",
        r"hari\s*/\s*tanggal(?:\s+tanggapan)?(?:\s+atas)?(?:\s+keberatan)?(?:\s+yang)?"
        r"(?:\s+akan)?(?:\s+diberikan)?",
    ),
    ("case_description", r"(?:[a-d][.)]\s*)?kasus\s+posisi"),
)


SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "proxy",
        r"(?:[a-z0-9][.)]\s*)?identitas\s+kuasa|kuasa\s+pemohon\b\W*$"
        r"|(?:dalam\s+hal\s+ini\s+)?memberi(?:kan)?\s+kuasa",
    ),
    ("applicant", r"(?:[a-z0-9][.)]\s*)?identitas\s+pemohon"),
    ("reasons", r"(?:[a-z0-9][.)]\s*)?alasan(?:\s+pengajuan)?\s+keberatan|alasan\s*:"),
    ("closing", r"demikian|hormat\s+saya|atas\s+perhatian|mengetahui\b|pengaju\s+keberatan\W*$"),
)


_LEAD = re.compile(r"^\s*(?:[-•*·]\s*|\d{1,2}[.)]\s+|[A-Za-z][.)]\s+)?")


_SEPARATOR = re.compile(r"^\s*[:：=;]\s*|^\s*-\s+")


_PLACEHOLDER = re.compile(r"^[\s.…_:\-]*(?:\(.*diisi.*\))?[\s.…_:\-]*$", re.IGNORECASE)


LABEL_TAIL = re.compile(r"^(?:informasi|permohonan|keberatan|pemohon|lengkap)\s+(\S.*)$", re.I)


_PLACE_DATE = re.compile(
    r"^(?P<place>[A-Za-z][A-Za-z .'\-]{1,40}?)\s*,\s*(?P<date>\d{1,2}\s*[A-Za-z]{3,10}\.?\s*\d{4}"
    r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4})\s*\.?$"
)


def without_lead(text: str) -> str:
    return _LEAD.sub("", text).lower()


def label_of(text: str) -> tuple[str, int] | None:
    """(label key, index where the value starts in the original text) or None."""
    lead = _LEAD.match(text)
    start = lead.end() if lead else 0
    lowered = text[start:].lower()
    for key, pattern in LABELS:
        match = re.match(pattern + r"(?=\W|$)", lowered)
        if match:
            return key, start + match.end()
    return None


def section_of(text: str) -> str | None:
    lowered = without_lead(text)
    for name, pattern in SECTIONS:
        if re.match(pattern, lowered):
            return name
    return None


def clean_value(raw: str) -> str | None:
    value = collapse(_SEPARATOR.sub("", raw, count=1))
    value = re.sub(r"^[.…_]{2,}\s*|\s*[.…_]{3,}$", "", value)
    value = without_rulings(value)
    value = re.sub(r"\(\s*diisi[^)]*\)", "", value, flags=re.IGNORECASE).strip()
    if not value or _PLACEHOLDER.match(value):
        return None
    return value


def without_rulings(text: str) -> str:
    """A table's ruling beside a value, read by Tesseract as a bar, is not part of it."""
    return re.sub(r"^[|¦]+\s*|\s*[|¦]+$", "", text)


def place_date(text: str) -> re.Match[str] | None:
    """'Pontianak, 12 Oktober 2026' (not 'Kamis, 23 April 2026', which is a day, not a place)."""
    match = _PLACE_DATE.match(collapse(text))
    if match is None or match.group("place").strip().lower() in WEEKDAYS:
        return None
    return match


def is_boundary(line: TextLine) -> bool:
    return (
        label_of(line.text) is not None
        or section_of(line.text) is not None
        or place_date(line.text) is not None
    )


def after_colon(text: str, start: int) -> int:
    """Labels wrap and vary ('Nomor Telepon/HP/WA'); a colon after them marks the value."""
    colon = text.find(":", start)
    between = text[start:colon]
    if colon != -1 and len(between.split()) <= 4 and not re.search(r"\d", between):
        return colon + 1
    return start


def label_tail(text: str) -> int:
    """On a line after an empty label: skip a wrapped rest of the label ('DIBERIKAN :')."""
    colon = text.find(":")
    if colon != -1 and len(text[:colon].split()) <= 3 and not re.search(r"\d", text[:colon]):
        return colon + 1
    return 0


def pair_label_rows(lines: list[TextLine]) -> list[TextLine]:
    """A label left alone on its line joined with the value printed to its right.

    OCR splits a two-column form ('Nama' … ': Hendra') into separate lines when the gap is
    wide, and its reading order may then put the value before its label or beside the next
    one. The value belongs to the label whose row it shares: the nearest line to the right
    overlapping the label's height by half. `lines` must be in upright, levelled pixels (a
    scan's own frame before boxes are mapped back), so the same baseline means the same row.
    """
    taken: set[int] = set()
    joined: dict[int, TextLine] = {}
    for index, line in enumerate(lines):
        label = label_of(line.text)
        if label is None or index in taken:
            continue
        if clean_value(line.text[after_colon(line.text, label[1]) :]) is not None:
            continue
        partner = _right_partner(lines, index, taken)
        if partner is None:
            continue
        taken.add(partner)
        other = lines[partner]
        box = union_box([line, other])[1:]
        text = f"{line.text} {other.text}"
        confidence = min(line.confidence, other.confidence)
        joined[index] = TextLine(text, line.page, box, confidence)
    return [joined.get(i, line) for i, line in enumerate(lines) if i not in taken]


def _right_partner(lines: list[TextLine], index: int, taken: set[int]) -> int | None:
    line = lines[index]
    best: tuple[float, int] | None = None
    for other, cand in enumerate(lines):
        if other == index or other in taken or cand.page != line.page:
            continue
        if cand.box[0] < line.box[2] - 2 or is_boundary(cand):
            continue
        overlap = min(line.box[3], cand.box[3]) - max(line.box[1], cand.box[1])
        smaller = min(line.box[3] - line.box[1], cand.box[3] - cand.box[1])
        if smaller <= 0 or overlap < 0.5 * smaller:
            continue
        gap = cand.box[0] - line.box[2]
        if best is None or gap < best[0]:
            best = (gap, other)
    return best[1] if best else None
