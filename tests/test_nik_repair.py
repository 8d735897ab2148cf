"""Repairing a photocopied card's NIK from the card's own print, and voting several readings."""

from __future__ import annotations

from datetime import date

from parsers.nik import expected_digits, repair_nik, vote_niks

# Synthetic: Kabupaten Mempawah (6102), district 04, a woman born 18 Jul 1961, serial 9287.
NIK = "6102045807619287"
CARD = expected_digits(date(1961, 7, 18), "PEREMPUAN", "61.02")


def test_the_card_header_and_birth_date_fix_twelve_digits() -> None:
    assert dict(enumerate("6102", 0)) | dict(zip(range(6, 12), "580761", strict=True)) == CARD
    assert expected_digits(None, None, "31.74.01") == dict(enumerate("317401"))


def test_a_dotted_zero_read_as_six_is_repaired_where_the_card_settles_it() -> None:
    repair = repair_nik("6102045867619287", CARD)
    assert repair.nik == NIK and repair.changed == (8,) and repair.notes


def test_a_digit_the_card_contradicts_otherwise_stays_as_read_for_the_cross_check() -> None:
    repair = repair_nik("6102045817619287", CARD)  # '1' is no look-alike of '0'
    assert repair.nik == "6102045817619287" and repair.changed == ()


def test_an_impossible_district_is_repaired_only_when_one_reading_fits() -> None:
    assert repair_nik("6102945807619287", CARD).nik == NIK  # district 94 → 04
    assert repair_nik("6102985807619287", CARD).changed == ()  # 98 → 08 or 06: unsure


def test_the_colon_read_as_a_seventeenth_digit_is_dropped() -> None:
    repair = repair_nik(": 16102045807619287", CARD)
    assert repair.nik == NIK and repair.notes


def test_the_serial_is_never_guessed_and_votes_need_a_majority() -> None:
    assert repair_nik("6102045807619887", CARD).nik == "6102045807619887"
    assert vote_niks([NIK, NIK, "6102045807619887"]) == (NIK, (13,))
    assert vote_niks([NIK, "6102045807619887"]) == (None, (13,))
    assert vote_niks(["", "123"]) == (None, ())


def test_a_look_alike_pair_between_the_nik_and_the_printed_birth_date_is_left_to_a_person() -> None:
    # The NIK says born 1986 (…0986…); the birth date line was read "14-09-1936". In the card's
    # body font 8 and 3 are look-alikes, so the date may be the misread one: nothing is changed.
    card = expected_digits(date(1936, 9, 14), "PEREMPUAN", "61.05")
    repair = repair_nik("6105035409865734", card)
    assert repair.nik == "6105035409865734" and repair.changed == ()
    assert repair.ambiguous == (10,) and "digit 11" in repair.notes[0]
    # a dotted zero read as 6 is no body-font look-alike of the date's 0: still repaired
    assert repair_nik("6102045867619287", CARD).ambiguous == ()
