"""Error texts of the web apps: accounts, the staff app, and the public site's uploads, filing and
form fields.

Read through `ppid.core.messages` (its `ERRORS`), never directly."""

from __future__ import annotations

from ppid.core.messages_text import ADMIN, Text

WEB_ERRORS: dict[str, Text] = {
    # accounts
    "user.password_short": Text(
        "Kata sandi terlalu pendek; gunakan sedikitnya {minimum} karakter.",
        "the password is too short; use at least {minimum} characters",
        field="password",
    ),
    "user.bad_name": Text(
        "Nama pengguna hanya boleh berisi huruf, angka, titik, tanda hubung atau garis bawah.",
        "username {username!r}: use letters, digits, '.', '-' or '_'",
        field="username",
    ),
    "user.unknown_role": Text(
        "Peran “{role}” tidak dikenal.",
        "unknown role {role!r}; choose one of {choices}",
        field="role",
    ),
    "user.exists": Text(
        "Nama pengguna “{username}” sudah dipakai; pilih yang lain.",
        "user {username!r} already exists; pick another username",
        field="username",
    ),
    "user.not_found": Text(
        "Pengguna “{username}” tidak ditemukan.",
        "no user {username!r}; add one with `ppid user add`",
    ),
    "user.no_password": Text(
        "Kata sandi belum diisi.", "no password given; type one or pipe it to --password-stdin"
    ),
    # the web app
    "web.not_found": Text(
        "Halaman atau berkas yang diminta tidak ada.", "no such page or file: {path}"
    ),
    "web.bad_address": Text(
        "Alamat halaman tidak valid. Periksa tautannya atau kembali ke halaman utama.",
        "the address is not valid: {path}",
    ),
    "web.server_error": Text(
        "Terjadi kesalahan pada server. Coba lagi sebentar lagi; bila berulang, " + ADMIN + ".",
        "unexpected error on {method} {path}",
    ),
    "web.login_failed": Text(
        "Nama pengguna atau kata sandi salah.", "wrong user name or password for {username!r}"
    ),
    "web.login_blocked": Text(
        "Terlalu banyak percobaan masuk yang salah. Coba lagi 15 menit lagi, atau minta "
        "administrator membuka kunci akun Anda.",
        "too many failed logins for {username!r} from {client}",
    ),
    "web.role_forbidden": Text(
        "Halaman ini tidak tersedia untuk peran Anda.", "this page is not for the role {role}"
    ),
    "web.csrf": Text(
        "Formulir ditolak karena token keamanan (CSRF) tidak cocok. Muat ulang halaman lalu "
        "kirim lagi.",
        "the form's CSRF token does not match this browser's session",
    ),
    "web.nik_forbidden": Text(
        "NIK hanya dapat dilihat oleh petugas yang berwenang.",
        "this role may not see full NIKs",
    ),
    "web.id_scan_forbidden": Text(
        "Scan KTP hanya dapat dilihat oleh petugas yang berwenang.",
        "this role may not open ID scans",
    ),
    "web.file_not_found": Text(
        "Berkas tidak ditemukan di arsip.", "file {path} is not in the archive"
    ),
    "web.document_not_found": Text("Berkas tidak ditemukan.", "no document with id {document}"),
    "web.document_damaged": Text(
        "Berkas asli ini di penyimpanan arsip tidak lagi sama dengan yang diterima, sehingga "
        "tidak ditampilkan; " + ADMIN + " untuk memulihkannya dari cadangan.",
        "document {document} no longer has the SHA-256 it was received with; restore it from a "
        "backup (`ppid archive verify` lists every damaged original)",
    ),
    "web.no_redacted_copy": Text(
        "Berkas ini memuat NIK yang letaknya tidak diketahui, sehingga tidak dapat ditampilkan "
        "dengan NIK disamarkan. Minta petugas yang berwenang untuk melihatnya.",
        "document {document} holds a NIK whose place is unknown: no redacted copy can be made",
    ),
    "crop.no_box": Text(
        "Kolom ini tidak punya posisi pada scan.", "field {field} has no box in document {document}"
    ),
    "crop.bad_box": Text(
        "Posisi kolom pada scan tidak lengkap.", "the field's box {box} is incomplete"
    ),
    "crop.outside": Text(
        "Posisi kolom berada di luar halaman scan.", "the field's box lies outside the page"
    ),
    "crop.page_unreadable": Text(
        "Halaman {page} dari {name} tidak dapat dibuka.", "page {page} of {name} cannot be opened"
    ),
    "crop.page_unrendered": Text(
        "Halaman {page} dari {name} tidak dapat ditampilkan.",
        "{name}: page {page} could not be rendered",
    ),
    # the public site: uploads (checked before anything is taken)
    "upload.empty": Text(
        "{label}: berkas belum dipilih atau kosong.", "{label}: no file, or an empty one"
    ),
    "upload.too_big": Text(
        "{label}: ukuran berkas {size_mb} MB melebihi batas {limit_mb} MB. Kirim foto dengan "
        "resolusi lebih kecil.",
        "{label}: {size_mb} MB, over the {limit_mb} MB limit (public.max_upload_mb)",
    ),
    "upload.kind": Text(
        "{label}: jenis berkas tidak diterima. Kirim foto (JPEG, PNG, WEBP) atau PDF.",
        "{label}: a file of kind {kind}, not a photo or a PDF",
    ),
    "upload.unreadable": Text(
        "{label}: berkas tidak dapat dibaca (rusak, terkunci kata sandi, atau terlalu besar). "
        "Kirim foto yang jelas atau PDF biasa.",
        "{label}: {reason}",
    ),
    "upload.no_card": Text(
        "KTP tidak dikenali pada foto atau berkas yang diunggah. Unggah foto KTP yang tegak, "
        "tajam dan tidak terpotong, lalu kirim lagi.",
        "no ID card was found in the upload",
    ),
    "upload.incomplete": Text(
        "{problem} Unggah foto KTP yang tegak, tajam dan tidak terpotong, lalu kirim lagi.",
        "the filing is not complete: {problem}",
    ),
    "upload.card_reused": Text(
        "Foto KTP yang sama persis sudah dipakai pada pengajuan sebelumnya. Ambil foto KTP yang "
        "baru, lalu kirim lagi.",
        "the same ID card file was filed before (intake file {intake_id})",
    ),
    # the public site: filing and following a case
    "public.filing_limit": Text(
        "Terlalu banyak pengajuan dari alamat ini. Coba lagi satu jam lagi.",
        "too many filings from {client} in an hour (public.submissions_per_hour)",
    ),
    "public.lookup_limit": Text(
        "Terlalu banyak percobaan. Coba lagi 15 menit lagi.",
        "too many failed status look-ups from {client}",
    ),
    "public.no_match": Text(
        "Nomor registrasi atau enam angka terakhir NIK tidak cocok. Periksa tanda terima Anda.",
        "no case with that register number and NIK",
    ),
    "public.hidden_field": Text(
        "Pengajuan tidak dapat diproses.", "the hidden field was filled: refused as a bot"
    ),
    "public.not_registered": Text(
        "Pengajuan diterima tetapi belum dapat diregistrasi; petugas akan memeriksanya.",
        "the filing waits on the intake desk: {reason}",
    ),
    "public.letter_not_found": Text(
        "Halaman atau surat yang diminta tidak ada.",
        "no letter {document_id} was sent on the case this browser follows",
    ),
    "public.reaction_not_found": Text(
        "Tautan ini tidak berlaku. Buka tautan persis seperti pada e-mail tanggapan.",
        "the reaction link is not one we signed, or its case or letter is gone",
    ),
    "public.letter_missing": Text(
        "Surat ini belum tersedia untuk diunduh; " + ADMIN + ".",
        "letter {document_id} is missing from the archive",
    ),
    # the public site: the form's fields, shown beside each
    "filing.required": Text("{label} wajib diisi.", "{label} is required"),
    "filing.too_long": Text(
        "{label} paling banyak {longest} karakter.", "{label} is longer than {longest}"
    ),
    "filing.nik": Text(
        "NIK harus 16 angka sesuai KTP: kode wilayah, tanggal lahir dan nomor urut yang "
        "berlaku. Periksa kembali.",
        "the NIK fails its structure or region check",
    ),
    "filing.request_number": Text(
        "Nomor pendaftaran permohonan tidak sesuai format, contoh: {example}.",
        "the request number does not match public.request_number_pattern",
    ),
    "filing.email": Text(
        "Alamat e-mail tidak sesuai format, contoh: nama@contoh.id.", "not an e-mail address"
    ),
    "filing.phone": Text(
        "Nomor telepon hanya berisi angka, contoh: 081234567890.", "not a telephone number"
    ),
    "filing.reasons": Text("Pilih paling sedikit satu alasan keberatan.", "no reason was ticked"),
    "filing.proxy_letter": Text(
        "Pengajuan melalui kuasa wajib melampirkan surat kuasa.",
        "a proxy is named without the proxy's letter",
    ),
    "filing.declaration": Text(
        "Centang pernyataan kebenaran data untuk mengirim.", "the declaration is not ticked"
    ),
    "filing.card_missing": Text("Unggah foto atau scan KTP pemohon.", "no ID card upload"),
}
