"""What a form's label or heading means, from its words: other offices word them their own way.

A label is read as a handful of concepts ('a number', 'of the request', 'the applicant's
address'), not as one of a few exact phrasings: `Nomor Registrasi Permohonan Informasi`, `No.
Pendaftaran Permintaan Informasi` and `No. Permohonan` all name the request number, `Alamat
Surel` is an e-mail, `Nama Kuasa` the proxy's name. Every word of a label must be a label word
(a concept, or a filler such as `yang`, `atas`, `lengkap`), so a sentence that happens to start
with `Nama` is not a label; OCR slips of one letter in longer words are forgiven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from parsers.dates import WEEKDAYS
from parsers.text_lines import collapse

# concept → the words that say it (lower case, punctuation removed)
CONCEPTS: dict[str, frozenset[str]] = {
    concept: frozenset(words.split())
    for concept, words in (
        ("number", "nomor no nomer nmr nomo"),
        ("register", "registrasi register reg pendaftaran agenda daftar"),
        ("request", "permohonan permintaan mohon"),
        ("objection", "keberatan"),
        ("information", "informasi info publik"),
        ("purpose", "tujuan maksud keperluan kegunaan penggunaan guna kepentingan"),
        ("name", "nama"),
        ("nik", "nik ktp kependudukan induk"),
        ("address", "alamat domisili tinggal kediaman"),
        ("occupation", "pekerjaan profesi jabatan pencaharian"),
        (
            "phone",
            "telepon telp tlp telpon tel hp handphone ponsel wa whatsapp kontak seluler "
            "selular hape gsm",
        ),
        ("email", "email mail surel elektronik"),
        ("date", "hari tanggal tgl waktu"),
        ("response", "tanggapan jawaban balasan"),
        (
            "case",
            "kasus posisi kronologi kronologis uraian pokok perkara duduk ringkasan "
            "penjelasan permasalahan masalah",
        ),
        ("proxy", "kuasa wakil"),
        ("applicant", "pemohon pengaju pelapor pengadu"),
        ("reason", "alasan"),
        ("identity", "identitas data keterangan biodata"),
    )
}
# Words a label may hold that say nothing of its field.
FILLERS = frozenset((
    "yang", "atas", "dan", "akan", "diberikan", "lengkap", "dari", "untuk", "dengan", "oleh",
    "petugas", "diisi", "jika", "apabila", "ada", "dikuasakan", "saat", "ini", "terdaftar",
    "rumah", "tempat", "pengajuan", "singkat", "atau", "anda", "saudara", "sdr", "di", "ke",
    "pada", "sesuai", "kantor", "pemberian", "diajukan", "mengajukan", "isian", "dalam", "hal",
    "a", "b", "c", "d", "e", "f", "g", "i", "ii", "iii", "iv", "bila", "jelas", "lainnya",
    "aktif", "yg", "tsb", "secara", "wajib",
))  # fmt: skip
MAX_LABEL_WORDS = 8
FUZZY_FROM = 7  # letters from which one slip is forgiven ('Pekeriaan'; not 'Atasan' → 'Alasan')
MIN_SHARE = 0.8  # of a label's words the vocabulary must explain
# A placeholder where a value would be: dots, dashes, underscores, '(diisi petugas)'.
_PLACEHOLDER = re.compile(r"^[\s.…_:\-–—·]*(?:\(.*(?:diisi|kosong|isi).*\))?[\s.…_:\-–—·]*$", re.I)
_PLACE_DATE = re.compile(
    r"^(?P<place>[A-Za-z][A-Za-z .'\-]{1,40}?)\s*,\s*(?P<date>\d{1,2}\s*[A-Za-z]{3,10}\.?\s*\d{4}"
    r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4})\s*\.?$"
)
# The captions of a form's signature block ('Pemohon / Kuasa', 'Petugas Penerima').
_SIGNERS = re.compile(
    r"(?:(?:pengaju|pemohon)(?:\s+(?:keberatan|informasi))?(?:\s*/\s*kuasa(?:nya)?)?"
    r"|petugas(?:\s+penerima)?(?:\s+keberatan)?|yang\s+menerima|penerima)"
    r"(?:\s+(?:petugas(?:\s+penerima)?|pemohon(?:\s*/\s*kuasa)?))?\W*"
)
_LEAD = re.compile(r"^\s*(?:[-•*·▪►>]\s*|\(?\d{1,2}[.)]?\s+|\(?[A-Ga-g][.)]\s+|[IVX]{1,4}[.)]\s+)")


@dataclass(frozen=True)
class Label:
    """What a label names: a field key (`name`, `request_number`, `proxy.phone` …) and how
    much of its wording the vocabulary explains (1.0: every word is a label word)."""

    key: str
    share: float


def tokens(text: str) -> list[str]:
    """A label's words, lower case, split at slashes and brackets ('Telp/HP' → telp, hp)."""
    lowered = text.lower().replace("e-mail", "email").replace("e - mail", "email")
    return [t for t in re.split(r"[\s/()\[\],;:.\-–—|]+", lowered) if t]


@cache
def concept_of(word: str) -> str | None:
    """The concept a single word names, allowing one OCR slip in a long word."""
    for concept, words in CONCEPTS.items():
        if word in words:
            return concept
    if len(word) >= FUZZY_FROM:
        for concept, words in CONCEPTS.items():
            if any(len(w) >= FUZZY_FROM and _one_slip(word, w) for w in words):
                return concept
    return None


def _one_slip(a: str, b: str) -> bool:
    """Equal but for one substituted, dropped or added letter."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def label_of(text: str) -> Label | None:
    """The field a label's text names, or None when it is not (only) a label."""
    words = tokens(strip_lead(text))
    if not words or len(words) > MAX_LABEL_WORDS or any(w.isdigit() for w in words):
        return None
    concepts = [concept_of(w) for w in words]
    named = sum(1 for c in concepts if c)
    fillers = sum(1 for w, c in zip(words, concepts, strict=True) if not c and w in FILLERS)
    share = (named + fillers) / len(words)
    key = _field(set(filter(None, concepts)), words)
    if key is None or share < MIN_SHARE or _mostly_filler(named, fillers, concepts):
        return None
    return Label(key, share)


def _mostly_filler(named: int, fillers: int, concepts: list[str | None]) -> bool:
    """A sentence of small words around a few label words ('dengan ini mengajukan keberatan
    atas permohonan informasi nomor') is prose, not a label: labels are mostly named things
    and open with one ('Nomor …', 'Nama …'; at most one small word first: 'Untuk Keperluan')."""
    leading = next((i for i, c in enumerate(concepts) if c), len(concepts))
    return leading > 1 or (named + fillers > 3 and fillers >= named)


def _field(found: set[str], words: list[str]) -> str | None:
    """The field a set of concepts names; the order of these rules settles overlaps."""
    if "email" in found:
        return "email"
    if "proxy" in found:
        for part in ("name", "address", "phone"):
            if part in found:
                return f"proxy.{part}"
        return None
    if "case" in found and not found & {"name", "address", "phone"}:
        return "case_description"
    if "response" in found:
        return "response_date"
    if "request" in found and found & {"number", "register"}:
        return "request_number"
    if "objection" in found and found & {"number", "register"}:
        return "registration_number"
    if "purpose" in found and not found & {"name", "address", "phone", "nik"}:
        return "purpose"
    if "nik" in found or {"identity", "number"} <= found:
        return "nik"
    for part in ("name", "address", "occupation", "phone"):
        if part in found:
            return part
    if "register" in found:  # 'Nomor Registrasi' alone: the objection's own number
        return "registration_number" if "pendaftaran" not in words else "request_number"
    return None


def label_words_only(text: str) -> bool:
    """Whether a text is nothing but label words ('Informasi', 'Permohonan Informasi', 'No.
    Telp/HP Kuasa'): a label's wrapped rest or the next label, never a value."""
    words = tokens(text)
    concepts = [concept_of(w) for w in words]
    return any(concepts) and all(c or w in FILLERS for w, c in zip(words, concepts, strict=True))


# A line opening on a small-letter word: the rest of a sentence that wrapped (headings, like
# labels, open on a capital; item letters 'a.' are stripped first).
_MID_SENTENCE = re.compile(r"[a-z][a-z]+\b")


def heading_of(text: str) -> str | None:
    """The section a heading opens: `applicant`, `proxy`, `reasons`, `case`, `response`,
    `request` (the part naming the request) or `closing`; None for any other line."""
    lowered = collapse(text).lower()
    words = tokens(strip_lead(text))
    if re.match(r"(?:demikian|hormat\s+saya|hormat\s+kami|atas\s+perhatian|mengetahui\b)", lowered):
        return "closing"
    if _SIGNERS.fullmatch(lowered):
        return "closing"
    if re.search(r"memberi(?:kan)?\s+kuasa|(?:kepada\s+)?penerima\s+kuasa\s*:?$", lowered):
        return "proxy"
    if re.search(r"yang\s+bertanda\s+tangan", lowered):
        return "applicant"
    if _MID_SENTENCE.match(strip_lead(text)):
        return None  # 'alasan yang jelas.': the sentence above wrapped, no heading
    concepts = {concept_of(w) for w in words} - {None}
    if "reason" in concepts and (
        "objection" in concepts or lowered.endswith(":") or len(words) <= 3
    ):
        return "reasons"
    if len(words) > 9 or not concepts:
        return None
    if "proxy" in concepts and not concepts & {"name", "address", "phone"}:
        return "proxy"
    if "identity" in concepts and "applicant" in concepts:
        return "applicant"
    if concepts & {"applicant"} and not concepts & {"name", "address", "phone", "nik"}:
        return "applicant"
    if "case" in concepts and not concepts & {"name", "address", "phone"}:
        return "case"
    if "response" in concepts:
        return "response"
    return None


def strip_lead(text: str) -> str:
    """The text without a leading item number or bullet ('4.', '12', 'a.', '•', 'C.')."""
    return _LEAD.sub("", text, count=1)


def is_placeholder(text: str) -> bool:
    """Nothing written: dots, dashes, underscores, '(diisi oleh petugas)'."""
    return bool(_PLACEHOLDER.match(text or ""))


def without_rulings(text: str) -> str:
    """A table's ruling beside a value, read by Tesseract as a bar, is not part of it."""
    return re.sub(r"^[|¦\[\]]+\s*|\s*[|¦\[\]]+$", "", text)


def clean_value(raw: str) -> str | None:
    """A value as written: separators, rulings, dotted leaders and '(diisi …)' notes off."""
    value = collapse(re.sub(r"^\s*[:：=;]\s*", "", raw, count=1))
    value = re.sub(r"^[.…_]{2,}\s*|\s*[.…_]{3,}$", "", value)
    value = without_rulings(value)
    value = re.sub(r"\(\s*diisi[^)]*\)", "", value, flags=re.IGNORECASE).strip()
    if not value or is_placeholder(value):
        return None
    return value


def place_date(text: str) -> re.Match[str] | None:
    """'Pontianak, 12 Oktober 2026' (not 'Kamis, 23 April 2026', which is a day, not a place)."""
    match = _PLACE_DATE.match(collapse(text))
    if match is None or match.group("place").strip().lower() in WEEKDAYS:
        return None
    return match
