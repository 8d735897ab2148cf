"""The extraction benchmark scores exactly as the office's independent check does."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from tests.corpus.generate import FAMILIES, KINDS, SPLITS, read_truth, split_of

BENCH = Path(__file__).parent.parent / "bench"
SAMPLES = Path(__file__).parent / "corpus" / "samples"
sys.path.insert(0, str(BENCH))

import extract_scoring as scoring  # noqa: E402


def _card() -> dict:
    return next(r for r in read_truth(SAMPLES) if r["kind"] == "ktp_crop")


def _form() -> dict:
    return next(r for r in read_truth(SAMPLES) if r["kind"] == "digital_text")


def _as_output(record: dict, confidence: float | None = 0.95) -> dict:
    documents = []
    for doc in copy.deepcopy(record["documents"]):
        names = scoring.field_names(doc["document_type"])
        doc["confidence"] = {} if confidence is None else dict.fromkeys(names, confidence)
        documents.append(doc)
    return {"file": record["file"], "documents": documents, "error": None}


def _outcomes(record: dict, output: dict) -> dict[str, scoring.Outcome]:
    return {o.name: o for o in scoring.score_file(record, output).outcomes}


def test_text_is_compared_after_nfkd_casefold_and_punctuation_runs():
    assert scoring.normalise("Jl. Veteran No. 5") == scoring.normalise("JL VETERAN NO 5")
    assert scoring.normalise("  Café—Ré  ") == "cafe re"
    assert not scoring.same_value("applicant.address", "Jl. Veteran", "JI. Veteran")
    assert not scoring.same_value("religion", "KATHOLIK", "KATOLIK")
    assert scoring.same_value("proxy.name", None, "")
    assert not scoring.same_value("date", "2026-05-01", "01-05-2026")
    assert not scoring.same_value("applicant.phone", "081234567890", "0812-3456-7890")


def test_case_description_is_right_within_five_percent_character_errors():
    text = "Permohonan saya tentang data koperasi aktif ditolak tanpa alasan yang jelas."
    assert scoring.same_value("case_description", text, text.replace("koperasi", "koperas1"))
    assert not scoring.same_value("case_description", text, text[: len(text) // 2])
    assert scoring.character_error_rate("abcd", "abed") == 0.25


def test_reasons_are_a_set_and_signed_is_exact():
    assert scoring.same_value("reasons", ["c", "e"], ["e", "c"])
    assert not scoring.same_value("reasons", ["c", "e"], ["c"])
    assert not scoring.same_value("signed", True, None)
    assert scoring.same_value("signed", False, False)


def test_a_perfect_reading_scores_every_field_right():
    for record in (_card(), _form()):
        score = scoring.score_file(record, _as_output(record))
        assert all(o.right for o in score.outcomes), record["file"]
        assert score.documents_found == score.documents


def test_a_missing_document_makes_all_its_fields_wrong_even_the_null_ones():
    record = _form()
    score = scoring.score_file(record, {"documents": [], "error": "unreadable"})
    assert score.documents_found == 0
    assert not any(o.right for o in score.outcomes)
    assert not any(o.silent for o in score.outcomes)  # nothing was said, so nothing silently


def test_confidence_is_read_by_dotted_name_only_and_silence_needs_a_value():
    record = _card()
    output = _as_output(record, confidence=None)
    output["documents"][0]["fields"]["nik"] = "6171010101900001"
    output["documents"][0]["fields"]["name"] = None
    output["documents"][0]["confidence"] = {"nik.digits": 0.1}
    outcomes = _outcomes(record, output)
    assert outcomes["nik"].confidence is None and outcomes["nik"].silent
    assert not outcomes["name"].right and not outcomes["name"].silent
    output["documents"][0]["confidence"] = {"nik": 0.69}
    assert not _outcomes(record, output)["nik"].silent
    output["documents"][0]["confidence"] = {"nik": 0.7}
    assert _outcomes(record, output)["nik"].silent


def test_aggregate_counts_silent_errors_flags_and_sure_fields():
    record = _card()
    good = scoring.score_file(record, _as_output(record))
    output = _as_output(record)
    output["documents"][0]["fields"]["religion"] = "KATOLIK X"
    output["documents"][0]["confidence"]["religion"] = 0.5
    output["documents"][0]["fields"]["sex"] = "LAKI"
    flagged_and_silent = scoring.score_file(record, output)
    figures = scoring.aggregate([good, flagged_and_silent])
    fields = len(good.outcomes) * 2
    assert figures["fields"] == fields
    assert figures["silent_errors"] == 1  # sex at 0.95; religion was flagged at 0.5
    assert figures["wrong_flagged"] == pytest.approx(0.5)
    assert figures["sure_accuracy"] == pytest.approx((fields - 2) / (fields - 1))
    assert figures["nik_exact"] == 1.0


def test_handwritten_fields_are_kept_apart():
    record = {**_form(), "handwritten": True}
    output = _as_output(record)
    output["documents"][0]["fields"]["purpose"] = "salah"
    figures = scoring.aggregate([scoring.score_file(record, output)])
    assert figures["typed_accuracy"] is None
    assert figures["field_accuracy"] < 1.0


def test_reliability_bins_cover_every_confidence_none_and_missing_documents():
    record = _card()
    outcomes = scoring.score_file(record, _as_output(record, confidence=None)).outcomes
    rows = {row["bin"]: row for row in scoring.reliability(outcomes)}
    assert rows["none"]["fields"] == len(outcomes) and rows["no document"]["fields"] == 0
    sure = scoring.reliability(scoring.score_file(record, _as_output(record, 1.0)).outcomes)
    assert sure[len(scoring.BINS) - 1]["fields"] == len(outcomes)
    assert sure[len(scoring.BINS) - 1]["accuracy"] == 1.0
    missing = scoring.score_file(record, {"documents": [], "error": None}).outcomes
    rows = {row["bin"]: row for row in scoring.reliability(missing)}
    assert rows["no document"]["fields"] == len(missing) and rows["none"]["fields"] == 0


def test_every_family_is_in_exactly_one_split_and_a_family_is_held_out():
    named = [f for names in SPLITS.values() for f in names]
    assert sorted(named) == sorted(FAMILIES)
    assert all(split_of(f) in ("tuning", "heldout") for f in FAMILIES)
    assert set(FAMILIES["a"].makers) == set(KINDS)
