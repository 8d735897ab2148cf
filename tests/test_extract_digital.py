"""Digital PDFs end to end: AcroForm values, text layers by label, bundles split, `ppid extract`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from weasyprint import HTML

from parsers.classify import classify_text
from parsers.extract import cross_check, extract_file, extract_files
from parsers.model import Document, ExtractionLimits
from ppid.cli.app import main
from ppid.core.settings import load_settings
from ppid.output.forms import render_filled_form

STYLE = "@page{size:A4;margin:2cm} body{font-family:'DejaVu Sans';font-size:11pt}"

PERKI_HTML = """
<h3>FORMULIR PENGAJUAN KEBERATAN INFORMASI PUBLIK</h3>
<p><b>A. INFORMASI PENGAJU KEBERATAN</b></p>
<table>
<tr><td>Nomor Registrasi Keberatan</td><td>:</td><td>........................</td></tr>
<tr><td>Nomor Pendaftaran Permohonan Informasi</td><td>:</td><td>045/PPID/X/2026</td></tr>
<tr><td>Tujuan Penggunaan Informasi</td><td>:</td><td>Penelitian skripsi tentang koperasi</td></tr>
<tr><td colspan=3><b>Identitas Pemohon</b></td></tr>
<tr><td>Nama</td><td>:</td><td>Rina Contoh Sari</td></tr>
<tr><td>NIK</td><td>:</td><td>6171054512900003</td></tr>
<tr><td>Alamat</td><td>:</td>
<td>Jl. Contoh Raya No. 12, RT 003/RW 004,<br>Sungai Bangkong, Pontianak</td></tr>
<tr><td>Pekerjaan</td><td>:</td><td>Mahasiswa</td></tr>
<tr><td>Nomor Telepon</td><td>:</td><td>0812-3456-7890</td></tr>
<tr><td>E-mail</td><td>:</td><td>rina.contoh@example.org</td></tr>
<tr><td colspan=3><b>Identitas Kuasa Pemohon</b></td></tr>
<tr><td>Nama</td><td>:</td><td>.........</td></tr>
<tr><td>Alamat</td><td>:</td><td>.........</td></tr>
<tr><td>Nomor Telepon</td><td>:</td><td>.........</td></tr>
</table>
<p><b>B. ALASAN PENGAJUAN KEBERATAN</b></p>
<p>☐ a. Permohonan informasi ditolak<br>☐ b. Informasi berkala tidak disediakan<br>
☑ c. Permintaan informasi tidak ditanggapi<br>
☐ d. Permintaan informasi ditanggapi tidak sebagaimana yang diminta<br>
☐ e. Permintaan informasi tidak dipenuhi<br>☐ f. Pengenaan biaya yang tidak wajar<br>
☑ g. Penyampaian informasi yang melebihi waktu yang diatur</p>
<p><b>C. KASUS POSISI</b></p>
<p>Permohonan tentang daftar koperasi aktif pada 1 September 2026 belum dijawab.</p>
<p><b>D. HARI/TANGGAL TANGGAPAN ATAS KEBERATAN AKAN DIBERIKAN</b> : ............</p>
<p>Demikian keberatan ini saya sampaikan.</p>
<p style="text-align:right">Pontianak, 12 Oktober 2026<br>Pengaju Keberatan<br><br>
(Rina Contoh Sari)</p>
"""

LETTER_HTML = """
<p>Perihal: Keberatan atas Permohonan Informasi Publik</p>
<p>Kepada Yth.<br>Atasan PPID Dinas Koperasi dan UKM Provinsi Kalimantan Barat<br>di Pontianak</p>
<p>Dengan hormat,<br>Yang bertanda tangan di bawah ini:</p>
<table>
<tr><td>Nama</td><td>: Budi Contoh Santoso</td></tr>
<tr><td>NIK</td><td>: 6101021708850421</td></tr>
<tr><td>Alamat</td><td>: Dusun Percobaan RT 01/RW 02, Sambas</td></tr>
<tr><td>Pekerjaan</td><td>: Wiraswasta</td></tr>
<tr><td>No. HP</td><td>: 0812 9999 0000</td></tr>
<tr><td>E-mail</td><td>: budi.contoh@example.net</td></tr>
</table>
<p>dengan ini mengajukan keberatan atas permohonan informasi nomor
<span style="white-space:nowrap">077/PPID/IX/2026</span> karena permintaan informasi tidak
ditanggapi.</p>
<p>Demikian surat keberatan ini saya sampaikan.</p>
<p>Sambas, 3 November 2026<br>Hormat saya,<br><br>(Budi Contoh Santoso)</p>
"""

OTHER_HTML = "<h2>Lampiran</h2><p>" + "Salinan surat permohonan informasi yang lalu. " * 6 + "</p>"
COVER_HTML = "<h1>LEMBAR PEMISAH</h1><p>PPIDSEP|batch=7|seq=1</p><p>Letakkan di antara berkas.</p>"
BREAK = '<div style="page-break-after:always"></div>'

# Values for our own form (ppid.output.forms), typed or filled in a PDF viewer.
VALUES = {
    "request_number": "045/PPID/X/2026",
    "purpose": "Penelitian",
    "applicant": {
        "name": "Rina Contoh Sari",
        "nik": "6171054512900003",
        "address": "Jl. Contoh Raya No. 12, Pontianak",
        "occupation": "Mahasiswa",
        "phone": "081234567890",
        "email": "rina.contoh@example.org",
    },
    "proxy": None,
    "reasons": ["c", "g"],
    "case_description": "Belum ada jawaban.",
    "place": "Pontianak",
    "date": "2026-10-12",
}


def pdf_of(path: Path, *bodies: str) -> Path:
    """A text-layer PDF, one page per body, rendered with WeasyPrint."""
    html = f"<html><head><style>{STYLE}</style></head><body>{BREAK.join(bodies)}</body></html>"
    HTML(string=html).write_pdf(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("digital")
    return {
        "perki": pdf_of(root / "perki.pdf", PERKI_HTML),
        "letter": pdf_of(root / "letter.pdf", LETTER_HTML),
        "bundle": pdf_of(root / "bundle.pdf", COVER_HTML, PERKI_HTML, OTHER_HTML, LETTER_HTML),
    }


def test_perki_form_as_text_pdf_is_read_by_labels(files: dict[str, Path]) -> None:
    result = extract_file(files["perki"])
    assert result.error is None
    (doc,) = result.documents
    assert (doc.document_type, doc.method, doc.pages) == ("objection_form", "text", [1])
    assert doc.fields["applicant"] == {
        "name": "Rina Contoh Sari",
        "nik": "6171054512900003",
        "address": "Jl. Contoh Raya No. 12, RT 003/RW 004, Sungai Bangkong, Pontianak",
        "occupation": "Mahasiswa",
        "phone": "081234567890",
        "email": "rina.contoh@example.org",
    }
    assert doc.fields["proxy"] is None
    assert doc.fields["request_number"] == "045/PPID/X/2026"
    assert doc.fields["reasons"] == ["c", "g"]
    assert doc.fields["response_date"] is None
    assert (doc.fields["place"], doc.fields["date"]) == ("Pontianak", "2026-10-12")
    assert doc.confidence["applicant.nik"] >= 0.9  # sure; the fitted table says how sure
    page, x0, y0, x1, y1 = doc.boxes["applicant.nik"]
    assert page == 1 and 0 < x0 < x1 < 595 and 0 < y0 < y1 < 842  # points, origin top-left


def test_typed_letter_as_text_pdf(files: dict[str, Path]) -> None:
    (doc,) = extract_file(files["letter"]).documents
    assert doc.document_type == "objection_form"
    assert doc.fields["applicant"]["name"] == "Budi Contoh Santoso"
    assert doc.fields["applicant"]["nik"] == "6101021708850421"
    assert doc.fields["request_number"] == "077/PPID/IX/2026"
    assert doc.fields["case_description"].endswith("karena permintaan informasi tidak ditanggapi.")
    assert doc.fields["reasons"] == ["c"] and doc.confidence["reasons"] < 0.7
    assert doc.fields["date"] == "2026-11-03"


def test_bundle_is_split_into_documents_of_consecutive_pages(files: dict[str, Path]) -> None:
    docs = extract_file(files["bundle"]).documents
    assert [(d.document_type, d.pages) for d in docs] == [
        ("cover_sheet", [1]),
        ("objection_form", [2]),
        ("other", [3]),
        ("objection_form", [4]),
    ]
    assert docs[0].fields["code"].startswith("PPIDSEP")
    assert docs[1].fields["applicant"]["name"] == "Rina Contoh Sari"
    assert docs[3].fields["applicant"]["name"] == "Budi Contoh Santoso"


def test_a_signature_block_spilling_onto_the_next_page_stays_with_the_form(
    tmp_path: Path,
) -> None:
    body, _, tail = PERKI_HTML.partition('<p style="text-align:right">')
    signature = _signature_png(tmp_path)
    tail = tail.replace("<br><br>", f'<br><img src="{signature.as_uri()}" style="width:35mm"><br>')
    path = pdf_of(tmp_path / "ekor.pdf", body, '<p style="text-align:right">' + tail)
    (doc,) = extract_file(path).documents
    assert doc.pages == [1, 2]
    assert (doc.fields["place"], doc.fields["date"]) == ("Pontianak", "2026-10-12")
    assert doc.fields["signed"] is True and doc.boxes["signed"][0] == 2
    unsigned = pdf_of(tmp_path / "tanpa.pdf", PERKI_HTML)
    assert extract_file(unsigned).documents[0].fields["signed"] is False


def _signature_png(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (280, 100), "white")
    ImageDraw.Draw(image).line([(10, 60), (80, 20), (150, 80), (270, 30)], fill="navy", width=4)
    path = tmp_path / "ttd.png"
    image.save(path)
    return path


def test_a_two_page_form_stays_one_document(tmp_path: Path) -> None:
    first, _, rest = PERKI_HTML.partition("<p><b>B. ALASAN")
    path = pdf_of(tmp_path / "two.pdf", first, "<p><b>B. ALASAN" + rest)
    (doc,) = extract_file(path).documents
    assert doc.pages == [1, 2]
    assert doc.fields["applicant"]["name"] == "Rina Contoh Sari"
    assert doc.fields["reasons"] == ["c", "g"]


def test_filled_acroform_values_are_taken_without_ocr(tmp_path: Path) -> None:
    path = tmp_path / "acro.pdf"
    _write_acroform(path)
    (doc,) = extract_file(path).documents
    assert (doc.document_type, doc.method) == ("objection_form", "acroform")
    assert doc.fields["applicant"]["name"] == "Rina Contoh Sari"
    assert doc.fields["applicant"]["nik"] == "6171054512900003"
    assert doc.fields["reasons"] == ["c", "g"]
    assert doc.fields["date"] == "2026-10-12"
    assert doc.fields["proxy"] is None
    assert all(doc.confidence[name] >= 0.9 for name in ("applicant.nik", "reasons"))
    assert doc.boxes["applicant.name"][0] in doc.pages


def test_our_form_printed_to_pdf_with_typed_values_is_read_zone_by_zone(tmp_path: Path) -> None:
    path = render_filled_form(load_settings(), VALUES, tmp_path / "ketik.pdf", style="typed")
    (doc,) = extract_file(path).documents
    assert (doc.document_type, doc.method, doc.pages) == ("objection_form", "text", [1, 2])
    assert doc.fields["applicant"]["name"] == "RINA CONTOH SARI"  # printed in capitals
    assert doc.fields["applicant"]["nik"] == "6171054512900003"
    assert doc.fields["applicant"]["phone"] == "081234567890"
    assert doc.fields["applicant"]["email"] == "rina.contoh@example.org"
    assert doc.fields["reasons"] == ["c", "g"]
    assert (doc.fields["date"], doc.fields["response_date"]) == ("2026-10-12", None)
    assert doc.boxes["applicant.nik"][0] == 1 and doc.boxes["case_description"][0] == 2


def _write_acroform(path: Path) -> None:
    """Our fillable form (ppid.output.forms), filled in by code as a PDF viewer would."""
    render_filled_form(load_settings(), VALUES, path, fillable=True)


def test_form_nik_is_checked_against_the_card_in_the_same_file() -> None:
    def form() -> Document:
        fields = {"applicant": {"nik": "6171054512900003"}}
        return Document("objection_form", [1], "text", fields, {"applicant.nik": 1.0})

    matching = [form(), Document("id_card", [2], "ocr", {"nik": "6171054512900003"})]
    cross_check(matching)
    assert matching[0].warnings == [] and matching[0].confidence["applicant.nik"] == 1.0
    other = [form(), Document("id_card", [2], "ocr", {"nik": "6101021708850421"})]
    cross_check(other)
    assert "differs from the NIK on the ID card" in other[0].warnings[0]
    assert other[0].confidence["applicant.nik"] <= 0.5


def test_classify_text_by_labels_and_codes() -> None:
    assert classify_text("PROVINSI KALIMANTAN BARAT NIK Tempat/Tgl Lahir Berlaku Hingga") == (
        "id_card"
    )
    assert classify_text("PPIDSEP|batch=1") == "cover_sheet"
    assert classify_text("PPIDKEB1|form=keberatan|v=1|p=1/2") == "objection_form"
    assert classify_text("Surat keberatan. Nama: X. Alamat: Y.") == "objection_form"
    assert classify_text("Notulen rapat koperasi") == "other"


def test_parallel_jobs_keep_input_order(files: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "kosong.pdf"
    empty.write_bytes(b"")
    paths = [files["perki"], empty, files["letter"], files["perki"]]
    results = list(extract_files(paths, jobs=2, limits=ExtractionLimits()))
    assert [r.file for r in results] == [str(p) for p in paths]
    assert [r.error is None for r in results] == [True, False, True, True]


def test_cli_json_contract_one_line_per_file_and_exit_1_on_failure(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rusak.pdf"
    bad.write_bytes(b"<html><body>bukan pdf</body></html>")
    with pytest.raises(SystemExit) as done:
        main(["extract", "--json", str(files["perki"]), str(bad)])
    assert done.value.code == 1
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [set(row) for row in rows] == [{"file", "documents", "error"}] * 2
    assert rows[0]["file"] == str(files["perki"]) and rows[0]["error"] is None
    doc = rows[0]["documents"][0]
    assert set(doc) == {
        "document_type",
        "pages",
        "method",
        "fields",
        "confidence",
        "boxes",
        "warnings",
    }
    assert doc["boxes"]["applicant.nik"][0] == 1 and len(doc["boxes"]["applicant.nik"]) == 5
    assert "web page (HTML)" in rows[1]["error"] and rows[1]["documents"] == []
    assert "Traceback" not in err


def test_cli_table_masks_the_nik(files: dict[str, Path], capsys) -> None:
    main(["extract", str(files["perki"])])
    out = capsys.readouterr().out
    assert "Rina Contoh Sari" in out and "6171********0003" in out
    assert "6171054512900003" not in out
