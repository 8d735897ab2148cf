"""An ID card's printed values: each label's words parsed, snapped to the card's vocabulary."""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from parsers import nik as nikmod
from parsers.field_checks import address_words, fix_abbreviation_commas, strip_colon_misread
from parsers.ocr import Word

# What the card prints in its fixed-choice fields, as KTP-el print them (both spellings where
# cards differ: KATHOLIK and KATOLIK, BUDHA and BUDDHA).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "sex": ("LAKI-LAKI", "PEREMPUAN"),
    "blood_type": ("A", "B", "AB", "O", "-", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"),
    "religion": (
        "ISLAM", "KRISTEN", "KATHOLIK", "KATOLIK", "HINDU", "BUDHA", "BUDDHA", "KHONGHUCU",
        "KONGHUCU", "KEPERCAYAAN TERHADAP TUHAN YME",
    ),
    "marital_status": ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"),
    "nationality": ("WNI", "WNA"),
}  # fmt: skip
# The occupations the population registry prints (Permendagri list, the common ones): a read
# near one of them is snapped to it; any other is kept as read.
OCCUPATIONS = (
    "BELUM/TIDAK BEKERJA", "MENGURUS RUMAH TANGGA", "PELAJAR/MAHASISWA", "PENSIUNAN",
    "PEGAWAI NEGERI SIPIL (PNS)", "PEGAWAI NEGERI SIPIL", "TENTARA NASIONAL INDONESIA (TNI)",
    "KEPOLISIAN RI (POLRI)", "PERDAGANGAN", "PETANI/PEKEBUN", "PETERNAK", "NELAYAN/PERIKANAN",
    "INDUSTRI", "KONSTRUKSI", "TRANSPORTASI", "KARYAWAN SWASTA", "KARYAWAN BUMN",
    "KARYAWAN BUMD", "KARYAWAN HONORER", "BURUH HARIAN LEPAS", "BURUH TANI/PERKEBUNAN",
    "BURUH NELAYAN/PERIKANAN", "BURUH PETERNAKAN", "PEMBANTU RUMAH TANGGA", "TUKANG CUKUR",
    "TUKANG LISTRIK", "TUKANG BATU", "TUKANG KAYU", "TUKANG SOL SEPATU", "TUKANG LAS/PANDAI BESI",
    "TUKANG JAHIT", "TUKANG GIGI", "PENATA RIAS", "PENATA BUSANA", "PENATA RAMBUT", "MEKANIK",
    "SENIMAN", "TABIB", "PARAJI", "PERANCANG BUSANA", "PENTERJEMAH", "IMAM MASJID", "PENDETA",
    "PASTOR", "WARTAWAN", "USTADZ/MUBALIGH", "JURU MASAK", "PROMOTOR ACARA", "DOSEN", "GURU",
    "PILOT", "PENGACARA", "NOTARIS", "ARSITEK", "AKUNTAN", "KONSULTAN", "DOKTER", "BIDAN",
    "PERAWAT", "APOTEKER", "PSIKIATER/PSIKOLOG", "PENYIAR TELEVISI", "PENYIAR RADIO", "PELAUT",
    "PENELITI", "SOPIR", "PIALANG", "PARANORMAL", "PEDAGANG", "PERANGKAT DESA", "KEPALA DESA",
    "BIARAWATI", "WIRASWASTA", "ANGGOTA DPRD KABUPATEN/KOTA", "ANGGOTA DPRD PROVINSI",
    "LAINNYA",
)  # fmt: skip
LIFELONG = "SEUMUR HIDUP"
OCCUPATION_ALIKE = 0.85  # a read this near a listed occupation is that occupation


DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5"})


_DATE = re.compile(r"(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{4})")


_BLOOD = re.compile(r"\bG[O0][LTI1]\W*[DPO]\w*\s*:?\s*(\S*)", re.IGNORECASE)  # "Got, Parah"


def _valid_until(text: str, conf: float) -> tuple[str | None, float]:
    """'SEUMUR HIDUP' as printed (most KTP-el), or the expiry date; else what was read."""
    found = parse_card_date(text)
    if found:
        return found, conf
    alike = SequenceMatcher(None, re.sub(r"\W", "", text.upper()), "SEUMURHIDUP").ratio()
    if alike >= 0.999:
        return LIFELONG, conf
    if alike >= 0.7:
        return LIFELONG, conf * 0.85
    return (clean(text).upper() or None), conf * 0.3


def _occupation(value: str, conf: float) -> tuple[str | None, float]:
    """A listed occupation read with a slip is that occupation; any other is kept as read."""
    if not value:
        return None, 0.0
    key = re.sub(r"[^A-Z]", "", value)
    best, score = value, 0.0
    for option in OCCUPATIONS:
        alike = SequenceMatcher(None, key, re.sub(r"[^A-Z]", "", option)).ratio()
        if alike > score:
            best, score = option, alike
    if score >= 0.999:
        return value, conf
    if score >= OCCUPATION_ALIKE:
        return best, conf * 0.85
    return value, conf * 0.75


def store_value(label: str, words: list[Word], put: Any) -> None:
    """Parse one labelled value into its field(s)."""
    text = words_text(words)
    conf = mean_confidence(words)
    if label == "nik":
        value, nik_conf, _notes = nikmod.correct_ocr_nik(text)
        put("nik", value, min(conf, nik_conf) if value else 0.0, words)
    elif label == "birth":
        place, _, rest = text.partition(",")
        found = parse_card_date(rest or text)
        if not rest:  # comma lost: the date is the trailing token
            place = _DATE.sub("", text.translate(DIGIT_FIXES))
        put("birth_place", clean(place).upper() or None, conf, words)
        put("birth_date", found, conf if found else 0.0, words)
    elif label == "sex":
        match = _BLOOD.search(text)
        sex_text = text[: match.start()] if match else text
        blood_words = [w for w in words if match and w.box[0] >= _x_of(words, match.start())]
        sex_words = [w for w in words if w not in blood_words]
        put("sex", *snap("sex", sex_text, mean_confidence(sex_words)), sex_words)
        if match:
            put(
                "blood_type",
                *snap("blood_type", match.group(1), mean_confidence(blood_words)),
                blood_words,
            )
    elif label == "valid_until":
        put("valid_until", *_valid_until(text, conf), words)
    elif label == "rt_rw":
        value, factor = rt_rw(text)
        put("rt_rw", value, conf * factor, words)
    elif label in VOCABULARY:
        put(label, *snap(label, text, conf), words)
    elif label == "occupation":  # printed without periods: a speck between words reads as one
        value = re.sub(r"\s*\.\s*", " ", clean(text).upper()).strip()
        put(label, *_occupation(value, conf), words)
    elif label == "address":
        value = address_words(strip_colon_misread("address", clean(text).upper()))
        put(label, value or None, conf, words)
    else:
        put(label, fix_abbreviation_commas(clean(text).upper()) or None, conf, words)


def _x_of(words: list[Word], offset: int) -> int:
    """x of the word holding character `offset` of the space-joined text."""
    position = 0
    for word in words:
        if position + len(word.text) >= offset:
            return word.box[0] if position >= offset else word.box[2]
        position += len(word.text) + 1
    return words[-1].box[2] if words else 0


def rt_rw(text: str) -> tuple[str | None, float]:
    """RT/RW as printed ('003/016') and a confidence factor: a slash read as 1 or 7, or lost,
    and a colon read as a leading 1 are undone, with doubt."""
    read = re.sub(r"[^0-9/]", "", text.translate(DIGIT_FIXES))
    pairs = re.findall(r"(\d{3})/(\d{3})", read)
    if pairs:
        return "/".join(pairs[-1]), 1.0 if re.fullmatch(r"\d{3}/\d{3}", read) else 0.6
    digits = read.replace("/", "")
    options = []
    if len(digits) == 6:
        options.append(digits)
    if len(digits) == 7:
        if digits[3] in "17":
            options.append(digits[:3] + digits[4:])  # the slash read as 1 or 7
        if digits[0] in "17":
            options.append(digits[1:])  # the colon read as 1
    if len(digits) == 8 and digits[0] in "17" and digits[4] in "17":
        options.append(digits[1:4] + digits[5:])
    if len(set(options)) == 1:
        return f"{options[0][:3]}/{options[0][3:]}", 0.6
    return (read or None), 0.5


def snap(field: str, text: str, conf: float) -> tuple[str | None, float]:
    """Snap to the card's printed vocabulary; an unsure snap lowers the confidence."""
    cleaned = clean(text).upper()
    if field == "blood_type":
        cleaned = cleaned.replace("0", "O").replace("8", "B") or ("-" if "-" in text else "")
    if not cleaned:
        return None, 0.0
    best, score = cleaned, 0.0
    for option in VOCABULARY[field]:
        ratio = SequenceMatcher(None, cleaned, option).ratio()
        if ratio > score:
            best, score = option, ratio
    if score >= 0.999:
        return best, conf
    if score >= 0.75:
        return best, conf * 0.85
    if field == "sex" and score >= 0.6:  # two choices only: the nearer one, but doubtful
        return best, conf * 0.6
    prefixes = [o for o in VOCABULARY[field] if len(o) > 1 and cleaned.startswith(o + " ")]
    if prefixes:  # "WNI SY": the value, then specks from the photo side
        return max(prefixes, key=len), conf * 0.75
    return cleaned, conf * 0.4


def parse_card_date(text: str) -> str | None:
    match = _DATE.search(text.translate(DIGIT_FIXES))
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def words_text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


def clean(text: str) -> str:
    """Collapse spaces; drop colons and the stray marks OCR puts before or after a value."""
    return re.sub(r"\s+", " ", text.replace(":", " ")).strip(" ,.;-+!|'\"_—=>~*#")


def mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0
