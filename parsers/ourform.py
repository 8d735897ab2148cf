"""Read our own printed objection form from a scan or photo, zone by zone, with confidences.

Once `parsers.alignment` has warped a page upright, each zone is read where the layout puts it:
tick boxes and the signature by ink, comb cells and dates through one digit-whitelisted OCR
call, text zones through one more. Validation (NIK, dates, phone, e-mail) and handwriting
detection temper Tesseract's confidences; boxes are mapped back to the original image's pixels.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import cv2
import numpy as np
from PIL import Image

from parsers import form_layout as layout
from parsers import nik as nikmod
from parsers.alignment import Aligned, align
from parsers.field_checks import (
    EMAIL,
    EMAIL_AMBIGUOUS,
    EMAIL_CHARS,
    PHONE,
    fix_abbreviation_commas,
    fix_phone,
    fix_register_number,
    register_number_ok,
)
from parsers.geometry import map_box
from parsers.model import REASON_LETTERS, Box, Document, nest_fields
from parsers.ocr import DIGITS, ZoneText, ocr_zones
from parsers.zone_images import (
    INK,
    clean_crop,
    comb_strip,
    drop_enclosed_dots,
    handwritten,
    ink_ratio,
    narrow,
    narrow_image,
    restore_underscores,
    trim,
    zone_crop,
    zone_px,
)
from parsers.zone_votes import merge_readings, ocr_confidence, same_text

log = logging.getLogger(__name__)

TICK_ON, TICK_OFF = 0.10, 0.03  # fill ratio of a tick box: surely ticked / surely empty
SIGN_ON, SIGN_OFF = 0.012, 0.002
HAND_CONFIDENCE = 0.65  # ceiling for OCR-read values on a hand-filled page
EMPTY_INK = 0.004  # a text zone with less dark area than this is blank
TYPED_SQUEEZE = 0.8  # typed text zones are narrowed to this width before OCR (see _ocr_text)
RECHECK_BELOW = 0.9  # a typed text zone read with less confidence is read a second way
DISAGREE_CONFIDENCE = 0.6  # ceiling when the two readings of a zone differ
_WIDE = "\twide"  # suffix of a typed comb's second, full-width band in the same OCR call
_BIG = "\tbig"  # suffix of a doubtful text zone's third band, narrowed and enlarged
RECHECK_SCALE = 1.5
MAJORITY_CONFIDENCE = 0.8  # ceiling when two of three readings agree and one differs
_NO_SPACES = {"registration_number", "request_number"}
_ENGLISH_ZONES = {"applicant.email"}
#: Address abbreviations and initials the shared fixer does not know ("KOM, YOS" → "KOM. YOS").
_MORE_ABBREVIATIONS = re.compile(r"\b(KOM|[A-Z]),(?=\s[A-Z])")
_SENTENCE_ZONES = {"purpose", "case_description"}


@dataclass
class PageReading:
    """Raw readings of one form page: values, confidences and canonical boxes per field."""

    form_page: int
    page_number: int  # the page in the file, from 1
    values: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    boxes: dict[str, Box] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    text: str = ""


def read_page(aligned: Aligned, page_number: int) -> PageReading:
    """Read every zone of one aligned form page: one Tesseract call for the text zones, one for
    the e-mail, one for combs and dates, and on typed pages one more for doubtful text zones."""
    reading = PageReading(aligned.form_page, page_number, warnings=list(aligned.warnings))
    zones = layout.zones_on_page(aligned.form_page)
    text_crops: dict[str, np.ndarray] = {}
    digit_crops: dict[str, Image.Image] = {}
    filled: dict[str, int] = {}
    for zone in zones:
        box = (page_number, *map_box(aligned.to_image, zone_px(zone.rect)))
        reading.boxes[_field_of(zone.name)] = box
        if zone.kind == "tick":
            _read_tick(aligned.canon, zone, reading)
        elif zone.kind == "signature":
            _read_signature(aligned.canon, zone, reading)
        elif zone.kind in ("comb", "date"):
            strip = comb_strip(aligned.canon, zone)
            if strip is None:
                _blank(reading, zone.name)
            else:
                digit_crops[zone.name] = strip.image
                filled[zone.name] = strip.filled
        else:
            raw = zone_crop(aligned.canon, zone.rect.inset(0.6))
            crop = clean_crop(raw)
            if zone.name in _ENGLISH_ZONES:
                crop = restore_underscores(raw, crop)
            if float((crop < INK).mean()) < EMPTY_INK:
                _blank(reading, zone.name)
            else:
                text_crops[zone.name] = trim(crop)
    hand = handwritten(aligned.canon, zones)
    if not hand:  # a typewriter's dotted zero reads as 9 (or Q) with its dot, as 0 without
        text_crops = {name: drop_enclosed_dots(crop) for name, crop in text_crops.items()}
        digit_crops = {
            name: Image.fromarray(drop_enclosed_dots(np.asarray(img)))
            for name, img in digit_crops.items()
        }
    texts = _ocr_text(text_crops, squeeze=1.0 if hand else TYPED_SQUEEZE)
    recheck = {} if hand else _recheck(text_crops, texts)
    digits = _ocr_digits(digit_crops, hand)
    for name, found in texts.items():
        _store_text(name, found, reading, recheck.get(name))
    for name in digit_crops:
        _store_digits(name, digits, layout.ZONES[name], filled[name], reading)
    if hand:
        _doubt_ocr_fields(reading, [*texts, *digit_crops])
    _merge_reasons(zones, reading)
    reading.text = "\n".join(str(v) for v in reading.values.values() if v not in (None, False))
    return reading


def _ocr_text(crops: dict[str, np.ndarray], squeeze: float) -> dict[str, ZoneText]:
    """Text zones in one Tesseract call, the e-mail zone in a second (English, its charset).

    Typed pages are narrowed by `squeeze` first: a typewriter font gives 'I' a full cell, and
    Tesseract's models, trained on proportional print, then split words at it ('PONT IANAK')
    and take a serifed I for a T; narrowed by a fifth, the letters have their usual proportions.
    """
    images = {name: Image.fromarray(narrow(crop, squeeze)) for name, crop in crops.items()}
    email = {n: images.pop(n) for n in list(images) if n in _ENGLISH_ZONES}
    texts = ocr_zones(images, psm=6) if images else {}
    if email:  # the Indonesian model turns "_" into a space and "@" into a letter
        texts.update(ocr_zones(email, psm=7, lang="eng", whitelist=EMAIL_CHARS))
    return texts


def _ocr_digits(crops: dict[str, Image.Image], hand: bool) -> dict[str, ZoneText]:
    """Comb and date digits in one whitelisted call; typed ones twice over in that same call.

    Typed digits are narrowed like typed text, and also set at their full width in a band of
    their own (`name + _WIDE`): two readings of two images for the cost of a few more pixels
    in the one Tesseract process, so a 7 read as 1 in one of them shows as a disagreement.
    """
    if not hand:
        bands: dict[str, Image.Image] = {}
        for name, img in crops.items():
            bands[name] = narrow_image(img, TYPED_SQUEEZE)
            bands[name + _WIDE] = img
        crops = bands
    return ocr_zones(crops, psm=7 if len(crops) == 1 else 6, whitelist=DIGITS)


def _recheck(
    crops: dict[str, np.ndarray], first: dict[str, ZoneText]
) -> dict[str, tuple[ZoneText, ZoneText]]:
    """Two more readings, in one more Tesseract call, of the zones Tesseract was unsure of.

    One at the print's own width, one narrowed and enlarged by half: Tesseract's slips differ
    between the three images, so two readings that agree are nearly always right and a third
    breaks a tie. Only doubtful zones are read again, so the cost stays one small call.
    """
    bands: dict[str, Image.Image] = {}
    for name, crop in crops.items():
        if (
            name in first
            and name not in _ENGLISH_ZONES  # its own checks flag it; a second call costs a process
            and ocr_confidence(first[name]) < RECHECK_BELOW
        ):
            bands[name] = Image.fromarray(crop)
            bigger = narrow(crop, TYPED_SQUEEZE)
            bigger = cv2.resize(bigger, None, fx=RECHECK_SCALE, fy=RECHECK_SCALE)
            bands[name + _BIG] = Image.fromarray(bigger)
    if not bands:
        return {}
    found = ocr_zones(bands, psm=6)
    return {name: (found[name], found[name + _BIG]) for name in bands if not name.endswith(_BIG)}


def _doubt_ocr_fields(reading: PageReading, names: list[str]) -> None:
    """Cap the confidence of every OCR-read value on a hand-filled page below review level."""
    for name in names:
        if reading.values.get(name) is not None:
            reading.confidence[name] = min(reading.confidence[name], HAND_CONFIDENCE)
    reading.warnings.append(
        f"page {reading.page_number}: filled in by hand; check every value against the scan"
    )


def _field_of(zone_name: str) -> str:
    return "signed" if zone_name == "signature" else zone_name


def _blank(reading: PageReading, name: str) -> None:
    reading.values[name] = None
    reading.confidence[name] = 0.95


def _read_tick(canon: np.ndarray, zone: layout.Zone, reading: PageReading) -> None:
    ratio = ink_ratio(canon, zone.rect.inset(0.9))
    reading.values[zone.name] = ratio >= (TICK_ON + TICK_OFF) / 2
    reading.confidence[zone.name] = _certainty(ratio, TICK_OFF, TICK_ON)


def _read_signature(canon: np.ndarray, zone: layout.Zone, reading: PageReading) -> None:
    crop = clean_crop(zone_crop(canon, zone.rect.inset(1.0)))
    ratio = float((crop < INK).mean()) if crop.size else 0.0
    reading.values["signed"] = ratio >= (SIGN_ON + SIGN_OFF) / 2
    reading.confidence["signed"] = _certainty(ratio, SIGN_OFF, SIGN_ON)


def _certainty(ratio: float, off: float, on: float) -> float:
    """0.95 when clearly outside (off, on); falls to 0.5 at the midpoint between them."""
    if ratio <= off or ratio >= on:
        return 0.95
    middle = (off + on) / 2
    return round(0.5 + 0.45 * abs(ratio - middle) / (middle - off), 3)


def _store_text(
    name: str,
    found: ZoneText,
    reading: PageReading,
    more: tuple[ZoneText, ZoneText] | None = None,
) -> None:
    """A text zone's value; with `more` readings (see `_recheck`), the one they bear out."""
    value, conf = _text_value(name, found, reading.warnings)
    if more is not None and value is not None:
        second, third = more
        other, other_conf = _text_value(name, second, [])
        if same_text(value, other):
            conf = max(conf, other_conf)
        else:
            reading.warnings.append(f"{name}: read as {value!r} and as {other!r}; check the scan")
            tie, tie_conf = _text_value(name, third, [])
            if same_text(tie, value):
                conf = min(max(conf, tie_conf), MAJORITY_CONFIDENCE)
            elif same_text(tie, other):
                value, conf = other, min(max(other_conf, tie_conf), MAJORITY_CONFIDENCE)
            else:
                merged = merge_readings(found, second, third)
                value, conf = _text_value(name, merged, [])
                conf = min(conf, DISAGREE_CONFIDENCE)
    if value is None:
        conf = 0.3  # ink was there but nothing legible came out
        reading.warnings.append(f"{name}: something is written but could not be read")
    reading.values[name] = value
    reading.confidence[name] = round(conf, 3)


def _text_value(name: str, found: ZoneText, warnings: list[str]) -> tuple[str | None, float]:
    """A text zone's value, normalised, and its confidence lowered by the field's own checks."""
    value = normalise_text(name, found.text)
    conf = ocr_confidence(found)
    if value and name in _NO_SPACES:
        raw = value.replace(" ", "")
        value = fix_register_number(raw)
        if value != raw:  # a look-alike was replaced: right by the numbering rule, not seen
            conf = min(conf, 0.85)
        if not register_number_ok(value):
            conf = min(conf, 0.6)
    if name == "applicant.email" and value:
        single = re.sub(r"([.@_-])\1+", r"\1", value.lower())  # a doubled stroke: '..', '@@'
        if single != value.lower():  # Tesseract stuttered here: the letters beside may be off
            conf = min(conf, 0.65)
        value = single
        local, at, domain = value.partition("@")
        local = re.sub(r"\s*([._-])\s*", r"\1", local.strip())
        value = f"{local}{at}{domain}"
        if at and " " in local:  # a space inside an address is an underscore Tesseract missed
            value = f"{'_'.join(local.split())}@{domain}"
            conf = min(conf, 0.75)
        value = value.replace(" ", "")
        if not EMAIL.match(value):
            conf = min(conf, 0.4)
            warnings.append(f"e-mail {value!r} does not look like an address")
        elif EMAIL_AMBIGUOUS.search(value.partition("@")[0] + "@"):
            conf = min(conf, 0.65)
    return value, conf


def normalise_text(name: str, text: str) -> str | None:
    """Whitespace, slashes and punctuation as typed: 'RT/RW 003 / 006' → 'RT/RW 003/006',
    'KEC, KUBU' → 'KEC. KUBU', a sentence's closing period read as a comma put back."""
    value = re.sub(r"\s*/\s*", "/", fix_abbreviation_commas(" ".join(text.split())))
    if name.endswith("address"):  # "DATA A, B DAN C" in a sentence keeps its comma
        value = _MORE_ABBREVIATIONS.sub(r"\1.", value)
    if name in _SENTENCE_ZONES and value.endswith(","):
        value = value[:-1] + "."
    return value or None


def _store_digits(
    name: str, digits: dict[str, ZoneText], zone: layout.Zone, filled: int, reading: PageReading
) -> None:
    """A comb's digits, checked: one digit per filled cell, then the field's own rules.

    A typed comb also has its full-width reading (`_ocr_digits`): the two agreeing raise the
    confidence; differing, the one that passes the field's checks with more confidence is
    kept below review level.
    """
    value, conf, notes = _digit_value(name, digits[name], zone, filled)
    second = digits.get(name + _WIDE)
    if second is not None:
        other, other_conf, _ = _digit_value(name, second, zone, filled)
        if other == value:
            conf = max(conf, other_conf)
        else:
            notes.append(f"{name}: read as {value!r} and as {other!r}; check the scan")
            if other_conf > conf:
                value, conf = other, other_conf
            conf = min(conf, DISAGREE_CONFIDENCE)
    reading.warnings.extend(notes)
    reading.values[name] = value
    reading.confidence[name] = round(conf, 3)


def _digit_value(
    name: str, found: ZoneText, zone: layout.Zone, filled: int
) -> tuple[Any, float, list[str]]:
    """One reading of a comb: its value, confidence and the notes its checks raised."""
    raw = re.sub(r"\s", "", found.text)
    conf = ocr_confidence(found)
    notes: list[str] = []
    if len(raw) != filled:
        conf = min(conf, 0.3)
        notes.append(f"{name}: read {len(raw)} digits from {filled} filled boxes")
    value: Any = raw or None
    if zone.kind == "date":
        value = _comb_date(raw)
        if value is None:
            conf = min(conf, 0.2)
            notes.append(f"{name}: {raw!r} is not a date DD MM YYYY")
    elif name == "applicant.nik":
        nik, nik_conf, nik_notes = nikmod.correct_ocr_nik(raw)
        if nik is None:
            value, conf = raw or None, min(conf, 0.2)
        elif nik_conf >= 1.0 and len(raw) == filled:  # one digit per box, and it validates:
            value, conf = nik, max(conf, 0.92)  # two checks independent of Tesseract agree
        else:
            value, conf = nik, min(conf, nik_conf)
        notes.extend(f"applicant.nik: {note}" for note in nik_notes)
    elif zone.charset == "phone" and value and not PHONE.fullmatch(value):
        fixed = fix_phone(value)
        if fixed is None:
            conf = min(conf, 0.4)
            notes.append(f"{name}: {value!r} does not look like a phone number")
        else:
            value, conf = fixed, min(conf, 0.8)
    return value, conf, notes


def _comb_date(digits: str) -> str | None:
    if not re.fullmatch(r"\d{8}", digits):
        return None
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2])).isoformat()
    except ValueError:
        return None


def _merge_reasons(zones: list[layout.Zone], reading: PageReading) -> None:
    """Tick zones reasons.a … reasons.g become one `reasons` list with one confidence."""
    ticks = [z for z in zones if z.kind == "tick"]
    if not ticks:
        return
    letters = [z.name.split(".")[1] for z in ticks if reading.values.pop(z.name)]
    confs = [reading.confidence.pop(z.name) for z in ticks]
    boxes = [reading.boxes.pop(z.name) for z in ticks]
    reading.values["reasons"] = [x for x in REASON_LETTERS if x in letters]
    reading.confidence["reasons"] = min(confs)
    reading.boxes["reasons"] = (
        boxes[0][0],
        min(b[1] for b in boxes),
        min(b[2] for b in boxes),
        max(b[3] for b in boxes),
        max(b[4] for b in boxes),
    )


def form_document(readings: list[PageReading]) -> Document:
    """One objection_form Document from the pages of one filled form (in file order)."""
    flat: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    warnings: list[str] = []
    for reading in readings:
        flat.update(reading.values)
        confidence.update(reading.confidence)
        boxes.update(reading.boxes)
        warnings.extend(reading.warnings)
    present = {reading.form_page for reading in readings}
    fields = nest_fields(flat)
    for missing in sorted(set(range(1, layout.PAGE_COUNT + 1)) - present):
        warnings.append(f"page {missing} of the objection form is missing from this file")
        for zone in layout.zones_on_page(missing):  # unseen, not empty: null, not [] / false
            name = {"signature": "signed"}.get(zone.name, zone.name.split(".")[0])
            if name in ("reasons", "signed"):
                fields[name] = None
    return Document(
        document_type="objection_form",
        pages=sorted({reading.page_number for reading in readings}),
        method="ocr",
        fields=fields,
        confidence=confidence,
        boxes=boxes,
        warnings=warnings,
        text="\n".join(reading.text for reading in readings),
    )


def read_our_form(image: Image.Image, page_number: int = 1) -> PageReading | None:
    """Align and read one image if it is a page of our form; None when it is not."""
    aligned = align(image)
    return None if aligned is None else read_page(aligned, page_number)
