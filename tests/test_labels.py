"""Label-based reading of objection forms and letters from text lines (text layer or OCR)."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.dates import parse_date
from parsers.form_rows import pair_label_rows
from parsers.labels import objection_from_lines
from parsers.model import OBJECTION_FIELDS, TextLine
from parsers.signature import INK_SIGNED

PERKI_FORM = """\
FORMULIR KEBERATAN
A. INFORMASI PENGAJU KEBERATAN
Nomor Registrasi Keberatan : ....................
Nomor Pendaftaran Permohonan Informasi : 045/PPID-DKUKM/X/2026
Tujuan Penggunaan Informasi : Bahan penelitian tentang koperasi
Identitas Pemohon
Nama : Rina Contoh Sari
NIK : 6171054512900003
Alamat : Jl. Contoh Raya No. 12, RT 003/RW 004
         Kelurahan Sungai Bangkong, Pontianak
Pekerjaan : Mahasiswa
Nomor Telepon : 0812-3456-7890
E-mail : rina.contoh@example.org
Identitas Kuasa Pemohon
Nama : Dedi Contoh Kuasa
Alamat : Jl. Percobaan No. 3, Pontianak
Nomor Telepon : 0813 1111 2222
B. ALASAN PENGAJUAN KEBERATAN
[ ] a. Permohonan Informasi ditolak
[ ] b. Informasi berkala tidak disediakan
[x] c. Permintaan informasi tidak ditanggapi
[ ] d. Permintaan informasi ditanggapi tidak sebagaimana yang diminta
[x] e. Permintaan informasi tidak dipenuhi
[ ] f. Pengenaan biaya yang tidak wajar
[ ] g. Penyampaian informasi yang melebihi waktu yang diatur
C. KASUS POSISI
Permohonan tanggal 1 September 2026 belum dijawab
sampai batas waktu sepuluh hari kerja.
D. Hari/Tanggal tanggapan atas keberatan akan diberikan : Senin, 23 November 2026
Demikian keberatan ini saya sampaikan.
Pontianak, 12 Oktober 2026
Pengaju Keberatan
(Rina Contoh Sari)
"""

TYPED_LETTER = """\
Perihal : Keberatan atas Permohonan Informasi
Kepada Yth. Atasan PPID Dinas Koperasi dan UKM Provinsi Kalimantan Barat
Dengan hormat,
Yang bertanda tangan di bawah ini:
Nama : Budi Contoh Santoso
NIK : 6101021708850421
Alamat : Dusun Percobaan RT 01/RW 02, Sambas
Pekerjaan : Wiraswasta
No. HP : 0812 9999 0000
E-mail : budi.contoh@example.net
dengan ini mengajukan keberatan atas permohonan informasi nomor 077/PPID/IX/2026
karena permintaan informasi tidak ditanggapi dalam waktu sepuluh hari kerja.
Demikian surat keberatan ini saya sampaikan.
Sambas, 3 November 2026
Hormat saya,
ttd
Budi Contoh Santoso
"""


def lines_of(text: str, confidence: float = 1.0, page: int = 1) -> list[TextLine]:
    """One TextLine per text line, 6 pt per character, 14 pt per line: a stand-in text layer."""
    lines = []
    for row, raw in enumerate(text.splitlines()):
        indent = len(raw) - len(raw.lstrip())
        if raw.strip():
            box = (40.0 + 6 * indent, 40.0 + 14 * row, 40.0 + 6 * len(raw), 52.0 + 14 * row)
            lines.append(TextLine(raw.strip(), page, box, confidence))
    return lines


def test_perki_form_fields_are_read_by_their_labels() -> None:
    doc = objection_from_lines(lines_of(PERKI_FORM))
    fields = doc.fields
    assert doc.document_type == "objection_form" and doc.method == "text"
    assert fields["registration_number"] is None
    assert fields["request_number"] == "045/PPID-DKUKM/X/2026"
    assert fields["purpose"] == "Bahan penelitian tentang koperasi"
    assert fields["applicant"] == {
        "name": "Rina Contoh Sari",
        "nik": "6171054512900003",
        "address": "Jl. Contoh Raya No. 12, RT 003/RW 004 Kelurahan Sungai Bangkong, Pontianak",
        "occupation": "Mahasiswa",
        "phone": "081234567890",  # phones as their digits
        "email": "rina.contoh@example.org",
    }
    assert fields["proxy"] == {
        "name": "Dedi Contoh Kuasa",
        "address": "Jl. Percobaan No. 3, Pontianak",
        "phone": "081311112222",
    }
    assert fields["reasons"] == ["c", "e"]
    assert fields["case_description"] == (
        "Permohonan tanggal 1 September 2026 belum dijawab sampai batas waktu sepuluh hari kerja."
    )
    assert fields["response_date"] == "2026-11-23"
    assert (fields["place"], fields["date"]) == ("Pontianak", "2026-10-12")
    assert fields["signed"] is False  # '(name)' is printed whether signed or not; ink is unseen
    assert doc.confidence["signed"] <= 0.5
    assert set(doc.confidence) == set(OBJECTION_FIELDS)


@pytest.mark.parametrize("rest", ["alasan yang jelas.", "tanggapan dari PPID sampai kini."])
def test_a_case_description_wrapping_onto_a_label_word_keeps_its_rest(rest: str) -> None:
    first = "Permohonan tanggal 1 September 2026 belum dijawab"
    form = PERKI_FORM.replace(
        f"{first}\nsampai batas waktu sepuluh hari kerja.", f"{first}\n{rest}"
    )
    doc = objection_from_lines(lines_of(form))
    assert doc.fields["case_description"] == f"{first} {rest}"


def test_the_ink_line_of_a_signature_is_not_part_of_the_case_description() -> None:
    lines = lines_of(PERKI_FORM)
    last = max(i for i, line in enumerate(lines) if line.text.startswith("sampai batas waktu"))
    ink = TextLine(INK_SIGNED, 1, (300.0, lines[last].box[3] + 2, 400.0, lines[last].box[3] + 9))
    lines.insert(last + 1, ink)
    doc = objection_from_lines(lines)
    assert doc.fields["case_description"].endswith("sepuluh hari kerja.")


def test_every_found_value_has_a_box_on_its_page() -> None:
    doc = objection_from_lines(lines_of(PERKI_FORM, page=2))
    for name in ("applicant.name", "applicant.nik", "applicant.address", "reasons", "date"):
        page, x0, y0, x1, y1 = doc.boxes[name]
        assert page == 2 and x0 < x1 and y0 < y1
    name_box = doc.boxes["applicant.name"]
    assert name_box[1] > 40.0  # the value's box starts after the label, not at the margin


def test_typed_letter_is_read_from_its_identity_block_and_prose() -> None:
    doc = objection_from_lines(lines_of(TYPED_LETTER))
    fields = doc.fields
    assert fields["applicant"]["name"] == "Budi Contoh Santoso"
    assert fields["applicant"]["nik"] == "6101021708850421"
    assert fields["applicant"]["phone"] == "081299990000"
    assert fields["proxy"] is None
    assert fields["request_number"] == "077/PPID/IX/2026"
    assert "tidak ditanggapi" in fields["case_description"]
    assert (fields["place"], fields["date"], fields["signed"]) == ("Sambas", "2026-11-03", True)


@pytest.mark.parametrize("mark", ["☑", "✓", "[x]", "[X]", "(v)", "X", "✔"])
def test_a_ticked_reason_is_recognised_in_any_common_style(mark: str) -> None:
    text = PERKI_FORM.replace("[x] c.", f"{mark} c.").replace("[x] e.", "[ ] e.")
    assert objection_from_lines(lines_of(text)).fields["reasons"] == ["c"]


def test_mark_after_the_letter_counts_too() -> None:
    text = PERKI_FORM.replace("[x] c.", "c. [x]").replace("[x] e.", "e. [ ]")
    text = text.replace("[ ] ", "").replace("a. Permohonan", "a. [ ] Permohonan")
    assert objection_from_lines(lines_of(text)).fields["reasons"] == ["c"]


def test_ocr_junk_before_some_letters_reads_as_ticks_with_doubt() -> None:
    # Tesseract drops empty boxes and reads a ticked box as stray characters.
    text = PERKI_FORM.replace("[ ] ", "").replace("[x] c.", "41 c.").replace("[x] e.", "M e.")
    doc = objection_from_lines(lines_of(text, confidence=0.9))
    assert doc.fields["reasons"] == ["c", "e"]
    assert doc.confidence["reasons"] < 0.7


def test_the_same_junk_before_every_letter_is_an_empty_box() -> None:
    text = PERKI_FORM.replace("[ ] ", "O ").replace("[x] c.", "& c.").replace("[x] e.", "O e.")
    assert objection_from_lines(lines_of(text)).fields["reasons"] == ["c"]


def test_nothing_ticked_gives_no_reasons_and_a_warning() -> None:
    text = PERKI_FORM.replace("[x]", "[ ]")
    doc = objection_from_lines(lines_of(text))
    assert doc.fields["reasons"] == []
    assert doc.confidence["reasons"] < 0.7
    assert any("reason" in w for w in doc.warnings)


def test_low_ocr_confidence_and_failed_validation_lower_field_confidence() -> None:
    text = PERKI_FORM.replace("6171054512900003", "6171059912900003")  # day 99: invalid
    doc = objection_from_lines(lines_of(text, confidence=0.6))
    assert doc.confidence["applicant.name"] == pytest.approx(0.6)
    assert doc.confidence["applicant.nik"] < 0.3
    assert any("NIK" in w for w in doc.warnings)
    clean = objection_from_lines(lines_of(PERKI_FORM))
    assert clean.confidence["applicant.nik"] == 1.0


def test_ocr_letter_confusions_in_the_nik_are_repaired() -> None:
    text = PERKI_FORM.replace("6171054512900003", "6I7l O545 l29O OOO3")
    doc = objection_from_lines(lines_of(text, confidence=0.9))
    assert doc.fields["applicant"]["nik"] == "6171054512900003"
    assert doc.confidence["applicant.nik"] < 0.9


def test_missing_required_fields_are_null_doubtful_and_named() -> None:
    doc = objection_from_lines(lines_of("FORMULIR KEBERATAN\nKasus posisi: sesuatu"))
    assert doc.fields["applicant"]["name"] is None
    assert doc.confidence["applicant.name"] <= 0.5
    assert "applicant.name not found" in doc.warnings


def _turn(lines: list[TextLine], quarter_turns: int) -> list[TextLine]:
    """The same lines as reported from a page scanned turned clockwise, in its pixels."""
    width, height = 600.0, 900.0
    turned = []
    for line in lines:
        x0, y0, x1, y1 = line.box
        if quarter_turns == 2:
            box = (width - x1, height - y1, width - x0, height - y0)
        else:  # one turn clockwise: upright (x, y) lands at (height - y, x)
            box = (height - y1, x0, height - y0, x1)
        turned.append(TextLine(line.text, line.page, box, line.confidence))
    return turned


@pytest.mark.parametrize("quarter_turns", [1, 2])
def test_boxes_from_a_turned_page_read_the_same_and_map_back(quarter_turns: int) -> None:
    upright = objection_from_lines(lines_of(PERKI_FORM))
    turned = objection_from_lines(_turn(lines_of(PERKI_FORM), quarter_turns))
    assert turned.fields == upright.fields
    original = {line.text: line.box for line in _turn(lines_of(PERKI_FORM), quarter_turns)}
    page, *box = turned.boxes["place"]
    assert page == 1
    assert tuple(box) == pytest.approx(original["Pontianak, 12 Oktober 2026"], abs=1.0)


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("No. Telp : 0561 123456", "applicant.phone", "0561123456"),
        ("HP: 081234567890", "applicant.phone", "081234567890"),
        ("Nomor Telepon/HP/WA : 0812 3456 7890", "applicant.phone", "081234567890"),
        ("Alamat E-mail : rina@example.org", "applicant.email", "rina@example.org"),
        ("Email: rina@example.org", "applicant.email", "rina@example.org"),
        ("Nama Lengkap : Rina Contoh", "applicant.name", "Rina Contoh"),
        ("Nomor Induk Kependudukan : 6171054512900003", "applicant.nik", "6171054512900003"),
        ("Nomor Pendaftaran Permohonan : 12/PPID/2026", "request_number", "12/PPID/2026"),
        ("No. Registrasi Keberatan : 001/KEB/2026", "registration_number", "001/KEB/2026"),
        ("Tujuan Penggunaan Informasi : Tugas kuliah", "purpose", "Tugas kuliah"),
        ("Nama Kuasa : Dedi Contoh", "proxy.name", "Dedi Contoh"),
    ],
)
def test_label_variants(line: str, field: str, value: str) -> None:
    doc = objection_from_lines(lines_of(f"FORMULIR KEBERATAN\n{line}"))
    group, _, leaf = field.partition(".")
    got = doc.fields[group][leaf] if leaf else doc.fields[group]
    assert got == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Oktober 2026", date(2026, 10, 12)),
        ("Senin, 23 November 2026", date(2026, 11, 23)),
        ("3 Agt 2026", date(2026, 8, 3)),
        ("12-10-2026", date(2026, 10, 12)),
        ("12/10/2026", date(2026, 10, 12)),
        ("2026-10-12", date(2026, 10, 12)),
        ("31 Februari 2026", None),
        ("besok", None),
    ],
)
def test_indonesian_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def _cell(text: str, x0: float, row: int, confidence: float = 0.92) -> TextLine:
    """One OCR line of a two-column scan: rows 40 px apart, text 10 px per character."""
    return TextLine(text, 1, (x0, 40.0 * row, x0 + 10.0 * len(text), 40.0 * row + 28), confidence)


def test_a_value_split_from_its_label_pairs_by_row_not_by_reading_order() -> None:
    # OCR put each value column cell before its label (a wide gap splits the row in two)
    lines = [
        _cell("Identitas Pemohon", 100, 0),
        _cell(": Hendra Susanto Tjhai", 900, 1),
        _cell("Nama", 100, 1),
        _cell("NIK", 100, 2),
        _cell(": 6171031303651625", 900, 2),
        _cell("Alamat", 100, 3),
        _cell(": Jl. Ahmad Yani No. 83, Pontianak", 900, 3),
    ]
    paired = pair_label_rows(lines)
    assert [line.text for line in paired[1:]] == [
        "Nama : Hendra Susanto Tjhai",
        "NIK : 6171031303651625",
        "Alamat : Jl. Ahmad Yani No. 83, Pontianak",
    ]
    applicant = objection_from_lines(paired, method="ocr").fields["applicant"]
    assert applicant["name"] == "Hendra Susanto Tjhai"
    assert applicant["nik"] == "6171031303651625"
    assert applicant["address"] == "Jl. Ahmad Yani No. 83, Pontianak"


def test_a_value_on_the_next_row_is_not_taken_beside_a_label() -> None:
    lines = [_cell("Nama", 100, 1), _cell(": 6171031303651625", 900, 2)]
    assert pair_label_rows(lines) == lines


@pytest.mark.parametrize(
    ("read", "expected", "doubtful"),
    [
        ("siti hasan 67@example.org", "siti_hasan_67@example.org", True),  # '_' read as space
        ("siti_hasan67@exampie.com", "siti_hasan67@example.com", True),  # one candidate left
        ("siti.hasan@gmaii.com", "siti.hasan@gmail.com", True),
        ("siti.hasan@lipi.go.id", "siti.hasan@lipi.go.id", True),  # 'l' or 'i'? cannot tell
        ("siti.hasan@unpad.ac.id", "siti.hasan@unpad.ac.id", False),
    ],
)
def test_ocr_e_mails_are_repaired_only_to_one_candidate_else_flagged(
    read: str, expected: str, doubtful: bool
) -> None:
    doc = objection_from_lines(lines_of(f"FORMULIR KEBERATAN\nE-mail : {read}", confidence=0.95))
    assert doc.fields["applicant"]["email"] == expected
    assert (doc.confidence["applicant.email"] < 0.9) is doubtful
    digital = objection_from_lines(lines_of(f"FORMULIR KEBERATAN\nE-mail : {expected}"))
    assert digital.confidence["applicant.email"] == 1.0  # a text layer is what it says


def test_a_table_ruling_read_as_a_bar_is_not_part_of_the_value() -> None:
    ruled = (
        PERKI_FORM.replace("Pekerjaan : Mahasiswa", "Pekerjaan : Mahasiswa |")
        .replace("0812-3456-7890", "0812-3456-7890 |")
        .replace("Permohonan tanggal 1 September", "| Permohonan tanggal 1 September")
        .replace("Kelurahan Sungai Bangkong, Pontianak", "Kelurahan Sungai Bangkong, Pontianak |")
    )
    fields = objection_from_lines(lines_of(ruled)).fields
    assert fields["applicant"]["occupation"] == "Mahasiswa"
    assert fields["applicant"]["phone"] == "081234567890"
    assert fields["case_description"].startswith("Permohonan tanggal 1 September")
    assert fields["applicant"]["address"].endswith("Kelurahan Sungai Bangkong, Pontianak")


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        (
            "No. Register Keberatan : 019/KEB/PPID/IX/2026",
            "registration_number",
            "019/KEB/PPID/IX/2026",
        ),
        (
            "Nomor Registrasi Permohonan Informasi : 170/PPID/2026",
            "request_number",
            "170/PPID/2026",
        ),
        ("No. Pendaftaran Permintaan Informasi : REG-2026-2256", "request_number", "REG-2026-2256"),
        ("Maksud/Tujuan Penggunaan Informasi : Kajian akademik", "purpose", "Kajian akademik"),
        ("Untuk Keperluan : Bahan liputan", "purpose", "Bahan liputan"),
        ("No. KTP/NIK : 6171054512900003", "applicant.nik", "6171054512900003"),
        ("Alamat Surel : rina@example.org", "applicant.email", "rina@example.org"),
        ("Nomor HP/WhatsApp : 0812-3456-7890", "applicant.phone", "081234567890"),
        ("Pekerjaan/Profesi : Dosen", "applicant.occupation", "Dosen"),
        ("Alamat Tempat Tinggal : Jl. Mawar 3", "applicant.address", "Jl. Mawar 3"),
        ("No. Telp/HP Kuasa : 0813 1111 2222", "proxy.phone", "081311112222"),
        ("Tanggal Tanggapan atas Keberatan : 19 Mei 2026", "response_date", "2026-05-19"),
        ("7. Nomor Telepon : 0812 3456 7890", "applicant.phone", "081234567890"),
    ],
)
def test_labels_are_read_by_what_they_mean_not_by_one_wording(
    line: str, field: str, value: str
) -> None:
    doc = objection_from_lines(lines_of(f"FORMULIR KEBERATAN\n{line}"))
    group, _, leaf = field.partition(".")
    got = doc.fields[group][leaf] if leaf else doc.fields[group]
    assert got == value


@pytest.mark.parametrize(
    "sentence",
    [
        "Nama saya Budi dan saya mengajukan keberatan",
        "dengan ini mengajukan keberatan atas permohonan informasi nomor",
        "Atasan PPID Kota Singkawang",
    ],
)
def test_a_sentence_that_starts_with_label_words_is_not_a_label(sentence: str) -> None:
    doc = objection_from_lines(lines_of(f"FORMULIR KEBERATAN\n{sentence}\nlain kalimat"))
    assert doc.fields["applicant"]["name"] is None
    assert doc.fields["request_number"] is None


TABLE = """\
1  Nomor Registrasi Keberatan    :
2  No. Pendaftaran               : 065/PPID-
   Permintaan Informasi            DKUKM/XI/2025
3  Tujuan Penggunaan Informasi   : Referensi proposal bantuan usaha
                                   mikro di kecamatan kami
4  Nomor Induk                   : 6171054512900003
   Kependudukan
5  Alamat                        : Jl. Contoh Raya No. 12, RT 003/RW 004,
                                   Kel. Sungai Bangkong, Pontianak
6  Pekerjaan                     : Wiraswasta
"""


def test_labels_and_values_that_wrap_onto_the_next_line_are_joined() -> None:
    fields = objection_from_lines(lines_of(TABLE, confidence=1.0)).fields
    assert fields["registration_number"] is None  # its own row is empty: not the next label
    assert fields["request_number"] == "065/PPID-DKUKM/XI/2025"
    assert fields["purpose"] == "Referensi proposal bantuan usaha mikro di kecamatan kami"
    assert fields["applicant"]["nik"] == "6171054512900003"
    assert fields["applicant"]["address"] == (
        "Jl. Contoh Raya No. 12, RT 003/RW 004, Kel. Sungai Bangkong, Pontianak"
    )
    assert fields["applicant"]["occupation"] == "Wiraswasta"


def test_a_value_that_is_label_text_is_not_a_value() -> None:
    text = "FORMULIR KEBERATAN\nNomor Registrasi Keberatan\nNomor Registrasi Permohonan 008/X"
    doc = objection_from_lines(lines_of(text))
    assert doc.fields["registration_number"] is None


LETTER_PROSE = """\
Yang bertanda tangan di bawah ini:
Nama : Budi Contoh Santoso
NIK : 6101021708850421
dengan ini mengajukan keberatan atas permohonan informasi saya dengan nomor 064/PPID-
DKUKM/XI/2025 yang saya ajukan untuk keperluan kajian akademik tentang koperasi.
Adapun alasan keberatan saya:
• Pengenaan biaya yang tidak wajar
• Penyampaian informasi melebihi jangka waktu yang diatur
Demikian surat keberatan ini saya sampaikan.
Sambas, 3 November 2026
"""


def test_a_typed_letter_gives_its_number_purpose_and_reasons_in_prose() -> None:
    fields = objection_from_lines(lines_of(LETTER_PROSE)).fields
    assert fields["request_number"] == "064/PPID-DKUKM/XI/2025"  # broken at a line end
    assert fields["purpose"].lower() == "kajian akademik tentang koperasi"
    assert fields["reasons"] == ["f", "g"]
