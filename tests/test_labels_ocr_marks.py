"""A scanned Perki form read by OCR: printed tick boxes and a signature leave marks, not symbols."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from parsers.confidence import doubt_garbled_values
from parsers.field_checks import strip_colon_misread
from parsers.labels import objection_from_lines
from parsers.model import Document, TextLine
from parsers.signature import INK_SIGNED, mark_ink

HEAD = """\
FORMULIR PENGAJUAN KEBERATAN
Identitas Pemohon
Nama : Susanti Bong
NIK : 6172015911009168
Alamat : Gg. Mawar No. 33, Singkawang
B. ALASAN PENGAJUAN KEBERATAN"""
# OCR of seven printed boxes, b and f ticked: empty boxes read as brackets ('L]', 'CJ'), ticked
# ones vanish or merge with their letter ('Bk'); a line's letter may be misread ('8.' for g).
REASONS = """\
L] a. Permohonan informasi ditolak
b. Informasi berkala tidak disediakan
CJ c. Permintaan informasi tidak ditanggapi
Ll d. Permintaan informasi ditanggapi tidak sebagaimana yang diminta
L_] e. Permintaan informasi tidak dipenuhi
f. Pengenaan biaya yang tidak wajar
CJ 8. Penyampaian informasi yang melebihi waktu yang diatur"""
CLOSING = """\
C. KASUS POSISI
Permohonan saya tidak ditanggapi.
Singkawang, 13 Juni 2026
Mengetahui, Pengaju Keberatan
Petugas Informasi
(Penerima Keberatan){marks}
(Susanti Bong)"""


def _ocr_lines(text: str, confidence: float = 0.9) -> list[TextLine]:
    rows = text.splitlines()
    return [
        TextLine(row, 1, (100.0, 40.0 * i, 1500.0, 40.0 * i + 30), confidence)
        for i, row in enumerate(rows)
    ]


def _read(reasons: str, marks: str, confidence: float = 0.9) -> Document:
    text = "\n".join((HEAD, reasons, CLOSING.format(marks=marks)))
    return objection_from_lines(_ocr_lines(text, confidence), method="ocr")


def test_unmarked_boxes_read_as_brackets_are_not_ticked() -> None:
    document = _read(REASONS, " SJ WM")
    assert document.fields["reasons"] == ["b", "f"]
    assert 0.7 <= document.confidence["reasons"] < 0.9  # judged from marks: good, not certain


def test_a_box_and_letter_read_as_one_mark_is_unclear_and_says_so() -> None:
    document = _read(REASONS.replace("L] a.", "Wa"), "")
    assert document.fields["reasons"] == ["b", "f"]
    assert document.confidence["reasons"] < 0.7


def test_marks_under_the_closing_words_mean_a_signature_and_none_mean_unsigned() -> None:
    signed = _read(REASONS, " SJ WM")
    assert signed.fields["signed"] is True and signed.confidence["signed"] < 0.7
    unsigned = _read(REASONS, "")
    assert unsigned.fields["signed"] is False
    text_layer = _read(REASONS, " SJ WM", confidence=1.0)  # typed text is no ink
    assert text_layer.fields["signed"] is False


def test_a_colon_misread_before_a_value_is_dropped_only_where_the_form_is_known() -> None:
    assert strip_colon_misread("applicant.name", "1. Fadli Syarifudin") == "Fadli Syarifudin"
    assert strip_colon_misread("applicant.phone", "1: 08964822771") == "08964822771"
    assert strip_colon_misread("request_number", "1 077/PPID/VI/2026") == "077/PPID/VI/2026"
    assert strip_colon_misread("applicant.address", "> Jl. Mawar 3") == "Jl. Mawar 3"
    assert strip_colon_misread("case_description", "1 hal") == "1 hal"


def test_a_roman_month_with_a_one_for_an_i_is_read_as_the_month() -> None:
    lines = _ocr_lines(
        "\n".join(("Nomor Pendaftaran Permohonan : 180/PPID/V1/2026", HEAD, REASONS))
    )
    assert objection_from_lines(lines, method="ocr").fields["request_number"] == "180/PPID/VI/2026"


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
REASON_TEXTS = [line.split(None, 1)[1] for line in REASONS.splitlines()]  # 'a. Permohonan …'


def _inked_page(ticked: set[str], signed: bool, tick: str = "X") -> tuple[np.ndarray, list]:
    """A 200 dpi page of printed tick boxes (some ticked) and a closing, and OCR lines of it
    as Tesseract gives them: boxes vanished or read as junk, the signature not read at all."""
    page = Image.new("L", (1654, 1400), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 26)
    lines = []
    for i, text in enumerate(REASON_TEXTS):
        y = 100 + 45 * i
        draw.rectangle((160, y + 2, 188, y + 30), outline=0, width=2)
        letter = "abcdefg"[i]
        if letter in ticked:
            draw.text((166, y + 2), tick, font=font, fill=0)
        draw.text((205, y), text, font=font, fill=0)
        junk = "" if letter in ticked else "L] "  # how OCR reads the boxes
        lines.append(TextLine(junk + text, 1, (205.0 - 30 * bool(junk), y, 1300.0, y + 30), 0.9))
    closing = [
        ("Pontianak, 13 Juni 2026", 500),
        ("Pengaju Keberatan", 560),
        ("(Susanti Bong)", 760),
    ]
    for text, y in closing:
        draw.text((1100, y), text, font=font, fill=0)
        lines.append(TextLine(text, 1, (1100.0, y, 1100.0 + 14 * len(text), y + 30), 0.9))
    if signed:
        draw.line([(1110 + 12 * k, 680 - 40 * (k % 3 == 1)) for k in range(20)], fill=0, width=4)
    return np.asarray(page), lines


def test_tick_boxes_and_the_signature_are_judged_from_the_ink_on_the_page() -> None:
    grey, lines = _inked_page({"b", "f"}, signed=True)
    marked = mark_ink(lines, grey)
    assert [line.text[0] for line in marked[:7]] == ["☐", "☑", "☐", "☐", "☐", "☑", "☐"]
    assert marked[0].text == "☐ a. Permohonan informasi ditolak"  # the OCR junk is gone
    head = _ocr_lines(HEAD)
    document = objection_from_lines([*head, *(_below(line, 400) for line in marked)], "ocr")
    assert document.fields["reasons"] == ["b", "f"]
    assert document.confidence["reasons"] >= 0.9  # the boxes themselves were seen
    assert document.fields["signed"] is True and document.confidence["signed"] >= 0.9
    assert INK_SIGNED not in document.text


def test_an_unsigned_scan_is_unsigned_with_confidence_and_a_tick_style_does_not_matter() -> None:
    grey, lines = _inked_page({"g"}, signed=False, tick="✓")
    marked = mark_ink(lines, grey)
    assert [line.text[0] for line in marked[:7]] == ["☐"] * 6 + ["☑"]
    document = objection_from_lines([*_ocr_lines(HEAD), *(_below(ln, 400) for ln in marked)])
    assert document.fields["reasons"] == ["g"]
    # unsigned as measured, but a person confirms before the citizen is asked to sign
    assert document.fields["signed"] is False and 0.5 <= document.confidence["signed"] < 0.7


def test_a_reason_line_without_a_printed_box_is_left_as_read() -> None:
    grey = np.full((400, 1654), 255, np.uint8)  # a letter: reasons listed, no boxes
    line = TextLine("a. Permohonan informasi ditolak", 1, (205.0, 100.0, 900.0, 130.0), 0.9)
    assert mark_ink([line], grey) == [line]


def _below(line: TextLine, dy: float) -> TextLine:
    x0, y0, x1, y1 = line.box
    return TextLine(line.text, line.page, (x0, y0 + dy, x1, y1 + dy), line.confidence)


def test_a_value_with_ocr_debris_in_it_is_never_sure() -> None:
    fields = {"name": "SITI AMINAH", "address": "1? JL. MERDEKA NO. 12A", "occupation": "PETANI"}
    card = Document("id_card", [1], "ocr", fields=fields, confidence=dict.fromkeys(fields, 0.9))
    doubt_garbled_values(card)
    assert card.confidence["address"] < 0.7
    assert card.confidence["name"] == card.confidence["occupation"] == 0.9
    typed = Document("id_card", [1], "text", fields=fields, confidence=dict.fromkeys(fields, 0.9))
    doubt_garbled_values(typed)  # a text layer's characters are the writer's own
    assert typed.confidence["address"] == 0.9
