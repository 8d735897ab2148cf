"""An ID card's NIK settled: look-alikes repaired from the card's print, a doubtful one reread."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import cv2
import numpy as np
from PIL import Image

from parsers import nik as nikmod
from parsers.card_image import CardImage
from parsers.ktp_values import mean_confidence, words_text
from parsers.model import Document
from parsers.ocr import DIGITS, Word, ocr_zones, words_box

log = logging.getLogger(__name__)


NIK_SURE = 0.8  # Tesseract's NIK word confidence from which one reading is trusted


AMBIGUOUS_CONFIDENCE = 0.5  # the NIK and the birth date disagree and either may be misread


NIK_LANG = "ind"  # digits need no second model; loading one costs more than reading the zone


@dataclasses.dataclass
class NikRead:
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


def settle_nik(
    fields: dict[str, Any],
    confidence: dict[str, float],
    warnings: list[str],
    read: NikRead,
    region_code: str | None,
) -> None:
    """Repair the NIK's look-alike digits that the card's places and birth date settle."""
    if not read.words:
        return
    read.expected = nikmod.expected_digits(fields["birth_date"], fields["sex"], region_code)
    read.repair = nikmod.repair_nik(words_text(read.words), read.expected)
    if read.repair.nik is None or not read.repair.notes:
        return
    fields["nik"] = read.repair.nik
    confidence["nik"] = round(min(0.8, mean_confidence(read.words)), 3)
    warnings.extend(read.repair.notes)
    if read.repair.ambiguous:  # the NIK or the birth date is misread: a person decides
        read.expected = {p: d for p, d in read.expected.items() if p not in read.repair.ambiguous}
        for name in ("nik", "birth_date"):
            confidence[name] = min(confidence.get(name, 1.0), AMBIGUOUS_CONFIDENCE)


def reread_nik(document: Document, read: NikRead, card: CardImage) -> None:
    """A doubtful NIK is read again from its zone (two preparations, one Tesseract call, digits
    only) and the three readings vote digit by digit; a disputed digit lowers the confidence."""
    x0, y0, x1, y1 = (round(v) for v in words_box(read.words))
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


def cross_check_card(
    fields: dict[str, Any],
    confidence: dict[str, float],
    warnings: list[str],
    region_agrees: bool,
) -> None:
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
    elif fields["birth_date"] and fields["sex"] and region_agrees:
        # A valid NIK whose region digits name the card's places and whose date and sex digits
        # match its birth date and sex has been read right but for its serial: better evidence
        # than Tesseract's score.
        confidence["nik"] = max(confidence["nik"], 0.9)
    if not problems and not nikmod.district_known(fields["nik"]):
        confidence["nik"] = min(confidence["nik"], 0.6)
        warnings.append(f"NIK {fields['nik']}: its district code is not on the list of regions")
