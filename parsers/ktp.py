"""Read an Indonesian ID card (KTP-el) from an image: find the card, OCR it once, read labels."""

from __future__ import annotations

import logging
import re
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from PIL import Image

from parsers import nik as nikmod
from parsers.card_image import CardImage, find_card
from parsers.geometry import map_box
from parsers.model import ID_CARD_FIELDS, Box, Document
from parsers.ocr import Word, fix_abbreviation_commas, group_rows, ocr_words

log = logging.getLogger(__name__)

# Normalised label (letters only) → field; the order is the printed order.
LABELS: tuple[tuple[str, str], ...] = (
    ("NIK", "nik"),
    ("NAMA", "name"),
    ("TEMPATTGLLAHIR", "birth"),
    ("JENISKELAMIN", "sex"),
    ("ALAMAT", "address"),
    ("RTRW", "rt_rw"),
    ("KELDESA", "village"),
    ("KECAMATAN", "district"),
    ("AGAMA", "religion"),
    ("STATUSPERKAWINAN", "marital_status"),
    ("PEKERJAAN", "occupation"),
    ("KEWARGANEGARAAN", "nationality"),
    ("BERLAKUHINGGA", "valid_until"),
)
VOCABULARY: dict[str, tuple[str, ...]] = {
    "sex": ("LAKI-LAKI", "PEREMPUAN"),
    "blood_type": ("A", "B", "AB", "O", "-"),
    "religion": ("ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KHONGHUCU", "KEPERCAYAAN"),
    "marital_status": ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"),
    "nationality": ("WNI", "WNA"),
}
_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5"})
_DATE = re.compile(r"(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{4})")
_COLON_MISREADS = {"1", "!", "|", "I", "l", "i", ";", ":", "2", "Z", "3", "“", "”", '"', "'", "."}
_MAY_START_WITH_A_MARK = {"address", "rt_rw", "nik", "birth"}
_MAY_END_WITH_ONE_CHARACTER = {"address", "rt_rw", "nik", "birth", "sex"}  # "NO. 5", blood "A"
_BLOOD = re.compile(r"G[O0]L\W*D\w*\s*:?\s*(\S*)", re.IGNORECASE)


def read_ktp(image: Image.Image, page: int = 1, card: CardImage | None = None) -> Document:
    """Find the card in `image`, OCR it once and return an `id_card` Document (boxes in page px)."""
    card = card or find_card(image)
    words = ocr_words(Image.fromarray(card.grey), psm=3)
    return parse_card_words(words, card, page)


def parse_card_words(words: list[Word], card: CardImage, page: int) -> Document:
    """Turn the card's OCR words into the id_card fields, with confidences and checks."""
    height, width = card.grey.shape
    words = _without_scribbles(words, width)
    rows = [r for r in (_drop_beside_photo(r, width, height) for r in _rows(words)) if r]
    fields: dict[str, Any] = dict.fromkeys(ID_CARD_FIELDS)
    confidence: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    warnings: list[str] = []

    def put(name: str, value: Any, conf: float, members: list[Word]) -> None:
        fields[name] = value
        confidence[name] = round(max(0.0, min(1.0, conf)), 3)
        if members:
            boxes[name] = (page, *map_box(card.to_page, _union(members)))

    last = None
    for row in rows:
        text = " ".join(w.text for w in row)
        upper = text.upper()
        if fields["province"] is None and upper.startswith("PROV"):
            put("province", _clean(text.split(None, 1)[1] if " " in text else ""), _conf(row), row)
            continue
        if fields["regency"] is None and re.match(r"(KAB|KOTA)", upper):
            put("regency", _clean(upper), _conf(row), row)
            continue
        label, value_words = _split_label(row)
        if label is None:
            if last == "address" and value_words and fields["address"]:
                joined = f"{fields['address']} {_words_text(value_words)}"
                put("address", _clean(joined), min(confidence["address"], _conf(value_words)), [])
            continue
        last = label
        if label not in _MAY_START_WITH_A_MARK:
            while len(value_words) > 1 and len(value_words[0].text) == 1:
                value_words = value_words[1:]  # "7 THERESIA": the colon read as a character
        if label not in _MAY_END_WITH_ONE_CHARACTER:
            while len(value_words) > 1 and len(value_words[-1].text) == 1:
                value_words = value_words[:-1]  # "PELAJAR/MAHASISWA 5": a speck read as a digit
        _store(label, value_words, put)
    missing = [name for name in ID_CARD_FIELDS if name not in confidence]
    for name in missing:  # every card prints every field: not found is not "empty"
        confidence[name] = 0.0
    if missing:
        warnings.append(f"not found on the ID card: {', '.join(missing)}; check the scan")
    _cross_check(fields, confidence, warnings)
    text = "\n".join(" ".join(w.text for w in row) for row in rows)
    return Document(
        document_type="id_card",
        pages=[page],
        method="ocr",
        fields=fields,
        confidence=confidence,
        boxes=boxes,
        warnings=warnings,
        text=text,
    )


def _without_scribbles(words: list[Word], width: int) -> list[Word]:
    """Drop "words" far taller than print on the photo/signature side (the signature read as
    letters): they would join rows. Print with a speck above it keeps its place."""
    if not words:
        return words
    heights = sorted(w.box[3] - w.box[1] for w in words)
    limit = 2.4 * heights[len(heights) // 2]
    return [
        w
        for w in words
        if w.box[3] - w.box[1] <= limit or (w.box[0] < 0.6 * width and w.confidence >= 0.5)
    ]


def _drop_beside_photo(row: list[Word], width: int, height: int) -> list[Word]:
    """Issue place/date and signature sit right of the fields, after a wide gap: drop them."""
    if not row or row[0].box[1] < 0.15 * height:  # the centred header lines
        return row
    kept = [row[0]]
    for word in row[1:]:
        line = max(8, word.box[3] - word.box[1])
        if word.box[0] > 0.72 * width and word.box[0] - kept[-1].box[2] > 3 * line:
            break
        kept.append(word)
    return kept


def _rows(words: list[Word]) -> list[list[Word]]:
    """Printed rows: Tesseract's lines, rejoined when a label and its value share a row."""
    return group_rows(words)


def _split_label(row: list[Word]) -> tuple[str | None, list[Word]]:
    """(field, value words) when the row starts with a known label; else (None, row)."""
    best: tuple[float, int, str] | None = None
    for count in (1, 2, 3):
        key = re.sub(r"[^A-Z]", "", " ".join(w.text for w in row[:count]).upper().split(":")[0])
        field, score = _match_label(key)
        if field is not None and (best is None or score > best[0]):
            best = (score, count, field)
        if ":" in row[count - 1].text or count >= len(row):
            break
    if best is None:
        return None, row
    _, count, field = best
    return field, _after_colon(row[count - 1], row[count:])


def _after_colon(last_label_word: Word, rest: list[Word]) -> list[Word]:
    """Value words: whatever follows the label's colon, the colon itself dropped."""
    if ":" in last_label_word.text:  # "Nama:" or "NIK:6171..."
        tail = last_label_word.text.split(":", 1)[1].strip()
        if tail:
            rest = [_retext(last_label_word, tail), *rest]
    if rest and rest[0].text[:1] in ":;>-—=":
        stripped = rest[0].text[1:].strip()
        rest = ([_retext(rest[0], stripped)] if stripped else []) + rest[1:]
    while len(rest) > 1 and _is_mark(rest[0].text):  # the colon or specks, read as marks
        rest = rest[1:]
    return rest


def _is_mark(text: str) -> bool:
    return text in _COLON_MISREADS or (len(text) <= 2 and not text[:1].isalnum())


def _retext(word: Word, text: str) -> Word:
    return Word(text, word.confidence, word.box, word.line_key)


def _match_label(key: str) -> tuple[str | None, float]:
    if len(key) < 3:
        return None, 0.0
    best, score = None, 0.0
    variants = {key, key.replace("RN", "M"), key.replace("VV", "W")}  # classic OCR slips
    for label, field in LABELS:
        ratio = max(SequenceMatcher(None, variant, label).ratio() for variant in variants)
        if ratio > score:
            best, score = field, ratio
    return (best, score) if score >= 0.75 else (None, 0.0)


def _store(label: str, words: list[Word], put: Any) -> None:
    """Parse one labelled value into its field(s)."""
    text = _words_text(words)
    conf = _conf(words)
    if label == "nik":
        value, nik_conf, _notes = nikmod.correct_ocr_nik(text)
        put("nik", value, min(conf, nik_conf) if value else 0.0, words)
    elif label == "birth":
        place, _, rest = text.partition(",")
        found = _parse_date(rest or text)
        if not rest:  # comma lost: the date is the trailing token
            place = _DATE.sub("", text.translate(_DIGIT_FIXES))
        put("birth_place", _clean(place).upper() or None, conf, words)
        put("birth_date", found, conf if found else 0.0, words)
    elif label == "sex":
        match = _BLOOD.search(text)
        sex_text = text[: match.start()] if match else text
        blood_words = [w for w in words if match and w.box[0] >= _x_of(words, match.start())]
        sex_words = [w for w in words if w not in blood_words]
        put("sex", *_snap("sex", sex_text, _conf(sex_words)), sex_words)
        if match:
            put("blood_type", *_snap("blood_type", match.group(1), _conf(blood_words)), blood_words)
    elif label == "valid_until":
        found = _parse_date(text)
        lifetime = SequenceMatcher(None, re.sub(r"\W", "", text.upper()), "SEUMURHIDUP").ratio()
        put("valid_until", found, conf if (found or lifetime > 0.7) else 0.3, words)
    elif label == "rt_rw":
        digits = re.sub(r"[^0-9/]", "", text.translate(_DIGIT_FIXES))
        pairs = re.findall(r"(\d{3})/(\d{3})", digits)
        if pairs:
            exact = re.fullmatch(r"\d{3}/\d{3}", digits) is not None
            put("rt_rw", "/".join(pairs[-1]), conf if exact else conf * 0.6, words)
        else:
            put("rt_rw", digits or None, conf * 0.5, words)
    elif label in VOCABULARY:
        put(label, *_snap(label, text, conf), words)
    else:
        put(label, fix_abbreviation_commas(_clean(text).upper()) or None, conf, words)


def _x_of(words: list[Word], offset: int) -> int:
    """x of the word holding character `offset` of the space-joined text."""
    position = 0
    for word in words:
        if position + len(word.text) >= offset:
            return word.box[0] if position >= offset else word.box[2]
        position += len(word.text) + 1
    return words[-1].box[2] if words else 0


def _snap(field: str, text: str, conf: float) -> tuple[str | None, float]:
    """Snap to the card's printed vocabulary; an unsure snap lowers the confidence."""
    cleaned = _clean(text).upper()
    if field == "blood_type":
        cleaned = cleaned.replace("0", "O") or ("-" if "-" in text else "")
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


def _parse_date(text: str) -> str | None:
    match = _DATE.search(text.translate(_DIGIT_FIXES))
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _cross_check(fields: dict[str, Any], confidence: dict[str, float], warnings: list[str]) -> None:
    """The NIK encodes birth date and sex: disagreement lowers all three confidences."""
    if not fields["nik"]:
        warnings.append("NIK could not be read from the ID card; check it by hand")
        return
    problems = nikmod.check_nik_against_card(fields["nik"], fields["birth_date"], fields["sex"])
    warnings.extend(problems)
    if problems:
        for name in ("nik", "birth_date", "sex"):
            if name in confidence:
                confidence[name] = min(confidence[name], 0.4)
    elif fields["birth_date"] and fields["sex"]:
        # A valid NIK whose date and sex digits match the card's printed birth date and sex
        # has been read right but for its serial: better evidence than Tesseract's score.
        confidence["nik"] = max(confidence["nik"], 0.9)


KTP_ONLY_LABELS = (
    "TEMPATTGLLAHIR",
    "JENISKELAMIN",
    "GOLDARAH",
    "KELDESA",
    "KECAMATAN",
    "AGAMA",
    "STATUSPERKAWINAN",
    "KEWARGANEGARAAN",
    "BERLAKUHINGGA",
)


def ktp_label_score(text: str) -> int:
    """How many labels only an ID card prints a text holds (≥ 3: it is a card).

    Nama, Alamat, Pekerjaan and RT/RW are left out: an objection form prints them too.
    """
    compact = re.sub(r"[^A-Z]", "", text.upper())
    return sum(1 for label in KTP_ONLY_LABELS if label in compact)


def _words_text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


def _clean(text: str) -> str:
    """Collapse spaces; drop colons and the stray marks OCR puts before or after a value."""
    return re.sub(r"\s+", " ", text.replace(":", " ")).strip(" ,.;-+!|'\"_—=>~*")


def _conf(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _union(words: list[Word]) -> tuple[float, float, float, float]:
    return (
        float(min(w.box[0] for w in words)),
        float(min(w.box[1] for w in words)),
        float(max(w.box[2] for w in words)),
        float(max(w.box[3] for w in words)),
    )
