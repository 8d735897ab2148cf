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
from difflib import SequenceMatcher
from typing import Any

import cv2
import numpy as np
from PIL import Image

from parsers import form_layout as layout
from parsers import nik as nikmod
from parsers.alignment import CANON_DPI, Aligned, align
from parsers.geometry import components, map_box
from parsers.labels import nest_fields
from parsers.model import REASON_LETTERS, Box, Document
from parsers.ocr import DIGITS, Word, ZoneText, fix_abbreviation_commas, ocr_zones

log = logging.getLogger(__name__)

INK = 128  # grey level below which a canonical pixel is ink
FAINT_INK = 200  # an underscore's grey once warped to 200 dpi (see _restore_underscores)
TICK_ON, TICK_OFF = 0.10, 0.03  # fill ratio of a tick box: surely ticked / surely empty
SIGN_ON, SIGN_OFF = 0.012, 0.002
HAND_HEIGHT_MM = 3.4  # median glyph height above which a page counts as hand-filled
HAND_CONFIDENCE = 0.65  # ceiling for OCR-read values on a hand-filled page
EMPTY_INK = 0.004  # a text zone with less dark area than this is blank
TYPED_SQUEEZE = 0.8  # typed text zones are narrowed to this width before OCR (see _ocr_text)
RECHECK_BELOW = 0.9  # a typed text zone read with less confidence is read a second way
DISAGREE_CONFIDENCE = 0.6  # ceiling when the two readings of a zone differ
DOT_SHARE = 0.5  # a speck inside a glyph's hole, at most this share of its height, is a dot
_WIDE = "\twide"  # suffix of a typed comb's second, full-width band in the same OCR call
_BIG = "\tbig"  # suffix of a doubtful text zone's third band, narrowed and enlarged
RECHECK_SCALE = 1.5
MAJORITY_CONFIDENCE = 0.8  # ceiling when two of three readings agree and one differs
_NO_SPACES = {"registration_number", "request_number"}
_ENGLISH_ZONES = {"applicant.email"}
_ROMAN_SLIPS = str.maketrans({"1": "I", "l": "I", "|": "I", "!": "I"})
#: What Tesseract makes of a Roman month's strokes in typewriter fonts: serifed I as 1, l, T, i, J.
_MONTH_SLIPS = str.maketrans(
    {"1": "I", "l": "I", "|": "I", "!": "I", "T": "I", "i": "I", "J": "I", "v": "V"}
)
_ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_SEQ_SLIPS = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "S": "5"})
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(\.[\w\-]+)+$")
#: Characters of an e-mail address as people write them (lower case: addresses ignore case).
EMAIL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-@+"
#: l/i beside a digit, l/i ending the local part, a 1/0 between letters: "1"/"l"/"i" and "0"/"o"
#: are near-identical strokes in a typewriter font, and nothing in an address tells them apart.
_EMAIL_AMBIGUOUS = re.compile(r"[il|][0-9]|[0-9][il|]|[il|]@|[a-z][01][a-z]")
#: Address abbreviations and initials the shared fixer does not know ("KOM, YOS" → "KOM. YOS").
_MORE_ABBREVIATIONS = re.compile(r"\b(KOM|[A-Z]),(?=\s[A-Z])")
_SENTENCE_ZONES = {"purpose", "case_description"}
_PHONE = re.compile(r"(0|62)\d{7,13}")


def _px(rect: layout.Rect) -> tuple[int, int, int, int]:
    return rect.px(CANON_DPI)


def _crop(canon: np.ndarray, rect: layout.Rect) -> np.ndarray:
    x0, y0, x1, y1 = _px(rect)
    return canon[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]


def _ink_ratio(canon: np.ndarray, rect: layout.Rect) -> float:
    crop = _crop(canon, rect)
    return float((crop < INK).mean()) if crop.size else 0.0


def _clean_crop(crop: np.ndarray, min_area: int = 6) -> np.ndarray:
    """Binarise, drop specks and long ruled lines (box edges, writing lines that survived).

    The result is black ink on white: Tesseract's own threshold is easily thrown by the
    speckled remains of the drop-out colour in grey scans.
    """
    ink = (crop < INK).astype(np.uint8)
    h, w = ink.shape
    lines = np.zeros_like(ink)
    if w >= 40:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(40, w // 3)), np.uint8))
    if h >= 40:
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(40, h // 2), 1), np.uint8))
    ink[lines > 0] = 0
    count, labels, stats, _ = components(ink, 8)
    small = np.nonzero(stats[:, cv2.CC_STAT_AREA] < min_area)[0]
    small = small[small > 0]
    if count > 1 and len(small):
        specks = np.isin(labels, small)
        strokes = ink.copy()
        strokes[specks] = 0
        dots = [i for i in small if _dot_over_stroke(stats[i], strokes)]
        ink[specks & ~np.isin(labels, dots)] = 0
    return np.where(ink > 0, 0, 255).astype(np.uint8)


def _restore_underscores(raw: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Put back an e-mail's underscores that were too faint to count as ink.

    A one-pixel underscore warped down to 200 dpi turns light grey, the ink threshold drops it
    and 'wahyu_joko' reads 'wahyujoko' with no sign of doubt. A short, thin, level run of faint
    ink standing apart from the letters is an underscore.
    """
    faint = (raw < FAINT_INK).astype(np.uint8)
    runs = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, 5), np.uint8))
    letters = cv2.dilate((clean < INK).astype(np.uint8), np.ones((3, 3), np.uint8))
    runs[letters > 0] = 0
    _, labels, stats, _ = components(runs)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    underscores = np.nonzero((height <= 3) & (width >= 6) & (width <= 40))[0]
    out = clean.copy()
    out[np.isin(labels, underscores[underscores > 0])] = 0
    return out


def _dot_over_stroke(stat: np.ndarray, strokes: np.ndarray) -> bool:
    """A speck with a letter's stroke just below it is the dot of an i or j, not noise: without
    it a typed 'i' reads as '1' ('ekow1bowo61@...')."""
    x, y, w, h = (int(v) for v in stat[:4])
    below = strokes[y + h : y + h + max(3, 2 * h), x : x + w]
    return bool(below.any())


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
        box = (page_number, *map_box(aligned.to_image, _px(zone.rect)))
        reading.boxes[_field_of(zone.name)] = box
        if zone.kind == "tick":
            _read_tick(aligned.canon, zone, reading)
        elif zone.kind == "signature":
            _read_signature(aligned.canon, zone, reading)
        elif zone.kind in ("comb", "date"):
            strip = _comb_strip(aligned.canon, zone)
            if strip is None:
                _blank(reading, zone.name)
            else:
                digit_crops[zone.name] = strip.image
                filled[zone.name] = strip.filled
        else:
            raw = _crop(aligned.canon, zone.rect.inset(0.6))
            crop = _clean_crop(raw)
            if zone.name in _ENGLISH_ZONES:
                crop = _restore_underscores(raw, crop)
            if float((crop < INK).mean()) < EMPTY_INK:
                _blank(reading, zone.name)
            else:
                text_crops[zone.name] = _trim(crop)
    hand = _handwritten(aligned.canon, zones)
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
    images = {name: Image.fromarray(_narrow(crop, squeeze)) for name, crop in crops.items()}
    email = {n: images.pop(n) for n in list(images) if n in _ENGLISH_ZONES}
    texts = ocr_zones(images, psm=6) if images else {}
    if email:  # the Indonesian model turns "_" into a space and "@" into a letter
        texts.update(ocr_zones(email, psm=7, lang="eng", whitelist=EMAIL_CHARS))
    return texts


def _narrow(crop: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1.0 or crop.shape[1] < 8:
        return crop
    width = max(1, round(crop.shape[1] * factor))
    return cv2.resize(crop, (width, crop.shape[0]), interpolation=cv2.INTER_AREA)


def _narrow_image(image: Image.Image, factor: float) -> Image.Image:
    return Image.fromarray(_narrow(np.asarray(image), factor))


def _ocr_digits(crops: dict[str, Image.Image], hand: bool) -> dict[str, ZoneText]:
    """Comb and date digits in one whitelisted call; typed ones twice over in that same call.

    Typed digits are narrowed like typed text, and also set at their full width in a band of
    their own (`name + _WIDE`): two readings of two images for the cost of a few more pixels
    in the one Tesseract process, so a 7 read as 1 in one of them shows as a disagreement.
    """
    if not hand:
        bands: dict[str, Image.Image] = {}
        for name, img in crops.items():
            bands[name] = _narrow_image(img, TYPED_SQUEEZE)
            bands[name + _WIDE] = img
        crops = bands
    return ocr_zones(crops, psm=7 if len(crops) == 1 else 6, whitelist=DIGITS)


def drop_enclosed_dots(crop: np.ndarray) -> np.ndarray:
    """Ink on white with every small speck inside another glyph's hole removed.

    Typewriter and programmers' fonts dot their zero; Tesseract's models, trained on plain
    zeros, read the dotted one as 9, Q or 8. No letter or digit has a separate mark inside its
    counter, so a speck there (under `DOT_SHARE` of the hole's height) is the dot and goes. Ink
    counts as joined only edge to edge: a dot touching its ring at a corner is still a dot.
    """
    ink = (crop < INK).astype(np.uint8)
    height, width = ink.shape
    if height < 3 or width < 3:
        return crop
    count, labels, stats, _ = components(ink, 4)
    if count < 3:
        return crop
    _, hole_labels, hole_stats, _ = components(1 - ink, 8)
    out = crop.copy()
    tallest_dot = DOT_SHARE * float(np.median(stats[1:, cv2.CC_STAT_HEIGHT]))
    for i in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if h > tallest_dot or x == 0 or y == 0 or x + w >= width or y + h >= height:
            continue
        window = (slice(y - 1, y + h + 1), slice(x - 1, x + w + 1))
        mine = (labels[window] == i).astype(np.uint8)
        ring = cv2.dilate(mine, np.ones((3, 3), np.uint8)) > mine
        around = np.unique(hole_labels[window][ring & (ink[window] == 0)])
        if len(around) != 1 or around[0] == 0:
            continue
        hx, hy, hw, hh, _ = (int(v) for v in hole_stats[around[0]])
        enclosed = hx > 0 and hy > 0 and hx + hw < width and hy + hh < height
        if enclosed and h <= DOT_SHARE * hh and w < hw - 2:  # room beside it: inside
            out[window][mine > 0] = 255
    return out


def merge_readings(first: ZoneText, second: ZoneText, third: ZoneText | None = None) -> ZoneText:
    """Two readings of one zone joined word by word; where they differ, the side that a third
    reading bears out, else the surer side.

    Tesseract's slips differ between a narrowed, a full-width and an enlarged image ('TJHAT' in
    one, 'PONT IANAK' in another), so each difference is usually settled by the other images.
    Confidence is the weaker reading's, as a disagreement deserves.
    """
    a, b = list(first.words), list(second.words)
    witness = list(third.words) if third is not None else []
    matcher = SequenceMatcher(a=[w.text for w in a], b=[w.text for w in b], autojunk=False)
    words: list[Word] = []
    for tag, i0, i1, j0, j1 in matcher.get_opcodes():
        if tag == "equal":
            words.extend(a[i0:i1])
            continue
        ours, theirs = a[i0:i1], b[j0:j1]
        for loose in (False, True):  # exactly as the witness has it; else its punctuation aside
            ours_seen = bool(ours) and _joined(ours, loose) in _joined(witness, loose)
            theirs_seen = bool(theirs) and _joined(theirs, loose) in _joined(witness, loose)
            if ours_seen != theirs_seen:
                words.extend(ours if ours_seen else theirs)
                break
        else:
            words.extend(ours if _span_confidence(ours) >= _span_confidence(theirs) else theirs)
    text = " ".join(w.text for w in words)
    return ZoneText(text, min(first.confidence, second.confidence), tuple(words))


def _joined(words: list[Word], loose: bool) -> str:
    """Words as ' A B ' (spaces around, for whole-word matching); loose: edge punctuation off."""
    texts = [w.text.strip(".,;:") if loose else w.text for w in words]
    return f" {' '.join(texts)} "


def _span_confidence(words: list[Word]) -> float:
    """A span's weakest word; an empty span (a word only the other reading saw) counts as 0.5."""
    return min((w.confidence for w in words), default=0.5)


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
            and _ocr_confidence(first[name]) < RECHECK_BELOW
        ):
            bands[name] = Image.fromarray(crop)
            bigger = _narrow(crop, TYPED_SQUEEZE)
            bigger = cv2.resize(bigger, None, fx=RECHECK_SCALE, fy=RECHECK_SCALE)
            bands[name + _BIG] = Image.fromarray(bigger)
    if not bands:
        return {}
    found = ocr_zones(bands, psm=6)
    return {name: (found[name], found[name + _BIG]) for name in bands if not name.endswith(_BIG)}


def _handwritten(canon: np.ndarray, zones: list[layout.Zone]) -> bool:
    """Handwriting stands taller than print in the same boxes (capitals ≥ 3.4 mm vs ≈ 2.9 mm).

    Tesseract is often confidently wrong on handwriting, so its scores cannot be trusted there.
    """
    heights: list[int] = []
    for zone in zones:
        if zone.kind not in ("text", "comb", "date", "lines"):
            continue
        crop = _clean_crop(_crop(canon, zone.rect.inset(0.6)), min_area=10)
        _, _, stats, _ = components((crop < INK).astype(np.uint8))
        heights.extend(int(h) for h in stats[1:, cv2.CC_STAT_HEIGHT] if h >= 8)
    if len(heights) < 10:
        return False
    median_mm = float(np.median(heights)) / CANON_DPI * layout.MM_PER_INCH
    return median_mm >= HAND_HEIGHT_MM


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


def _trim(crop: np.ndarray) -> np.ndarray:
    """Cut white margins around the ink (keeps the strip small, Tesseract fast)."""
    ys, xs = np.nonzero(crop < INK)
    if not len(xs):
        return crop
    pad = 6
    y0, y1 = max(0, ys.min() - pad), min(crop.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(crop.shape[1], xs.max() + pad + 1)
    return crop[y0:y1, x0:x1]


def _read_tick(canon: np.ndarray, zone: layout.Zone, reading: PageReading) -> None:
    ratio = _ink_ratio(canon, zone.rect.inset(0.9))
    reading.values[zone.name] = ratio >= (TICK_ON + TICK_OFF) / 2
    reading.confidence[zone.name] = _certainty(ratio, TICK_OFF, TICK_ON)


def _read_signature(canon: np.ndarray, zone: layout.Zone, reading: PageReading) -> None:
    crop = _clean_crop(_crop(canon, zone.rect.inset(1.0)))
    ratio = float((crop < INK).mean()) if crop.size else 0.0
    reading.values["signed"] = ratio >= (SIGN_ON + SIGN_OFF) / 2
    reading.confidence["signed"] = _certainty(ratio, SIGN_OFF, SIGN_ON)


def _certainty(ratio: float, off: float, on: float) -> float:
    """0.95 when clearly outside (off, on); falls to 0.5 at the midpoint between them."""
    if ratio <= off or ratio >= on:
        return 0.95
    middle = (off + on) / 2
    return round(0.5 + 0.45 * abs(ratio - middle) / (middle - off), 3)


@dataclass(frozen=True)
class CombStrip:
    image: Image.Image
    filled: int  # cells holding a character


def _comb_strip(canon: np.ndarray, zone: layout.Zone) -> CombStrip | None:
    """The characters of a comb, cut tight from their cells and set as one word; None if blank.

    Cell edges are dropped and the characters packed at an even pitch, so Tesseract sees an
    ordinary number rather than sixteen one-letter words (which it reads less surely).
    """
    glyphs = []
    for cell in zone.cells:
        crop = _clean_crop(_crop(canon, cell.inset(0.7)), min_area=10)
        if crop.size == 0:
            continue
        columns = np.nonzero((crop < INK).sum(axis=0) > 0)[0]
        if len(columns) == 0 or (crop < INK).sum() < 12:
            continue
        glyphs.append(crop[:, max(0, columns[0] - 1) : columns[-1] + 2])
    if not glyphs:
        return None
    height = max(g.shape[0] for g in glyphs)
    gap = np.full((height, max(3, height // 8)), 255, np.uint8)
    parts = [gap]
    for glyph in glyphs:
        pad = height - glyph.shape[0]
        parts += [np.pad(glyph, ((0, pad), (0, 0)), constant_values=255), gap]
    return CombStrip(Image.fromarray(np.hstack(parts)), len(glyphs))


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
        if _same_text(value, other):
            conf = max(conf, other_conf)
        else:
            reading.warnings.append(f"{name}: read as {value!r} and as {other!r}; check the scan")
            tie, tie_conf = _text_value(name, third, [])
            if _same_text(tie, value):
                conf = min(max(conf, tie_conf), MAJORITY_CONFIDENCE)
            elif _same_text(tie, other):
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


def _same_text(a: str | None, b: str | None) -> bool:
    return (a or "").casefold().split() == (b or "").casefold().split()


def _text_value(name: str, found: ZoneText, warnings: list[str]) -> tuple[str | None, float]:
    """A text zone's value, normalised, and its confidence lowered by the field's own checks."""
    value = normalise_text(name, found.text)
    conf = _ocr_confidence(found)
    if value and name in _NO_SPACES:
        raw = value.replace(" ", "")
        value = fix_register_number(raw)
        if value != raw:  # a look-alike was replaced: right by the numbering rule, not seen
            conf = min(conf, 0.85)
        if not _register_number_ok(value):
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
        if not _EMAIL.match(value):
            conf = min(conf, 0.4)
            warnings.append(f"e-mail {value!r} does not look like an address")
        elif _EMAIL_AMBIGUOUS.search(value.partition("@")[0] + "@"):
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
    if joined and joined.group(2).translate(_MONTH_SLIPS) in _ROMAN_MONTHS:
        parts[-2:-1] = [joined.group(1), joined.group(2)]  # a written '/' read as 'J'
    for i, part in enumerate(parts):
        if re.fullmatch(r"[IVX1l|!]+", part) and re.search(r"[IVX]", part):
            parts[i] = part.translate(_ROMAN_SLIPS)
    if len(parts) >= 3 and re.fullmatch(r"\d{4}", parts[-1]):
        month = parts[-2].translate(_MONTH_SLIPS).upper()
        if month in _ROMAN_MONTHS:
            parts[-2] = month
    if len(parts) >= 3:
        seq = parts[0].translate(_SEQ_SLIPS)
        if seq.isdigit():
            parts[0] = seq
    return "/".join(parts)


def _register_number_ok(number: str) -> bool:
    """Sequence digits first, a Roman month and a four-digit year last."""
    parts = number.split("/")
    return (
        len(parts) >= 3
        and parts[0].isdigit()
        and parts[-2] in _ROMAN_MONTHS
        and re.fullmatch(r"(19|20)\d\d", parts[-1]) is not None
    )


def _ocr_confidence(found: ZoneText) -> float:
    """Mean and weakest word together: one doubtful word makes the whole field doubtful."""
    if not found.words:
        return 0.0
    weakest = min(w.confidence for w in found.words)
    return 0.5 * found.confidence + 0.5 * weakest


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
    conf = _ocr_confidence(found)
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
    elif zone.charset == "phone" and value and not _PHONE.fullmatch(value):
        fixed = fix_phone(value)
        if fixed is None:
            conf = min(conf, 0.4)
            notes.append(f"{name}: {value!r} does not look like a phone number")
        else:
            value, conf = fixed, min(conf, 0.8)
    return value, conf, notes


def fix_phone(digits: str) -> str | None:
    """A phone number whose leading '0' was read as '9' or '8' (the dotted typewriter zero):
    every Indonesian number starts with 0 or 62, so a leading 9 or 8 has one correction only.
    None when that does not make a phone number."""
    if _PHONE.fullmatch(digits):
        return digits
    if digits[:1] in ("8", "9") and _PHONE.fullmatch("0" + digits[1:]):
        return "0" + digits[1:]
    return None


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
