"""Foreign-layout forms and letters of a tuning family read as the office scores them.

The committed samples of family b (tests/corpus/samples/b) use other offices' wordings and
layouts: a ruled or label-colon-value table with numbered rows, labels and values wrapped over two
lines, ticks painted as filled boxes, typed letters with the request number in prose.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from parsers.extract import extract_file
from parsers.label_words import label_of

SAMPLES = Path(__file__).parent / "corpus" / "samples" / "b"
TRUTH = {r["file"]: r for r in map(json.loads, (SAMPLES / "truth.jsonl").read_text().splitlines())}
FORMS = sorted(
    f for f, r in TRUTH.items() if r["documents"][0]["document_type"] == "objection_form"
)
KEY_FIELDS = (
    "request_number",
    "purpose",
    "applicant.name",
    "applicant.nik",
    "applicant.address",
    "applicant.phone",
    "applicant.email",
)


def normalised(value: Any) -> str:
    """As the office compares: NFKD, case-folded, runs of other than 0-9a-z one space."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(sorted(value))
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def flat(fields: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        elif value is None and key == "proxy":
            out.update({f"proxy.{leaf}": None for leaf in ("name", "address", "phone")})
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.fixture(scope="module")
def read() -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, float]]]:
    """Each form sample: (truth, what was read, confidences), fields by dotted name."""
    out = {}
    for name in FORMS:
        [document] = [
            d for d in extract_file(SAMPLES / name).documents if d.document_type == "objection_form"
        ]
        truth = flat(TRUTH[name]["documents"][0]["fields"])
        out[name] = (truth, flat(document.fields), document.confidence)
    return out


@pytest.mark.parametrize("name", FORMS)
def test_the_key_fields_of_a_foreign_form_are_read_as_printed(name: str, read) -> None:
    truth, got, _ = read[name]
    wrong = {
        f: (truth[f], got[f]) for f in KEY_FIELDS if normalised(truth[f]) != normalised(got[f])
    }
    assert not wrong


def test_a_digital_foreign_form_is_read_whole(read) -> None:
    [name] = [f for f in FORMS if f.endswith(".pdf") and "digital" in f]
    truth, got, _ = read[name]
    assert {f: got[f] for f in truth if normalised(truth[f]) != normalised(got[f])} == {}


@pytest.mark.parametrize("name", FORMS)
def test_no_value_read_is_label_text(name: str, read) -> None:
    _, got, _ = read[name]
    for field, value in got.items():
        if isinstance(value, str) and len(value.split()) <= 6:
            assert label_of(value) is None, (field, value)


@pytest.mark.parametrize("name", FORMS)
def test_fields_not_found_are_null_with_low_confidence(name: str, read) -> None:
    _, got, confidence = read[name]
    for field, value in got.items():
        if value in (None, "", []) and field in confidence:
            assert confidence[field] < 0.7, field
