"""Error texts of casework: cases and the register, the SOP's steps, undoing a step, corrections,
the DIP, letters and numbers.

Read through `ppid.core.messages` (its `ERRORS`), never directly."""

from __future__ import annotations

from ppid.core.messages_text import ADMIN, Text

CASEWORK_ERRORS: dict[str, Text] = {
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
}
