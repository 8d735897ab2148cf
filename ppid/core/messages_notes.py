"""Notes and e-mails in Bahasa Indonesia: what a page says after an action, what the system writes
into a case's history or a submission, the e-mails no template holds, notes written into files
(DITAHAN.txt, the dossier, bag metadata), and why a file was set aside in quarantine."""

from __future__ import annotations

from functools import partial
from typing import Any

from ppid.core.messages_readings import refusal_text
from ppid.core.messages_text import Text, fill, text_of

# --- notices: what a page says after an action ----------------------------------------------------

NOTICES: dict[str, str] = {
    "step.saved": "Keputusan tersimpan: {decision}.",
    "step.saved_letter": "Keputusan tersimpan: {decision}. Surat diterbitkan: {letters}.",
    "amend.saved": "Perbaikan tersimpan ({count} kolom).",
    "amend.saved_reissued": "Perbaikan tersimpan ({count} kolom). Diterbitkan ulang: {documents}.",
    "desk.registered": "Teregistrasi dengan nomor {number}.",
    "desk.waiting": "Masih menunggu: {reason}",
    "desk.dismissed": "Ditandai bukan keberatan.",
    "desk.retried": "{name} dipindahkan kembali ke folder masuk untuk diproses ulang.",
    "user.added": "Pengguna {username} ditambahkan.",
}
notice = partial(text_of, NOTICES)


# Notes the system writes into a case's history or on a submission that waits (stored, then shown
# on the case page or the desk).
HISTORY_NOTES: dict[str, str] = {
    "amend.at_verification": "Perbaikan saat verifikasi data",
    "signed.from_scan": "Salinan bertanda tangan diterima dari pindaian {source}",
    # intake
    "intake.duplicate": "Berkas yang sama diterima lagi: {name}",
    "intake.email": "E-mail dari {sender}: {subject}",
    "intake.no_subject": "(tanpa subjek)",
    "intake.possible_duplicate": "NIK dan nomor permohonan sama dengan {number}",
    "intake.receipt": "Tanda terima pengajuan keberatan",
    "intake.acknowledged": "Tanda terima dikirim ke {recipient}",
    "intake.not_objection": "Bukan keberatan ({actor}): {note}",
    "notice.retry": "Pengiriman pemberitahuan dicoba lagi",
    "waiting.nothing_found": "Tidak ditemukan formulir keberatan maupun KTP dalam berkas ini.",
    "waiting.no_form": "Formulir keberatan belum ada (baru KTP yang diterima).",
    "waiting.no_card": "Fotokopi/scan KTP pemohon belum ada.",
    "waiting.missing_fields": "Kolom formulir kosong atau tidak terbaca: {fields}.",
    "waiting.field.applicant.name": "nama pemohon",
    "waiting.field.applicant.nik": "NIK pemohon",
    "waiting.field.applicant.address": "alamat pemohon",
    "waiting.field.reasons": "alasan keberatan",
    "waiting.card_nik_unread": "NIK pada KTP tidak terbaca; periksa dan cocokkan secara manual.",
    "waiting.nik_mismatch": "NIK pada formulir ({form_nik}) berbeda dengan NIK pada KTP "
    "({card_niks}).",
    "hardcopy.signed": "Salinan bertanda tangan dari dokumen {document} diterima: {name}",
    "hardcopy.separated": "Berkas di belakang lembar pemisah diterima: {name}",
    "reaction.by_link": "Disampaikan pemohon melalui tautan pada e-mail tanggapan",
    # notices to the applicant
    "notice.no_address": "{label} tidak dikirim lewat e-mail: pemohon tidak mencantumkan alamat "
    "e-mail. Sampaikan dengan cara lain.",
    "notice.sent": "{label} dikirim ke e-mail pemohon {recipient}",
    "notice.sent_again": "{label} dikirim ke e-mail pemohon {recipient} (percobaan ke-{attempt})",
    "notice.will_retry": "{label} belum terkirim ke e-mail pemohon; akan dicoba lagi",
    "notice.refused": "{label} belum terkirim ke e-mail pemohon; menunggu perbaikan alamat oleh "
    "petugas",
    "notice.cancelled": "Pemberitahuan dibatalkan: langkah yang menerbitkan suratnya dikoreksi",
    # the archive's fixity
    "archive.held": "Arsip perkara tertahan: berkas asli {name} di penyimpanan arsip tidak lagi "
    "sama dengan yang diterima, sehingga tidak dimasukkan ke arsip. Hubungi operator untuk "
    "memulihkannya dari cadangan.",
    "fixity.intact": "Pemeriksaan keutuhan arsip: baik",
    "fixity.damaged": "Pemeriksaan keutuhan arsip: RUSAK",
    "fixity.not_pdfa": "{count} PDF tidak memenuhi PDF/A-3b",
    "fixity.store_damaged": "Pemeriksaan keutuhan arsip: berkas asli di penyimpanan RUSAK "
    "({names})",
}
history_note = partial(text_of, HISTORY_NOTES)


# --- e-mails to the applicant that no template holds ----------------------------------------------

MAIL_TEXTS: dict[str, str] = {
    "subject.receipt": "Tanda terima pengajuan keberatan {number}",
    "subject.tanggapan": "Tanggapan atas keberatan {number}",
    "subject.penolakan": "Surat penolakan atas keberatan {number}",
    "subject.letter": "{label} — keberatan {number}",
    "acknowledgement": "Yth. {name},\n\nPengajuan keberatan Saudara telah kami terima dan "
    "diregistrasi dengan nomor {number}. Tanggapan atas keberatan akan diberikan paling lambat "
    "{due} (30 hari kerja). Tanda terima terlampir.\n\nHormat kami,\n{position}\n{address}\n",
    # the daily deadline warning to a role of the staff
    "deadline.subject": "[PPID] {count} tugas keberatan mendekati/melewati batas waktu",
    "deadline.heading": "Tugas {role_label} yang perlu perhatian:",
    "deadline.overdue": "TERLAMBAT",
    "deadline.soon": "segera",
    "deadline.task": "- [{state}] {case} · {step_label} · batas {due} (batas tanggapan keberatan "
    "{answer_due})",
    "deadline.see_all": "Lihat semua tugas pada halaman Antrean tugas di aplikasi meja keberatan.",
    "deadline.see_all_at": "Lihat semua tugas pada halaman Antrean tugas: {url}",
}
mail_text = partial(text_of, MAIL_TEXTS)


# --- notes written into files a person opens ------------------------------------------------------

FILE_NOTES: dict[str, str] = {
    # DITAHAN.txt in a package without full NIKs: what was left out, one "- name" a line
    "package.withheld": "Berkas berikut tidak disertakan karena memuat data pribadi (scan KTP, "
    "e-mail asli, atau NIK yang letaknya tidak diketahui). Petugas yang berwenang dapat mengunduh "
    "paket lengkapnya.\n\n{lines}\n",
    # bag-info.txt of such a package
    "package.redacted": "NIK disamarkan; scan KTP dan e-mail asli tidak disertakan",
    # a case's bag: its description (bag-info.txt, dc.xml)
    "bag.description": "Berkas keberatan informasi publik {number}",
    "bag.title": "Keberatan atas informasi publik {number}",
    "bag.subject": "Keberatan informasi publik (UU 14/2008 Pasal 35)",
    "bag.summary": "Alasan keberatan: {reasons}. Status: {status}.",
    # the dossier of a sealed bag (00-berkas-lengkap.pdf)
    "dossier.title": "Berkas lengkap keberatan {number}",
    "dossier.original_missing": "Berkas asli tidak tersedia.",
    "dossier.form": "Formulir keberatan — {name}",
    "dossier.id_card": "KTP pemohon (NIK disamarkan) — {name}",
    "dossier.signed": "Salinan bertanda tangan — {name}",
    "dossier.received": "Berkas diterima — {name}",
    "dossier.document": "Dokumen: {name}",
    "dossier.card_masked": "Salinan KTP dengan NIK disamarkan; aslinya tersimpan di "
    "data/originals/.",
    "dossier.card_blurred": "Letak NIK tidak ditemukan: salinan KTP dikaburkan seluruhnya.",
    # the fillable objection form (its title and its fields' tooltips)
    "form.title": "Formulir Pengajuan Keberatan Informasi Publik",
    "form.applicant": "Pemohon",
    "form.proxy": "Kuasa pemohon",
    # the metadata our PDFs carry attached
    "pdf.attachment": "Metadata kasus keberatan (JSON)",
}
file_note = partial(text_of, FILE_NOTES)


# --- quarantine: why a file was set aside, for its note and the desk ------------------------------

QUARANTINE: dict[str, Text] = {
    "quarantine.unreadable": Text(
        "Berkas tidak dapat dibaca. {refusal}", "The file could not be read: {problem}"
    ),
    "quarantine.failed": Text(
        "Terjadi kesalahan saat memproses berkas ini. Laporkan kepada operator; rinciannya ada "
        "pada bagian bahasa Inggris catatan ini.",
        "Processing failed ({problem}). Report it to the operator.",
    ),
    "quarantine.winmail": Text(
        "Lampiran winmail.dat (format Outlook/TNEF) rusak dan tidak dapat dibuka. Minta pengirim "
        "mengirim ulang formulir sebagai PDF atau foto, dengan Outlook diatur ke format HTML atau "
        "teks biasa, bukan RTF.",
        "{problem}. Ask the sender to send the form again as PDF or image, with Outlook set to "
        "HTML or plain text, not RTF.",
    ),
    "quarantine.attachment": Text("Lampiran e-mail tidak dapat diproses. {refusal}", "{problem}"),
    "quarantine.symlink": Text(
        "Ini tautan simbolik (symlink) ke {target}, bukan berkas; tautan tidak pernah diikuti. "
        "Salin berkas aslinya ke folder masuk bila memang dimaksudkan.",
        "a symbolic link (symlink) to {target}, not a file; links are never followed. Copy the "
        "real file into the inbox if it was meant to be taken in.",
    ),
    "quarantine.special": Text(
        "Ini bukan berkas biasa melainkan {what_id}; isinya tidak pernah dibaca. Simpan "
        "dokumennya sebagai berkas biasa (PDF atau gambar) di folder masuk.",
        "not a regular file but {what_en}; it was never read. Save the document as a regular "
        "file (PDF or image) in the inbox.",
    ),
}
# What an inbox entry that is no regular file is (`NotAFile.kind`), for the note above.
SPECIAL_FILES: dict[str, Text] = {
    "symlink": Text("tautan simbolik (symlink)", "a symbolic link (symlink)"),
    "fifo": Text("pipa bernama (FIFO)", "a named pipe (FIFO)"),
    "socket": Text("soket", "a socket"),
    "device": Text("berkas perangkat (device)", "a device file"),
    "special": Text("berkas khusus sistem", "a special system file"),
}
# The note kept beside a quarantined file, for the clerk and the operator; the line above each
# reason marks it for the desk's and the command line's quarantine lists.
QUARANTINE_MARKERS = {
    "id": "Mengapa berkas ini dikarantina:",
    "en": "Why this file was quarantined:",
}
QUARANTINE_NOTE = (
    "Berkas: {original}\nWaktu: {stamp}\n\n" + QUARANTINE_MARKERS["id"] + "\n  {reason_id}\n\n"
    "Cara mencoba lagi: perbaiki berkasnya bila perlu, lalu pindahkan kembali ke folder masuk.\n\n"
    "---\n" + QUARANTINE_MARKERS["en"] + "\n  {reason_en}\n\n"
    "To retry: fix the file if needed, then move it back into the inbox folder.\n"
)


def quarantine_note(original: str, stamp: str, reason_id: str, reason_en: str) -> str:
    """The bilingual note kept beside a quarantined file."""
    return fill(
        QUARANTINE_NOTE,
        {"original": original, "stamp": stamp, "reason_id": reason_id, "reason_en": reason_en},
    )


def quarantine_texts(code: str, **params: Any) -> tuple[str, str]:
    """(Bahasa Indonesia, English) of a quarantine reason; `problem` is the English cause, and
    `refusal` its Indonesian reading is derived from it."""
    entry = QUARANTINE[code]
    params.setdefault("refusal", refusal_text(str(params.get("problem", ""))))
    return fill(entry.id, params), fill(entry.en, params)
