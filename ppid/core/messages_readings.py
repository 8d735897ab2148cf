"""The extraction's English notes and refusals (from `parsers/`, which speaks English to
operators and imports nothing of ours), read in Bahasa Indonesia for the clerk."""

from __future__ import annotations

import re

from ppid.core.messages_pages import field_label
from ppid.core.messages_text import fill

# --- the extraction's notes and refusals, read in Bahasa Indonesia --------------------------------

# (pattern over the parsers' English note, Indonesian text); named groups fill the text, a group
# named "fields" or "field" is read as field names. The first match wins.
_NOTES: tuple[tuple[str, str], ...] = (
    (
        r"not found on the ID card: (?P<fields>.+?); check",
        "Tidak terbaca pada KTP: {fields}. Periksa scan dan isi bila perlu.",
    ),
    (r"NIK digits unclear", "Angka NIK pada KTP kurang jelas; periksa secara manual."),
    (
        r"NIK read three times with different digits at (?P<where>[\d, ]+)",
        "NIK terbaca berbeda pada digit ke-{where}; periksa angka tersebut pada KTP.",
    ),
    (r"NIK could not be read", "NIK pada KTP tidak terbaca; periksa secara manual."),
    (r"NIK province code (?P<code>\d+)", "Kode provinsi NIK ({code}) tidak dikenal."),
    (r"NIK regency code (?P<code>\d+)", "Kode kabupaten/kota NIK ({code}) tidak dikenal."),
    (r"NIK district code", "Kode kecamatan NIK tidak valid."),
    (r"NIK date part", "Bagian tanggal lahir pada NIK bukan tanggal yang valid."),
    (r"NIK serial 0000", "Nomor urut NIK tidak valid."),
    (
        r"encodes birth date",
        "Tanggal lahir dalam NIK berbeda dengan tanggal lahir pada KTP; periksa keduanya.",
    ),
    (r"encodes sex", "Jenis kelamin dalam NIK berbeda dengan yang tertulis pada KTP; periksa."),
    (r"has 17 digits", "NIK terbaca 17 angka; satu angka lebih dibuang. Periksa NIK."),
    (r"does not hold 16 digits", "NIK tidak terdiri atas 16 angka; periksa NIK."),
    (
        r"look-alike digits corrected",
        "Beberapa angka NIK yang mirip dibetulkan sesuai KTP; periksa NIK.",
    ),
    (r"birth date disagree at digit", "NIK dan tanggal lahir pada KTP berbeda; periksa keduanya."),
    (
        r"page (?P<page>\d+): filled in by hand",
        "Halaman {page} diisi dengan tulisan tangan; periksa setiap nilai terhadap scan.",
    ),
    (
        r"(?P<field>[\w.]+): read as .* and as .*; check",
        "{field}: terbaca dua cara berbeda; periksa scan.",
    ),
    (
        r"(?P<field>[\w.]+): something is written but could not be read",
        "{field}: ada tulisan tetapi tidak terbaca.",
    ),
    (r"e-mail domain", "Nama domain e-mail mungkin salah baca (huruf l dan i); periksa."),
    (r"e-mail .* does not look like an address", "Alamat e-mail tampaknya tidak benar; periksa."),
    (
        r"(?P<field>[\w.]+): .* is label text",
        "{field}: yang terbaca adalah teks label, bukan isian.",
    ),
    (
        r"(?P<field>[\w.]+): read \d+ digits from",
        "{field}: jumlah angka tidak sesuai kotak yang terisi; periksa.",
    ),
    (r"(?P<field>[\w.]+): .* is not a date", "{field}: bukan tanggal yang valid; periksa."),
    (
        r"(?P<field>[\w.]+): .* does not look like a phone",
        "{field}: tampaknya bukan nomor telepon; periksa.",
    ),
    (
        r"reason ticks read from unclear marks",
        "Centang alasan keberatan terbaca dari tanda yang kurang jelas; periksa.",
    ),
    (
        r"page (?P<page>\d+) of the objection form is missing",
        "Halaman {page} formulir keberatan tidak ada dalam berkas ini.",
    ),
    (
        r"page (?P<page>\d+): orientation uncertain",
        "Arah halaman {page} tidak pasti; teksnya mungkin tidak terbaca.",
    ),
    (
        r"only (?P<count>\d) of 4 corner marks",
        "Hanya {count} dari 4 tanda sudut formulir ditemukan; posisi kolom mungkin bergeser.",
    ),
    (r"QR code is unreadable", "Kode QR formulir tidak terbaca; halaman dianggap halaman 1."),
    (r"QR code says the form has", "Kode QR menyebut jumlah halaman formulir yang tidak dikenal."),
    (r"encrypted with an owner password", "PDF dikunci dengan kata sandi pemilik; tetap dibaca."),
    (r"bytes precede the PDF header", "Ada data asing di depan isi PDF; data itu diabaikan."),
    (
        r"follow after the end of the PDF",
        "Ada berkas lain tersembunyi di belakang isi PDF; diabaikan dan tidak pernah dibuka.",
    ),
    (r"JavaScript", "Berkas memuat JavaScript; tidak dijalankan oleh sistem."),
    (r"launch action", "Berkas memuat perintah membuka program; tidak dijalankan."),
    (r"embedded files", "Berkas membawa berkas sisipan; tidak dibuka."),
    (r"(?P<field>[\w.]+) not found", "{field} tidak ditemukan."),
    (r"page (?P<page>\d+): ", "Halaman {page} tidak dapat dibaca sepenuhnya."),
)
UNKNOWN_NOTE = "Catatan teknis dari pembacaan otomatis; periksa berkas terhadap scan."


def reading_note(note: str) -> str:
    """An extraction note (parsers' English) as the clerk reads it, in Bahasa Indonesia."""
    for pattern, text in _NOTES:
        if found := re.search(pattern, note):
            return fill(text, _readable(found.groupdict()))
    return UNKNOWN_NOTE


def _readable(groups: dict[str, str]) -> dict[str, str]:
    shown = dict(groups)
    if "fields" in shown:
        shown["fields"] = ", ".join(
            field_label(name.strip()) for name in shown["fields"].split(",")
        )
    if "field" in shown:
        shown["field"] = field_label(shown["field"])
    return shown


# A file the extraction refused (its English reason), as the clerk reads it in quarantine.
_REFUSALS: tuple[tuple[str, str], ...] = (
    (r"empty", "Berkas kosong (0 byte). Minta pengirim mengirim PDF atau scan."),
    (r"MB limit", "Berkas terlalu besar. Minta berkas yang lebih kecil."),
    (
        r"protected by a password",
        "PDF dilindungi kata sandi sehingga tidak dapat dibaca. Minta salinan tanpa kata sandi.",
    ),
    (
        r"decompression bomb|unreasonable size",
        "PDF memuat data yang mengembang tidak wajar "
        "(kemungkinan berbahaya); tidak dibaca. Minta PDF biasa atau scan.",
    ),
    (
        r"pixel limit|too many pixels",
        "Gambar terlalu besar (jumlah piksel melebihi batas); tidak dibuka. Minta scan 300 dpi.",
    ),
    (
        r"page limit|pages \(frames\)",
        "Berkas memiliki terlalu banyak halaman. Pisahkan menjadi "
        "beberapa berkas (satu keberatan per berkas).",
    ),
    (
        r"longer than the .* limit",
        "Pembacaan berkas terlalu lama dan dihentikan. Pisahkan "
        "berkas menjadi beberapa berkas yang lebih kecil.",
    ),
    (
        r"damaged or truncated|no pages|no size",
        "Berkas rusak atau terpotong sehingga tidak dapat dibaca. Minta pengirim mengirim ulang.",
    ),
    (r"web page \(HTML\)", "Berkas ini halaman web (HTML), bukan dokumen. Minta PDF atau scan."),
    (
        r"SVG",
        "Berkas ini gambar SVG, yang tidak diterima karena dapat memuat skrip. Minta PDF "
        "atau scan.",
    ),
    (
        r"ZIP archive",
        "Berkas ini arsip ZIP atau dokumen Office. Buka isinya atau simpan sebagai PDF.",
    ),
    (
        r"not a PDF or an image",
        "Isi berkas bukan PDF atau gambar. Minta PDF atau scan (JPEG, PNG atau TIFF).",
    ),
    (r"cannot open the file|not a regular file", "Berkas tidak dapat dibuka."),
)
UNKNOWN_REFUSAL = "Berkas tidak dapat dibaca oleh sistem. Minta pengirim mengirim PDF atau scan."


def refusal_text(reason: str) -> str:
    """Why the extraction refused a file (its English reason), in Bahasa Indonesia."""
    for pattern, text in _REFUSALS:
        if re.search(pattern, reason):
            return text
    return UNKNOWN_REFUSAL
