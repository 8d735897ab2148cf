"""A scanned Perki form read by OCR: printed tick boxes and a signature leave marks, not symbols."""

from __future__ import annotations

from parsers.labels import objection_from_lines, strip_colon_misread
from parsers.model import Document, TextLine

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
