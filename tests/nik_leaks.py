"""Full NIKs and ID scans in bytes that leave the system, looked for inside ZIPs and PDFs."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pikepdf
from pypdf import PdfReader


def findings(data: bytes, where: str, niks: set[str], scans: list[bytes]) -> list[str]:
    """Every full NIK and every ID scan in `data`, looking inside ZIPs and PDFs."""
    found = [f"{where}: NIK {nik}" for nik in niks if nik.encode() in data]
    found += [f"{where}: an ID scan" for scan in scans if scan in data]
    text = html.unescape(data.decode("utf-8", errors="replace"))
    found += [f"{where}: NIK {nik} (as text)" for nik in niks if nik in text]
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            for name in bundle.namelist():
                found += findings(bundle.read(name), f"{where}!{name}", niks, scans)
    if b"%PDF-" in data[:1024]:
        found += _pdf_findings(data, where, niks, scans)
    return found


def _pdf_findings(data: bytes, where: str, niks: set[str], scans: list[bytes]) -> list[str]:
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number, thing in enumerate(pdf.objects):
            if isinstance(thing, pikepdf.Stream):
                try:
                    decoded = thing.read_bytes()
                except pikepdf.PdfError:
                    continue
                found += findings(decoded, f"{where}#stream{number}", niks, scans)
        for name, spec in pdf.attachments.items():
            found += findings(spec.get_file().read_bytes(), f"{where}@{name}", niks, scans)
    reader = PdfReader(io.BytesIO(data))
    for number, page in enumerate(reader.pages, start=1):
        digits = re.sub(r"\D", "", page.extract_text() or "")
        found += [f"{where} page {number}: NIK {nik} in the text" for nik in niks if nik in digits]
    for name, value in (reader.get_fields() or {}).items():
        if any(nik in str(value.get("/V", "")) for nik in niks):
            found.append(f"{where}: form field {name} holds a NIK")
    return found
