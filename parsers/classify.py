"""What kind of page a text is: our codes, an ID card's labels, an objection form's words.

One set of rules for every source: a PDF text layer is classified by `classify_text`, a page's
OCR reading by `classify_reading`, which only asks more of an ID card (OCR of a form's body
text can show a few card words by chance).
"""

from __future__ import annotations

import re

from parsers.model import DocumentType

# Our own printed codes: a cover sheet's QR text, and the footer of our objection form.
PPID_CODE = re.compile(r"PPID(?:SEP|KEB)\S*")
KTP_LABELS = (
    r"\bnik\b",
    r"tempat\s*/\s*tgl\.?\s*lahir",
    r"berlaku\s+hingga",
    r"\bprovinsi\b",
    r"gol\.?\s*darah",
    r"kewarganegaraan",
    r"status\s+perkawinan",
    r"jenis\s+kelamin",
)
FORM_LABELS = (
    r"\bnama\b",
    r"\balamat\b",
    r"alasan",
    r"kasus\s+posisi",
    r"tujuan\s+penggunaan",
    r"(?:nomor|no\.?)\s+pendaftaran",
    r"yang\s+bertanda\s+tangan",
)
# Labels only an ID card prints, letters only. Nama, Alamat, Pekerjaan and RT/RW are left out:
# an objection form prints them too.
KTP_ONLY_LABELS = (
    "TEMPATTGLLAHIR",
    "JENISKELAMIN",
    "GOLDARAH",
    "KELDESA",
    "KECAMATAN",
    "AGAMA",
    "STATUSPERKAWINAN",
    "KEWARGANEGARAAN",
    "BERLAKUHINGGA",
)
KTP_MIN_LABELS = 3  # distinct card-only labels a read must show to count as an ID card


def classify_text(text: str) -> DocumentType:
    """Page type from its words: our codes, then KTP labels, then objection-form labels."""
    lowered = text.lower()
    codes = PPID_CODE.findall(text)
    if any("form=keberatan" in code for code in codes):
        return "objection_form"
    if codes:
        return "cover_sheet"
    if sum(bool(re.search(p, lowered)) for p in KTP_LABELS) >= 3:
        return "id_card"
    form_hits = sum(bool(re.search(p, lowered)) for p in FORM_LABELS)
    if "keberatan" in lowered and form_hits >= 2:
        return "objection_form"
    return "other"


def classify_reading(text: str) -> DocumentType:
    """Page type of a full-page OCR reading: a card needs one card-only label more."""
    if ktp_label_score(text) >= KTP_MIN_LABELS + 1:
        return "id_card"
    return classify_text(text)


def ktp_label_score(text: str) -> int:
    """How many labels only an ID card prints a text holds (≥ `KTP_MIN_LABELS`: a card)."""
    compact = re.sub(r"[^A-Z]", "", text.upper())
    return sum(1 for label in KTP_ONLY_LABELS if label in compact)
