"""What a field's confidence means: the chance it is right, and never certainty about nothing.

A field's confidence is set in two stages. First the readers' evidence rules: how sure Tesseract
was, whether two readings agreed, whether the NIK matches the card's birth date and region, and
the doubt rules here (not found, empty, garbled), which cap a value without support below 0.7.
Then the fitted table `parsers/data/calibration.json` (made by `bench/calibrate.py` on the
tuning corpus) maps that score, per field type and reading method, to the share of values with
such a score that were right, taken at a lower bound so that scarce evidence is not trusted.
The number a caller sees is that estimate: the chance the value is right as printed. The table
only maps scores of 0.7 and up; a score a rule put below 0.7 can go down, never up, so a value
without support still goes to a person.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS, Document

FLAG_BELOW = 0.7  # a value below this goes to a person
NOT_FOUND = 0.3  # a field whose label, zone or line was never seen
EMPTY_AT_MOST = 0.5  # a field seen empty: likely blank, but a person glances at it
GARBLED_AT_MOST = 0.6  # a read value holding characters no such value is written with

# Characters OCR leaves where it could not read (no name, address, number or place has them);
# an e-mail's '_' and a prose field's punctuation are the writer's own.
_OCR_DEBRIS = re.compile(r"[?_|~{}\[\]<>\\]")
_PROSE = ("case_description", "purpose", "applicant.email", "signed", "reasons")


def doubt_garbled_values(document: Document) -> None:
    """A value OCR read with debris in it ('1? JL. MERDEKA', 'NO. 108A_') is damaged however
    sure Tesseract was of its other letters."""
    if document.method != "ocr":
        return
    names = {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(
        document.document_type, ()
    )
    for name in names:
        value = _value(document.fields, name)
        if name in _PROSE or not isinstance(value, str) or not _OCR_DEBRIS.search(value):
            continue
        seen = document.confidence.get(name, 1.0)
        document.confidence[name] = round(min(seen, GARBLED_AT_MOST), 3)


def doubt_empty_fields(document: Document) -> None:
    """A null (or empty) field is reported as doubtful, never as surely absent: an unread
    value and a blank one look the same, and 'certainly empty' would never be checked."""
    names = {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(
        document.document_type, ()
    )
    for name in names:
        if _value(document.fields, name) in (None, "", []):
            seen = document.confidence.get(name, NOT_FOUND)
            document.confidence[name] = round(min(seen, EMPTY_AT_MOST), 3)


def _value(fields: dict[str, Any], name: str) -> Any:
    group, _, leaf = name.partition(".")
    if not leaf:
        return fields.get(group)
    inner = fields.get(group)
    return inner.get(leaf) if isinstance(inner, dict) else None


# --- the fitted table ----------------------------------------------------------------------------

# The field types the table is kept by: fields of one type are read the same way and go wrong
# the same ways (a NIK's digits, a person's name, a place from the region list, ...).
FIELD_TYPES: dict[str, str] = {
    "nik": "nik",
    "applicant.nik": "nik",
    "name": "name",
    "applicant.name": "name",
    "proxy.name": "name",
    "birth_date": "date",
    "date": "date",
    "response_date": "date",
    "valid_until": "date",
    "birth_place": "place",
    "place": "place",
    "province": "place",
    "regency": "place",
    "district": "place",
    "village": "place",
    "address": "address",
    "applicant.address": "address",
    "proxy.address": "address",
    "rt_rw": "address",
    "registration_number": "number",
    "request_number": "number",
    "applicant.email": "contact",
    "applicant.phone": "contact",
    "proxy.phone": "contact",
    "occupation": "occupation",
    "applicant.occupation": "occupation",
    "reasons": "choice",
    "signed": "choice",
    "sex": "choice",
    "blood_type": "choice",
    "religion": "choice",
    "marital_status": "choice",
    "nationality": "choice",
    "purpose": "prose",
    "case_description": "prose",
}
TYPES: tuple[str, ...] = tuple(dict.fromkeys(FIELD_TYPES.values()))
# How a value was read, as the table tells them apart: typed into a PDF, or read from pixels.
READ_BY: dict[str, str] = {"acroform": "text", "text": "text", "ocr": "ocr"}
READINGS: tuple[str, ...] = ("text", "ocr")
CALIBRATION_FILE = "calibration.json"

Steps = tuple[tuple[float, float], ...]  # (score from, chance right), ascending


@dataclass(frozen=True)
class CalibrationTable:
    """Per field type and reading, a step map from the rules' score to the chance of being right."""

    maps: dict[str, dict[str, Steps]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalibrationTable:
        """The table from its JSON form; a malformed table is refused with what is wrong."""
        maps: dict[str, dict[str, Steps]] = {}
        for field_type in TYPES:
            by_reading = data.get("maps", {}).get(field_type)
            if not isinstance(by_reading, dict):
                raise ValueError(f"{CALIBRATION_FILE}: no map for the field type {field_type!r}")
            maps[field_type] = {
                reading: _steps(by_reading.get(reading), f"{field_type}/{reading}")
                for reading in READINGS
            }
        return cls(maps)

    def chance(self, name: str, reading: str, score: float) -> float | None:
        """The chance a value of field `name` read by `reading` with this score is right
        (None for a field the table does not cover); below FLAG_BELOW never above the score."""
        field_type = FIELD_TYPES.get(name)
        if field_type is None or reading not in READINGS:
            return None
        steps = self.maps[field_type][reading]
        index = bisect_right([start for start, _ in steps], score) - 1
        chance = steps[max(index, 0)][1]
        return chance if score >= FLAG_BELOW else min(chance, score)


def _steps(raw: Any, where: str) -> Steps:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{CALIBRATION_FILE}: {where} has no steps")
    steps = tuple((float(start), float(chance)) for start, chance in raw)
    starts = [start for start, _ in steps]
    chances = [chance for _, chance in steps]
    if starts[0] != 0.0 or starts != sorted(set(starts)):
        raise ValueError(f"{CALIBRATION_FILE}: {where} must start at 0 and rise")
    if chances != sorted(chances) or not all(0.0 <= c <= 1.0 for c in chances):
        raise ValueError(f"{CALIBRATION_FILE}: {where} must be monotone within [0, 1]")
    return steps


@cache
def fitted_table() -> CalibrationTable:
    """The packaged table, read once per process."""
    raw = resources.files("parsers").joinpath("data", CALIBRATION_FILE).read_text("utf-8")
    return CalibrationTable.from_json(json.loads(raw))


def calibrate(document: Document, table: CalibrationTable | None = None) -> None:
    """The last confidence stage: every read value's score becomes the table's chance that it is
    right. Empty values keep their doubt; a score under FLAG_BELOW is never lifted."""
    table = table or fitted_table()
    reading = READ_BY.get(document.method, "")
    for name, score in document.confidence.items():
        if _value(document.fields, name) in (None, "", []):
            continue
        chance = table.chance(name, reading, score)
        if chance is not None:
            document.confidence[name] = round(chance, 3)
