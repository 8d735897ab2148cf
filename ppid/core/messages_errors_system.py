"""Error texts of the machine: settings, documents we print, the archive, the intake desk.

Read through `ppid.core.messages` (its `ERRORS`), never directly."""

from __future__ import annotations

from ppid.core.messages_text import ADMIN, Text

SYSTEM_ERRORS: dict[str, Text] = {
    # settings and the machine
    "config.secret_key_unusable": Text(
        "Kunci rahasia aplikasi tidak dapat dipakai; " + ADMIN + ".",
        "{path} holds no usable secret key; remove it (a new one is made at the next start; "
        "everyone logs in again) or set secret_key in ppid.toml",
    ),
    "config.no_working_day": Text(
        "Pengaturan jam kerja tidak memuat satu hari kerja pun; " + ADMIN + ".",
        'working_hours has no working day; set e.g. [working_hours] mon = {{ start = "07:30", '
        'end = "16:00" }} in ppid.toml',
    ),
    "config.timezone": Text(
        "Zona waktu “{name}” tidak dikenal; " + ADMIN + ".",
        "timezone {name!r} is not a known IANA time zone; use e.g. 'Asia/Pontianak' (WIB) in "
        "ppid.toml",
    ),
    "config.hours": Text(
        "Jam kerja hari {weekday} tidak valid (mulai {start}, selesai {end}); " + ADMIN + ".",
        "working_hours.{weekday}: start {start} must be before end {end}; fix it in ppid.toml "
        "or remove the day to close the office",
    ),
    "config.no_working_day_ahead": Text(
        "Tidak ada hari kerja dalam setahun setelah {day}; periksa jam kerja dan cuti bersama; "
        + ADMIN
        + ".",
        "no working day within a year after {day}; check working_hours and days_off in ppid.toml",
    ),
    "db.bad_url": Text(
        "Alamat basis data tidak valid; " + ADMIN + ".",
        "database_url {url!r} is not a database URL: {problem}",
    ),
    "db.no_driver": Text(
        "Pengandar PostgreSQL belum terpasang; " + ADMIN + ".",
        "PostgreSQL needs the psycopg driver ({missing} is missing); install it with "
        "`uv sync --extra postgres`",
    ),
    "db.unsupported": Text(
        "Jenis basis data ini tidak didukung; " + ADMIN + ".",
        "database_url uses {backend!r}; only sqlite and postgresql are supported",
    ),
    "smtp.not_set": Text(
        "Pengiriman e-mail belum diatur; " + ADMIN + ".",
        "mail.smtp_url is not set; no e-mail can be sent",
    ),
    "smtp.bad_url": Text(
        "Alamat server pengirim e-mail tidak valid; " + ADMIN + ".",
        "mail.smtp_url must look like smtps://USER:PASSWORD@HOST:465 or "
        "smtp://USER:PASSWORD@HOST:587?starttls=1",
    ),
    "smtp.ca_file": Text(
        "Berkas sertifikat untuk e-mail tidak dapat dibaca; " + ADMIN + ".",
        "mail.ca_file {path!r} cannot be read: {problem}",
    ),
    "mail.not_imap": Text(
        "Alamat kotak surat bukan alamat IMAP; " + ADMIN + ".",
        "mail_url {shown}… is not an IMAP address; write imaps://USER:PASSWORD@HOST:993/INBOX "
        "(or imap://… with ?starttls=1)",
    ),
    "mail.bad_port": Text(
        "Port kotak surat tidak valid; " + ADMIN + ".",
        "mail_url for host {host}: bad port",
    ),
    "mail.none_configured": Text(
        "Belum ada kotak surat yang diatur; " + ADMIN + ".",
        "no mailbox configured: set mail_url in ppid.toml or PPID_MAIL_URL",
    ),
    "mail.unreachable": Text(
        "Kotak surat {label} tidak dapat dihubungi; pemeriksaan berikutnya mencoba lagi.",
        "cannot reach the mailbox {label}: {problem}",
    ),
    "mail.login_refused": Text(
        "Kotak surat {label} menolak nama pengguna atau kata sandi; " + ADMIN + ".",
        "the mailbox {label} refused the user name or password; check mail_url (or mail.urls) "
        "in ppid.toml / PPID_MAIL_URL",
    ),
    "mail.no_folder": Text(
        "Kotak surat {label} tidak memiliki folder {folder}; " + ADMIN + ".",
        "the mailbox {label} has no folder {folder!r} or refused it: {problem}",
    ),
    "mail.broke_off": Text(
        "Sambungan ke kotak surat {label} terputus; tidak ada yang hilang, pemeriksaan "
        "berikutnya melanjutkan.",
        "the connection to {label} broke off ({problem}); nothing was lost, the next run continues",
    ),
    "mail.no_message": Text(
        "Server surat tidak mengirim pesan {uid}; akan dicoba lagi.",
        "the server returned no message for UID {uid}; it will be retried",
    ),
    "mail.check_failed": Text(
        "{failed} dari {total} kotak surat gagal diperiksa.",
        "{failed} of {total} mailbox(es) failed the check",
    ),
    "fixity.failed": Text(
        "{damaged} dari {total} arsip keberatan gagal pemeriksaan keutuhan; " + ADMIN + ".",
        "{damaged} of {total} archive bag(s) failed the fixity check: {bags}; restore the files "
        "named by `ppid archive verify` from a backup, then verify again",
    ),
    "archive.original_damaged": Text(
        "Arsip keberatan {number} tertahan: berkas aslinya di penyimpanan arsip tidak lagi sama "
        "dengan yang diterima; " + ADMIN + ".",
        "the original {path} of {number} no longer has the SHA-256 it was received with; restore "
        "it from a backup (`ppid archive verify` lists every damaged original), then run "
        "`ppid archive update`",
    ),
    "archive.store_damaged": Text(
        "{count} berkas asli di penyimpanan arsip rusak atau hilang; " + ADMIN + ".",
        "{count} file(s) of the content store are damaged or missing: {paths}; restore them from "
        "a backup (the SHA-256 in each path says which file belongs there), then run "
        "`ppid archive update`",
    ),
    "role.unknown": Text(
        "Peran “{role}” tidak dikenal.", "unknown role {role!r}; use one of {choices}"
    ),
    # documents we print
    "template.folder_missing": Text(
        "Templat dokumen tidak ditemukan; " + ADMIN + ".",
        "template folder {folder} is missing; reinstall the checkout",
    ),
    "template.not_found": Text(
        "Templat dokumen “{name}” tidak ditemukan; " + ADMIN + ".",
        "template {name} not found under {folder}",
    ),
    "template.undefined": Text(
        "Dokumen tidak dapat dibuat karena datanya belum lengkap; " + ADMIN + ".",
        "template {template}: {problem}; pass it in the context",
    ),
    "output.cannot_write": Text(
        "Dokumen tidak dapat disimpan; " + ADMIN + ".",
        "cannot write {path}: {problem}; choose another path",
    ),
    "form.bad_date": Text(
        "Isian “{name}” bukan tanggal.", "{name}: {value!r} is not a date; give YYYY-MM-DD"
    ),
    "form.too_long": Text(
        "Isian “{name}” terlalu panjang untuk kotak formulir.",
        "{name}: {value!r} has {length} characters, the form has {boxes} boxes",
    ),
    "form.does_not_fit": Text(
        "Isian “{name}” terlalu panjang untuk baris formulir; persingkat teksnya.",
        "{name}: {length} characters do not fit in {lines} line(s) of the form; shorten the text",
    ),
    "ink.unknown_style": Text(
        "Gaya tulisan “{style}” tidak dikenal.", "style {style!r} is unknown; use 'typed' or 'hand'"
    ),
    # the archive
    "archive.bag_changed": Text(
        "Berkas arsip keberatan ini berubah sejak ditulis; arsip tidak diperbarui. " + ADMIN + ".",
        "the archive bag {bag} has files that changed since it was written: {changed}; run "
        "`ppid archive verify`, restore them from a backup, then update the bag again",
    ),
    "archive.rasterise": Text(
        "Berkas lengkap tidak dapat dibuat dari {name}.",
        "cannot rasterise {source} for the dossier: {problem}",
    ),
    "archive.not_pdfa": Text(
        "{count} PDF dalam {total} arsip keberatan bukan PDF/A-3b; " + ADMIN + ".",
        "{count} PDF(s) in {total} bag(s) are not PDF/A-3b: {bags}; `ppid archive verify --json` "
        "names each file and the checker's finding",
    ),
    "output.not_pdfa": Text(
        "Dokumen {title} tidak dapat disimpan sebagai PDF arsip (PDF/A); " + ADMIN + ".",
        "the document {title} is not PDF/A-{flavour}: {problem}",
    ),
    "archive.import_not_empty": Text(
        "Folder arsip tujuan sudah berisi arsip; pilih folder kosong.",
        "{archive} already holds case bags; import into an empty archive folder (set "
        "PPID_ARCHIVE) so nothing is overwritten",
    ),
    "archive.import_unreadable": Text(
        "Berkas ekspor arsip tidak dapat dibaca.",
        "cannot read {path} as an archive export: {problem}",
    ),
    "archive.import_not_export": Text(
        "Berkas ini bukan ekspor arsip.", "{path} is not a ppid archive export ({manifest} missing)"
    ),
    "archive.import_missing": Text(
        "Ekspor arsip tidak lengkap.", "the export lists bags that are not in it: {missing}"
    ),
    "print.no_cups": Text(
        "Pencetak belum terpasang; " + ADMIN + ".",
        "archival.printer is {printer!r} but `lp` (CUPS) is not installed; install cups-client "
        "or clear archival.printer to only write {pdf}",
    ),
    "print.refused": Text(
        "Pencetak menolak dokumen; " + ADMIN + ".", "`lp -d {printer}` refused {pdf}: {problem}"
    ),
    "qr.unknown_case": Text(
        "Kode QR pada {name} menyebut keberatan yang tidak dikenal ({number}).",
        "{name}: QR code names unknown case {number}",
    ),
    # the intake desk
    "desk.no_submission": Text(
        "Pengajuan #{submission} tidak ditemukan.",
        "no submission #{submission}; list them with `ppid pending`",
    ),
    "desk.not_pending": Text(
        "Pengajuan #{submission} tidak lagi menunggu.",
        "submission #{submission} is {status}, not pending",
    ),
    "desk.same_submission": Text(
        "Pilih dua pengajuan yang berbeda untuk digabungkan.",
        "choose two different submissions to join",
    ),
    "desk.needs_note": Text(
        "Tuliskan mengapa berkas ini bukan keberatan (catatan disimpan).",
        "say why this is not an objection (the note is kept)",
        field="catatan",
    ),
    "desk.not_in_quarantine": Text(
        "Berkas “{name}” tidak ada di karantina.",
        "{name!r} is not a file in quarantine; see `ppid quarantine`",
    ),
    "desk.choose_submission": Text("Pilih nomor pengajuan.", "choose a submission number ({name})"),
    "desk.file_not_found": Text("Berkas tidak ditemukan.", "intake file {file} not found"),
    "desk.file_damaged": Text(
        "Berkas ini di penyimpanan arsip tidak lagi sama dengan yang diterima, sehingga tidak "
        "ditampilkan; " + ADMIN + " untuk memulihkannya dari cadangan.",
        "intake file {file} no longer has the SHA-256 it was received with; restore it from a "
        "backup",
    ),
}
