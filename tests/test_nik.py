"""NIK rules: structure, region codes, the +40 date for women, OCR repair, card cross-checks."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.field_checks import validate_value
from parsers.nik import (
    FEMALE,
    MALE,
    check_nik_against_card,
    check_niks_match,
    correct_ocr_nik,
    district_known,
    nik_info,
    validate_nik,
)

# Synthetic: Kota Pontianak (6171), district 05, born 5 Dec 1990 (+40 → woman), serial 0003.
WOMAN = "6171054512900003"
# Sambas (6101), district 02, born 17 Aug 1985, man, serial 0421.
MAN = "6101021708850421"


def test_a_kalbar_nik_tells_region_birth_date_and_sex() -> None:
    info = nik_info(WOMAN)
    assert info is not None
    assert (info.province, info.regency, info.district_code) == (
        "Kalimantan Barat",
        "Kota Pontianak",
        "05",
    )
    assert info.birth_date == date(1990, 12, 5)
    assert info.sex == FEMALE
    man = nik_info(MAN)
    assert man is not None and man.sex == MALE and man.birth_date == date(1985, 8, 17)


def test_a_nik_from_any_province_is_named_from_the_region_list() -> None:
    info = nik_info("3171011503920001")  # DKI Jakarta, Jakarta Pusat, synthetic
    assert info is not None
    assert (info.province, info.regency) == (
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Pusat",
    )
    papua = nik_info("9103011503920001")
    assert papua is not None and papua.province == "Papua"


def test_a_district_the_list_lacks_is_known_as_such() -> None:
    assert district_known(WOMAN)
    assert not district_known("6171951503920001")  # Kota Pontianak has no district 95
    assert validate_nik("6171951503920001") == []  # doubtful, not impossible


def test_a_form_nik_whose_district_the_list_lacks_is_never_sure() -> None:
    factor, notes, nik = validate_value("applicant.nik", "6171951503920001", ocr=False)
    assert nik == "6171951503920001" and factor < 0.7 and "district" in notes[0]
    assert validate_value("applicant.nik", WOMAN, ocr=False)[0] == 1.0


@pytest.mark.parametrize(
    ("nik", "problem"),
    [
        ("617105451290000", "16 digits"),
        ("9971054512900003", "province code 99"),
        ("6155054512900003", "regency code 55"),
        ("6165054512900003", "regency code 65"),
        ("6171003112900003", "district code 00"),
        ("6171053102900003", "not a valid date"),
        ("6171057212900003", "not a valid date"),
        ("6171054512900000", "serial 0000"),
    ],
)
def test_structural_faults_are_named(nik: str, problem: str) -> None:
    problems = validate_nik(nik)
    assert any(problem in p for p in problems), problems
    assert nik_info(nik) is None


def test_ocr_letters_are_fixed_when_only_one_reading_validates() -> None:
    nik, confidence, warnings = correct_ocr_nik("6I7l O545 l29O OOO3")
    assert nik == WOMAN
    assert 0.5 <= confidence < 1.0
    assert "corrected" in warnings[0]


def test_letters_that_could_be_two_digits_in_the_serial_are_flagged_not_guessed() -> None:
    nik, confidence, warnings = correct_ocr_nik("6171054512900Q03")  # Q: 0 or 9, both valid
    assert nik is None and confidence == 0.0
    assert "ambiguous" in warnings[0]


def test_ambiguity_resolved_by_the_date_part() -> None:
    # 'T' may be 7 or 1: month "1T" is 11 (17 is no month), month "T2" is 12 (72 is none).
    assert correct_ocr_nik("617105451T900003")[0] == "6171054511900003"
    assert correct_ocr_nik("61710545T2900003")[0] == WOMAN


def test_clean_digits_pass_and_bad_digits_are_returned_with_low_confidence() -> None:
    assert correct_ocr_nik(WOMAN) == (WOMAN, 1.0, [])
    nik, confidence, warnings = correct_ocr_nik("6171059912900003")
    assert nik == "6171059912900003" and confidence < 0.5 and warnings
    assert correct_ocr_nik("61710545129")[0] is None


def test_card_birth_date_and_sex_must_agree_with_the_nik() -> None:
    assert check_nik_against_card(WOMAN, date(1990, 12, 5), "PEREMPUAN") == []
    assert check_nik_against_card(WOMAN, "1990-12-05", "Perempuan") == []
    date_problem = check_nik_against_card(WOMAN, date(1990, 12, 6), "PEREMPUAN")
    assert len(date_problem) == 1 and "birth date" in date_problem[0]
    sex_problem = check_nik_against_card(WOMAN, date(1990, 12, 5), "LAKI-LAKI")
    assert len(sex_problem) == 1 and "sex" in sex_problem[0]


def test_form_and_card_nik_must_match() -> None:
    assert check_niks_match(WOMAN, WOMAN) == []
    assert check_niks_match(WOMAN, None) == []
    assert "differs" in check_niks_match(WOMAN, MAN)[0]
