"""Scanned bundles to documents: our form, an ID card, a cover sheet and other pages, in order."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
import segno
from PIL import Image, ImageDraw, ImageFont

from parsers.ocr import ocr_words
from parsers.scan import read_scanned_pages
from parsers.upright import updown_score
from ppid.core.settings import Settings
from ppid.output.forms import render_filled_form
from tests.corpus import degrade
from tests.corpus.ktp import render_ktp
from tests.corpus.people import make_objection, make_person
from tests.test_ourform import rasterise

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _letter() -> Image.Image:
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    lines = (
        "SURAT PENGANTAR",
        "Bersama ini kami sampaikan berkas permohonan informasi",
        "yang telah kami terima pada hari Senin pekan lalu.",
        "Berkas ini disimpan sebagai arsip pemohon informasi.",
    )
    for i, line in enumerate(lines):
        draw.text((160, 220 + 70 * i), line, font=font, fill=0)
    return page


def _cover(code: str) -> Image.Image:
    page = Image.new("L", (1654, 2339), 255)
    qr = segno.make(code, error="m")
    symbol = Image.open(_png(qr)).convert("L")
    page.paste(symbol, (600, 900))
    return page


def _png(qr: segno.QRCode) -> io.BytesIO:
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


def test_a_scanned_bundle_splits_into_its_documents(tmp_path: Path) -> None:
    rng = random.Random(99)
    person = make_person(rng, outside_province=False)
    values = make_objection(rng, person)
    pdf = render_filled_form(Settings(home=tmp_path), values, tmp_path / "form.pdf")
    form = rasterise(pdf, 200, tmp_path)
    upside_down = degrade.rotate_quarter(form[1], 180)
    card, _ = degrade.photocopy_card(
        render_ktp(person, dpi=300, seed=1), random.Random(8), card_dpi=300, dpi=200
    )
    pages = [form[0], upside_down, card, _cover("PPIDSEP|batch=3|seq=1"), _letter(), _letter()]

    documents = read_scanned_pages(pages, [1, 2, 3, 4, 5, 6])

    kinds = [(d.document_type, d.pages) for d in documents]
    assert kinds == [
        ("objection_form", [1, 2]),
        ("id_card", [3]),
        ("cover_sheet", [4]),
        ("other", [5, 6]),
    ]
    form_doc, card_doc, cover_doc, other_doc = documents
    assert form_doc.fields["applicant"]["nik"] == person.nik
    assert form_doc.fields["reasons"] == values["reasons"]
    assert form_doc.boxes["signed"][0] == 2
    assert card_doc.fields["nik"] == person.nik
    assert card_doc.boxes["nik"][0] == 3
    assert cover_doc.fields["code"] == "PPIDSEP|batch=3|seq=1"
    assert "SURAT PENGANTAR" in other_doc.text
    assert all(d.method == "ocr" for d in documents)


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_page_is_read_once_the_right_way_up_whichever_way_it_was_scanned(
    turn: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.scan as scan

    reads = []

    def counted(image: Image.Image, **kwargs: object) -> list:
        reads.append(image.size)
        return ocr_words(image, **kwargs)

    monkeypatch.setattr(scan, "ocr_words", counted)  # the real Tesseract, counted
    page = degrade.rotate_quarter(_letter(), turn)

    read = scan._upright_read(page, 1)

    assert len(reads) == 1  # orientation settled without a second full-page reading
    assert read.rotate == turn  # turned counter-clockwise, corrected clockwise
    assert "SURAT PENGANTAR" in "\n".join(line.text for line in read.lines)


def test_the_ascender_balance_tells_upright_print_from_upside_down() -> None:
    grey = np.asarray(_letter())
    assert updown_score(grey) > 0.1  # four lines of print; a full page scores higher
    assert updown_score(np.ascontiguousarray(grey[::-1, ::-1])) < -0.1


def test_dotted_leaders_and_rules_are_blanked_and_the_words_beside_them_kept() -> None:
    from parsers.geometry import erase_leaders

    page = Image.new("L", (1654, 600), 255)
    draw = ImageDraw.Draw(page)
    draw.text((160, 100), "Nama", font=ImageFont.truetype(FONT, 34), fill=0)
    for x in range(400, 1400, 14):  # a dotted leader after the label
        draw.rectangle((x, 125, x + 3, 128), fill=0)
    draw.rectangle((160, 400, 1500, 402), fill=0)  # a ruled writing line
    grey = np.asarray(page)
    cleaned = erase_leaders(grey)
    assert cleaned.dtype == np.uint8 and cleaned.shape == grey.shape
    assert cleaned[120:132, 400:1400].min() == 255  # the dots are gone
    assert cleaned[398:405, 170:1490].min() == 255  # so is the rule (its ends may stay)
    label = np.s_[90:145, 150:300]
    assert (cleaned[label] == grey[label]).all() and grey[label].min() == 0  # the word stays


def test_ink_components_match_opencv_in_16_and_in_32_bits() -> None:
    """`components` labels in 16 bits for speed; a page with more specks than 16 bits can
    number falls back to 32 and still counts every one."""
    import cv2

    from parsers.geometry import components

    grey = np.asarray(_letter())
    ink = (grey < 128).astype(np.uint8)
    count, labels, stats, _ = components(ink)
    want_count, want_labels, want_stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert labels.dtype == np.uint16 and count == want_count > 50
    assert (labels == want_labels).all() and (stats == want_stats).all()
    specks = np.zeros((600, 600), np.uint8)
    specks[::2, ::2] = 1  # 90 000 separate dots
    count, labels, _, _ = components(specks)
    assert count == 90_001 and labels.dtype == np.int32


def test_shrink_averages_like_one_area_resize() -> None:
    import cv2

    from parsers.geometry import shrink

    grey = np.asarray(_letter())
    factor = 600 / grey.shape[1]
    small = shrink(grey, factor)
    direct = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    assert abs(small.shape[0] - direct.shape[0]) <= 1 and abs(small.shape[1] - direct.shape[1]) <= 1
    height, width = min(small.shape[0], direct.shape[0]), min(small.shape[1], direct.shape[1])
    difference = np.abs(small[:height, :width].astype(int) - direct[:height, :width].astype(int))
    assert difference.mean() < 3  # the same picture, up to rounding at the halvings
    assert shrink(grey, 1.0) is grey
