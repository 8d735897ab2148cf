"""Every text a person reads that no template holds, in Bahasa Indonesia; errors with stable codes.

Users read Bahasa Indonesia only. An error carries a code (`ppid.core.errors.PpidError`); the web
app shows `user_text(code)`, the CLI and the logs keep the English operator text beside it
(`operator_text(code)`). Besides errors the catalogue holds the step validation texts, success
notices, history labels and notes, quarantine notes, the e-mails no template holds, notes in files
(DITAHAN.txt, the dossier, bag metadata), page titles and words, field and decision labels of
the pages, and the Indonesian reading of the extraction's English notes (`reading_note`) and
refusals (`refusal_text`), which come from `parsers/` (that package speaks English to operators
and imports nothing of ours).

The errors stand here; the other tables beside this module (`messages_notes`, `messages_pages`,
`messages_readings`, all read through it) and the shape of a text in `messages_text`.

Placeholders are `str.format` fields; a list or tuple value is joined with commas, so a Python
list never reaches a page. tests/test_messages.py checks that every raise names a code that is
here, with the placeholders both texts use, that no Indonesian text slips into English, and that
no Indonesian sentence stands elsewhere in the product (but for the vocabulary's labels and the
few places that test names).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

from ppid.core.messages_notes import (
    FILE_NOTES,
    HISTORY_NOTES,
    MAIL_TEXTS,
    NOTICES,
    QUARANTINE,
    QUARANTINE_MARKERS,
    QUARANTINE_NOTE,
    SPECIAL_FILES,
    file_note,
    history_note,
    mail_text,
    notice,
    quarantine_note,
    quarantine_texts,
)
from ppid.core.messages_pages import (
    ACTION_LABELS,
    CONFIRM_TEXTS,
    DECISION_TEXTS,
    FIELD_LABELS,
    LETTER_TEXT_HINTS,
    NOTE_HINTS,
    PAGE_TITLES,
    PAGE_WORDS,
    PUBLIC_FORM_LABELS,
    SYSTEM_ACTORS,
    action_label,
    actor_label,
    field_label,
    page_title,
    page_words,
)
from ppid.core.messages_readings import (
    UNKNOWN_NOTE,
    UNKNOWN_REFUSAL,
    reading_note,
    refusal_text,
)
from ppid.core.messages_text import (
    Text,
    fill,
    placeholders,
)

# The catalogue is this module: the tables beside it are read through it.
__all__ = [
    "ACTION_LABELS",
    "ADMIN",
    "CONFIRM_TEXTS",
    "DECISION_TEXTS",
    "ERRORS",
    "ERROR_TITLES",
    "FIELD_LABELS",
    "FILE_NOTES",
    "HISTORY_NOTES",
    "LETTER_TEXT_HINTS",
    "MAIL_TEXTS",
    "NOTE_HINTS",
    "NOTICES",
    "PAGE_TITLES",
    "PAGE_WORDS",
    "PUBLIC_FORM_LABELS",
    "QUARANTINE",
    "QUARANTINE_MARKERS",
    "QUARANTINE_NOTE",
    "SPECIAL_FILES",
    "SYSTEM_ACTORS",
    "UNKNOWN_ERROR",
    "UNKNOWN_NOTE",
    "UNKNOWN_REFUSAL",
    "Text",
    "action_label",
    "actor_label",
    "error_field",
    "field_label",
    "file_note",
    "fill",
    "history_note",
    "mail_text",
    "notice",
    "operator_text",
    "page_title",
    "page_words",
    "placeholders",
    "quarantine_note",
    "quarantine_texts",
    "reading_note",
    "recognise",
    "refusal_text",
    "user_text",
]


# --- errors, by code ------------------------------------------------------------------------------

ADMIN = "hubungi administrator sistem"
ERRORS: dict[str, Text] = {
    # cases and the register
    "case.not_found": Text(
        "Keberatan nomor {number} tidak ditemukan.",
        "No case with register number {number!r}; list them with `ppid cases`",
    ),
    "case.id_not_found": Text("Keberatan ini tidak ditemukan.", "no case with id {case_id}"),
    "notice.not_found": Text(
        "Pemberitahuan ini tidak ada atau sudah terkirim.",
        "no unsent notice {notice} on case {case_id}",
    ),
    "case.already_registered": Text(
        "Keberatan {number} sudah teregistrasi dan tetap memakai nomornya.",
        "case {number} is already registered; it keeps its number",
    ),
    "case.naive_time": Text(
        "Waktu penerimaan tidak memiliki zona waktu; " + ADMIN + ".",
        "received_at {received_at} has no time zone; pass UTC",
    ),
    # the SOP's steps
    "step.none_open": Text(
        "Keberatan {number} berstatus “{status_label}”: tidak ada langkah yang terbuka. Langkah "
        "terakhir yang keliru dapat dibatalkan dengan koreksi langkah.",
        "case {number} is {status}: no step is open; a mistaken last step is undone with "
        "--decision correction",
    ),
    "step.unknown_decision": Text(
        "Keputusan yang dipilih tidak dikenal; pilih salah satu pilihan pada formulir.",
        "unknown decision {decision!r}; decisions: {known}",
        field="decision",
    ),
    "step.other_role": Text(
        "Keberatan {number} menunggu langkah “{step_label}”, yang diambil oleh {role_label}; "
        "Anda masuk sebagai {acting_label}.",
        "case {number} waits for '{step_label}', a step of the {role_label} ({role}); you act "
        "as {acting}",
    ),
    "step.out_of_order": Text(
        "Keputusan “{decision_label}” termasuk langkah “{owner_label}”, sedangkan keberatan "
        "{number} berada pada langkah “{step_label}”. Langkah diambil berurutan.",
        "'{decision}' belongs to the step '{owner_label}', but case {number} is at "
        "'{step_label}' ({status}); steps are taken in order — decisions now: {decisions}",
        field="decision",
    ),
    "step.return_needs_reason": Text(
        "Tuliskan alasan pengembalian untuk pemohon; alasan ini dicetak pada surat pengembalian.",
        "'return' needs the reason for the applicant, printed in the return letter "
        "(data letter_text, --letter-text)",
        field="letter_text",
    ),
    "step.recommend_needs_findings": Text(
        "Tuliskan temuan dan rekomendasi Bidang.",
        "'recommend' needs a note: the Bidang's findings and recommendation (--note)",
        field="note",
    ),
    "step.dismiss_needs_reasons": Text(
        "Tuliskan alasan tertulis untuk pemohon (Pasal 36 ayat (3)); alasan ini dicetak pada "
        "surat tanggapan.",
        "'dismiss' needs the written reasons for upholding the refusal (Pasal 36(3)), printed in "
        "the answer (data letter_text, --letter-text)",
        field="letter_text",
    ),
    "step.revise_needs_note": Text(
        "Tuliskan apa yang perlu diperbaiki oleh Bidang.",
        "'revise' needs a note: what the Bidang should change (--note)",
        field="note",
    ),
    "step.signed_needs_note": Text(
        "Tuliskan mengapa tanda tangan dikonfirmasi tanpa pindaian salinan bertanda tangan.",
        "'signed' needs a note: why the signature is confirmed without a scanned signed copy "
        "(--note)",
        field="note",
    ),
    "step.needs_dip_items": Text(
        "Pilih sedikitnya satu informasi dari Daftar Informasi Publik (DIP) yang diberikan.",
        "'available' needs the DIP items given (data dip_items, --item)",
        field="dip_item",
    ),
    "step.dip_items_exempt": Text(
        "Informasi berikut dikecualikan dalam DIP: {titles}. Pilih keputusan “Informasi "
        "dikecualikan” untuk informasi ini.",
        "DIP items {titles} are exempt; decide 'exempt' instead",
        field="dip_item",
    ),
    "step.exempt_needs_ground": Text(
        "Pilih dasar pengecualian (Pasal 17 huruf a–j).",
        "'exempt' needs the Pasal 17 ground: data pasal17 = a letter a–j",
        field="pasal17",
    ),
    "step.exempt_needs_consequence": Text(
        "Tuliskan uji konsekuensi; uji ini dicetak pada surat penolakan.",
        "'exempt' needs the consequence test (uji konsekuensi), printed in the rejection "
        "(data consequence, --consequence)",
        field="consequence",
    ),
    "step.not_signed_copy": Text(
        "Dokumen yang dipilih bukan salinan bertanda tangan dari keberatan {number}.",
        "document {document} is not a signed copy of case {number}",
    ),
    "step.no_letter_to_preview": Text(
        "Keputusan ini tidak menerbitkan surat; tidak ada yang dipratinjau.",
        "this decision issues no letter; there is nothing to preview",
    ),
    "step.still_running": Text(
        "Langkah ini masih diproses. Muat ulang halaman keberatan sebentar lagi.",
        "the step is still running as flow run {run!r} after {seconds} s; look at the case "
        "again in a minute (`ppid case show`)",
    ),
    "step.not_started": Text(
        "Langkah ini tidak dijalankan karena sistem pemroses sedang tidak aktif. Coba lagi "
        "sebentar lagi; bila berulang, " + ADMIN + ".",
        "no worker started the step's flow run {run!r} within {seconds} s, so it was cancelled "
        "and the step was not taken; is `ppid run` running? Try again, or raise "
        "workflow.step_timeout_seconds",
    ),
    "step.run_failed": Text(
        "Langkah ini gagal diproses dan tidak tersimpan. Coba lagi; bila berulang, " + ADMIN + ".",
        "the step's flow run {run!r} failed: {detail}",
    ),
    # undoing a step
    "correction.nothing_to_undo": Text(
        "Keberatan {number} belum memiliki langkah yang dapat dikoreksi.",
        "case {number} has no step to correct yet",
    ),
    "correction.other_role": Text(
        "Langkah terakhir ({step_label}) diambil oleh {role_label}; hanya peran itu atau Atasan "
        "PPID yang dapat mengoreksinya.",
        "the last step ({step}, {decision}) was taken by the {role_label}; only they or the "
        "Atasan PPID may correct it",
    ),
    "correction.needs_note": Text(
        "Tuliskan apa yang keliru pada langkah tersebut.",
        "'correction' needs a note: what was wrong with the step (--note)",
        field="note",
    ),
    # correcting values the extraction read
    "amend.unknown_field": Text(
        "Kolom {fields} tidak dapat dikoreksi di sini.",
        "cannot correct {fields}; correctable: {correctable}",
    ),
    "amend.needs_reason": Text(
        "Tuliskan alasan perbaikan (misalnya: “salah baca, lihat scan”).",
        "a correction needs its reason (--reason)",
        field="reason",
    ),
    "amend.nothing_changed": Text(
        "Tidak ada nilai yang berubah; ubah kolom yang salah lalu simpan lagi.",
        "no value differs from what is recorded; nothing to correct",
    ),
    "amend.closed": Text(
        "Keberatan {number} sudah selesai; datanya tidak dapat diubah lagi.",
        "case {number} is closed; its values can no longer be corrected",
    ),
    "amend.bad_reasons": Text(
        "Alasan keberatan hanya huruf a sampai g.",
        "objection reasons are letters a to g, got {letters}",
        field="reasons",
    ),
    "amend.bad_date": Text(
        "Tanggal “{value}” tidak dikenali; tulis seperti 25-01-2027.",
        "{value!r} is not a date; give DD-MM-YYYY or YYYY-MM-DD",
    ),
    "amend.bad_nik": Text("NIK harus 16 angka.", "a NIK has 16 digits, got {value!r}"),
    "amend.no_such_document": Text(
        "Berkas ini bukan bagian dari keberatan {number}.",
        "document {document} is not part of case {number}",
    ),
    # the DIP
    "dip.unknown_items": Text(
        "Informasi DIP yang dipilih tidak ada lagi dalam katalog; muat ulang halaman.",
        "no DIP item with id {ids}; find them with `ppid dip search`",
        field="dip_item",
    ),
    "dip.unreadable": Text("Berkas DIP tidak dapat dibaca.", "cannot read {path}: {reason}"),
    "dip.not_utf8": Text(
        "Berkas DIP bukan teks UTF-8; simpan CSV sebagai UTF-8.",
        "{path} is not UTF-8 text; save the CSV as UTF-8",
    ),
    "dip.no_column": Text(
        "Berkas DIP tidak memiliki kolom “{column}”.",
        "{path}: no {column!r} column in the header {headers}; the columns are title, "
        "description, category, pasal17, unit, year, link",
    ),
    "dip.bad_row": Text(
        "Baris {row} berkas DIP tidak valid; perbaiki lalu impor lagi.",
        "{path}: row {row}: {problem}; fix the row and import again",
    ),
    # letters and numbers
    "letter.no_number_format": Text(
        "Format nomor surat “{kind}” belum diatur; " + ADMIN + ".",
        "workflow.letter_number_formats has no {kind!r} entry; add e.g. {kind} = "
        '"{{seq:03d}}/{upper}/PPID/{{month_roman}}/{{year}}" to ppid.toml',
    ),
    "number.unknown_placeholder": Text(
        "Format nomor ({setting}) memakai isian yang tidak dikenal; " + ADMIN + ".",
        "{setting} {pattern!r} uses unknown placeholder(s) {unknown}; available: {available}",
    ),
    "number.needs_seq_year": Text(
        "Format nomor ({setting}) harus memuat nomor urut dan tahun; " + ADMIN + ".",
        "{setting} {pattern!r} must contain {{seq}} and {{year}} so that no two cases share a "
        "number; the default is {default!r}",
    ),
    "number.invalid": Text(
        "Format nomor ({setting}) tidak valid; " + ADMIN + ".",
        "{setting} {pattern!r} is not valid: {problem}",
    ),
    "register.dialect": Text(
        "Basis data ini tidak didukung; " + ADMIN + ".",
        "the register needs SQLite or PostgreSQL, not {dialect}",
    ),
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
    # running the system
    "run.already": Text(
        "Sistem sudah berjalan untuk folder ini.",
        "ppid is already running for {home} ({holder}); stop it with Ctrl-C in its terminal "
        "before starting another",
    ),
    "run.web_port": Text(
        "Aplikasi web tidak dapat dijalankan pada port {port}; " + ADMIN + ".",
        "the web app could not listen on {host}:{port}; is the port taken? set web_port",
    ),
    "run.public_port": Text(
        "Situs publik tidak dapat dijalankan pada port {port}; " + ADMIN + ".",
        "the public site could not listen on {host}:{port}; is the port taken? set public.port",
    ),
    "prefect.port_taken": Text(
        "Port {port} sudah dipakai; " + ADMIN + ".",
        "port {port} already serves a Prefect server; set intake.prefect_port",
    ),
    "prefect.stopped": Text(
        "Sistem pemroses berhenti saat dimulai; " + ADMIN + ".",
        "the Prefect server stopped at start-up; see {log}",
    ),
    "prefect.silent_start": Text(
        "Sistem pemroses tidak menjawab saat dimulai; " + ADMIN + ".",
        "the Prefect server did not answer within 120 s; see {log}",
    ),
    "prefect.silent": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} has not answered for {seconds} s; stopping. Start "
        "`ppid run` again (files that arrive meanwhile wait in the inbox)",
    ),
    "prefect.absent": Text(
        "Sistem pemroses belum berjalan; " + ADMIN + ".",
        "no Prefect server to take flow runs from: set PREFECT_API_URL to the shared server's "
        "API (http://host:4200/api), or start `ppid run` on this home first",
    ),
    "prefect.changed": Text(
        "Versi sistem pemroses tidak sesuai dengan yang dipasang; " + ADMIN + ".",
        "ppid's changes to Prefect (written for Prefect {series}) do not fit the installed "
        "Prefect {installed}: {problems}. Reinstall the locked environment (`make setup`); to "
        "move to this Prefect, follow ppid/runtime/prefect_patches.py",
    ),
    "prefect.not_http": Text(
        "Alamat sistem pemroses tidak valid; " + ADMIN + ".",
        "the Prefect API {api!r} is not an http(s) address",
    ),
    "prefect.refused": Text(
        "Sistem pemroses menolak permintaan; " + ADMIN + ".",
        "the Prefect server at {api} answered {status} to {request}: {detail}",
    ),
    "prefect.no_answer": Text(
        "Sistem pemroses tidak menjawab; coba lagi sebentar lagi.",
        "the Prefect server at {api} did not answer ({problem})",
    ),
    "prefect.unreachable": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} (PREFECT_API_URL) does not answer; start it, or unset "
        "PREFECT_API_URL to let `ppid run` start its own",
    ),
    "worker.no_api": Text(
        "Sistem pemroses tidak menjawab; " + ADMIN + ".",
        "the Prefect server at {api} does not answer; check PREFECT_API_URL and that the "
        "server runs",
    ),
    "worker.no_deployments": Text(
        "Sistem pemroses belum siap; " + ADMIN + ".",
        "the Prefect server at {api} has no deployment {missing}: start `ppid run` on the "
        "main machine first (it registers them), then this worker again",
    ),
    "worker.no_database": Text(
        "Basis data tidak dapat dihubungi; " + ADMIN + ".",
        "cannot reach the register's database {url}: {problem}",
    ),
    "worker.no_start": Text(
        "Pemroses berkas tidak dapat dimulai; " + ADMIN + ".",
        "a flow-run worker did not start; see {log}",
    ),
    "schedule.fields": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r} is not a five-field cron line (minute hour day month weekday)",
    ),
    "schedule.day_and_weekday": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: give a day of the month or a weekday, not both",
    ),
    "schedule.unreadable": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: cannot read {part!r}",
    ),
    "schedule.range": Text(
        "Jadwal “{cron}” tidak valid; " + ADMIN + ".",
        "schedule {cron!r}: {part!r} is outside {low}-{high}",
    ),
    # the command line
    "cli.bad_set": Text(
        "Isian koreksi harus berbentuk KOLOM=NILAI.", "--set takes FIELD=VALUE, got {bad}"
    ),
    "cli.unreadable_files": Text(
        "{failed} dari {total} berkas tidak dapat dibaca.",
        "{failed} of {total} file(s) could not be read; see the errors above",
    ),
}
# The title of an error page, by HTTP status.
ERROR_TITLES = {
    400: "Permintaan tidak dapat diproses",
    403: "Akses ditolak",
    404: "Tidak ditemukan",
    409: "Tidak dapat dilakukan",
    429: "Terlalu banyak percobaan",
    500: "Kesalahan",
}
# What a person sees for an error whose code is not in the catalogue (a defect, logged).
UNKNOWN_ERROR = "Permintaan tidak dapat diproses. Coba lagi; bila berulang, " + ADMIN + "."


def user_text(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The Indonesian text of error `code` (what pages show)."""
    entry = ERRORS.get(code)
    return fill(entry.id, params or {}) if entry else UNKNOWN_ERROR


def operator_text(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The English text of error `code` (what the CLI and the logs show)."""
    entry = ERRORS.get(code)
    return fill(entry.en, params or {}) if entry else code


def error_field(code: str) -> str | None:
    """The form field an error belongs beside, if any."""
    entry = ERRORS.get(code)
    return entry.field if entry else None


def recognise(english: str) -> tuple[str, dict[str, str]] | None:
    """The code and values of an operator text, read back (an error that crossed a process as
    text, e.g. a failed flow run's message); None when no entry says it."""
    for code, entry in ERRORS.items():
        if found := _pattern(entry.en).fullmatch(english.strip()):
            return code, {name: value.strip("'") for name, value in found.groupdict().items()}
    return None


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)
