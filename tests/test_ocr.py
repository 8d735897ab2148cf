"""The Tesseract wrapper: batched zones, whitelists, lines, orientation, time limits."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers import field_checks, ocr
from parsers.ocr import Word

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SENTENCES = (
    "Permohonan informasi publik kami ajukan pada bulan Maret.",
    "Sampai hari ini belum ada tanggapan dari badan publik.",
    "Kami meminta salinan laporan keuangan koperasi tahun lalu.",
    "Dokumen tersebut diperlukan untuk penelitian mahasiswa.",
    "Petugas meja layanan menyarankan agar kami menunggu.",
    "Keberatan ini diajukan sesuai Undang-Undang Nomor 14.",
    "Mohon agar keberatan kami diperiksa oleh atasan PPID.",
    "Terima kasih atas perhatian Bapak dan Ibu sekalian.",
)


def _text(text: str, size: int = 30, width: int = 900) -> Image.Image:
    image = Image.new("L", (width, size * 2), 255)
    ImageDraw.Draw(image).text((10, size // 2), text, font=ImageFont.truetype(FONT, size), fill=0)
    return image


def _page(lines: int = 8) -> Image.Image:
    """A 200 dpi A4 page of varied Indonesian prose (varied so no column of letters lines up)."""
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 32)
    for i in range(lines):
        draw.text((150, 200 + 70 * i), SENTENCES[i % len(SENTENCES)], font=font, fill=0)
    return page


def test_zones_batched_into_one_call_come_back_to_their_own_zone() -> None:
    crops = {
        "applicant.name": _text("Siti Rahayu"),
        "applicant.address": _text("Jl. Merdeka No. 12, Pontianak", width=700),
        "place": _text("Sanggau", size=40),
        "blank": Image.new("L", (300, 50), 255),
    }
    read = ocr.ocr_zones(crops)
    assert read["applicant.name"].text == "Siti Rahayu"
    assert read["applicant.address"].text == "Jl. Merdeka No. 12, Pontianak"
    assert read["place"].text == "Sanggau"
    assert read["blank"].text == "" and read["blank"].confidence == 0.0
    assert read["place"].confidence > 0.8
    assert all(w.box[1] >= -5 for w in read["applicant.address"].words)  # zone coordinates


def test_digit_whitelist_keeps_the_spaces_between_groups() -> None:
    read = ocr.ocr_zones({"phone": _text("0812 3456 7890")}, psm=7, whitelist=ocr.DIGITS)
    assert read["phone"].text == "0812 3456 7890"


def test_a_label_and_its_far_away_value_are_one_line() -> None:
    words = [
        Word("Nama", 0.9, (100, 100, 180, 130), (1, 1, 1)),
        Word(":", 0.9, (700, 102, 706, 128), (2, 1, 1)),
        Word("Siti", 0.9, (720, 101, 790, 129), (2, 1, 1)),
        Word("Alamat", 0.9, (100, 150, 210, 180), (1, 1, 2)),
    ]
    lines = ocr.words_to_lines(words, page=2)
    assert [line.text for line in lines] == ["Nama : Siti", "Alamat"]
    assert lines[0].page == 2
    assert lines[0].box == (100.0, 100.0, 790.0, 130.0)
    assert [line.text for line in ocr.words_to_lines(words, page=2, max_gap=5)][:2] == [
        "Nama",
        ": Siti",
    ]


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_boxes_on_the_upright_page_map_back_to_the_scan(rotate: int) -> None:
    scan = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(scan).rectangle((50, 20, 129, 59), fill=0)
    upright = ocr.rotate_upright(scan, rotate)
    box = Image.eval(upright, lambda v: 255 - v).getbbox()
    assert box is not None
    assert ocr.unrotate_box(box, rotate, scan.size) == (50.0, 20.0, 130.0, 60.0)


def test_a_page_turned_a_quarter_is_detected_and_a_blank_one_is_not() -> None:
    turned = _page().transpose(Image.Transpose.ROTATE_90)  # counter-clockwise on the scanner
    assert ocr.detect_rotation(turned) == 90
    assert ocr.detect_rotation(Image.new("L", (1654, 2339), 255)) is None


def test_upside_down_print_reads_with_low_quality() -> None:
    page = _page(lines=4).crop((100, 150, 1500, 500))
    upright = ocr.reading_quality(ocr.ocr_words(page))
    upside_down = ocr.reading_quality(ocr.ocr_words(page.transpose(Image.Transpose.ROTATE_180)))
    assert upright > 0.85
    assert upside_down < 0.6


def test_a_tesseract_run_past_its_time_limit_is_an_ocr_error() -> None:
    with pytest.raises(ocr.OcrError, match="longer than"):
        ocr.ocr_words(_page(), timeout=0.01)


def test_address_abbreviations_get_their_period_back() -> None:
    fixed = field_checks.fix_abbreviation_commas("JL, RAYA NO, 68, KEC, DEDAI")
    assert fixed == "JL. RAYA NO. 68, KEC. DEDAI"
    assert (
        field_checks.fix_abbreviation_commas("SUNGAI RAYA, KUBU RAYA") == "SUNGAI RAYA, KUBU RAYA"
    )
