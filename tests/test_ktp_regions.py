"""The card's places against the Kemendagri region list and its own NIK.

Unit tests on the snapping rules, and the card classes on the committed samples of a tuning
family (tests/corpus/samples/b): other provinces, KTP-el spellings, `SEUMUR HIDUP`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from parsers import card_image, ktp
from parsers.extract import extract_file
from parsers.ktp_regions import regency_word, snap_places, weigh_places
from parsers.ocr import Word
from parsers.regions import respell, snap

SAMPLES = Path(__file__).parent / "corpus" / "samples" / "b"
CARDS = [
    json.loads(line)
    for line in (SAMPLES / "truth.jsonl").read_text().splitlines()
    if json.loads(line)["documents"][0]["document_type"] == "id_card"
]


def test_a_damaged_name_snaps_to_the_list_and_keeps_the_print_s_layout() -> None:
    found = snap("SAMBA5", "regency", "61")
    assert found is not None and found.region.code == "61.01" and found.sure(0.75)
    assert respell("BENUA MELAYU LAUI", "Benuamelayu Laut") == "BENUA MELAYU LAUT"
    assert respell("1? DESAY", "Desay") == "DESAY"
    assert respell("KALIMANT AN BARAT", "Kalimantan Barat") == "KALIMANTAN BARAT"


def test_a_province_is_matched_as_cards_print_it() -> None:
    found = snap("DKI JAKARTA", "province")
    assert found is not None and found.region.code == "31" and found.name == "DKI JAKARTA"


def test_the_regency_keeps_its_printed_word_and_picks_the_city_or_the_regency() -> None:
    assert regency_word("KABUPATFN SAMBAS") == ("KABUPATEN", False, "SAMBAS")
    assert regency_word("JAKARTA SELATAN") == (None, None, "JAKARTA SELATAN")
    for read, code, printed in (
        ("KOTA SEMARANG", "33.74", "KOTA SEMARANG"),
        ("KABUPATEN SEMARANG", "33.22", "KABUPATEN SEMARANG"),
        ("KABUPATEN SAMBA5", "61.01", "KABUPATEN SAMBAS"),
    ):
        province = "JAWA TENGAH" if code.startswith("33") else "KALIMANTAN BARAT"
        fields = {"province": province, "regency": read, "district": None, "village": None}
        places = snap_places(fields)
        assert places.found["regency"].region.code == code
        assert fields["regency"] == printed


def test_a_place_the_nik_contradicts_or_the_list_lacks_is_never_sure() -> None:
    fields = {
        "province": "KALIMANTAN BARAT",
        "regency": "KABUPATEN SAMBAS",
        "district": "SEBUAH NAMA KARANGAN",
        "village": None,
    }
    confidence = dict.fromkeys(fields, 0.95)
    warnings: list[str] = []
    agree = weigh_places(snap_places(fields), "6102011708850421", confidence, warnings)
    assert not agree  # the NIK's 6102 is Mempawah, the header says Sambas
    assert confidence["regency"] < 0.7 and confidence["district"] < 0.7
    assert any("NIK names" in w for w in warnings)


def test_a_village_the_list_repaired_has_no_witness_and_is_never_sure() -> None:
    fields = {
        "province": "KALIMANTAN BARAT",
        "regency": "KABUPATEN SAMBAS",
        "district": "SAMBA5",  # repaired, and the NIK's 610101 names the same district
        "village": "LUBUK DAGAN6",  # repaired among its district's villages, nothing to check it
    }
    confidence = dict.fromkeys(fields, 0.95)
    places = snap_places(fields)
    assert places.found["village"].region.name == "Lubuk Dagang"
    assert weigh_places(places, "6101011708850421", confidence, [])
    assert 0.7 <= confidence["district"] < 0.9
    assert confidence["village"] < 0.7


def _row(y: int, *texts: str) -> list[Word]:
    words, x = [], 20
    for text in texts:
        words.append(Word(text, 0.95, (x, y, x + 12 * len(text), y + 20), (1, 1, y)))
        x += 12 * len(text) + 14
    return words


@pytest.mark.parametrize(
    ("second_line", "regency"),
    [
        (("KABUPATEN", "SAMBAS"), "KABUPATEN SAMBAS"),
        (("KABUPATFN", "SAMBA5"), "KABUPATEN SAMBAS"),  # damaged word and name
        ((",", "SAMBAS"), "KABUPATEN SAMBAS"),  # its word lost to a speck
    ],
)
def test_the_line_under_the_province_is_the_regency_whatever_it_opens_with(
    second_line: tuple[str, ...], regency: str
) -> None:
    words = [
        *_row(10, "PROVINSI", "KALIMANTAN", "BARAT"),
        *_row(50, *second_line),
        *_row(100, "NIK", ":", "6101021708850421"),
        *_row(150, "Nama", ":", "BUDI", "SANTOSO"),
        *_row(180, "Tempat/Tgl", "Lahir", ":", "SAMBAS,", "17-08-1985"),
        *_row(210, "Jenis", "Kelamin", ":", "LAKI-LAKI", "Gol.", "Darah", ":", "O"),
        *_row(240, "Agama", ":", "KATHOLIK"),
        *_row(270, "Berlaku", "Hingga", ":", "SEUMUR", "HIDUP"),
    ]
    card = card_image.CardImage(np.full((638, 1011), 255, np.uint8), None, "crop")
    document = ktp.parse_card_words(words, card, page=1)
    assert document.fields["province"] == "KALIMANTAN BARAT"
    assert document.fields["regency"] == regency
    assert document.fields["religion"] == "KATHOLIK"  # as the card prints it
    assert document.fields["valid_until"] == "SEUMUR HIDUP"


@pytest.fixture(scope="module")
def read_cards() -> list[tuple[dict, dict, dict]]:
    out = []
    for record in CARDS:
        [document] = [
            d for d in ktp_documents(SAMPLES / record["file"]) if d.document_type == "id_card"
        ]
        out.append((record["documents"][0]["fields"], document.fields, document.confidence))
    return out


def ktp_documents(path: Path) -> list:
    return extract_file(path).documents


def test_every_card_of_the_tuning_samples_is_found_and_its_nik_read(read_cards) -> None:
    assert len(read_cards) == len(CARDS)
    for truth, got, confidence in read_cards:
        assert got["nik"] == truth["nik"]
        assert confidence["nik"] >= 0.9


def test_cards_print_their_places_and_validity_as_read(read_cards) -> None:
    for truth, got, _ in read_cards:
        for name in ("province", "regency", "valid_until", "religion"):
            if got[name] is not None:
                assert got[name] == truth[name], name


def test_no_card_value_is_wrong_and_sure(read_cards) -> None:
    for truth, got, confidence in read_cards:
        for name, want in truth.items():
            if got[name] not in (None, "") and got[name] != want:
                assert confidence[name] < 0.7, (name, want, got[name])
