"""The synthetic corpus: deterministic for a seed, valid NIKs, truth in the contract's shape."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from parsers.nik import check_nik_against_card, validate_nik
from tests.corpus.generate import KINDS, fields_on_pages, generate, read_truth
from tests.corpus.ktp import card_size, render_ktp
from tests.corpus.people import flatten, make_objection, make_person, nik_is_valid, title_case

SAMPLES = Path(__file__).parent / "corpus" / "samples"
SAMPLE_SEED = 7  # the seed documented in tests/corpus/README.md
FAST_KINDS = ("ktp_crop", "ktp_photocopy")


def _people(seed: int, n: int) -> list:
    rng = random.Random(seed)
    return [make_person(rng) for _ in range(n)]


def test_every_generated_nik_passes_the_parsers_validator():
    for person in _people(11, 400):
        assert nik_is_valid(person.nik), person.nik
        assert validate_nik(person.nik) == [], person.nik


def test_nik_date_and_sex_agree_with_the_card():
    for person in _people(12, 200):
        assert check_nik_against_card(person.nik, person.birth_date, person.sex) == []


def test_women_have_forty_added_to_the_nik_day():
    people = _people(13, 200)
    women = [p for p in people if p.sex == "PEREMPUAN"]
    men = [p for p in people if p.sex == "LAKI-LAKI"]
    assert women and men
    assert all(int(p.nik[6:8]) == p.birth_date.day + 40 for p in women)
    assert all(int(p.nik[6:8]) == p.birth_date.day for p in men)


def test_most_people_live_in_kalimantan_barat_and_a_few_elsewhere():
    provinces = [p.nik[:2] for p in _people(14, 300)]
    assert provinces.count("61") > 240
    assert set(provinces) - {"61"}


def test_nik_validator_rejects_bad_numbers():
    assert not nik_is_valid("6171010101900000")  # serial 0000
    assert not nik_is_valid("6171013202900001")  # day 32
    assert not nik_is_valid("617101010190001")  # 15 digits


def test_same_seed_gives_the_same_people():
    assert [p.to_json() for p in _people(5, 20)] == [p.to_json() for p in _people(5, 20)]
    assert [p.nik for p in _people(5, 20)] != [p.nik for p in _people(6, 20)]


def test_truth_fields_use_the_contract_names():
    rng = random.Random(3)
    person = make_person(rng)
    assert set(person.id_card_fields()) == set(ID_CARD_FIELDS)
    assert set(flatten(make_objection(rng, person))) == set(OBJECTION_FIELDS)


def test_fields_off_the_photographed_page_become_null():
    rng = random.Random(4)
    fields = make_objection(rng, make_person(rng))
    page_one = fields_on_pages(fields, {1})
    assert page_one["applicant"]["nik"] == fields["applicant"]["nik"]
    assert page_one["reasons"] is None
    assert page_one["signed"] is None
    assert page_one["case_description"] is None


def test_card_has_the_id1_size():
    width, height = card_size(300)
    assert (width, height) == (1011, 638)
    assert render_ktp(_people(1, 1)[0], dpi=300).size == (width, height)


def test_generator_is_deterministic_for_a_seed(tmp_path: Path):
    first = generate(tmp_path / "a", count=1, seed=3, kinds=FAST_KINDS)
    second = generate(tmp_path / "b", count=1, seed=3, kinds=FAST_KINDS)
    assert first == second
    for record in first:
        a = (tmp_path / "a" / record["file"]).read_bytes()
        assert a == (tmp_path / "b" / record["file"]).read_bytes(), record["file"]
    other = generate(tmp_path / "c", count=1, seed=4, kinds=("ktp_crop",))
    assert other[0]["documents"] != first[0]["documents"]


def test_truth_jsonl_round_trips(tmp_path: Path):
    records = generate(tmp_path, count=2, seed=2, kinds=("ktp_crop",))
    assert read_truth(tmp_path) == json.loads(json.dumps(records))


def test_unknown_kind_is_refused(tmp_path: Path):
    with pytest.raises(RuntimeError, match="unknown kind"):
        generate(tmp_path, count=1, seed=1, kinds=("polaroid",))


def test_committed_samples_cover_every_kind_within_budget():
    records = read_truth(SAMPLES)
    assert {r["kind"] for r in records} == set(KINDS)
    files = [SAMPLES / r["file"] for r in records]
    assert all(f.exists() for f in files)
    total = sum(f.stat().st_size for f in SAMPLES.iterdir())
    assert total <= 3 * 1024 * 1024, f"samples take {total} bytes; keep them under 3 MB"
    for record in records:
        for doc in record["documents"]:
            if doc["document_type"] == "id_card":
                assert set(doc["fields"]) == set(ID_CARD_FIELDS)
            elif doc["document_type"] == "objection_form":
                assert set(flatten(doc["fields"])) == set(OBJECTION_FIELDS)
    acroform = next(r for r in records if r["kind"] == "digital_acroform")
    assert acroform["documents"][0]["fields"]["signed"] is False  # no signature field to fill


def test_committed_card_samples_regenerate_byte_for_byte(tmp_path: Path):
    fresh = generate(tmp_path, count=1, seed=SAMPLE_SEED, kinds=("ktp_crop",), small=True)
    committed = {r["file"]: r for r in read_truth(SAMPLES)}
    for record in fresh:
        assert committed[record["file"]] == record
        assert (tmp_path / record["file"]).read_bytes() == (SAMPLES / record["file"]).read_bytes()


def test_a_clean_card_is_legible_to_tesseract(tmp_path: Path):
    person = _people(21, 1)[0]
    image = tmp_path / "card.png"
    render_ktp(person, dpi=300).save(image)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    text = subprocess.run(
        ["tesseract", str(image), "-", "--oem", "1", "-l", "ind+eng", "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert person.nik in text.replace(" ", "")
    assert "KALIMANTAN BARAT" in text


def test_written_addresses_keep_roman_numerals_upper_case():
    assert title_case("JL. PARIT H. HUSIN II NO. 4") == "Jl. Parit H. Husin II No. 4"
    assert title_case("PELAJAR/MAHASISWA") == "Pelajar/Mahasiswa"
