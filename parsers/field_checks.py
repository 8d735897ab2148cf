"""Checks and repairs of one value by its field's own rules: NIK, e-mail, phone, dates, numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from parsers.dates import parse_date
from parsers.model import Box, TextLine
from parsers.nik import correct_ocr_nik, district_known

EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(\.[\w\-]+)+$")


@dataclass
class Found:
    """A field's value as read from some lines, with its confidence, box and the checks' notes."""

    value: Any
    lines: list[TextLine]
    confidence: float
    box: Box | None = None
    notes: list[str] = field(default_factory=list)


def checked(
    name: str, value: Any, used: list[TextLine], box: Box | None, base: float | None = None
) -> Found:
    """A value read from `used`, passed through its field's check: the confidence of its words
    (`base`; else of its lines) times what the check makes of it."""
    if base is None:
        base = min((ln.confidence for ln in used), default=1.0)
    factor, notes, value = validate_value(name, value, ocr=base < 0.999)
    return Found(value, used, round(base * factor, 3), box if value is not None else None, notes)


UNLISTED_DISTRICT = 0.6  # a NIK whose district the region list lacks: misread, or a new district


def validate_value(name: str, value: Any, ocr: bool = True) -> tuple[float, list[str], Any]:
    """(confidence factor, notes, normalised value): a value that fails its check is doubtful."""
    if value is None:
        return 1.0, [], None
    if isinstance(value, str):
        value = strip_colon_misread(name, value)
    if name in ("request_number", "registration_number") and isinstance(value, str):
        return _register_number(value, ocr)
    if name == "applicant.nik":
        nik, conf, notes = correct_ocr_nik(value)
        if nik is None:
            digits = re.sub(r"\D", "", value)
            return 0.2, notes, digits or None
        if not district_known(nik):  # a misread district digit still makes a valid NIK
            notes = [*notes, f"NIK {nik}: its district code is not on the list of regions"]
            return min(conf, UNLISTED_DISTRICT), notes, nik
        return conf, notes if conf < 1.0 else [], nik
    if name in ("applicant.email",):
        return check_email(value, ocr)
    if name.endswith("phone"):
        digits = phone_digits(value)
        if PHONE.fullmatch(digits) or (digits.startswith("+") and 9 <= len(digits) <= 16):
            return 1.0, [], digits
        if digits[:1] in ("1", "7") and PHONE.fullmatch(digits[1:]):  # a colon read as 1
            return 0.8, [f"phone number {value!r}: a leading {digits[0]} dropped"], digits[1:]
        return 0.4, [f"phone number {value!r} does not look valid"], digits or value
    if name in ("date", "response_date"):
        parsed = parse_date(value)
        if parsed is None:
            return 0.3, [f"{name.replace('_', ' ')} {value!r} is not a date"], value
        return 1.0, [], parsed.isoformat()
    if name.endswith("address") and isinstance(value, str):
        value = address_words(value)
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


def check_email(value: str, ocr: bool = True) -> tuple[float, list[str], str]:
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
    if EMAIL.match(value):
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
    "address": re.compile(r"^(?:[>|!.:;,]+\s*|[\dlI|]\s*(?=J[lLI1iN|EK][nN]?[.,\s-]))"),
}


def strip_colon_misread(name: str, value: str) -> str:
    """The value without a misread colon before it (only where the field's form is known)."""
    pattern = _MISREAD_COLON.get(name.rpartition(".")[2])
    return pattern.sub("", value, count=1) if pattern else value


_ROMAN_SLIPS = str.maketrans({"1": "I", "l": "I", "|": "I", "!": "I"})


#: What Tesseract makes of a Roman month's strokes in typewriter fonts: serifed I as 1, l, T, i, J.
_MONTH_SLIPS = str.maketrans(
    {"1": "I", "l": "I", "|": "I", "!": "I", "T": "I", "i": "I", "J": "I", "v": "V"}
)


ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


_SEQ_SLIPS = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "S": "5"})


#: Characters of an e-mail address as people write them (lower case: addresses ignore case).
EMAIL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-@+"


#: l/i beside a digit, l/i ending the local part, a 1/0 between letters: "1"/"l"/"i" and "0"/"o"
#: are near-identical strokes in a typewriter font, and nothing in an address tells them apart.
EMAIL_AMBIGUOUS = re.compile(r"[il|][0-9]|[0-9][il|]|[il|]@|[a-z][01][a-z]")


PHONE = re.compile(r"(0|62)\d{7,13}")


def fix_register_number(number: str) -> str:
    """Undo look-alike slips in a register number like '004/PPID-DKUKM/II/2026'.

    Such numbers end in a Roman month and the year (the office's numbering rule): a month part
    that becomes one of I…XII once the strokes Tesseract confuses with 'I' ('1', 'l', 'T', 'i')
    are read as 'I' is taken as that month ('/11/2026' → '/II/2026'); the leading sequence number
    is digits ('Q06' → '006'); a handwritten '/' before the month read as 'J' is a slash again.
    Any other part keeps the older rule: a '1' beside Roman letters is an 'I'.
    """
    parts = number.split("/")
    joined = re.fullmatch(r"(.*[A-Z])[J/]([IVX1l|!Ti]{1,4})", parts[-2]) if len(parts) > 1 else None
    if joined and joined.group(2).translate(_MONTH_SLIPS) in ROMAN_MONTHS:
        parts[-2:-1] = [joined.group(1), joined.group(2)]  # a written '/' read as 'J'
    for i, part in enumerate(parts):
        if re.fullmatch(r"[IVX1l|!]+", part) and re.search(r"[IVX]", part):
            parts[i] = part.translate(_ROMAN_SLIPS)
    if len(parts) >= 3 and re.fullmatch(r"\d{4}", parts[-1]):
        month = parts[-2].translate(_MONTH_SLIPS).upper()
        if month in ROMAN_MONTHS:
            parts[-2] = month
    if len(parts) >= 3:
        seq = parts[0].translate(_SEQ_SLIPS)
        if seq.isdigit():
            parts[0] = seq
    return "/".join(parts)


# '…DKUKMIIV/2026': the slash before a Roman month read as I, 1 or l (the month taken longest).
_LOST_SLASH = re.compile(
    r"^(?P<head>.*?[A-Z0-9])[Il1|](?P<month>[IVX]{1,4})[Il1|/](?P<year>(?:19|20)\d\d)$"
)


def _register_number(value: str, ocr: bool) -> tuple[float, list[str], str]:
    """A request or registration number as printed, its look-alike slips undone. A number OCR
    read with spaces, small letters or hardly any digits inside is no number as offices write
    them: kept, but doubtful."""
    number = re.sub(r"\s*([/\-])\s*", r"\1", value.strip())
    fixed = fix_register_number(number)
    factor, notes = 1.0, []
    lost = _LOST_SLASH.match(fixed)
    if ocr and lost and lost.group("month") in ROMAN_MONTHS:
        fixed = f"{lost.group('head')}/{lost.group('month')}/{lost.group('year')}"
        factor, notes = 0.8, [f"number {value!r}: a slash read as a letter put back"]
    if ocr and fixed != number:
        factor = min(factor, 0.85)
    plausible = " " not in fixed and fixed == fixed.upper() and sum(c.isdigit() for c in fixed) >= 2
    if ocr and not plausible:
        return 0.5, [*notes, f"number {value!r} does not look like a register number"], fixed
    return factor, notes, fixed


def register_number_ok(number: str) -> bool:
    """Sequence digits first, a Roman month and a four-digit year last."""
    parts = number.split("/")
    return (
        len(parts) >= 3
        and parts[0].isdigit()
        and parts[-2] in ROMAN_MONTHS
        and re.fullmatch(r"(19|20)\d\d", parts[-1]) is not None
    )


# Letters OCR reads for digits inside a phone number ('O812', '08l2').
_PHONE_SLIPS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5"})


def phone_digits(text: str) -> str:
    """A phone number as its digits, as the office records it ('0812-3456-7890' → '081234567890';
    a leading '+' kept); look-alike letters between digits read as the digits they stand for."""
    plus = "+" if text.strip().startswith("+") else ""
    pieces = re.split(r"[\s.\-/()]+", text)
    fixed = [p.translate(_PHONE_SLIPS) if sum(c.isdigit() for c in p) >= 2 else p for p in pieces]
    return plus + re.sub(r"\D", "", "".join(fixed))


def fix_phone(digits: str) -> str | None:
    """A phone number whose leading '0' was read as '9' or '8' (the dotted typewriter zero):
    every Indonesian number starts with 0 or 62, so a leading 9 or 8 has one correction only.
    None when that does not make a phone number."""
    if PHONE.fullmatch(digits):
        return digits
    if digits[:1] in ("8", "9") and PHONE.fullmatch("0" + digits[1:]):
        return "0" + digits[1:]
    return None


_ABBREVIATION_COMMA = re.compile(
    r"\b(JL|JLN|NO|KEC|KEL|KAB|DS|GG|KOMP|PERUM|BLK|DSN|PROV|RT|RW),(?=\s|$)", re.IGNORECASE
)


def fix_abbreviation_commas(text: str) -> str:
    """'JL, RAYA NO, 68' → 'JL. RAYA NO. 68': a speck-sized period often reads as a comma, and
    these address abbreviations never take one."""
    return _ABBREVIATION_COMMA.sub(r"\1.", text)


# Street words of an address as OCR misreads them: 'JI.' and 'J1.' for 'Jl.', 'JIn.' for 'Jln.',
# 'N0.' for 'No.'. None of the misreadings is a word of an address, so each has one repair.
_STREET = re.compile(r"(?<![\w.])J[Il1i|](?P<n>[nN]?)(?P<end>[.,]|(?=\s))")
# At an address's start 'J' and one more letter is the street word, its L misread ('JE', 'JK').
_FIRST_STREET = re.compile(r"^J[EK](?=[.,]|\s)")
_NUMBER_WORD = re.compile(r"(?<![\w.])N[0O](?P<end>[.,])(?=\s*\d)")


def address_words(text: str) -> str:
    """An address with its street words repaired ('JI. MERDEKA' → 'JL. MERDEKA', 'Jin.' →
    'Jln.') and the periods of its abbreviations put back ('NO, 5' → 'NO. 5')."""

    def street(match: re.Match[str]) -> str:
        upper = match.group(0)[:1] == "J" and (text.isupper() or match.group("n").isupper())
        word = ("JL" if upper else "Jl") + (match.group("n").upper() if upper else match.group("n"))
        return word + ("." if match.group("end") in (".", ",", "") else match.group("end"))

    fixed = _STREET.sub(street, _FIRST_STREET.sub(lambda m: "JL" if text.isupper() else "Jl", text))
    fixed = _NUMBER_WORD.sub(lambda m: "NO." if fixed.isupper() else "No.", fixed)
    return fix_abbreviation_commas(fixed)
