"""Read an Indonesian ID card (KTP-el) from an image: find the card, OCR it once, read labels."""

from __future__ import annotations

import logging
import re
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from PIL import Image

from parsers import nik as nikmod
from parsers.card_image import CardImage, descreened, find_card
from parsers.classify import KTP_MIN_LABELS, ktp_label_score
from parsers.geometry import map_box
from parsers.ktp_nik import NikRead, cross_check_card, reread_nik, settle_nik
from parsers.ktp_regions import province_text, reread_with_nik, snap_places, weigh_places
from parsers.ktp_values import VOCABULARY, clean, mean_confidence, store_value, words_text
from parsers.model import ID_CARD_FIELDS, Box, Document
from parsers.ocr import Word, group_rows, ocr_words, words_box
from parsers.regions import snap

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
_COLON_MISREADS = {"1", "!", "|", "I", "l", "i", ";", ":", "2", "Z", "3", "“", "”", '"', "'", "."}
_MAY_START_WITH_A_MARK = {"address", "rt_rw", "nik", "birth"}
_MAY_END_WITH_ONE_CHARACTER = {"address", "rt_rw", "nik", "birth", "sex"}  # "NO. 5", blood "A"
CARD_LANG = "ind"  # the card prints Indonesian only; a second model costs a third more
# One uniform block: the automatic layout analysis takes a label column on a patterned card
# for a picture and leaves it out.
CARD_PSM = 6
EMBEDDED_LABEL = 0.85  # how alike words inside a value must be to a label to count as one
MERGED_ROWS = 0.6  # ceiling for values read from rows that ran together
LATE_START = 1.5  # word heights right of the value column from which words are missing
_FIELDS_OF = {"birth": ("birth_place", "birth_date"), "sex": ("sex", "blood_type")}


def read_ktp(image: Image.Image, page: int = 1, card: CardImage | None = None) -> Document:
    """Find the card in `image`, OCR it once and return an `id_card` Document (boxes in page px)."""
    card = descreened(card or find_card(image))
    words = ocr_words(Image.fromarray(card.grey), psm=CARD_PSM, lang=CARD_LANG)
    document, nik = _parse(words, card, page)
    if nik.doubtful and nik.words and ktp_label_score(document.text) >= KTP_MIN_LABELS:
        reread_nik(document, nik, card)
    return document


def header_and_nik(document: Document) -> bool:
    """A card whose labels are illegible (a dithered copy) still shows itself: a valid NIK
    under a header the region list knows, naming the same province."""
    nik, province = document.fields.get("nik"), document.fields.get("province")
    if not nik or not province or nikmod.validate_nik(nik):
        return False
    found = snap(province, "province")
    return found is not None and found.exact and found.region.code == nik[:2]


def parse_card_words(words: list[Word], card: CardImage, page: int) -> Document:
    """Turn the card's OCR words into the id_card fields, with confidences and checks."""
    return _parse(words, card, page)[0]


def _parse(words: list[Word], card: CardImage, page: int) -> tuple[Document, NikRead]:
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
            boxes[name] = (page, *map_box(card.to_page, words_box(members)))

    last = None
    starts: dict[str, float] = {}  # field → where its value's first word starts
    nik_read = NikRead()
    header, rows = _header(rows, height)
    for name, kept in header.items():
        text = clean(words_text(kept).upper())
        put(name, province_text(text) if name == "province" else text, mean_confidence(kept), kept)
    for row in rows:
        label, value_words = _split_label(row)
        if label is None and not nik_read.words and _looks_like_nik(row):
            label = "nik"  # the label lost (a speck joined it), the 16 digits left alone
        if label is None:
            if last == "address" and value_words and fields["address"]:
                joined = f"{fields['address']} {words_text(value_words)}"
                put(
                    "address",
                    clean(joined),
                    min(confidence["address"], mean_confidence(value_words)),
                    [],
                )
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
        parts = _untangle(label, value_words)
        for name, part in parts:
            store_value(name, part, put)
            if part and name != "nik":
                starts[name] = part[0].box[0]
        if len(parts) > 1 or not parts:  # rows run together: what is read has no support
            for name in [label, *(name for name, _ in parts)]:
                for field in _FIELDS_OF.get(name, (name,)):
                    if field in confidence:
                        confidence[field] = min(confidence[field], MERGED_ROWS)
            warnings.append("two rows of the card were read as one; check them")
    _doubt_late_starts(starts, words, confidence, warnings)
    missing = [name for name in ID_CARD_FIELDS if name not in confidence]
    for name in missing:  # every card prints every field: not found is not "empty"
        confidence[name] = 0.0
    if missing:
        warnings.append(f"not found on the ID card: {', '.join(missing)}; check the scan")
    places = snap_places(fields)
    settle_nik(fields, confidence, warnings, nik_read, places.regency_code)
    if fields["nik"] and len(places.found) < 3:
        places = reread_with_nik(fields, places, fields["nik"])
    agree = weigh_places(places, fields["nik"], confidence, warnings)
    cross_check_card(fields, confidence, warnings, agree)
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


def _header(rows: list[list[Word]], height: int) -> tuple[dict[str, list[Word]], list[list[Word]]]:
    """The header's province and regency lines, and the rows below them.

    The header is the rows above the NIK (or any labelled row) in the card's top quarter. The
    province is the row opening with PROVINSI (or, that word lost, the first header row); the
    regency is the row right under it, whatever its first word reads as: a damaged or unusual
    KABUPATEN/KOTA word, or none at all (Jakarta cards print the city's name alone)."""
    top: list[list[Word]] = []
    for row in rows:
        if (
            row[0].box[1] >= 0.25 * height
            or _split_label(row)[0] is not None
            or _looks_like_nik(row)
        ):
            break
        if sum(ch.isalpha() for w in row for ch in w.text) >= 3:
            top.append(row)
    body = [r for r in rows if r not in top]
    if not top:
        return {}, body
    opening = [_header_start(r) for r in top]
    first = next((i for i, start in enumerate(opening) if start is not None), 0)
    start = opening[first]
    found = {"province": top[first][start + 1 :] if start is not None else top[first]}
    if first + 1 < len(top):
        found["regency"] = _without_specks(top[first + 1])
    return {k: v for k, v in found.items() if v}, body


def _header_start(row: list[Word]) -> int | None:
    """Index of the word PROVINSI (read whole or with a slip) among a row's first three
    words: specks before it read as marks or short letter groups."""
    for index, word in enumerate(row[:3]):
        if province_text(re.sub(r"^\W+", "", word.text.upper()) + " X") == "X":
            return index
    return None


def _without_specks(row: list[Word]) -> list[Word]:
    """A header row without the marks and one-letter specks read before its first word."""
    start = 0
    while start < len(row) - 1 and sum(ch.isalpha() for ch in row[start].text) < 2:
        start += 1
    return row[start:]


def _is_label_word(text: str) -> bool:
    """A label made tall by a speck beside it ('NIK:' with dust above) is print, not a scribble."""
    return _match_label(re.sub(r"[^A-Z]", "", text.upper()))[0] is not None


def _looks_like_nik(row: list[Word]) -> bool:
    """A row of 15–17 digits and nothing else of substance: the NIK without its label."""
    text = words_text(row)
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


def _doubt_late_starts(
    starts: dict[str, float],
    words: list[Word],
    confidence: dict[str, float],
    warnings: list[str],
) -> None:
    """Values start in one column; a value whose first word stands well right of it has lost
    its first words (glare, a fold), however sure OCR was of the rest."""
    if len(starts) < 4 or not words:
        return
    column = float(np.median(list(starts.values())))
    height = float(np.median([w.box[3] - w.box[1] for w in words]))
    for name, start in starts.items():
        for field in _FIELDS_OF.get(name, (name,)):
            if start > column + LATE_START * height and field in confidence:
                confidence[field] = min(confidence[field], MERGED_ROWS)
                warnings.append(f"{field}: its first words may be unread; check the card")


def _untangle(label: str, words: list[Word]) -> list[tuple[str, list[Word]]]:
    """A value holding another label's words is two rows read as one (a tilted or patterned
    card): 'STATUS PERKAWINAN KRISTEN BELUM KAWIN' after 'Agama'. Each label gets the words of
    its own vocabulary (KRISTEN, BELUM KAWIN); the rest go to the first label without one."""
    spots = _embedded_labels(words)
    if not spots:
        return [(label, words)]
    labels = [label, *(field for _, _, field in spots)]
    inside = {i for start, count, _ in spots for i in range(start, start + count)}
    rest = [w for i, w in enumerate(words) if i not in inside]
    parts: dict[str, list[Word]] = {}
    for field in labels:
        if field in VOCABULARY:
            taken = _vocabulary_words(field, rest)
            if taken:
                parts[field] = taken
                rest = [w for w in rest if w not in taken]
    free = next((f for f in labels if f not in VOCABULARY and f not in parts), None)
    if free is not None and rest:
        parts[free] = rest
    return [(field, parts[field]) for field in labels if field in parts]


def _embedded_labels(words: list[Word]) -> list[tuple[int, int, str]]:
    """(start, word count, field) of each card label standing inside a row's value words."""
    spots: list[tuple[int, int, str]] = []
    index = 0
    while index < len(words):
        for count in (3, 2, 1):
            key = re.sub(
                r"[^A-Z]", "", " ".join(w.text for w in words[index : index + count]).upper()
            )
            field, score = _match_label(key)
            if field is not None and len(key) >= 5 and score >= EMBEDDED_LABEL:
                spots.append((index, count, field))
                index += count - 1
                break
        index += 1
    return spots


def _vocabulary_words(field: str, words: list[Word]) -> list[Word]:
    """The longest run of words that is one of the field's printed choices, letter for letter."""
    options = {re.sub(r"[^A-Z]", "", o) for o in VOCABULARY[field]}
    for count in (3, 2, 1):
        for start in range(len(words) - count + 1):
            run = words[start : start + count]
            if re.sub(r"[^A-Z]", "", " ".join(w.text for w in run).upper()) in options:
                return run
    return []


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
