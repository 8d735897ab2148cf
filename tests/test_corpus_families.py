"""Families b and c of the corpus: real regions, consistent NIKs, printed truth, repeatable."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from parsers.nik import check_nik_against_card, validate_nik
from parsers.regions import region
from tests.corpus.cards import render_card
from tests.corpus.families import FAMILIES, LOOK_B, LOOK_C, SPLITS
from tests.corpus.generate import generate, read_truth
from tests.corpus.offices import make_request, phone_as_written
from tests.corpus.people import flatten
from tests.corpus.residents import make_resident, printed_regency

SAMPLES = Path(__file__).parent / "corpus" / "samples"
TUNING_SAMPLES = SAMPLES / "b"  # a few family-b files for parser regression tests
SAMPLE_KINDS = ("ktp_crop", "ktp_photo", "ktp_photocopy", "digital_text", "fax", "foreign_scan")
sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))

import extract  # noqa: E402  (bench/extract.py)


def _residents(seed: int, n: int) -> list:
    rng = random.Random(seed)
    return [make_resident(rng) for _ in range(n)]


def _letters(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalpha())


def test_resident_niks_name_the_printed_region_and_agree_with_the_card():
    for person in _residents(31, 150):
        assert validate_nik(person.nik) == [], person.nik
        assert check_nik_against_card(person.nik, person.birth_date, person.sex) == []
        district = region(f"{person.nik[:2]}.{person.nik[2:4]}.{person.nik[4:6]}")
        regency = region(f"{person.nik[:2]}.{person.nik[2:4]}")
        assert district is not None and _letters(district.name) == _letters(person.district)
        assert regency is not None and printed_regency(regency) == person.regency


def test_residents_come_from_many_provinces_and_often_from_kalimantan_barat():
    provinces = [p.nik[:2] for p in _residents(32, 200)]
    assert 60 < provinces.count("61") < 140
    assert len(set(provinces)) > 15


def test_card_truth_is_what_the_card_prints():
    for person in _residents(33, 120):
        truth = person.card_truth()
        assert set(truth) == set(ID_CARD_FIELDS)
        assert truth["valid_until"] == "SEUMUR HIDUP" or truth["valid_until"][:2] in ("19", "20")
        assert not truth["province"].startswith("PROVINSI")
    assert any(p.religion == "KATHOLIK" for p in _residents(34, 200))


def test_phones_are_printed_in_several_habits_and_kept_as_digits():
    printed = {phone_as_written("081234567890", random.Random(s)) for s in range(30)}
    assert printed == {"081234567890", "0812-3456-7890", "0812 3456 7890"}
    rng = random.Random(35)
    request = make_request(rng, make_resident(rng))
    assert set(flatten(request)) == set(OBJECTION_FIELDS)
    assert request["applicant"]["phone"].isdigit()


def test_cards_of_both_families_are_legible_to_tesseract(tmp_path: Path):
    for look, seed in ((LOOK_B, 36), (LOOK_C, 37)):
        rng = random.Random(seed)
        person = make_resident(rng)
        image = tmp_path / "card.png"
        render_card(person, look.card, rng)[0].save(image)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        text = subprocess.run(
            ["tesseract", str(image), "-", "--oem", "1", "-l", "ind+eng", "--psm", "6"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        assert person.nik in text.replace(" ", ""), text


def test_every_family_makes_every_kind_and_one_is_held_out():
    assert SPLITS["heldout"] and set(SPLITS["heldout"]).isdisjoint(SPLITS["tuning"])
    for family in FAMILIES.values():
        assert set(family.makers) == set(FAMILIES["a"].makers)


def test_a_family_file_is_the_same_for_the_same_seed(tmp_path: Path):
    first = generate(tmp_path / "1", count=1, seed=5, kinds=("ktp_crop",), families=("b", "c"))
    second = generate(tmp_path / "2", count=1, seed=5, kinds=("ktp_crop",), families=("b", "c"))
    assert first == second
    assert [r["file"] for r in first] == ["b_ktp_crop_000.jpg", "c_ktp_crop_000.jpg"]
    for record in first:
        assert record["family"] in ("b", "c")
        one, two = tmp_path / "1" / record["file"], tmp_path / "2" / record["file"]
        assert one.read_bytes() == two.read_bytes()


def test_committed_tuning_samples_of_family_b_regenerate_byte_for_byte(tmp_path: Path):
    committed = {r["file"]: r for r in read_truth(TUNING_SAMPLES)}
    assert {r["kind"] for r in committed.values()} == set(SAMPLE_KINDS)
    assert {r["family"] for r in committed.values()} == {"b"}
    fresh = generate(tmp_path, count=1, seed=7, kinds=SAMPLE_KINDS[:2], families=("b",), small=True)
    for record in fresh:
        assert committed[record["file"]] == record
        assert (tmp_path / record["file"]).read_bytes() == (
            TUNING_SAMPLES / record["file"]
        ).read_bytes()


def test_all_committed_samples_stay_under_three_megabytes():
    files = [f for f in SAMPLES.rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    assert total <= 3 * 1024 * 1024, f"samples take {total} bytes; keep them under 3 MB"
    families = {r.get("family") for folder in (SAMPLES, TUNING_SAMPLES) for r in read_truth(folder)}
    assert families.isdisjoint(SPLITS["heldout"])


def test_the_bench_keeps_no_held_out_file(tmp_path: Path):
    args = type("Args", (), {"out": tmp_path})()
    with extract.corpus_folder(SPLITS["heldout"][0], args) as folder:
        (folder / "x.jpg").write_bytes(b"x")
        assert tmp_path not in folder.parents
    assert not folder.exists()
    with extract.corpus_folder(SPLITS["tuning"][0], args) as folder:
        assert folder.parent == tmp_path
