"""The pages' own words in Bahasa Indonesia that no template holds: titles, headings, buttons,
the labels of fields, decisions and history events."""

from __future__ import annotations

from functools import partial

from ppid.core.messages_text import text_of

# --- the pages' own words that no template holds -------------------------------------------------

PAGE_TITLES: dict[str, str] = {
    "login": "Masuk",
    "dashboard": "Dasbor",
    "queue": "Antrean tugas",
    "desk": "Meja penerimaan",
    "admin": "Administrasi",
    "archive": "Arsip keberatan",
    "case": "Keberatan {number}",
    "confirm": "Periksa sebelum menyimpan",
    "public.form": "Pengajuan keberatan",
    "public.received": "Keberatan diterima",
    "public.lookup": "Cek status keberatan",
    "public.status": "Keberatan {number}",
    "public.reaction": "Sikap atas tanggapan {number}",
    "public.too_large": "Berkas terlalu besar",
}
page_title = partial(text_of, PAGE_TITLES)


PAGE_WORDS: dict[str, str] = {
    # what the person deciding a step has in front of them
    "summary.information_requested": "Informasi yang dimohon",
    "summary.findings": "Temuan dan rekomendasi Bidang",
    "summary.instruction": "Instruksi Atasan PPID",
    "summary.bidang_note": "Catatan Bidang",
    "summary.fulfilment": "Hasil pemenuhan",
    "summary.dip": "Informasi dari DIP",
    "summary.exemption": "Dasar pengecualian",
    "summary.exemption_ground": "Pasal 17 huruf {letter}: {text}",
    "summary.consequence": "Uji konsekuensi",
    "confirm.with_letters": "Ya, terbitkan surat dan simpan",
    "confirm.without_letters": "Ya, simpan keputusan",
    # values read from the scans
    "value.yes": "ya",
    "value.no": "tidak",
    "value.present": "ada",
    "value.absent": "tidak ada",
    "group.form": "Formulir keberatan",
    "group.id_card": "KTP pemohon",
    # a case's files, by kind
    "kind.original": "asli",
    "kind.output": "dibuat sistem",
    "kind.signed": "bertanda tangan",
    "kind.other": "berkas",
    # what an ID-scan view saw (the audit on the admin page)
    "viewed.berkas": "berkas utuh",
    "viewed.meja": "berkas di meja",
    "viewed.paket-arsip": "paket arsip",
    "viewed.crop": "potongan kolom “{field}”",
    # the public site
    "upload.ktp": "Foto/scan KTP",
    "upload.proxy_letter": "Surat kuasa",
    "letter": "Surat",
    "too_large": "Kiriman terlalu besar. Kirim foto dengan resolusi lebih kecil, lalu coba lagi.",
}
page_words = partial(text_of, PAGE_WORDS)


# The public filing form's fields, by their dotted name in the extraction contract.
PUBLIC_FORM_LABELS = {
    "applicant.name": "Nama pemohon",
    "applicant.nik": "NIK",
    "applicant.address": "Alamat",
    "applicant.occupation": "Pekerjaan",
    "applicant.phone": "Nomor telepon",
    "applicant.email": "Alamat e-mail",
    "proxy.name": "Nama kuasa",
    "proxy.address": "Alamat kuasa",
    "proxy.phone": "Telepon kuasa",
    "request_number": "Nomor pendaftaran permohonan informasi",
    "purpose": "Tujuan penggunaan informasi",
    "case_description": "Kasus posisi",
    "place": "Kota tempat pengajuan",
}


# --- labels the pages show ------------------------------------------------------------------------

# Extracted and case fields, by their dotted name in the extraction contract (parsers/model.py).
FIELD_LABELS = {
    "registration_number": "Nomor registrasi",
    "request_number": "Nomor pendaftaran permohonan",
    "purpose": "Tujuan penggunaan informasi",
    "information_requested": "Rincian informasi yang dibutuhkan",
    "applicant.name": "Nama pemohon",
    "applicant.nik": "NIK pemohon",
    "applicant.address": "Alamat",
    "applicant.occupation": "Pekerjaan",
    "applicant.phone": "Nomor telepon",
    "applicant.email": "E-mail",
    "proxy.name": "Nama kuasa",
    "proxy.address": "Alamat kuasa",
    "proxy.phone": "Telepon kuasa",
    "reasons": "Alasan keberatan",
    "case_description": "Kasus posisi",
    "response_date": "Tanggal tanggapan",
    "place": "Tempat",
    "date": "Tanggal",
    "signed": "Tanda tangan",
    "nik": "NIK",
    "name": "Nama",
    "birth_place": "Tempat lahir",
    "birth_date": "Tanggal lahir",
    "sex": "Jenis kelamin",
    "blood_type": "Gol. darah",
    "address": "Alamat",
    "rt_rw": "RT/RW",
    "village": "Kel/Desa",
    "district": "Kecamatan",
    "religion": "Agama",
    "marital_status": "Status perkawinan",
    "occupation": "Pekerjaan",
    "nationality": "Kewarganegaraan",
    "valid_until": "Berlaku hingga",
    "province": "Provinsi",
    "regency": "Kabupaten/Kota",
    "issued_place": "Tempat terbit",
    "issued_date": "Tanggal terbit",
}


def field_label(name: str) -> str:
    """The Indonesian label of a field name; an unknown one as "kolom lain"."""
    return FIELD_LABELS.get(name, FIELD_LABELS.get(name.rsplit(".", 1)[-1], "kolom lain"))


# The choices of each step's form, by decision.
DECISION_TEXTS = {
    "forward": "Data benar dan lengkap: teruskan ke Bidang",
    "return": "Kembalikan kepada pemohon (tidak lengkap), dengan surat pengembalian",
    "recommend": "Teruskan ke Atasan PPID dengan rekomendasi",
    "order": "Perintahkan agar keberatan ditanggapi",
    "dismiss": "Tidak ditindaklanjuti (penolakan dikuatkan, dengan alasan tertulis)",
    "available": "Informasi ada di DIP: berikan",
    "exempt": "Informasi dikecualikan (Pasal 17)",
    "not_held": "Informasi tidak dikuasai",
    "send": "Tandatangani dan kirim surat",
    "revise": "Kembalikan ke Bidang untuk diperbaiki",
    "accepted": "Pemohon menerima tanggapan",
    "dispute": "Pemohon mengajukan sengketa ke Komisi Informasi",
    "no_response": "Tidak ada tanggapan pemohon",
    "signed": "Salinan bertanda tangan sudah diterima (tanpa pindaian: tulis alasannya)",
    "correction": "Koreksi langkah",
}

# What a person types for the letter of each decision that prints one (`data["letter_text"]`).
LETTER_TEXT_HINTS = {
    "return": "Alasan pengembalian untuk pemohon: dicetak pada surat pengembalian (wajib).",
    "order": "Instruksi untuk Bidang: dicetak pada surat perintah dan lembar disposisi "
    "(boleh kosong).",
    "dismiss": "Alasan tertulis untuk pemohon (Pasal 36 ayat (3)): dicetak pada surat tanggapan "
    "(wajib).",
    "send": "Pertimbangan untuk pemohon: dicetak pada surat tanggapan atau surat penolakan "
    "(boleh kosong).",
}
# What the note of a decision is for, where it is more than a note for the file.
NOTE_HINTS = {
    "recommend": "Temuan dan rekomendasi Bidang (wajib): dibaca Atasan PPID dan dicetak pada "
    "lembar disposisi untuk Bidang.",
    "revise": "Apa yang perlu diperbaiki Bidang (wajib).",
    "signed": "Mengapa tanda tangan dikonfirmasi tanpa pindaian salinan bertanda tangan (wajib).",
    "accepted": "Dicatat sebagai keterangan pada register keberatan.",
    "dispute": "Dicatat sebagai keterangan pada register keberatan.",
    "no_response": "Dicatat sebagai keterangan pada register keberatan.",
}
# What taking a decision that must be confirmed first will do.
CONFIRM_TEXTS = {
    "return": "Keberatan ditutup dan surat pengembalian diterbitkan untuk pemohon.",
    "order": "Surat perintah dan lembar disposisi diterbitkan untuk Bidang.",
    "dismiss": "Surat tanggapan (keberatan ditolak, keputusan PPID dikuatkan) diterbitkan untuk "
    "pemohon.",
    "send": "Surat untuk pemohon diterbitkan dengan nomor dan tanggal hari ini.",
    "accepted": "Keberatan ditutup; arsipnya disegel dan tidak dapat diubah lagi.",
    "dispute": "Keberatan ditutup; arsipnya disegel dan tidak dapat diubah lagi.",
    "no_response": "Keberatan ditutup; arsipnya disegel dan tidak dapat diubah lagi.",
}

# What each kind of history event is called on the case page.
ACTION_LABELS = {
    "registered": "Diregistrasi",
    "document_received": "Berkas diterima",
    "document_generated": "Dokumen dibuat",
    "document_reissued": "Dokumen diterbitkan ulang",
    "document_signed": "Salinan bertanda tangan diterima",
    "step": "Langkah SOP",
    "correction": "Koreksi langkah",
    "value_corrected": "Perbaikan data",
    "possible_duplicate": "Kemungkinan ganda",
    "duplicate_received": "Berkas sama diterima lagi",
    "archive_sealed": "Arsip disegel",
    "fixity_check": "Pemeriksaan keutuhan arsip",
    "id_scan_destroyed": "Scan KTP dimusnahkan",
}
# Who did it, when it was the system rather than a person.
SYSTEM_ACTORS = {
    "sistem-intake": "Sistem (penerimaan berkas)",
    "sistem-arsip": "Sistem (arsip)",
    "sistem": "Sistem",
    "tanpa-nama": "Tanpa nama",
    "pemohon": "Pemohon (melalui tautan e-mail)",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "Catatan sistem")


def actor_label(actor: str) -> str:
    return SYSTEM_ACTORS.get(actor, actor)
