"""The NIK (16-digit population number): parse, validate, repair OCR slips, cross-check."""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from datetime import date

from parsers.regions import nik_region_codes, region

log = logging.getLogger(__name__)

NIK_LENGTH = 16

MALE = "LAKI-LAKI"
FEMALE = "PEREMPUAN"

# Characters OCR confuses with digits; each maps to the digit(s) it may stand for. Several
# candidates mean only validation can decide, and when it cannot the NIK is flagged, not guessed.
OCR_CONFUSIONS: dict[str, str] = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "09",
    "U": "0",
    "I": "1",
    "i": "1",
    "l": "1",
    "|": "1",
    "!": "1",
    "L": "14",
    "J": "17",
    "Z": "2",
    "z": "2",
    "E": "38",
    "A": "4",
    "h": "4",
    "S": "5",
    "s": "5",
    "G": "6",
    "b": "6",
    "T": "71",
    "B": "8",
    "g": "9",
    "q": "9",
}
_SEPARATORS = re.compile(r"[\s.\-_/:,']+")
_MAX_CANDIDATES = 4096


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    province: str
    regency_code: str
    regency: str  # as the region list names it ('Kabupaten Sambas', 'Kota Pontianak')
    district_code: str
    birth_date: date
    sex: str  # LAKI-LAKI or PEREMPUAN
    serial: str


def validate_nik(nik: str) -> list[str]:
    """Every structural problem with a NIK, in plain English; empty means it looks genuine.

    Its province and regency must be on the Kemendagri list (a district code the list lacks is
    only doubtful: see `district_known`), its date part a real date (women: day + 40)."""
    if not re.fullmatch(r"\d{16}", nik or ""):
        digits = len(re.sub(r"\D", "", nik or ""))
        return [f"NIK must be 16 digits, got {nik!r} ({digits} digits)"]
    problems: list[str] = []
    province, regency, _ = nik_region_codes(nik)
    if region(province) is None:
        problems.append(f"NIK province code {nik[:2]} is not an Indonesian province")
    elif region(regency) is None:
        problems.append(f"NIK regency code {nik[2:4]} is not a regency or city of {nik[:2]}")
    if nik[4:6] == "00":
        problems.append("NIK district code 00 does not exist")
    if _birth_date(nik) is None:
        problems.append(f"NIK date part {nik[6:12]} is not a valid date (DDMMYY, women +40)")
    if nik[12:] == "0000":
        problems.append("NIK serial 0000 does not exist")
    return problems


def district_known(nik: str) -> bool:
    """Whether the NIK's district code is on the list (an older or newer district may not be)."""
    return region(nik_region_codes(nik)[2]) is not None


def nik_info(nik: str) -> NikInfo | None:
    """What a valid NIK says about its holder; None when it fails validation."""
    if validate_nik(nik):
        return None
    birth = _birth_date(nik)
    assert birth is not None  # validated above
    province, regency, _ = nik_region_codes(nik)
    return NikInfo(
        nik=nik,
        province_code=nik[:2],
        province=region(province).name,  # type: ignore[union-attr]
        regency_code=nik[2:4],
        regency=region(regency).name,  # type: ignore[union-attr]
        district_code=nik[4:6],
        birth_date=birth,
        sex=FEMALE if int(nik[6:8]) > 40 else MALE,
        serial=nik[12:],
    )


def _birth_date(nik: str, today: date | None = None) -> date | None:
    """The date in digits 7–12; the two-digit year is the latest century not in the future."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    this_year = (today or date.today()).year
    full_year = 2000 + year if 2000 + year <= this_year else 1900 + year
    try:
        return date(full_year, month, day)
    except ValueError:
        return None


def correct_ocr_nik(text: str) -> tuple[str | None, float, list[str]]:
    """Read a NIK from OCR text, fixing look-alike letters only when exactly one reading validates.

    Returns (nik or None, confidence 0..1, warnings). A string of 16 digits that fails validation
    is returned as read with a low confidence so a person can compare it with the card.
    """
    raw = _SEPARATORS.sub("", text or "")
    if not raw:
        return None, 0.0, ["NIK is empty"]
    if len(raw) == NIK_LENGTH + 1 and raw.isdigit():
        return _one_digit_too_many(raw, text)
    if len(raw) != NIK_LENGTH:
        return None, 0.0, [f"NIK {text.strip()!r} has {len(raw)} characters, expected 16"]
    if raw.isdigit():
        problems = validate_nik(raw)
        return raw, (0.3 if problems else 1.0), problems
    options = []
    for char in raw:
        if char.isdigit():
            options.append(char)
        elif char in OCR_CONFUSIONS:
            options.append(OCR_CONFUSIONS[char])
        else:
            return None, 0.0, [f"NIK {text.strip()!r} contains {char!r}, which is not a digit"]
    product = itertools.islice(itertools.product(*options), _MAX_CANDIDATES)
    readings = ["".join(choice) for choice in product]
    valid = [reading for reading in readings if not validate_nik(reading)]
    fixed = sum(1 for char in raw if not char.isdigit())
    if len(valid) == 1:
        note = f"NIK read as {raw!r}; corrected {fixed} look-alike character(s) to {valid[0]}"
        return valid[0], max(0.5, 0.9 - 0.1 * fixed), [note]
    if not valid:
        return None, 0.0, [f"NIK {raw!r}: no reading of its look-alike characters is a valid NIK"]
    return None, 0.0, [f"NIK {raw!r} is ambiguous: {len(valid)} readings are valid; check the card"]


def _one_digit_too_many(raw: str, text: str) -> tuple[str | None, float, list[str]]:
    """Seventeen digits: a colon or a ruling read as a digit before or after the NIK. Taken
    only when exactly one of the two sixteen-digit readings is a valid NIK."""
    valid = {cut for cut in (raw[1:], raw[:-1]) if not validate_nik(cut)}
    if len(valid) != 1:
        return None, 0.0, [f"NIK {text.strip()!r} has 17 digits; check it on the card"]
    nik = valid.pop()
    return nik, 0.6, [f"NIK read as {raw!r}; one stray digit dropped to {nik}"]


def check_nik_against_card(nik: str, birth_date: date | str | None, sex: str | None) -> list[str]:
    """Disagreements between a NIK's date/sex part and the card's printed birth date and sex.

    A mismatch is a red flag for an OCR slip or a forged card; the caller shows it to a person.
    """
    info = nik_info(nik)
    if info is None:
        return validate_nik(nik)
    problems: list[str] = []
    birth_date = _as_date(birth_date)
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
        info.birth_date.day,
        info.birth_date.month,
        info.birth_date.year % 100,
    ):
        problems.append(
            f"NIK {nik} encodes birth date {info.birth_date:%d-%m-%y} but the card says "
            f"{birth_date:%d-%m-%Y}"
        )
    if sex and _normalise_sex(sex) and _normalise_sex(sex) != info.sex:
        problems.append(f"NIK {nik} encodes sex {info.sex} but the card says {sex}")
    return problems


def check_niks_match(form_nik: str | None, card_nik: str | None) -> list[str]:
    """The NIK written on the objection form must be the one on the attached ID card."""
    if not form_nik or not card_nik or form_nik == card_nik:
        return []
    return [f"NIK on the form ({form_nik}) differs from the NIK on the ID card ({card_nik})"]


def _normalise_sex(sex: str) -> str | None:
    word = re.sub(r"[^A-Z]", "", sex.upper())
    if word.startswith("LAKI") or word in {"L", "PRIA"}:
        return MALE
    if word.startswith("PEREMPUAN") or word in {"P", "WANITA"}:
        return FEMALE
    return None


# Digits a bitonal copy of the card's NIK font (its zero carries a dot or a slash) turns into one
# another. Only these swaps are ever repaired from the card's other print; any other disagreement
# stays as read, so the cross-check still flags it (an OCR slip or a forged card).
DIGIT_CONFUSIONS: dict[str, str] = {"0": "689", "3": "8", "6": "08", "8": "0369", "9": "08"}
# Digits of the card's plain body font (where the birth date is printed) that OCR mistakes for
# one another. The birth date is OCR too: where its digit and the NIK's are such a pair, either
# may be the misread one, so the NIK is not "repaired" from it.
BODY_CONFUSIONS: dict[str, str] = {"1": "7", "3": "8", "5": "6", "6": "5", "7": "1", "8": "3"}
BIRTH_DATE_POSITIONS = range(6, 12)
MAX_DISTRICT = 59  # no regency has more districts (the largest, in Papua, about 51)


@dataclass(frozen=True)
class NikRepair:
    """A NIK read, repaired from the card's own print where that leaves exactly one reading."""

    nik: str | None  # 16 digits, or None when nothing usable was read
    changed: tuple[int, ...]  # 0-based positions replaced
    notes: tuple[str, ...]
    # 0-based positions where the NIK and the printed birth date disagree and either could be
    # the misread one: left as read, for a person to check
    ambiguous: tuple[int, ...] = ()


def expected_digits(
    birth_date: date | str | None, sex: str | None, region_code: str | None = None
) -> dict[int, str]:
    """NIK digits the card's other print fixes: position (0-based) → digit. The region codes
    its header and Kecamatan name (`region_code`, dotted: '61', '61.02', '61.02.04'), the date
    part (day + 40 for women) its birth date and sex."""
    known: dict[int, str] = {}
    if region_code:
        digits = region_code.replace(".", "")[:6]
        known.update(dict(enumerate(digits)))
    birth_date = _as_date(birth_date)
    norm = _normalise_sex(sex) if sex else None
    if birth_date is not None and norm is not None:
        day = birth_date.day + (40 if norm == FEMALE else 0)
        part = f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
        known.update({6 + i: digit for i, digit in enumerate(part)})
    return known


def repair_nik(text: str, expected: dict[int, str]) -> NikRepair:
    """Read a NIK from OCR text and repair look-alike digits the card's other print settles.

    A digit is replaced only where the card fixes it (`expected_digits`) and the digit read is a
    known confusion of the expected one (a dotted zero read as 6, 8 or 9). An impossible district
    code is repaired when exactly one swap of look-alikes makes it possible. A stray colon read
    as a seventeenth character is dropped when the other sixteen agree with the card.
    """
    raw = _SEPARATORS.sub("", text or "")
    raw = "".join(_single_digit(char) for char in raw)
    digits = re.sub(r"\D", "", raw)
    notes: list[str] = []
    if len(digits) == NIK_LENGTH + 1:  # the colon before it, or a speck after it, read as a digit
        digits = max((digits[1:], digits[:-1]), key=lambda d: _agreement(d, expected))
        notes.append(f"NIK {text.strip()!r} has 17 digits; one stray digit dropped")
    if len(digits) != NIK_LENGTH:
        return NikRepair(None, (), (f"NIK {text.strip()!r} does not hold 16 digits",))
    chars = list(digits)
    changed: list[int] = []
    ambiguous: list[int] = []
    for position, want in sorted(expected.items()):
        if chars[position] == want or want not in DIGIT_CONFUSIONS.get(chars[position], ""):
            continue
        if position in BIRTH_DATE_POSITIONS and chars[position] in BODY_CONFUSIONS.get(want, ""):
            ambiguous.append(position)  # two candidates: the NIK's digit or the date's
            continue
        chars[position] = want
        changed.append(position)
    district = _repair_district(chars[4], chars[5])
    if district is not None:
        for offset, digit in enumerate(district):
            if chars[4 + offset] != digit:
                chars[4 + offset] = digit
                changed.append(4 + offset)
    nik = "".join(chars)
    if changed:
        notes.append(f"NIK read as {digits}; look-alike digits corrected from the card to {nik}")
    if ambiguous:
        where = ", ".join(str(position + 1) for position in ambiguous)
        notes.append(
            f"NIK {nik} and the card's birth date disagree at digit {where}, where either could "
            "be misread; check both on the card"
        )
    return NikRepair(nik, tuple(sorted(changed)), tuple(notes), tuple(ambiguous))


def vote_niks(readings: list[str]) -> tuple[str | None, tuple[int, ...]]:
    """Per-digit majority of several 16-digit readings of one NIK, and the positions where the
    readings disagreed; None when a disputed digit has no strict majority."""
    readings = [r for r in readings if len(r) == NIK_LENGTH]
    if not readings:
        return None, ()
    digits, disputed = [], []
    for position in range(NIK_LENGTH):
        column = [r[position] for r in readings]
        best = max(set(column), key=column.count)
        if column.count(best) != len(column):
            disputed.append(position)
            if 2 * column.count(best) <= len(column):
                return None, tuple(disputed)
        digits.append(best)
    return "".join(digits), tuple(disputed)


def _repair_district(first: str, second: str) -> str | None:
    """A district code of 00 or above MAX_DISTRICT with exactly one possible look-alike reading."""
    if 0 < int(first + second) <= MAX_DISTRICT:
        return None
    options = {
        a + b
        for a in first + DIGIT_CONFUSIONS.get(first, "")
        for b in second + DIGIT_CONFUSIONS.get(second, "")
        if 0 < int(a + b) <= MAX_DISTRICT
    }
    return options.pop() if len(options) == 1 else None


def _agreement(digits: str, expected: dict[int, str]) -> int:
    return sum(1 for position, want in expected.items() if digits[position] == want)


def _single_digit(char: str) -> str:
    """A look-alike letter with exactly one digit reading becomes that digit."""
    options = OCR_CONFUSIONS.get(char, "")
    return options if len(options) == 1 else char


def _as_date(value: date | str | None) -> date | None:
    """A date, or an ISO date string as the readers return it; None when it is neither."""
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
