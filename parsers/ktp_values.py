"""An ID card's printed values: each label's words parsed, snapped to the card's vocabulary."""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from parsers import nik as nikmod
from parsers.field_checks import fix_abbreviation_commas
from parsers.ocr import Word

VOCABULARY: dict[str, tuple[str, ...]] = {
    "sex": ("LAKI-LAKI", "PEREMPUAN"),
    "blood_type": ("A", "B", "AB", "O", "-"),
    "religion": ("ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KHONGHUCU", "KEPERCAYAAN"),
    "marital_status": ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"),
    "nationality": ("WNI", "WNA"),
}


DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5"})


_DATE = re.compile(r"(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{4})")


_BLOOD = re.compile(r"\bG[O0][LTI1]\W*[DPO]\w*\s*:?\s*(\S*)", re.IGNORECASE)  # "Got, Parah"


def province_name(text: str, conf: float) -> tuple[str | None, float]:
    """The province as printed, snapped to the list of provinces (a comma or space read
    inside a word, 'KALIMANT, AN'); an unsure snap lowers the confidence."""
    cleaned = clean(text).upper()
    key = re.sub(r"[^A-Z]", "", cleaned)
    if not key:
        return None, 0.0
    best, score = cleaned, 0.0
    for name in nikmod.PROVINCES.values():
        ratio = SequenceMatcher(None, key, re.sub(r"[^A-Z]", "", name.upper())).ratio()
        if ratio > score:
            best, score = name.upper(), ratio
    if score >= 0.999:
        return best, conf
    return (best, conf * 0.85) if score >= 0.85 else (cleaned, conf * 0.6)


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
        found = parse_card_date(text)
        lifetime = SequenceMatcher(None, re.sub(r"\W", "", text.upper()), "SEUMURHIDUP").ratio()
        put("valid_until", found, conf if (found or lifetime > 0.7) else 0.3, words)
    elif label == "rt_rw":
        digits = re.sub(r"[^0-9/]", "", text.translate(DIGIT_FIXES))
        pairs = re.findall(r"(\d{3})/(\d{3})", digits)
        slash_lost = re.fullmatch(r"(\d{3})[17](\d{3})", digits)  # the slash read as 1 or 7
        if not pairs and slash_lost:
            put("rt_rw", "/".join(slash_lost.groups()), conf * 0.6, words)
        elif pairs:
            exact = re.fullmatch(r"\d{3}/\d{3}", digits) is not None
            put("rt_rw", "/".join(pairs[-1]), conf if exact else conf * 0.6, words)
        else:
            put("rt_rw", digits or None, conf * 0.5, words)
    elif label in VOCABULARY:
        put(label, *snap(label, text, conf), words)
    elif label == "occupation":  # printed without periods: a speck between words reads as one
        value = re.sub(r"\s*\.\s*", " ", clean(text).upper()).strip()
        put(label, value or None, conf, words)
    elif label == "address":
        value = fix_abbreviation_commas(clean(text).upper())
        put(label, re.sub(r"^JL(?=\s)", "JL.", value) or None, conf, words)  # its period lost
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
    return re.sub(r"\s+", " ", text.replace(":", " ")).strip(" ,.;-+!|'\"_—=>~*")


def mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0
