"""Reading objection forms by their printed labels: Perki-style forms and typed letters, any source.

Input is a list of `TextLine` (a PDF text layer or OCR output), so the same reader serves digital
files and scans. Each field gets a confidence (the OCR confidence of its lines, lowered when the
value fails validation) and a box, so a reviewer can see the crop beside the value.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parsers.dates import WEEKDAYS, collapse, parse_date
from parsers.model import OBJECTION_FIELDS, Box, Document, Method, TextLine
from parsers.nik import correct_ocr_nik
from parsers.reasons import chosen_reasons, letters_in, mark_tick_boxes, reason_item
from parsers.upright import upright_lines

log = logging.getLogger(__name__)

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
_LABEL_TAIL = re.compile(r"^(?:informasi|permohonan|keberatan|pemohon|lengkap)\s+(\S.*)$", re.I)
_PLACE_DATE = re.compile(
    r"^(?P<place>[A-Za-z][A-Za-z .'\-]{1,40}?)\s*,\s*(?P<date>\d{1,2}\s*[A-Za-z]{3,10}\.?\s*\d{4}"
    r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4})\s*\.?$"
)
_LETTER_REQUEST = re.compile(
    r"permohonan\s+informasi\s+(?:dengan\s+)?(?:nomor|no\.?)\s*(?:pendaftaran\s*)?[:.]?\s*"
    r"(?P<value>[A-Za-z0-9][\w./\-]*\d[\w./\-]*)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(\.[\w\-]+)+$")
_REQUIRED = ("applicant.name", "applicant.nik", "applicant.address", "reasons", "date")
_MULTILINE = {"applicant.address", "proxy.address", "purpose"}
_IDENTITY_KEYS = {"name", "address", "phone"}


def nest_fields(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted names to the contract's nested objection fields; an all-empty proxy becomes null."""
    fields: dict[str, Any] = {"applicant": {}, "proxy": {}}
    for name in OBJECTION_FIELDS:
        value = flat.get(name)
        if name == "reasons":
            value = sorted(set(value or []))
        elif name == "signed":
            value = bool(value)
        group, _, leaf = name.partition(".")
        if leaf:
            fields[group][leaf] = value
        else:
            fields[name] = value
    if not any(fields["proxy"].values()):
        fields["proxy"] = None
    return fields


@dataclass
class _Found:
    value: Any
    lines: list[TextLine]
    confidence: float
    box: Box | None = None
    notes: list[str] = field(default_factory=list)


def objection_from_lines(lines: list[TextLine], method: Method = "text") -> Document:
    """Read an objection form or letter from its lines into a Document.

    Lines come in reading order per page (a text layer sorted top to bottom, or OCR output);
    their boxes may be in a turned page's pixels: layout is judged on upright copies and the
    returned boxes are in the coordinates the lines came in.
    """
    ordered, restore = upright_lines(sorted(lines, key=lambda ln: ln.page))  # stable sort
    found: dict[str, _Found] = {}
    _read_labelled(ordered, found)
    _read_reasons(ordered, found)
    _read_place_date(ordered, found)
    _read_letter_extras(ordered, found)
    document = _to_document(ordered, found, method)
    document.boxes = {name: restore(box) for name, box in document.boxes.items()}
    return document


def _norm(text: str) -> str:
    return _LEAD.sub("", text).lower()


def _label_of(text: str) -> tuple[str, int] | None:
    """(label key, index where the value starts in the original text) or None."""
    lead = _LEAD.match(text)
    start = lead.end() if lead else 0
    lowered = text[start:].lower()
    for key, pattern in LABELS:
        match = re.match(pattern + r"(?=\W|$)", lowered)
        if match:
            return key, start + match.end()
    return None


def _section_of(text: str) -> str | None:
    lowered = _norm(text)
    for name, pattern in SECTIONS:
        if re.match(pattern, lowered):
            return name
    return None


def _clean_value(raw: str) -> str | None:
    value = collapse(_SEPARATOR.sub("", raw, count=1))
    value = re.sub(r"^[.…_]{2,}\s*|\s*[.…_]{3,}$", "", value)
    value = _without_rulings(value)
    value = re.sub(r"\(\s*diisi[^)]*\)", "", value, flags=re.IGNORECASE).strip()
    if not value or _PLACEHOLDER.match(value):
        return None
    return value


def _without_rulings(text: str) -> str:
    """A table's ruling beside a value, read by Tesseract as a bar, is not part of it."""
    return re.sub(r"^[|¦]+\s*|\s*[|¦]+$", "", text)


def _value_box(line: TextLine, start: int) -> Box:
    x0, y0, x1, y1 = line.box
    share = start / max(len(line.text), 1)
    return (line.page, x0 + (x1 - x0) * share, y0, x1, y1)


def _union(lines: list[TextLine], first: Box | None = None) -> Box:
    page = first[0] if first else lines[0].page
    same = [ln.box for ln in lines if ln.page == page]
    boxes = [first[1:], *same] if first else same
    return (
        page,
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _read_labelled(lines: list[TextLine], found: dict[str, _Found]) -> None:
    section = "applicant"
    index = 0
    while index < len(lines):
        line = lines[index]
        label = _label_of(line.text)
        heading = _section_of(line.text)
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


def _place_date(text: str) -> re.Match[str] | None:
    """'Pontianak, 12 Oktober 2026' (not 'Kamis, 23 April 2026', which is a day, not a place)."""
    match = _PLACE_DATE.match(collapse(text))
    if match is None or match.group("place").strip().lower() in WEEKDAYS:
        return None
    return match


def _is_boundary(line: TextLine) -> bool:
    return (
        _label_of(line.text) is not None
        or _section_of(line.text) is not None
        or _place_date(line.text) is not None
    )


def _read_value(
    lines: list[TextLine], index: int, start: int, name: str, found: dict[str, _Found]
) -> int:
    line = lines[index]
    start = _after_colon(line.text, start)
    value = _clean_value(line.text[start:])
    used, box = [line], _value_box(line, start)
    after = index + 1
    nxt = lines[after] if after < len(lines) else None
    beside = _beside(lines, index) if value is None else []
    if beside:
        used = [lines[i] for i in beside]
        value = _clean_value(" ".join(ln.text for ln in used))
        box, after = _union(used), max(after, beside[-1] + 1)
    elif value is None and nxt is not None and _just_below(line, nxt) and not _is_boundary(nxt):
        cut = _label_tail(nxt.text)
        value, used, after = _clean_value(nxt.text[cut:]), [nxt], after + 1
        box = _value_box(nxt, cut)
    if value is not None and name in _MULTILINE:
        indent = box[1] - 0.02 * max(1.0, line.box[2] - line.box[0]) - 3
        while after < len(lines) and len(used) < 4:
            cont = lines[after]
            text = _without_rulings(collapse(cont.text))
            if cont.page != line.page or _is_boundary(cont):
                break
            if cont.box[0] < indent:  # a wrapped label ('Informasi') may share the row
                tail = _LABEL_TAIL.match(text)
                if tail is None:
                    break
                text = tail.group(1)
            value += " " + text
            used.append(cont)
            after += 1
        box = _union(used[1:], box) if len(used) > 1 else box
    if name not in found or (found[name].value is None and value is not None):
        found[name] = _found(name, value, used, box)
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
        if top <= cand.box[1] and cand.box[3] <= bottom and not _is_boundary(cand):
            found.append(other)
    return found


def _just_below(line: TextLine, nxt: TextLine) -> bool:
    height = line.box[3] - line.box[1]
    return nxt.page == line.page and nxt.box[1] - line.box[3] < 2 * height + 1


def _after_colon(text: str, start: int) -> int:
    """Labels wrap and vary ('Nomor Telepon/HP/WA'); a colon after them marks the value."""
    colon = text.find(":", start)
    between = text[start:colon]
    if colon != -1 and len(between.split()) <= 4 and not re.search(r"\d", between):
        return colon + 1
    return start


def _label_tail(text: str) -> int:
    """On a line after an empty label: skip a wrapped rest of the label ('DIBERIKAN :')."""
    colon = text.find(":")
    if colon != -1 and len(text[:colon].split()) <= 3 and not re.search(r"\d", text[:colon]):
        return colon + 1
    return 0


def _read_case(lines: list[TextLine], index: int, start: int, found: dict[str, _Found]) -> int:
    parts, used = [], []
    first = _clean_value(lines[index].text[start:])
    if first:
        parts.append(first)
        used.append(lines[index])
    after = index + 1
    while after < len(lines):
        line = lines[after]
        label = _label_of(line.text)
        if _section_of(line.text) or _place_date(line.text) or label:
            break
        value = _clean_value(line.text)
        if value:
            parts.append(value)
            used.append(line)
        after += 1
    if "case_description" not in found:
        value = " ".join(parts) or None
        box = _union(used) if used else None
        found["case_description"] = _found("case_description", value, used, box)
    return after


def _found(name: str, value: Any, used: list[TextLine], box: Box | None) -> _Found:
    base = min((ln.confidence for ln in used), default=1.0)
    factor, notes, value = _validate(name, value, ocr=base < 0.999)
    return _Found(value, used, round(base * factor, 3), box if value is not None else None, notes)


def _validate(name: str, value: Any, ocr: bool = True) -> tuple[float, list[str], Any]:
    """(confidence factor, notes, normalised value): a value that fails its check is doubtful."""
    if value is None:
        return 1.0, [], None
    if isinstance(value, str):
        value = strip_colon_misread(name, value)
    if name in ("request_number", "registration_number") and isinstance(value, str):
        value = _ROMAN_MONTH.sub(lambda m: m.group(0).replace("1", "I").replace("l", "I"), value)
    if name == "applicant.nik":
        nik, conf, notes = correct_ocr_nik(value)
        if nik is None:
            digits = re.sub(r"\D", "", value)
            return 0.2, notes, digits or None
        return conf, notes if conf < 1.0 else [], nik
    if name in ("applicant.email",):
        return _check_email(value, ocr)
    if name.endswith("phone"):
        digits = re.sub(r"\D", "", value)
        if 8 <= len(digits) <= 15:
            return 1.0, [], value
        return 0.4, [f"phone number {value!r} does not look valid"], value
    if name in ("date", "response_date"):
        parsed = parse_date(value)
        if parsed is None:
            return 0.3, [f"{name.replace('_', ' ')} {value!r} is not a date"], value
        return 1.0, [], parsed.isoformat()
    if name.endswith(".address") and re.fullmatch(r"[\d\s.\-]{8,}", value):
        return (
            0.3,
            [f"address {value!r} is only digits (a NIK or phone read beside its label?)"],
            value,
        )
    if name.endswith(".name") and re.search(r"\d", value):
        return 0.5, [f"name {value!r} contains digits"], value
    return 1.0, [], value


# Domains most addresses on these forms use (and the reserved example domains): an 'l' read
# as 'i' or '1' in them ('gmaii.com', 'exampie.com') has exactly one repair.
KNOWN_DOMAINS = frozenset(
    ("gmail.com", "yahoo.com", "yahoo.co.id", "ymail.com", "hotmail.com", "outlook.com",
     "live.com", "icloud.com", "rocketmail.com", "kalbarprov.go.id", "example.com",
     "example.org", "example.net")
)  # fmt: skip
_REPAIRED_EMAIL = 0.85  # one candidate left, but a person should glance at it


def _check_email(value: str, ocr: bool = True) -> tuple[float, list[str], str]:
    """An address OCR read: a space inside it is an underscore Tesseract lost (no other
    character vanishes), and a domain one l/i/1 away from exactly one known domain is that
    domain. Repairs keep the confidence under 0.9; an unknown domain with an i, l or 1 in it
    cannot be checked and is flagged."""
    value = re.sub(r"\s*@\s*", "@", value.strip())
    local, at, domain = value.partition("@")
    factor, notes = 1.0, []
    if " " in local:
        local = re.sub(r"\s+", "_", local)
        factor, notes = _REPAIRED_EMAIL, ["e-mail: a space read as '_'; please check"]
    domain = domain.replace(" ", "").lower()
    if at and domain not in KNOWN_DOMAINS:
        near = {d for d in KNOWN_DOMAINS if _l_or_i(d) == _l_or_i(domain)}
        if len(near) == 1:
            domain, factor = near.pop(), _REPAIRED_EMAIL
        elif ocr and re.search(r"[il1]", re.sub(_SUFFIX, "", domain)):
            factor = min(factor, 0.6)
            notes.append(f"e-mail domain {domain!r} may have 'l' read as 'i'; please check")
    value = f"{local}{at}{domain}"
    if _EMAIL.match(value):
        return factor, notes, value
    return 0.4, [f"e-mail address {value!r} does not look valid"], value


_SUFFIX = re.compile(r"\.(?:(?:co|go|ac|or|sch|web|my|net|mil|biz)\.)?[a-z]{2,6}$")


def _l_or_i(text: str) -> str:
    return re.sub(r"[il1]", "l", text)


# A label's colon read as a character before the value: '1: 0812…', '> 0812…', '1. Fadli'.
_MISREAD_COLON = {
    "name": re.compile(r"^(?:[^A-Za-z(]{1,3}\s+)+(?=[A-Za-z])"),  # a name starts with a letter
    "phone": re.compile(r"^(?:[^\d+\s]{1,2}|1[.:]|[1lI|]:?)\s+(?=[+0])"),
    "request_number": re.compile(r"^(?:[>|!.:;]|[1lI][.:]?)\s+(?=\d)"),
    "address": re.compile(r"^[>|!.:;,]+\s*"),
}


_ROMAN_MONTH = re.compile(r"(?<=/)(?=[IVXl1]*[VX])[IVXl1]{2,4}(?=/)")  # '/V1/' → '/VI/'


def strip_colon_misread(name: str, value: str) -> str:
    """The value without a misread colon before it (only where the field's form is known)."""
    pattern = _MISREAD_COLON.get(name.rpartition(".")[2])
    return pattern.sub("", value, count=1) if pattern else value


def _read_reasons(lines: list[TextLine], found: dict[str, _Found]) -> None:
    items: list[tuple[str, str, str, TextLine]] = []  # (letter, state, mark, line)
    inline: list[tuple[str, TextLine]] = []
    in_section = False
    for line in lines:
        section = _section_of(line.text)
        if section is not None:
            in_section = section == "reasons"
            if in_section:
                rest = _clean_value(re.sub(SECTIONS[2][1], "", _norm(line.text), count=1))
                inline.extend((letter, line) for letter in letters_in(rest or ""))
            continue
        if not in_section:
            continue
        if _label_of(line.text) or _place_date(line.text):
            in_section = False
            continue
        item = reason_item(line)
        if item:
            items.append((*item, line))
    _store_reasons(items, inline, found)


def _store_reasons(
    items: list[tuple[str, str, str, TextLine]],
    inline: list[tuple[str, TextLine]],
    found: dict[str, _Found],
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
    found["reasons"] = _Found(letters, used, conf, _union(used) if used else None, notes)


def _read_place_date(lines: list[TextLine], found: dict[str, _Found]) -> None:
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        match = _place_date(line.text)
        if not match:
            continue
        place, when = collapse(match.group("place")), match.group("date")
        found["place"] = _found("place", place, [line], (line.page, *line.box))
        found["date"] = _found("date", when, [line], _value_box(line, match.start("date")))
        name = found.get("applicant.name")
        signer = name.value if name is not None and isinstance(name.value, str) else None
        found["signed"] = _signature(lines[index + 1 :], lines, signer)
        return


_CLOSING = re.compile(r"hormat\s+saya|pengaju\s+keberatan|pemohon\s+keberatan", re.IGNORECASE)
_CLOSING_WORDS = {
    "mengetahui", "pengaju", "keberatan", "petugas", "informasi", "penerima", "hormat", "saya",
    "kami", "pemohon", "tanda", "tangan", "ttd", "materai", "meterai",
}  # fmt: skip


def _signature(after: list[TextLine], lines: list[TextLine], signer: str | None) -> _Found:
    """Text cannot show ink; a typed 'ttd' (signed) says so. A printed '(name)' under the
    date is there whether or not anyone signed, so it proves nothing. On an OCR'd page a
    signature leaves letter-like marks ('AW', 'SJ WM') between the closing words and the
    signer's name: taken as signed, with a confidence that asks a person to look. PDFs with a
    pasted signature image are judged by digital.mark_signature.
    """
    measured = [line for line in lines if line.text in (INK_SIGNED, INK_BLANK)]
    if measured:  # the scan's own ink where the applicant signs
        ink = measured[-1]
        return _Found(ink.text == INK_SIGNED, [ink], round(ink.confidence, 3), (ink.page, *ink.box))
    for line in after[:8]:
        if re.search(r"\bttd\b|/ttd/|\bdto\b", line.text, re.IGNORECASE):
            return _Found(True, [line], round(0.6 * line.confidence, 3), (line.page, *line.box))
    marks = _signature_marks(lines, signer)
    if marks is not None:
        return _Found(True, [marks], SIGNATURE_MARKS, (marks.page, *marks.box))
    return _Found(False, [], 0.5, None)


SIGNATURE_MARKS = 0.65  # signed, judged from OCR marks: probable, to be confirmed by a person


def _signature_marks(lines: list[TextLine], signer: str | None) -> TextLine | None:
    """The line below the last closing words ('Hormat saya', 'Pengaju Keberatan') and above
    the signer's name that holds marks of two or more letters outside the closing's words."""
    closing = [i for i, line in enumerate(lines) if _CLOSING.search(line.text)]
    if not closing or lines[closing[-1]].confidence >= 0.999:  # a text layer shows no ink
        return None
    name_key = re.sub(r"[^a-z]", "", (signer or "").lower())
    for line in lines[closing[-1] + 1 : closing[-1] + 5]:
        if name_key and name_key in re.sub(r"[^a-z]", "", line.text.lower()):
            return None  # reached the signer's name
        tokens = re.findall(r"[A-Za-z0-9]+", line.text)
        if any(len(t) >= 2 and t.lower() not in _CLOSING_WORDS for t in tokens):
            return line
    return None


def _read_letter_extras(lines: list[TextLine], found: dict[str, _Found]) -> None:
    """Typed letters put the request number and the story in prose rather than after labels."""
    if "request_number" not in found or found["request_number"].value is None:
        _request_in_prose(lines, found)
    case = found.get("case_description")
    if case is not None and case.value:
        return
    body = _letter_body(lines, found)
    if not body:
        return
    value = " ".join(_without_rulings(collapse(line.text)) for line in body)
    found["case_description"] = _found("case_description", value, body, _union(body))
    reasons = found.get("reasons")
    letters = letters_in(value)
    if letters and (reasons is None or not reasons.value):
        # a letter states its reason in prose: take it, but ask a person to confirm
        conf = round(0.6 * min(ln.confidence for ln in body), 3)
        found["reasons"] = _Found(sorted(set(letters)), body, conf, _union(body))


def _request_in_prose(lines: list[TextLine], found: dict[str, _Found]) -> None:
    """'... permohonan informasi nomor 077/PPID/IX/2026 ...', possibly across a line break."""
    text = "\n".join(ln.text for ln in lines)
    match = _LETTER_REQUEST.search(text)
    if not match:
        return
    start = match.start("value")
    row = text.count("\n", 0, start)
    line = lines[row]
    offset = start - (text.rfind("\n", 0, start) + 1)
    box = _value_box(line, offset)
    found["request_number"] = _found("request_number", match.group("value"), [line], box)


def _letter_body(lines: list[TextLine], found: dict[str, _Found]) -> list[TextLine]:
    """Lines between the identity block and the closing, not used by any other field."""
    if not any(re.search(r"yang\s+bertanda\s+tangan", ln.text, re.I) for ln in lines):
        return []
    used = {
        id(ln)
        for name, item in found.items()
        if name not in ("request_number", "reasons")
        for ln in item.lines
    }
    last_label = max(
        (i for i, ln in enumerate(lines) if _label_of(ln.text) is not None), default=-1
    )
    body: list[TextLine] = []
    for line in lines[last_label + 1 :]:
        if _section_of(line.text) == "closing" or _place_date(line.text):
            break
        if id(line) not in used and _section_of(line.text) is None:
            body.append(line)
    return body


def _to_document(lines: list[TextLine], found: dict[str, _Found], method: Method) -> Document:
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


INK_SIGNED = "[ink: signed]"  # a line the scan reader adds: ink where the signature goes
INK_BLANK = "[ink: blank]"  # ... and no ink there
_SIGNED_INK = 0.01  # share of the signature area inked by a signature (specks stay below)
_BLANK_INK = 0.002
# "Not signed" sends the objection back to the citizen, and on letters people sign to the side of
# their name or over a stamp, outside the area measured: a person confirms it (measured: 2 of ~40
# signed letters looked blank there).
BLANK_SIGNATURE = 0.6


def mark_ink(lines: list[TextLine], grey: np.ndarray) -> list[TextLine]:
    """What a scan's ink shows that OCR text cannot: tick boxes and a signature.

    `lines` are one page's OCR lines in `grey`'s pixels (the levelled page). Reason lines
    get the box state a text layer would print ('☑'/'☐'); a line INK_SIGNED or INK_BLANK is
    added where the applicant signs (above the signer's name, below the closing words), its
    confidence saying how clear the ink was. The reader stays pure: an image in, lines out.
    """
    ink = grey < 128
    marked = mark_tick_boxes(lines, ink)
    signature = _signature_ink(marked, ink)
    if signature is None:
        return marked
    return [*marked, signature]


def _signature_ink(lines: list[TextLine], ink: np.ndarray) -> TextLine | None:
    closing = [i for i, line in enumerate(lines) if _CLOSING.search(line.text)]
    if not closing:
        return None
    close = lines[closing[-1]]
    height = close.box[3] - close.box[1]
    signer = next(
        (
            line
            for line in lines[closing[-1] + 1 : closing[-1] + 7]
            if line.box[1] - close.box[3] >= 1.2 * height and _names_someone(line.text)
        ),
        None,
    )
    if signer is None:
        return None
    name = re.search(r"\(([^()]*[A-Za-z]{3}[^()]*)\)?\s*$", signer.text)
    start = name.start() if name else 0
    _, x0, _, x1, _ = _value_box(signer, start)
    centre, half = (x0 + x1) / 2, max((x1 - x0) / 2, 5 * height)
    box = (centre - half, close.box[3] + 0.2 * height, centre + half, signer.box[1] - 0.1 * height)
    left, top, right, bottom = (round(v) for v in box)
    area = ink[max(0, top) : max(0, bottom), max(0, left) : max(0, right)]
    if area.size == 0 or bottom - top < height:
        return None
    share = float(area.mean())
    if share >= _SIGNED_INK:
        return TextLine(INK_SIGNED, signer.page, box, min(1.0, 0.9 + share))
    if share <= _BLANK_INK:  # likely unsigned, but a signature may sit beside the measured area
        return TextLine(INK_BLANK, signer.page, box, BLANK_SIGNATURE)
    return TextLine(INK_SIGNED, signer.page, box, 0.5)


def _names_someone(text: str) -> bool:
    """A signer's line: a word of three letters or more that is not a closing word."""
    words = re.findall(r"[A-Za-z]{3,}", text)
    return bool(words) and any(w.lower() not in _CLOSING_WORDS for w in words)


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
        label = _label_of(line.text)
        if label is None or index in taken:
            continue
        if _clean_value(line.text[_after_colon(line.text, label[1]) :]) is not None:
            continue
        partner = _right_partner(lines, index, taken)
        if partner is None:
            continue
        taken.add(partner)
        other = lines[partner]
        box = _union([line, other])[1:]
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
        if cand.box[0] < line.box[2] - 2 or _is_boundary(cand):
            continue
        overlap = min(line.box[3], cand.box[3]) - max(line.box[1], cand.box[1])
        smaller = min(line.box[3] - line.box[1], cand.box[3] - cand.box[1])
        if smaller <= 0 or overlap < 0.5 * smaller:
            continue
        gap = cand.box[0] - line.box[2]
        if best is None or gap < best[0]:
            best = (gap, other)
    return best[1] if best else None
