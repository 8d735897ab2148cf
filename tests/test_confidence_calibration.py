"""The fitted confidence table: well-formed, applied as it says, never lifting a doubted value."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from parsers.confidence import (
    FIELD_TYPES,
    FLAG_BELOW,
    READINGS,
    TYPES,
    CalibrationTable,
    calibrate,
    fitted_table,
)
from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS, Document

SCORES = [i / 100 for i in range(101)]


def _table(**maps: dict[str, list[list[float]]]) -> CalibrationTable:
    """A table giving every type a neutral map unless told otherwise."""
    neutral = [[0.0, 0.0], [0.5, 0.5], [0.9, 0.9]]
    return CalibrationTable.from_json(
        {"maps": {t: maps.get(t, {r: neutral for r in READINGS}) for t in TYPES}}
    )


def test_every_field_of_the_contract_has_a_field_type() -> None:
    assert set(FIELD_TYPES) == set(OBJECTION_FIELDS) | set(ID_CARD_FIELDS)


def test_the_packaged_table_covers_every_type_and_reading_monotone_within_0_and_1() -> None:
    raw = json.loads(resources.files("parsers").joinpath("data", "calibration.json").read_text())
    assert raw["command"].startswith(".venv/bin/python bench/calibrate.py")
    assert set(raw["maps"]) == set(TYPES)
    table = fitted_table()
    for field_type in TYPES:
        for reading in READINGS:
            steps = table.maps[field_type][reading]
            starts, chances = zip(*steps, strict=True)
            assert starts[0] == 0.0 and list(starts) == sorted(set(starts)), (field_type, reading)
            assert list(chances) == sorted(chances), (field_type, reading)
            assert all(0.0 <= c <= 1.0 for c in chances), (field_type, reading)


def test_the_packaged_table_never_lifts_a_score_below_the_flag() -> None:
    table = fitted_table()
    for name in FIELD_TYPES:
        for reading in READINGS:
            for score in (s for s in SCORES if s < FLAG_BELOW):
                assert table.chance(name, reading, score) <= score, (name, reading, score)


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([[0.0, 0.9], [0.8, 0.6]], "monotone"),
        ([[0.0, 0.1], [0.8, 1.2]], "monotone"),
        ([[0.1, 0.5]], "start at 0"),
        ([], "no steps"),
    ],
)
def test_a_malformed_table_is_refused_with_what_is_wrong(steps: list, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _table(nik={"text": steps, "ocr": [[0.0, 0.5]]})
    with pytest.raises(ValueError, match="'prose'"):
        everything_but_prose = {t: {r: [[0.0, 0.5]] for r in READINGS} for t in TYPES[:-1]}
        CalibrationTable.from_json({"maps": everything_but_prose})


def test_the_stage_maps_each_value_as_the_table_says() -> None:
    table = _table(
        nik={"ocr": [[0.0, 0.0], [0.7, 0.62], [0.9, 0.97]], "text": [[0.0, 0.99]]},
        name={"ocr": [[0.0, 0.95]], "text": [[0.0, 0.95]]},
    )
    fields = {"nik": "6171054512900003", "name": "RINA", "address": None, "sex": "PEREMPUAN"}
    confidence = {"nik": 0.95, "name": 0.6, "address": 0.3, "sex": 0.92}
    card = Document("id_card", [1], "ocr", fields, dict(confidence))
    calibrate(card, table)
    assert card.confidence["nik"] == 0.97  # the step its score falls in
    assert card.confidence["name"] == 0.6  # doubted by a rule: the table does not lift it
    assert card.confidence["address"] == 0.3  # nothing read: its doubt is kept
    assert card.confidence["sex"] == 0.9  # the neutral map's step at 0.9
    sure_but_often_wrong = Document("id_card", [1], "ocr", fields, {"nik": 0.8})
    calibrate(sure_but_often_wrong, table)
    assert sure_but_often_wrong.confidence["nik"] == 0.62  # now flagged for a person
    typed = Document("id_card", [1], "text", fields, {"nik": 1.0})
    calibrate(typed, table)
    assert typed.confidence["nik"] == 0.99  # the text layer's own map


def test_values_capped_by_a_doubt_rule_stay_below_the_flag_with_the_packaged_table() -> None:
    fields = {
        "applicant": {"nik": "6171054512900003", "name": "RINA", "email": None},
        "registration_number": "1 Nomor Registrasi Permohonan 008",
        "reasons": ["c"],
    }
    capped = {
        "applicant.nik": 0.5,  # disagrees with the card
        "applicant.name": 0.55,  # merged rows
        "applicant.email": 0.3,  # not found
        "registration_number": 0.4,  # label words in the value
        "reasons": 0.69,
    }
    for method in ("acroform", "text", "ocr"):
        form = Document("objection_form", [1], method, fields, dict(capped))
        calibrate(form)
        assert all(form.confidence[name] < FLAG_BELOW for name in capped), method
