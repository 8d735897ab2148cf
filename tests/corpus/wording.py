"""How other offices word an objection form: label synonyms, reason texts, ticks, per family.

Family b (tuning) and family c (held-out) share no label wording where a real office would
not; a parser that reads labels by meaning reads both, one that learnt b's words does not.
"""

from __future__ import annotations

from dataclasses import dataclass

# The seven reasons of UU 14/2008 Pasal 35(1), as the law words them and as offices shorten them.
REASONS_LAW = (
    ("a", "Penolakan atas permintaan informasi berdasarkan alasan pengecualian"),
    ("b", "Tidak disediakannya informasi berkala"),
    ("c", "Tidak ditanggapinya permintaan informasi"),
    ("d", "Permintaan informasi ditanggapi tidak sebagaimana yang diminta"),
    ("e", "Tidak dipenuhinya permintaan informasi"),
    ("f", "Pengenaan biaya yang tidak wajar"),
    ("g", "Penyampaian informasi yang melebihi waktu yang diatur dalam undang-undang"),
)
REASONS_SHORT = (
    ("a", "Permohonan informasi ditolak"),
    ("b", "Informasi berkala tidak disediakan"),
    ("c", "Permintaan informasi tidak ditanggapi"),
    ("d", "Permintaan informasi ditanggapi tidak sebagaimana yang diminta"),
    ("e", "Permintaan informasi tidak dipenuhi"),
    ("f", "Pengenaan biaya yang tidak wajar"),
    ("g", "Penyampaian informasi melebihi jangka waktu yang diatur"),
)


@dataclass(frozen=True)
class Wording:
    """Label choices per field (dotted names as in the contract) and section titles."""

    labels: dict[str, tuple[str, ...]]
    applicant_title: tuple[str, ...]
    proxy_title: tuple[str, ...]
    reasons_title: tuple[str, ...]
    case_title: tuple[str, ...]
    response_title: tuple[str, ...]
    reason_texts: tuple[tuple[tuple[str, str], ...], ...]
    ticks: tuple[str, ...]  # "✓", "X", "✗", "V", "fill" (a filled box), "circle" (letter ringed)


WORDING_B = Wording(
    labels={
        "registration_number": (
            "Nomor Registrasi Keberatan",
            "No. Register Keberatan",
            "No. Reg. Keberatan",
        ),
        "request_number": (
            "Nomor Registrasi Permohonan Informasi",
            "No. Pendaftaran Permintaan Informasi",
            "Nomor Permohonan Informasi",
        ),
        "purpose": (
            "Tujuan Penggunaan Informasi",
            "Maksud Penggunaan Informasi",
            "Tujuan Permintaan Informasi",
        ),
        "applicant.name": ("Nama Lengkap", "Nama Pemohon", "Nama"),
        "applicant.nik": ("No. KTP/NIK", "NIK", "Nomor Induk Kependudukan"),
        "applicant.address": ("Alamat Lengkap", "Alamat Rumah", "Alamat"),
        "applicant.occupation": ("Pekerjaan/Profesi", "Pekerjaan"),
        "applicant.phone": ("No. Telp/HP", "Nomor HP/WhatsApp", "No. Telepon"),
        "applicant.email": ("Alamat E-mail", "Surel", "E-mail"),
        "proxy.name": ("Nama Kuasa", "Nama"),
        "proxy.address": ("Alamat Kuasa", "Alamat"),
        "proxy.phone": ("No. Telp/HP Kuasa", "No. Telepon"),
    },
    applicant_title=("IDENTITAS PEMOHON", "Data Pemohon Informasi"),
    proxy_title=("IDENTITAS KUASA PEMOHON (apabila dikuasakan)", "Kuasa Pemohon (jika ada)"),
    reasons_title=("ALASAN KEBERATAN (beri tanda pada kotak)", "Alasan Pengajuan Keberatan"),
    case_title=("Uraian Kasus Posisi", "Kronologi Singkat / Kasus Posisi"),
    response_title=("Tanggal Tanggapan atas Keberatan", "Waktu Pemberian Tanggapan"),
    reason_texts=(REASONS_SHORT,),
    ticks=("✓", "fill", "X"),
)

WORDING_C = Wording(
    labels={
        "registration_number": ("No. Registrasi", "Register Keberatan Nomor", "Nomor Agenda"),
        "request_number": (
            "Reg. Permohonan Informasi No.",
            "No. Bukti Permohonan Informasi",
            "Nomor Surat Permohonan",
        ),
        "purpose": ("Kegunaan Informasi", "Informasi akan digunakan untuk", "Rencana Penggunaan"),
        "applicant.name": ("Nama Pengaju", "Nama Pemohon Informasi", "Nama"),
        "applicant.nik": ("NIK / No. KTP", "Nomor KTP", "No. Identitas (NIK)"),
        "applicant.address": ("Alamat Tempat Tinggal", "Alamat Domisili", "Alamat Sesuai KTP"),
        "applicant.occupation": ("Profesi", "Pekerjaan Pemohon"),
        "applicant.phone": ("Telepon / HP", "No. HP", "Kontak (HP/WA)"),
        "applicant.email": ("Email", "Alamat Surel", "Surat Elektronik"),
        "proxy.name": ("Nama Penerima Kuasa", "Nama"),
        "proxy.address": ("Alamat Penerima Kuasa", "Alamat"),
        "proxy.phone": ("Telepon Penerima Kuasa", "Kontak"),
    },
    applicant_title=("Data Pengaju Keberatan", "I. PENGAJU"),
    proxy_title=("Penerima Kuasa", "II. KUASA (diisi bila keberatan dikuasakan)"),
    reasons_title=("Dasar Keberatan (Pasal 35 ayat 1 UU 14/2008)", "Alasan"),
    case_title=("Ringkasan Kasus", "Uraian Keberatan"),
    response_title=("Tanggapan akan diberikan pada", "Hari/Tanggal Jawaban"),
    reason_texts=(REASONS_LAW,),
    ticks=("✗", "circle", "V"),
)
