"""Letters and registers read back from the PDF: names, numbers, dates; gap-free letter numbers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from ppid.archive.sequences import DIRECT_STEP
from ppid.casework import dip, workflow
from ppid.casework.letters import letter_number
from ppid.casework.register import get_case, register_case
from ppid.casework.reports import annual_report, render_register, render_report
from ppid.cli.app import main
from ppid.core.db import begin_write, open_db
from ppid.core.errors import ConfigError
from ppid.core.models import Case
from ppid.core.settings import Settings, load_settings
from ppid.output.pdfa import findings as pdfa_findings
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
WORKDAYS = (1, 2, 3, 4, 7, 8, 9)  # the December 2026 working days the steps are taken on
NIK = "6171014507900001"
DIP_CSV = (
    "title,description,category,pasal17,unit,year,link\n"
    "Daftar Penerima Bantuan Modal UMKM,Nama usaha dan nilai bantuan,setiap_saat,,Bidang UMKM,"
    "2026,https://contoh.go.id/bantuan-umkm\n"
)
BRANCHES = {
    "released": ["forward", "recommend", "order", "available", "send"],
    "exempt": ["forward", "recommend", "order", "exempt", "send", "signed", "dispute"],
    "not_held": ["forward", "recommend", "order", "not_held", "send"],
    "dismissed": ["forward", "recommend", "dismiss"],
}
ROLES = {
    "forward": "petugas",
    "recommend": "bidang",
    "order": "atasan",
    "dismiss": "atasan",
    "available": "bidang",
    "exempt": "bidang",
    "not_held": "bidang",
    "send": "atasan",
    "signed": "petugas",
    "dispute": "petugas",
}
# Internal notes (kept in the history, printed nowhere for the applicant) ...
NOTES = {
    "recommend": "Keberatan berdasar",
    "order": "Catatan atasan untuk berkas saja",
    "dismiss": "Catatan atasan: sudah dibahas di rapat",
    "send": "Disetujui, kirim kepada pemohon.",
    "exempt": "Catatan bidang tentang rekening anggota",
    "not_held": "Dokumen tidak pernah dibuat oleh Dinas",
    "signed": "Salinan bertanda tangan diserahkan langsung ke meja layanan",
}
# ... and what each step's letter prints, typed apart from the note.
PRINTED = {
    "order": {"letter_text": "Siapkan jawaban"},
    "dismiss": {"letter_text": "Permohonan awal telah dijawab lengkap pada 10 November 2026"},
    "exempt": {
        "pasal17": "h",
        "consequence": "Membuka rekening anggota merugikan privasi lebih besar daripada manfaatnya",
    },
}


def text_of(path: Path) -> str:
    """All text of the PDF with whitespace collapsed (lines wrap anywhere)."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, Any]:
    """Four cases, one per branch, taken to their letters once for the whole module."""
    home = tmp_path_factory.mktemp("office")
    settings = load_settings(
        home=home,
        database_url=module_database_url,
        office={"atasan_name": "Drs. Atasan Contoh, M.Si.", "atasan_nip": "197001011990031001"},
    )
    sessions = open_db(settings)
    csv = home / "dip.csv"
    csv.write_text(DIP_CSV, encoding="utf-8")
    with sessions() as session, session.begin():
        dip.import_csv(session, csv)
        item = dip.search(session, "bantuan")[0].id
    names = {
        "released": "Rina Contoh",
        "exempt": "Budi Contoh",
        "not_held": "Sari Contoh",
        "dismissed": "Dewi Contoh",
    }
    numbers = {}
    for branch, decisions in BRANCHES.items():
        numbers[branch] = _register(sessions, settings, names[branch])
        for day, decision in zip(WORKDAYS, decisions, strict=False):
            data = {"dip_items": [item]} if decision == "available" else {}
            data |= PRINTED.get(decision, {})
            parameters = {
                "number": numbers[branch],
                "role": ROLES[decision],
                "actor": f"{ROLES[decision]}-contoh",
                "decision": decision,
                "note": NOTES.get(decision),
                "data": data,
                "at": datetime(2026, 12, day, 10, 0, tzinfo=WIB),
            }
            DIRECT_STEP.run(settings, sessions, parameters)  # the step, then its archive
    return {"settings": settings, "sessions": sessions, "numbers": numbers, "names": names}


def _register(sessions: sessionmaker[Session], settings: Settings, name: str) -> str:
    with sessions() as session, session.begin():
        case = Case(
            applicant_name=name,
            applicant_nik=NIK,
            applicant_address="Jl. Contoh Raya No. 5, Pontianak",
            applicant_occupation="Mahasiswa",
            applicant_phone="0812-0000-0000",
            request_number="012/PERM/PPID-DKUKM/2026",
            information_requested="Daftar penerima bantuan modal UMKM tahun 2026",
            purpose="Penelitian skripsi",
            reasons="ce",
        )
        register_case(session, settings, case, MONDAY, actor="petugas1")
        workflow.start(session, settings, case)
        return str(case.number)


def letter(office: dict[str, Any], branch: str, role: str) -> Path:
    settings = office["settings"]
    with office["sessions"]() as session:
        case = get_case(session, office["numbers"][branch])
        paths = [d.path for d in case.documents if d.role == role]
    assert len(paths) == 1, paths
    return settings.archive / paths[0]


def test_written_order_names_the_case_the_unit_and_the_due_dates(office: dict[str, Any]) -> None:
    path = letter(office, "released", "perintah")
    assert path.parent.name == "outputs" and path.name == "01-surat-perintah.pdf"
    text = text_of(path)
    assert "SURAT PERINTAH" in text
    assert "Nomor: 001/SP/PPID-DKUKM/XII/2026" in text
    assert "001/KEB/PPID-DKUKM/XI/2026" in text
    assert "tanggal Senin, 30 November 2026 atas nama Rina Contoh" in text
    assert "Kamis, 17 Desember 2026" in text  # 10 working days after Thu 3 Dec: fulfilment due
    assert "Jumat, 15 Januari 2027" in text  # the 30-working-day answer deadline
    assert "Siapkan jawaban" in text
    assert "Pontianak, 3 Desember 2026" in text
    assert "Drs. Atasan Contoh, M.Si." in text and "NIP. 197001011990031001" in text
    assert NIK not in text and "6171************" in text


def test_disposition_sheet_instructs_the_bidang_without_the_nik(office: dict[str, Any]) -> None:
    path = letter(office, "released", "disposisi")
    assert path.name == "02-lembar-disposisi.pdf"  # made with the written order, after it
    text = text_of(path)
    assert "LEMBAR DISPOSISI" in text
    assert "Nomor: 001/DSP/PPID-DKUKM/XII/2026" in text
    assert "001/KEB/PPID-DKUKM/XI/2026" in text and "Senin, 30 November 2026" in text
    assert "Rina Contoh, Mahasiswa" in text
    assert "Daftar penerima bantuan modal UMKM tahun 2026" in text
    assert "c. Permintaan informasi tidak ditanggapi" in text
    assert NOTES["recommend"] in text  # the Bidang's recommendation the Atasan decided on
    assert "Instruksi Siapkan jawaban" in text
    assert "Diselesaikan paling lambat Kamis, 17 Desember 2026" in text
    assert "Jumat, 15 Januari 2027" in text and "001/SP/PPID-DKUKM/XII/2026" in text
    assert "Pontianak, 3 Desember 2026" in text and "Drs. Atasan Contoh, M.Si." in text
    assert NIK not in text and "6171" not in text  # the Bidang needs no NIK, not even masked
    assert pdfa_findings(path) == []


def test_disposition_sheet_has_a_print_version_with_its_qr(
    office: dict[str, Any], tmp_path: Path
) -> None:
    from ppid.archive.hardcopy import print_version

    with office["sessions"]() as session:
        case = get_case(session, office["numbers"]["released"])
        sheet = next(d for d in case.documents if d.role == "disposisi")
        printed = print_version(office["settings"], case, sheet, tmp_path / "cetak.pdf")
        expected = f"{case.number} · dok. {sheet.id} · hal. 1/1"
    text = text_of(printed)
    assert "LEMBAR DISPOSISI" in text and expected in text


def test_answer_that_overturns_lists_the_items_and_the_release_period(
    office: dict[str, Any],
) -> None:
    text = text_of(letter(office, "released", "tanggapan"))
    assert "Nomor : 001/TKI/PPID-DKUKM/XII/2026" in text
    assert "Hal : Tanggapan atas Keberatan" in text
    assert "Sdr. Rina Contoh" in text
    assert "MENERIMA KEBERATAN DAN MEMERINTAHKAN PEMBERIAN INFORMASI" in text
    assert "Daftar Penerima Bantuan Modal UMKM" in text
    assert "https://contoh.go.id/bantuan-umkm" in text
    assert "paling lambat Senin, 21 Desember 2026" in text  # 10 working days after Mon 7 Dec
    # 14 working days to dispute, skipping Thu 24 Dec (cuti bersama) and Fri 25 Dec (Natal).
    assert "sampai dengan Selasa, 29 Desember 2026" in text
    assert "Komisi Informasi Provinsi Kalimantan Barat" in text
    assert "Pontianak, 7 Desember 2026" in text


def test_answer_that_upholds_gives_the_written_reasons(office: dict[str, Any]) -> None:
    text = text_of(letter(office, "dismissed", "tanggapan"))
    assert "MENOLAK KEBERATAN DAN MENGUATKAN KEPUTUSAN PPID" in text
    assert PRINTED["dismiss"]["letter_text"] in text
    assert "Sdr. Dewi Contoh" in text
    assert "Pasal 36 ayat (3)" in text
    assert "sampai dengan Rabu, 23 Desember 2026" in text  # 14 working days after Thu 3 Dec


def test_rejection_as_exempt_states_ground_consequence_and_right_to_dispute(
    office: dict[str, Any],
) -> None:
    text = text_of(letter(office, "exempt", "penolakan"))
    assert "Nomor : 001/PNL/PPID-DKUKM/XII/2026" in text
    assert "Sdr. Budi Contoh" in text
    assert "TIDAK DAPAT DIBERIKAN" in text
    assert "Pasal 17 huruf h" in text and "mengungkap rahasia pribadi" in text
    assert "Uji konsekuensi" in text and PRINTED["exempt"]["consequence"] in text
    assert "Komisi Informasi Provinsi Kalimantan Barat" in text
    assert "14 (empat belas) hari kerja" in text


def test_rejection_as_not_held_says_so(office: dict[str, Any]) -> None:
    text = text_of(letter(office, "not_held", "penolakan"))
    assert "Nomor : 002/PNL/PPID-DKUKM/XII/2026" in text
    assert "belum dikuasai atau didokumentasikan" in text
    assert "Pasal 17 huruf" not in text
    assert "Sdr. Sari Contoh" in text


def test_no_letter_prints_an_internal_note(office: dict[str, Any]) -> None:
    settings = office["settings"]
    with office["sessions"]() as session:
        for number in office["numbers"].values():
            for document in get_case(session, number).documents:
                text = text_of(settings.archive / document.path)
                leaked = [n for k, n in NOTES.items() if k != "recommend" and n in text]
                assert leaked == [], (document.path, leaked)


def test_letters_are_archival_pdfs(office: dict[str, Any]) -> None:
    path = letter(office, "exempt", "penolakan")
    assert pdfa_findings(path) == []  # PDF/A-3b by its checker
    reader = PdfReader(path)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert office["numbers"]["exempt"].encode() in xmp  # identified by its case
    assert reader.pages[0].mediabox.height > reader.pages[0].mediabox.width  # A4 portrait
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 210


def test_register_has_every_perki_column_ticks_and_masked_nik(
    office: dict[str, Any], tmp_path: Path
) -> None:
    with office["sessions"]() as session:
        out = render_register(session, office["settings"], 2026, 11, tmp_path / "register.pdf")
    page = PdfReader(out).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = text_of(out)
    for column in (
        "No",
        "Tanggal",
        "Nomor registrasi",
        "Nama",
        "Alamat",
        "Pekerjaan",
        "No. Telp",
        "E-mail",
        "Nomor pendaftaran permohonan",
        "Rincian informasi yang dibutuhkan",
        "Tujuan penggunaan informasi",
        "Alasan pengajuan keberatan",
        "Keputusan Atasan PPID",
        "Hari dan tanggal pemberian tanggapan atas keberatan",
        "Nama dan posisi Atasan PPID",
        "Tanggapan pemohon informasi",
        "Keterangan",
    ):
        assert column in text, column
    assert "Periode: November 2026" in text
    for name in office["names"].values():
        assert name in text
    assert NIK not in text and "6171************" in text
    assert text.count("✓") == 8  # four cases, reasons c and e
    squeezed = text.replace(" ", "")  # narrow cells wrap anywhere
    assert "001/TKI/PPID-DKUKM/XII/2026" in squeezed
    assert "Informasidikecualikan(Pasal17)" in squeezed
    assert "MengajukansengketakeKomisiInformasi" in squeezed


def test_annual_report_counts_answers_reasons_decisions_and_disputes(
    office: dict[str, Any], tmp_path: Path
) -> None:
    sessions, settings = office["sessions"], office["settings"]
    with sessions() as session:
        data = annual_report(session, settings, 2026, today=date(2026, 12, 31))
    assert (data["received"], data["answered"], data["on_time"], data["late"]) == (4, 4, 4, 0)
    assert data["by_reason"] == {"a": 0, "b": 0, "c": 4, "d": 0, "e": 4, "f": 0, "g": 0}
    assert data["by_decision"]["exempt"] == 1 and data["by_decision"]["dismissed"] == 1
    assert data["disputes"] == 1
    assert sum(data["by_channel"].values()) == 4  # every case under one channel
    with sessions() as session:
        text = text_of(render_report(session, settings, 2026, tmp_path / "laporan.pdf"))
    assert "LAPORAN PENANGANAN KEBERATAN INFORMASI PUBLIK" in text
    assert "Tahun 2026" in text
    assert "Diajukan sebagai sengketa ke Komisi Informasi Provinsi Kalimantan Barat 1" in text
    assert "tepat waktu (≤ 30 hari kerja) 4" in text
    assert "Berdasarkan saluran pengajuan" in text


def test_letter_numbers_are_gap_free_per_kind_and_year(ppid_home: Path) -> None:
    settings = load_settings()
    sessions = open_db(settings)
    on = date(2026, 12, 1)
    with sessions() as session, session.begin():
        begin_write(session)
        assert letter_number(session, settings, "tanggapan", on) == "001/TKI/PPID-DKUKM/XII/2026"
        assert letter_number(session, settings, "penolakan", on) == "001/PNL/PPID-DKUKM/XII/2026"
    with sessions() as session:
        begin_write(session)
        assert letter_number(session, settings, "tanggapan", on).startswith("002/")
        session.rollback()  # the letter failed: its number is given back
    with sessions() as session, session.begin():
        begin_write(session)
        assert letter_number(session, settings, "tanggapan", on).startswith("002/")
        assert letter_number(session, settings, "tanggapan", date(2027, 1, 4)) == (
            "001/TKI/PPID-DKUKM/I/2027"
        )
        with pytest.raises(ConfigError, match="letter_number_formats has no 'undangan'"):
            letter_number(session, settings, "undangan", on)


def test_a_letter_pattern_without_seq_is_refused(ppid_home: Path) -> None:
    settings = load_settings(workflow={"letter_number_formats": {"tanggapan": "TKI/{year}"}})
    with open_db(settings)() as session, pytest.raises(ConfigError, match="tanggapan"):
        letter_number(session, settings, "tanggapan", date(2026, 12, 1))


def test_cli_prints_an_empty_register(ppid_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ppid_home / "register.pdf"
    main(["register", "print", "--year", "2026", "--month", "12", "--out", str(out)])
    assert capsys.readouterr().out.strip() == str(out)
    assert "Tidak ada keberatan pada periode ini." in text_of(out)
