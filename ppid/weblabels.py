"""Indonesian labels the web pages show for field names, decisions, documents and history."""

from __future__ import annotations

FIELD_LABELS = {
    "registration_number": "Nomor registrasi",
    "request_number": "Nomor pendaftaran permohonan",
    "purpose": "Tujuan penggunaan informasi",
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
}
# Form field (dotted) -> Case attribute: what the petugas may correct in place.
CASE_FIELDS = {
    "request_number": "request_number",
    "purpose": "purpose",
    "applicant.name": "applicant_name",
    "applicant.nik": "applicant_nik",
    "applicant.address": "applicant_address",
    "applicant.occupation": "applicant_occupation",
    "applicant.phone": "applicant_phone",
    "applicant.email": "applicant_email",
    "proxy.name": "proxy_name",
    "proxy.address": "proxy_address",
    "proxy.phone": "proxy_phone",
    "reasons": "reason_letters",
    "case_description": "case_description",
    "place": "signed_place",
    "date": "signed_date",
}
DOCUMENT_LABELS = {
    "form": "Formulir keberatan",
    "id_card": "KTP pemohon",
    "receipt": "Tanda terima",
    "perintah": "Surat perintah",
    "tanggapan": "Tanggapan atas keberatan",
    "penolakan": "Surat penolakan",
    "other": "Berkas lain",
}


DECISION_TEXTS = {
    "forward": "Data benar dan lengkap: teruskan ke Bidang",
    "return": "Kembalikan kepada pemohon (tidak lengkap)",
    "recommend": "Teruskan ke Atasan PPID dengan rekomendasi",
    "order": "Perintahkan agar keberatan ditanggapi",
    "dismiss": "Tidak ditindaklanjuti (penolakan dikuatkan, dengan alasan)",
    "available": "Informasi ada di DIP: berikan",
    "exempt": "Informasi dikecualikan (Pasal 17)",
    "not_held": "Informasi tidak dikuasai",
    "send": "Tandatangani dan kirim surat",
    "revise": "Kembalikan ke Bidang untuk diperbaiki",
    "accepted": "Pemohon menerima tanggapan",
    "dispute": "Pemohon mengajukan sengketa ke Komisi Informasi",
    "no_response": "Tidak ada tanggapan pemohon",
}


ACTION_LABELS = {
    "registered": "Diregistrasi",
    "document_received": "Berkas diterima",
    "document_generated": "Dokumen dibuat",
    "step": "Langkah SOP",
    "correction": "Koreksi langkah",
    "possible_duplicate": "Kemungkinan ganda",
    "duplicate_received": "Berkas sama diterima lagi",
    "archive_sealed": "Arsip disegel",
}
