"""Hostile and broken files: each gets a clear error (or a warning) within limits, no crash."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from parsers.extract import extract_file
from parsers.files import load_images, raster_dpi, sniff
from parsers.model import ExtractionLimits

FORM_TEXT = [
    "FORMULIR KEBERATAN",
    "Nama : Rina Contoh Sari",
    "NIK : 6171054512900003",
    "Alamat : Jl. Contoh Raya No. 12, Pontianak",
    "Pontianak, 12 Oktober 2026",
]


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


def write(writer: PdfWriter, path: Path) -> Path:
    writer.write(path)
    return path


def error_of(path: Path, **limits: float) -> str:
    result = extract_file(path, ExtractionLimits(**limits))
    assert result.error is not None, result
    assert result.documents == []
    assert "Traceback" not in result.error
    assert path.name in result.error  # names the file, so a clerk knows which one
    return result.error


def test_a_good_text_pdf_reads_as_a_baseline(tmp_path: Path) -> None:
    result = extract_file(write(text_pdf(FORM_TEXT), tmp_path / "baik.pdf"))
    assert result.error is None
    assert result.documents[0].fields["applicant"]["nik"] == "6171054512900003"


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "kosong.pdf"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in error_of(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    data = (write(text_pdf(FORM_TEXT), tmp_path / "full.pdf")).read_bytes()
    path = tmp_path / "terpotong.pdf"
    path.write_bytes(data[: len(data) // 3])
    assert "damaged or truncated" in error_of(path)


def test_pdf_locked_with_a_user_password(tmp_path: Path) -> None:
    writer = text_pdf(FORM_TEXT)
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    assert "protected by a password" in error_of(write(writer, tmp_path / "terkunci.pdf"))


def test_pdf_with_only_an_owner_password_is_read_with_a_warning(tmp_path: Path) -> None:
    writer = text_pdf(FORM_TEXT)
    writer.encrypt(user_password="", owner_password="pemilik")
    result = extract_file(write(writer, tmp_path / "owner.pdf"))
    assert result.error is None
    assert any("owner password" in w for w in result.documents[0].warnings)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<!DOCTYPE html><html><body>Formulir</body></html>", "web page (HTML)"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "SVG"),
        (None, "ZIP archive"),
        (b"just some words, not a document", "not a PDF or an image"),
    ],
    ids=["html", "svg", "zip", "text"],
)
def test_other_content_named_pdf_is_refused_by_its_real_type(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "formulir.pdf"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("formulir.pdf", b"%PDF-1.7 inside a zip")
    else:
        path.write_bytes(content)
    message = error_of(path)
    assert expected in message and "named .pdf" in message


def test_sniffing_ignores_the_extension() -> None:
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff(b"junk before %PDF-1.4 header") == "pdf"
    assert sniff(b"II*\x00rest") == "tiff"
    assert sniff(b"") == "empty"


def test_huge_png_is_refused_from_its_header_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "raksasa.png"
    path.write_bytes(_bomb_png(20000, 20000))
    assert "400,000,000 pixels" in error_of(path)
    assert "pixel limit (limits.max_pixels)" in error_of(path)


def _bomb_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of width×height: 50 MB of pixels in ~50 kB of file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 1000) for _ in range(height // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_pdf_is_refused(tmp_path: Path) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    packer = zlib.compressobj(9)
    zeros = b" " * (1 << 20)
    data = b"".join(packer.compress(zeros) for _ in range(120)) + packer.flush()  # 120 MB inflated
    stream = StreamObject()
    stream._data = data
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = write(writer, tmp_path / "bom.pdf")
    assert path.stat().st_size < 1_000_000
    assert "decompression bomb" in error_of(path)


def test_giant_page_without_text_is_refused_by_the_pixel_limit(tmp_path: Path) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(14400, 14400)
    page[NameObject("/UserUnit")] = FloatObject(75)  # 15 km square: 200 in × 75 per side
    page[NameObject("/MediaBox")] = ArrayObject([NumberObject(0)] * 2 + [NumberObject(14400)] * 2)
    assert "pixel limit" in error_of(write(writer, tmp_path / "raksasa.pdf"))


def test_pdf_with_javascript_warns_and_never_runs_it(tmp_path: Path) -> None:
    writer = text_pdf(FORM_TEXT)
    writer.add_open_action(JavaScript("app.alert('halo');"))
    result = extract_file(write(writer, tmp_path / "skrip.pdf"))
    assert result.error is None
    (doc,) = result.documents
    assert any("JavaScript" in w and "never run" in w for w in doc.warnings)
    assert doc.fields["applicant"]["name"] == "Rina Contoh Sari"


def test_500_page_pdf_is_refused_by_the_page_limit(tmp_path: Path) -> None:
    path = write(text_pdf(["Lampiran"], pages=500), tmp_path / "tebal.pdf")
    message = error_of(path, max_pages=200)
    assert "500 pages" in message and "200-page limit" in message


def test_file_over_the_size_limit_is_not_even_read(tmp_path: Path) -> None:
    path = write(text_pdf(FORM_TEXT), tmp_path / "besar.pdf")
    assert "MB limit" in error_of(path, max_file_bytes=100)


def test_time_limit_stops_a_file_with_a_clear_message(tmp_path: Path) -> None:
    path = write(text_pdf(FORM_TEXT, pages=3), tmp_path / "lambat.pdf")
    assert "longer than the 1e-06 s limit" in error_of(path, max_seconds=0.000001)


def test_multipage_tiff_over_the_page_limit(tmp_path: Path) -> None:
    frames = [Image.new("L", (40, 40), 255) for _ in range(5)]
    path = tmp_path / "pindai.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert "5 pages (frames)" in error_of(path, max_pages=3)


def test_truncated_image(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 10, 10)).save(buffer, "PNG")
    path = tmp_path / "potong.png"
    path.write_bytes(buffer.getvalue()[:80])
    assert "damaged or truncated" in error_of(path)


def test_images_are_turned_upright_from_exif_and_every_tiff_frame_is_kept() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held sideways: rotate 90° clockwise to view
    Image.new("RGB", (60, 20), "white").save(buffer, "JPEG", exif=exif)
    (upright,) = load_images(buffer.getvalue(), "foto.jpg", ExtractionLimits())
    assert upright.size == (20, 60)
    tiff = io.BytesIO()
    frames = [Image.new("1", (30, 30), 1) for _ in range(3)]
    frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:])
    images = load_images(tiff.getvalue(), "fax.tif", ExtractionLimits())
    assert [im.mode for im in images] == ["L"] * 3


def test_pages_are_rasterised_at_300_dpi_or_less_to_stay_under_the_pixel_limit() -> None:
    limits = ExtractionLimits(max_pixels=60_000_000)
    assert raster_dpi(595, 842, limits) == 300  # A4: 8.7 million pixels
    a0 = raster_dpi(2384, 3370, limits)  # A0 at 300 dpi would be 139 million
    assert a0 is not None and a0 < 300
    assert (2384 / 72 * a0) * (3370 / 72 * a0) <= limits.max_pixels
    assert raster_dpi(14400 * 75, 14400 * 75, limits) is None
