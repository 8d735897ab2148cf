"""Read an Indonesian ID card (KTP-el) from an image: find the card, OCR it once, read labels."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import date
from difflib import SequenceMatcher
from typing import Any

import cv2
import numpy as np
from PIL import Image

from parsers import nik as nikmod
from parsers.card_image import CardImage, find_card
from parsers.geometry import map_box
from parsers.model import ID_CARD_FIELDS, Box, Document
from parsers.ocr import (
    DIGITS,
    Word,
    fix_abbreviation_commas,
    group_rows,
    ocr_words,
    ocr_zones,
)

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
CARD_LANG = "ind"  # the card prints Indonesian only; a second model costs a third more
NIK_SURE = 0.8  # Tesseract's NIK word confidence from which one reading is trusted
AMBIGUOUS_CONFIDENCE = 0.5  # the NIK and the birth date disagree and either may be misread
NIK_LANG = "ind"  # digits need no second model; loading one costs more than reading the zone
_BLOOD = re.compile(r"\bG[O0][LTI1]\W*[DPO]\w*\s*:?\s*(\S*)", re.IGNORECASE)  # "Got, Parah"


def read_ktp(image: Image.Image, page: int = 1, card: CardImage | None = None) -> Document:
    """Find the card in `image`, OCR it once and return an `id_card` Document (boxes in page px)."""
    card = card or find_card(image)
    words = ocr_words(Image.fromarray(card.grey), psm=3, lang=CARD_LANG)
    document, nik = _parse(words, card, page)
    if nik.doubtful and nik.words and ktp_label_score(document.text) >= 3:
        _reread_nik(document, nik, card)
    return document


def parse_card_words(words: list[Word], card: CardImage, page: int) -> Document:
    """Turn the card's OCR words into the id_card fields, with confidences and checks."""
    return _parse(words, card, page)[0]


@dataclasses.dataclass
class _NikRead:
    """The NIK as the card's OCR gave it, for a second look at its zone when it is doubtful."""

    words: list[Word] = dataclasses.field(default_factory=list)
    expected: dict[int, str] = dataclasses.field(default_factory=dict)
    repair: nikmod.NikRepair | None = None

    @property
    def doubtful(self) -> bool:
        """Not read as 16 digits, repaired from the card, or at odds with the card's print."""
        if self.repair is None or self.repair.nik is None or self.repair.notes:
            return True
        if min(w.confidence for w in self.words) < NIK_SURE:
            return True  # a faint or photocopied NIK: its serial has nothing to check it against
        nik = self.repair.nik
        return bool(nikmod.validate_nik(nik)) or any(
            nik[position] != digit for position, digit in self.expected.items()
        )


def _parse(words: list[Word], card: CardImage, page: int) -> tuple[Document, _NikRead]:
    height, width = card.grey.shape
    words = _without_scribbles(words, width, height)
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
    nik_read = _NikRead()
    for row in rows:
        header = not nik_read.words and row[0].box[1] < 0.2 * height
        start = _header_start(row, ("PROV",)) if header and fields["province"] is None else None
        if start is not None:
            kept = row[start + 1 :]
            put("province", *_province_name(_words_text(kept), _conf(row)), kept)
            continue
        start = _header_start(row, ("KAB", "KOTA")) if header and not fields["regency"] else None
        if start is not None:
            kept = row[start:]  # specks read as marks or letters before it dropped
            put("regency", _clean(_words_text(kept).upper()), _conf(kept), kept)
            continue
        label, value_words = _split_label(row)
        if label is None and not nik_read.words and _looks_like_nik(row):
            label = "nik"  # the label lost (a speck joined it), the 16 digits left alone
        if label is None:
            if last == "address" and value_words and fields["address"]:
                joined = f"{fields['address']} {_words_text(value_words)}"
                put("address", _clean(joined), min(confidence["address"], _conf(value_words)), [])
            continue
        last = label
        if label == "nik" and not nik_read.words:
            nik_read.words = value_words
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
    _settle_nik(fields, confidence, warnings, nik_read)
    _cross_check(fields, confidence, warnings)
    _province_from_nik(fields, confidence)
    text = "\n".join(" ".join(w.text for w in row) for row in rows)
    document = Document(
        document_type="id_card",
        pages=[page],
        method="ocr",
        fields=fields,
        confidence=confidence,
        boxes=boxes,
        warnings=warnings,
        text=text,
    )
    return document, nik_read


def _settle_nik(
    fields: dict[str, Any], confidence: dict[str, float], warnings: list[str], read: _NikRead
) -> None:
    """Repair the NIK's look-alike digits that the card's header and birth date settle."""
    if not read.words:
        return
    read.expected = nikmod.expected_digits(
        fields["birth_date"], fields["sex"], fields["province"], fields["regency"]
    )
    read.repair = nikmod.repair_nik(_words_text(read.words), read.expected)
    if read.repair.nik is None or not read.repair.notes:
        return
    fields["nik"] = read.repair.nik
    confidence["nik"] = round(min(0.8, _conf(read.words)), 3)
    warnings.extend(read.repair.notes)
    if read.repair.ambiguous:  # the NIK or the birth date is misread: a person decides
        read.expected = {p: d for p, d in read.expected.items() if p not in read.repair.ambiguous}
        for name in ("nik", "birth_date"):
            confidence[name] = min(confidence.get(name, 1.0), AMBIGUOUS_CONFIDENCE)


def _reread_nik(document: Document, read: _NikRead, card: CardImage) -> None:
    """A doubtful NIK is read again from its zone (two preparations, one Tesseract call, digits
    only) and the three readings vote digit by digit; a disputed digit lowers the confidence."""
    x0, y0, x1, y1 = (round(v) for v in _union(read.words))
    pad = max(4, (y1 - y0) // 3)
    side = max(4, pad // 3)  # not as far as the colon before the digits
    crop = card.grey[max(0, y0 - pad) : y1 + pad, max(0, x0 - side) : x1 + pad]
    if crop.size == 0:
        return
    crop = _ink_band(crop)
    zones = {name: Image.fromarray(img) for name, img in _nik_preparations(crop).items()}
    texts = ocr_zones(zones, psm=6, whitelist=DIGITS, lang=NIK_LANG)
    readings = [read.repair.nik] if read.repair and read.repair.nik else []
    readings += [nikmod.repair_nik(t.text, read.expected).nik or "" for t in texts.values()]
    # a reading at odds with the card's header or birth date misread more than look-alikes
    readings = [
        r for r in readings if len(r) == 16 and all(r[p] == d for p, d in read.expected.items())
    ]
    voted, disputed = nikmod.vote_niks(readings)
    log.debug("NIK readings %s → %s (disputed %s)", readings, voted, disputed)
    fields, confidence = document.fields, document.confidence
    agreeing = [r for r in readings if r == voted]
    if voted is None or len(agreeing) < 2:
        unsure = fields["nik"] is None or nikmod.validate_nik(fields["nik"])
        confidence["nik"] = min(confidence.get("nik", 0.0), 0.3 if unsure else 0.5)
        document.warnings.append("NIK digits unclear on the ID card; check them by hand")
        return
    fields["nik"] = voted
    problems = nikmod.check_nik_against_card(voted, fields["birth_date"], fields["sex"])
    if problems:
        confidence["nik"] = 0.4
    elif disputed:
        confidence["nik"] = 0.6
        document.warnings.append(
            "NIK read three times with different digits at "
            + ", ".join(str(p + 1) for p in disputed)
            + "; the majority was taken, check them"
        )
    else:
        confidence["nik"] = 0.9
    document.warnings[:] = [w for w in document.warnings if "could not be read" not in w]


def _ink_band(crop: np.ndarray) -> np.ndarray:
    """The rows of the crop holding the digits: a speck above or below made the word box tall,
    and a speck in the zone reads as one more digit."""
    ink = (crop < 128).sum(axis=1)
    if not ink.any():
        return crop
    dense = np.concatenate([[False], ink >= 0.15 * ink.max(), [False]])
    edges = np.flatnonzero(np.diff(dense.astype(np.int8)))
    runs = list(zip(edges[::2], edges[1::2], strict=True))  # [top, bottom) of each band
    top, bottom = (int(v) for v in max(runs, key=lambda run: ink[run[0] : run[1]].sum()))
    pad = max(3, (bottom - top) // 4)
    return crop[max(0, top - pad) : bottom + pad]


def _nik_preparations(crop: np.ndarray) -> dict[str, np.ndarray]:
    """The NIK zone upscaled (grey) and upscaled then binarised: the readings that err least
    differently on a photocopied card's dotted zeros."""
    grey = cv2.resize(crop, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return {"grey": grey, "binary": binary}


def _province_from_nik(fields: dict[str, Any], confidence: dict[str, float]) -> None:
    """A province read short ('KALIMANTAN', 'JAKARTA') is completed from the NIK's code when
    the NIK agrees with the card and the printed words are part of that province's name."""
    nik, read = fields.get("nik"), fields.get("province")
    info = nikmod.nik_info(nik) if nik else None
    if info is None or not read or confidence.get("nik", 0.0) < 0.9:
        return
    name = info.province.upper()
    if read == name or not set(read.split()) <= set(name.split()):
        return
    fields["province"] = name
    confidence["province"] = round(min(confidence.get("province", 0.0), 0.85), 3)


def _without_scribbles(words: list[Word], width: int, height: int) -> list[Word]:
    """Drop "words" far taller than print on the photo/signature side (the signature read as
    letters): they would join rows. Print with a speck above it keeps its place, and so does
    the header (province, regency), where no signature ever is."""
    if not words:
        return words
    heights = sorted(w.box[3] - w.box[1] for w in words)
    limit = 2.4 * heights[len(heights) // 2]
    return [
        w
        for w in words
        if w.box[3] - w.box[1] <= limit
        or w.box[1] < 0.15 * height
        or sum(ch.isdigit() for ch in w.text) >= 10  # the NIK, tall with specks
        or (w.box[0] < 0.6 * width and (w.confidence >= 0.5 or _is_label_word(w.text)))
    ]


def _header_start(row: list[Word], prefixes: tuple[str, ...]) -> int | None:
    """Index of the word opening a header line ('PROVINSI …', 'KABUPATEN …', 'KOTA …') among
    its first three words: specks before it read as marks or short letter groups."""
    for index, word in enumerate(row[:3]):
        if re.sub(r"^\W+", "", word.text.upper()).startswith(prefixes):
            return index
    return None


def _province_name(text: str, conf: float) -> tuple[str | None, float]:
    """The province as printed, snapped to the list of provinces (a comma or space read
    inside a word, 'KALIMANT, AN'); an unsure snap lowers the confidence."""
    cleaned = _clean(text).upper()
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


def _is_label_word(text: str) -> bool:
    """A label made tall by a speck beside it ('NIK:' with dust above) is print, not a scribble."""
    return _match_label(re.sub(r"[^A-Z]", "", text.upper()))[0] is not None


def _looks_like_nik(row: list[Word]) -> bool:
    """A row of 15–17 digits and nothing else of substance: the NIK without its label."""
    text = _words_text(row)
    return 15 <= sum(ch.isdigit() for ch in text) <= 17 and not re.search(r"[A-Za-z]{2}", text)


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
    """(field, value words) when the row starts with a known label; else (None, row).

    Specks read as marks before the label (": RTARW : 002/016") are skipped.
    """
    lead = 0
    while lead < len(row) - 1 and not any(ch.isalnum() for ch in row[lead].text):
        lead += 1
    if lead:
        field, rest = _split_label(row[lead:])
        return (field, rest) if field is not None else (None, row)
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
        slash_lost = re.fullmatch(r"(\d{3})[17](\d{3})", digits)  # the slash read as 1 or 7
        if not pairs and slash_lost:
            put("rt_rw", "/".join(slash_lost.groups()), conf * 0.6, words)
        elif pairs:
            exact = re.fullmatch(r"\d{3}/\d{3}", digits) is not None
            put("rt_rw", "/".join(pairs[-1]), conf if exact else conf * 0.6, words)
        else:
            put("rt_rw", digits or None, conf * 0.5, words)
    elif label in VOCABULARY:
        put(label, *_snap(label, text, conf), words)
    elif label == "occupation":  # printed without periods: a speck between words reads as one
        value = re.sub(r"\s*\.\s*", " ", _clean(text).upper()).strip()
        put(label, value or None, conf, words)
    elif label == "address":
        value = fix_abbreviation_commas(_clean(text).upper())
        put(label, re.sub(r"^JL(?=\s)", "JL.", value) or None, conf, words)  # its period lost
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
