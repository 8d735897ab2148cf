"""Reading a KTP: finding the card (crop, A4 photocopy, photo), its labels, the NIK checks."""

from __future__ import annotations

import dataclasses
import io
import random
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers import card_image, ktp, scan
from parsers.classify import ktp_label_score
from parsers.ocr import Word
from tests.corpus import degrade
from tests.corpus.ktp import render_ktp
from tests.corpus.people import Person, make_person
from tests.specimens import ktp_sample

LETTER_LINE = "Dengan hormat, bersama surat ini kami sampaikan keberatan kami atas"


def _truth(person: Person) -> dict[str, Any]:
    return person.card_truth()


@pytest.fixture(scope="module")
def person() -> Person:
    return make_person(random.Random(2026), outside_province=False)


def test_cropped_card_reads_every_field(person: Person) -> None:
    card = render_ktp(person, dpi=300, seed=1)
    document = ktp.read_ktp(degrade.skew(card, 1.5), page=1)
    assert document.document_type == "id_card"
    assert document.fields == _truth(person)
    assert document.confidence["nik"] >= 0.9
    # the corpus's first family numbers districts in its own order and places villages in
    # other districts than the region list does: those disagreements are warned of, nothing else
    assert [w for w in document.warnings if "region" not in w] == []


def test_bitonal_photocopy_on_a4_is_found_and_every_slip_is_flagged(person: Person) -> None:
    card = render_ktp(person, dpi=300, seed=2)
    page, meta = degrade.photocopy_card(card, random.Random(6), card_dpi=300, dpi=200)
    assert meta["mode"] == "bitonal"
    document = ktp.read_ktp(page, page=3)
    truth = _truth(person)
    wrong = [name for name in truth if document.fields[name] != truth[name]]
    assert len(wrong) <= 2
    assert all(document.confidence.get(name, 0.0) < 0.7 for name in wrong)
    page_no, x0, y0, x1, y1 = document.boxes["name"]
    cx0, cy0, cx1, cy1 = meta["card_at"]
    assert page_no == 3
    assert cx0 <= x0 < x1 <= cx1 and cy0 <= y0 < y1 <= cy1  # mapped back onto the A4 page


def test_phone_photo_of_card_on_a_table_is_read(person: Person) -> None:
    card = render_ktp(person, dpi=300, seed=3)
    photo, _ = degrade.photograph(card, random.Random(8), fill=0.6)
    found = card_image.find_card(photo)
    assert found.method == "quad"
    document = ktp.read_ktp(photo)
    assert document.fields["nik"] == person.nik
    assert document.fields["name"] == person.name


def test_birth_date_disagreeing_with_nik_is_flagged(person: Person) -> None:
    other_day = dataclasses.replace(person, birth_date=person.birth_date + timedelta(days=3))
    document = ktp.read_ktp(render_ktp(other_day, dpi=300, seed=4))
    assert document.fields["nik"] == person.nik
    assert any("birth date" in warning for warning in document.warnings)
    assert document.confidence["nik"] <= 0.4
    assert document.confidence["birth_date"] <= 0.4


def _row(y: int, *texts: str) -> list[Word]:
    words, x = [], 20
    for text in texts:
        words.append(Word(text, 0.95, (x, y, x + 12 * len(text), y + 20), (1, 1, y)))
        x += 12 * len(text) + 14
    return words


def test_labels_are_read_despite_ocr_slips_and_the_blood_type_shares_a_row() -> None:
    words = [
        *_row(10, "PROVINSI", "KALIMANTAN", "BARAT"),
        *_row(50, "KOTA", "PONTIANAK"),
        *_row(100, "NIK", ":", "61710344O59OOOO1"),
        *_row(150, "Nama", ":", "SITI", "RAHAYU"),
        *_row(180, "Tempat/Tgl", "Lahir", ":", "PONTIANAK,", "04-O5-1990"),
        *_row(210, "Jenis", "Kelamin", ":", "PEREMPUAN", "Gol.", "Darah", ":", "0"),
        *_row(240, "Agarna", ":", "ISLAM"),
        *_row(270, "Berlaku", "Hingga", ":", "SEUMUR", "HIDUP"),
    ]
    card = card_image.CardImage(np.full((638, 1011), 255, np.uint8), None, "crop")
    document = ktp.parse_card_words(words, card, page=1)
    fields = document.fields
    assert fields["province"] == "KALIMANTAN BARAT"
    assert fields["regency"] == "KOTA PONTIANAK"
    assert fields["nik"] == "6171034405900001"
    assert fields["birth_place"] == "PONTIANAK"
    assert fields["birth_date"] == "1990-05-04"
    assert fields["sex"] == "PEREMPUAN"
    assert fields["blood_type"] == "O"
    assert fields["religion"] == "ISLAM"
    assert fields["valid_until"] == "SEUMUR HIDUP"  # as printed: not the same as not read
    assert document.confidence["valid_until"] > 0.9
    assert fields["address"] is None and document.confidence["address"] == 0.0
    assert any("address" in warning for warning in document.warnings)


def test_a_blank_page_yields_no_card_candidate() -> None:
    assert card_image.card_candidate(Image.new("L", (1654, 2339), 255)) is None


def test_ktp_label_score_ignores_labels_an_objection_form_shares() -> None:
    form_text = "PROVINSI KALIMANTAN BARAT Nama Alamat RT/RW Pekerjaan Nomor Telepon"
    card_text = "Tempat/Tgl Lahir Jenis Kelamin Gol. Darah Kel/Desa Kecamatan Agama"
    assert ktp_label_score(form_text) == 0
    assert ktp_label_score(card_text) == 6


def test_a_letter_paragraph_on_a4_is_not_taken_for_a_card() -> None:
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    for i in range(8):
        draw.text((160, 300 + 60 * i), LETTER_LINE, font=font, fill=0)
    assert card_image.card_candidate(page) is None


def test_a_card_outline_whose_nik_is_unread_is_read_again_as_a_page() -> None:
    """A small card crop pasted on A4 a quarter turn off: its outline is found (JPEG edges make
    it crisp), but the warped card reads its labels and not its NIK; the whole page reads it."""
    path, truth = ktp_sample()
    page = Image.new("L", (2480, 3508), 255)
    card = Image.open(path).convert("L")
    card.thumbnail((1100, 800))
    page.paste(card, (300, 300))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=80)
    scanned = Image.open(io.BytesIO(buffer.getvalue()))
    assert card_image.card_candidate(scanned) is not None  # the card route is taken first

    [document] = scan.read_scanned_pages([scanned], [1])

    assert (document.document_type, document.fields["nik"]) == ("id_card", truth["nik"])
