"""Reading our printed form from scans: alignment on its marks, zones, confidences, boxes."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from parsers import alignment, field_checks, ourform, zone_images
from parsers import form_layout as layout
from parsers.model import Document
from parsers.ocr import Word, ZoneText
from ppid.core.settings import Settings
from ppid.output.forms import render_filled_form
from tests.corpus import degrade
from tests.corpus.people import make_objection, make_person

FIELDS = (
    "registration_number",
    "request_number",
    "purpose",
    "applicant.name",
    "applicant.nik",
    "applicant.address",
    "applicant.occupation",
    "applicant.phone",
    "applicant.email",
    "reasons",
    "case_description",
    "place",
    "date",
    "signed",
)


def _value(fields: dict[str, Any], dotted: str) -> Any:
    group, _, leaf = dotted.partition(".")
    return (fields.get(group) or {}).get(leaf) if leaf else fields.get(group)


def _same(read: Any, truth: Any) -> bool:
    if isinstance(truth, str) and isinstance(read, str):
        return " ".join(read.split()).upper() == " ".join(truth.split()).upper()
    return read == truth


def rasterise(pdf: Path, dpi: int, work: Path, *, grey: bool = False) -> list[Image.Image]:
    """Print-and-scan stand-in: every page of `pdf` drawn at `dpi` by pdftoppm."""
    prefix = work / f"{pdf.stem}-{dpi}"
    mode = ["-gray"] if grey else []
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", *mode, str(pdf), str(prefix)], check=True)
    pages = sorted(work.glob(f"{prefix.name}-*.png"))
    images = []
    for path in pages:
        with Image.open(path) as image:
            images.append(image.copy())
    return images


def _read(pages: list[Image.Image]) -> Document:
    readings = []
    for number, page in enumerate(pages, start=1):
        reading = ourform.read_our_form(page, number)
        assert reading is not None, f"page {number} was not recognised as our form"
        readings.append(reading)
    return ourform.form_document(readings)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One synthetic objection rendered typed and by hand, rasterised at 200 and 300 dpi."""
    work = tmp_path_factory.mktemp("ourform")
    rng = random.Random(4242)
    values = make_objection(rng, make_person(rng))
    values["proxy"] = None
    settings = Settings(home=work)
    typed = render_filled_form(settings, values, work / "typed.pdf", style="typed")
    neat = render_filled_form(settings, values, work / "neat.pdf", style="hand", font="Comic Neue")
    messy = render_filled_form(
        settings, values, work / "messy.pdf", style="hand", font="DkgHandwriting"
    )
    return {
        "values": values,
        "typed200": rasterise(typed, 200, work),
        "typed300": rasterise(typed, 300, work, grey=True),
        "neat200": rasterise(neat, 200, work),
        "messy200": rasterise(messy, 200, work),
    }


def test_typed_scan_turned_a_quarter_reads_every_field(filled: dict[str, Any]) -> None:
    rng = random.Random(1)
    pages = [
        degrade.scan(page, rng, src_dpi=200, dpi=200, mode="color", rotation=90, max_skew=1)[0]
        for page in filled["typed200"]
    ]
    document = _read(pages)
    assert document.document_type == "objection_form"
    assert document.method == "ocr"
    assert document.pages == [1, 2]
    wrong = [
        name
        for name in FIELDS
        if not _same(_value(document.fields, name), _value(filled["values"], name))
    ]
    assert wrong == []
    assert document.fields["proxy"] is None
    assert document.confidence["applicant.nik"] >= 0.9


def test_boxes_point_at_the_ink_in_the_original_image(filled: dict[str, Any]) -> None:
    page = degrade.rotate_quarter(filled["typed200"][0], 90)
    document = _read([page])
    number, x0, y0, x1, y1 = document.boxes["applicant.nik"]
    assert number == 1
    assert x1 - x0 < y1 - y0  # the comb row runs down the turned page
    crop = np.asarray(page.convert("L").crop((round(x0), round(y0), round(x1), round(y1))))
    assert (crop < 100).mean() > 0.02  # the digits are inside the box
    assert any("page 2" in warning for warning in document.warnings)


def test_skewed_bitonal_scan_reads_nik_ticks_and_signature(filled: dict[str, Any]) -> None:
    rng = random.Random(7)
    pages = []
    for page in filled["typed300"]:
        skewed = degrade.skew(page, 3.5)
        pages.append(degrade.bitonal(skewed, rng, threshold=160))
    document = _read(pages)
    values = filled["values"]
    assert document.fields["applicant"]["nik"] == values["applicant"]["nik"]
    assert document.fields["reasons"] == values["reasons"]
    assert document.fields["signed"] is True
    assert document.fields["date"] == values["date"]
    assert document.confidence["reasons"] >= 0.9


@pytest.mark.parametrize(("hand", "least_right"), [("neat200", 10), ("messy200", 0)])
def test_hand_filled_form_flags_every_field_it_misread(
    filled: dict[str, Any], hand: str, least_right: int
) -> None:
    rng = random.Random(3)
    pages = [
        degrade.scan(page, rng, src_dpi=200, dpi=200, mode="grey", rotation=0)[0]
        for page in filled[hand]
    ]
    document = _read(pages)
    right = 0
    for name in FIELDS:
        read, truth = _value(document.fields, name), _value(filled["values"], name)
        if _same(read, truth):
            right += 1
        else:
            assert document.confidence[name] < 0.7, f"{name}: {read!r} ≠ {truth!r}, not flagged"
        assert name in document.boxes, f"{name} has no box for the review screen"
    assert right >= least_right
    assert any("by hand" in warning for warning in document.warnings)


def test_a_page_without_our_marks_is_not_our_form() -> None:
    page = Image.new("L", (1654, 2339), 255)
    assert alignment.align(page) is None
    assert ourform.read_our_form(page, 1) is None


def test_comb_date_rejects_impossible_dates() -> None:
    assert ourform._comb_date("31122026") == "2026-12-31"
    assert ourform._comb_date("31022026") is None
    assert ourform._comb_date("3112202") is None


def test_ink_certainty_is_low_between_empty_and_ticked() -> None:
    assert ourform._certainty(0.0, 0.03, 0.10) == 0.95
    assert ourform._certainty(0.5, 0.03, 0.10) == 0.95
    assert ourform._certainty(0.065, 0.03, 0.10) == 0.5


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("201/PPID-DKUKM/11/2026", "201/PPID-DKUKM/II/2026"),  # a Roman month, never digits
        ("212/PPID-DKUKM/T/2026", "212/PPID-DKUKM/I/2026"),
        ("057/PPID-DKUKM/VITI/2026", "057/PPID-DKUKM/VIII/2026"),
        ("196/PPID-DKUKM/JII/2026", "196/PPID-DKUKM/III/2026"),  # serifed I as J
        ("130/KEB/PPID-DKUKM/X1/2026", "130/KEB/PPID-DKUKM/XI/2026"),
        ("Q06/PPID-DKUKM/IV/2026", "006/PPID-DKUKM/IV/2026"),  # the sequence is digits
        ("201/PPID-DKUKM/II/2026", "201/PPID-DKUKM/II/2026"),
        ("021/KEB/PPID-DKUKMJII/2026", "021/KEB/PPID-DKUKM/II/2026"),  # handwritten '/' as 'J'
        ("201/PPID-DKUKM/1111/2026", "201/PPID-DKUKM/1111/2026"),  # no month: left to review
    ],
)
def test_register_number_look_alikes_are_fixed_only_into_a_valid_month(
    read: str, fixed: str
) -> None:
    assert field_checks.fix_register_number(read) == fixed


def test_text_normalisation_restores_typed_punctuation() -> None:
    assert ourform.normalise_text(
        "applicant.address", "JL. KOM, YOS  SUDARSO NO, 7 , RT/RW 001 / 002"
    ) == ("JL. KOM. YOS SUDARSO NO. 7 , RT/RW 001/002")
    assert ourform.normalise_text("case_description", "DITOLAK TANPA ALASAN,") == (
        "DITOLAK TANPA ALASAN."
    )
    assert ourform.normalise_text("applicant.name", "ABDUL,") == "ABDUL,"  # not a sentence
    assert ourform.normalise_text("purpose", "DATA A, B DAN C") == "DATA A, B DAN C"
    assert ourform.normalise_text("place", "   ") is None


def _zone_text(text: str, confidence: float) -> ZoneText:
    words = tuple(
        Word(w, confidence, (10 * i, 0, 10 * i + 8, 10), (1, 1, 1))
        for i, w in enumerate(text.split())
    )
    return ZoneText(text, confidence, words)


@pytest.mark.parametrize(
    ("read", "value", "flagged"),
    [
        ("siti.hasan@example.org", "siti.hasan@example.org", False),
        ("Siti.Hasan67@Example.org", "siti.hasan67@example.org", False),
        ("ajun1l@example.org", "ajun1l@example.org", True),  # 1 or l? nothing tells
        ("hendraw1jaya60@example.com", "hendraw1jaya60@example.com", True),
        ("lie8@@example.net", "lie8@example.net", True),
        ("siti hasan@example.org", "siti_hasan@example.org", False),
    ],
)
def test_email_is_lower_cased_and_doubtful_strokes_lower_its_confidence(
    read: str, value: str, flagged: bool
) -> None:
    reading = ourform.PageReading(1, 1)
    ourform._store_text("applicant.email", _zone_text(read, 0.96), reading)
    assert reading.values["applicant.email"] == value
    assert (reading.confidence["applicant.email"] < 0.7) is flagged


def _store_place(first: str, second: str, third: str) -> ourform.PageReading:
    reading = ourform.PageReading(1, 1)
    more = (_zone_text(second, 0.93), _zone_text(third, 0.8))
    ourform._store_text("applicant.address", _zone_text(first, 0.85), reading, more)
    return reading


def test_two_readings_that_agree_keep_the_surer_confidence() -> None:
    agree = _store_place("KOTA PONTIANAK", "KOTA PONTIANAK", "KOTA PONT IANAK")
    assert agree.values["applicant.address"] == "KOTA PONTIANAK"
    assert agree.confidence["applicant.address"] == 0.93


def test_a_third_reading_settles_two_that_differ_below_high_confidence() -> None:
    settled = _store_place("KOTA PONTIANAK", "KOTA PONT IANAK", "KOTA PONTIANAK")
    assert settled.values["applicant.address"] == "KOTA PONTIANAK"
    assert 0.7 <= settled.confidence["applicant.address"] < 0.9
    assert any("PONT IANAK" in warning for warning in settled.warnings)


def test_three_readings_that_all_differ_are_merged_word_by_word_and_flagged() -> None:
    # each reading has one slip; the other two outvote it word by word
    merged = _store_place(
        "RT/RW 003/006 BANGKA, KOTA PONTIANAK",
        "RT/RW 003/006, BANGKA, KOTA PONT IANAK",
        "RT/RW 003/006, BANGKA, KOTA PONTIANAK.",
    )
    assert merged.values["applicant.address"] == "RT/RW 003/006, BANGKA, KOTA PONTIANAK"
    assert merged.confidence["applicant.address"] < 0.7


def test_a_dotted_zero_loses_its_dot_and_nothing_else_does() -> None:
    crop = np.full((30, 60), 255, np.uint8)
    cv2.ellipse(crop, (12, 15), (6, 10), 0, 0, 360, 0, 2)  # a zero ...
    crop[13:17, 11:14] = 0  # ... with its dot
    cv2.rectangle(crop, (30, 5), (40, 25), 0, 2)  # a box-like O with nothing inside
    crop[5:25, 48:50] = 0  # an I
    clean = zone_images.drop_enclosed_dots(crop)
    assert (clean[13:17, 11:14] == 255).all()
    assert (clean != crop).sum() == 12
    ink_kept = (clean < 128).sum()
    assert ink_kept == (crop < 128).sum() - 12


def test_typed_digits_read_two_ways_that_differ_are_flagged() -> None:
    zone = layout.ZONES["date"]
    digits = {"date": _zone_text("17072026", 0.94), "date\twide": _zone_text("11072026", 0.9)}
    reading = ourform.PageReading(2, 1)
    ourform._store_digits("date", digits, zone, 8, reading)
    assert reading.values["date"] == "2026-07-17"
    assert reading.confidence["date"] < 0.7
    agreed = ourform.PageReading(2, 1)
    digits["date\twide"] = _zone_text("17072026", 0.9)
    ourform._store_digits("date", digits, zone, 8, agreed)
    assert agreed.confidence["date"] == 0.94


def test_a_leading_zero_read_as_nine_is_the_only_phone_number_it_can_be() -> None:
    assert field_checks.fix_phone("98128782808") == "08128782808"
    assert field_checks.fix_phone("88128782808") == "08128782808"
    assert field_checks.fix_phone("08128782808") == "08128782808"
    assert field_checks.fix_phone("71287828") is None
    assert field_checks.fix_phone("9812") is None  # too short for a number either way


def test_cleaning_a_zone_drops_specks_but_keeps_the_dot_of_an_i() -> None:
    crop = np.full((40, 80), 255, np.uint8)
    crop[14:30, 20:23] = 0  # the stem of an i
    crop[9:11, 20:22] = 0  # its dot: four pixels, under the speck size
    crop[5:7, 60:62] = 0  # a speck of scanner dust, nothing below it
    clean = zone_images.clean_crop(crop)
    assert clean[9:11, 20:22].max() == 0  # the dot stays
    assert clean[5:7, 60:62].min() == 255  # the dust goes
    assert clean[14:30, 20:23].max() == 0


def test_a_faint_underscore_between_letters_is_put_back() -> None:
    raw = np.full((40, 120), 255, np.uint8)
    raw[10:28, 10:30] = 0  # letters
    raw[10:28, 60:80] = 0
    raw[27:28, 38:52] = 170  # an underscore, grey once warped down: not ink by the threshold
    raw[20:21, 90:110] = 170  # any short faint level run apart from letters counts (a hyphen)…
    raw[27:28, 30:34] = 170  # …but grey that touches a letter is the letter's own edge
    clean = zone_images.clean_crop(raw)
    assert clean[27, 38:52].min() == 255  # the threshold lost it
    restored = zone_images.restore_underscores(raw, clean)
    assert restored[27, 38:52].max() == 0
    assert restored[20, 90:110].max() == 0
    assert restored[27, 30:34].min() == 255
    assert (restored[10:28, 10:30] == 0).all()
