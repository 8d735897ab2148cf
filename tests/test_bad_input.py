"""Hostile and broken files: each gets a clear error (or a warning) within limits, no crash."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from parsers.extract import extract_file
from parsers.files import sniff
from parsers.image_files import load_images, within_working_size
from parsers.model import ExtractionError, ExtractionLimits
from parsers.raster import raster_dpi
from tests.corpus import hostile
from tests.corpus.hostile import FORM_TEXT, bomb_png, text_pdf
from tests.peak_memory import run_with_peak_mb


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
    path.write_bytes(bomb_png(20000, 20000))
    assert "400,000,000 pixels" in error_of(path)
    assert "pixel limit (limits.max_pixels)" in error_of(path)


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
    assert "more than 3 pages (frames)" in error_of(path, max_pages=3)


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


def test_a_legal_56_megapixel_photo_is_read_within_the_workers_memory(tmp_path: Path) -> None:
    """Under the pixel limit, yet every page-sized copy of it costs 224 MB: it is reduced to the
    working size as it is decoded (it peaked at ~870 MB read whole; a worker has 500 MB)."""
    path = tmp_path / "foto-besar.png"
    photo = Image.new("RGB", (6480, 8640), "white")
    photo.paste((20, 20, 20), (600, 600, 5800, 700))  # a line of "ink"
    photo.save(path, dpi=(600, 600))
    script = (
        "import pathlib\n"
        "from parsers.extract import extract_file\n"
        "from parsers.model import ExtractionLimits\n"
        f"result = extract_file(pathlib.Path({str(path)!r}), ExtractionLimits())\n"
        "print(result.error)\n"
    )
    error, peak_mb = run_with_peak_mb(script)
    assert error == "None"
    assert int(peak_mb) < 500, f"{peak_mb} MB"


def test_a_page_over_the_working_size_is_reduced_by_a_whole_factor_with_its_dpi() -> None:
    page = Image.new("L", (6480, 8640), 255)
    page.info["dpi"] = (600.0, 600.0)
    reduced = within_working_size(page)
    assert reduced.size == (3240, 4320) and reduced.info["dpi"] == (300.0, 300.0)
    small = Image.new("L", (2480, 3508), 255)
    assert within_working_size(small).size == small.size


def test_pages_are_rasterised_at_300_dpi_or_less_to_stay_under_the_pixel_limit() -> None:
    limits = ExtractionLimits(max_pixels=60_000_000)
    assert raster_dpi(595, 842, limits) == 300  # A4: 8.7 million pixels
    a0 = raster_dpi(2384, 3370, limits)  # A0 at 300 dpi would be 139 million
    assert a0 is not None and a0 < 300
    assert (2384 / 72 * a0) * (3370 / 72 * a0) <= limits.max_pixels
    assert raster_dpi(14400 * 75, 14400 * 75, limits) is None


# --- found or added with the hostile corpus (tests/corpus/hostile.py) -------------------------


def test_1000_page_tiff_is_refused_before_any_page_is_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import TiffImagePlugin

    decoded: list[int] = []
    original_load = TiffImagePlugin.TiffImageFile.load

    def counting_load(self: TiffImagePlugin.TiffImageFile) -> object:
        decoded.append(self.tell())
        return original_load(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", counting_load)
    path = tmp_path / "seribu.tif"
    path.write_bytes(hostile.many_page_tiff(1000, size=200))
    assert "more than 200 pages (frames)" in error_of(path)
    assert decoded == []  # the page limit is hit from the headers, no pixels are decoded
    frames = tmp_path / "tiga.tif"
    frames.write_bytes(hostile.many_page_tiff(3, size=200))
    assert len(load_images(frames.read_bytes(), "tiga.tif", ExtractionLimits())) == 3
    assert sorted(set(decoded)) == [0, 1, 2]  # the spy does see decoding when it happens


def test_pdf_with_a_launch_action_warns_and_never_runs_it(tmp_path: Path) -> None:
    path = tmp_path / "peluncur.pdf"
    path.write_bytes(hostile.launch_pdf())
    result = extract_file(path)
    assert result.error is None
    warnings = result.documents[0].warnings
    assert any("launch action" in w and "never run" in w for w in warnings), warnings
    assert not any("JavaScript" in w for w in warnings)


def test_javascript_hidden_in_a_compressed_object_stream_is_found(tmp_path: Path) -> None:
    path = tmp_path / "tersembunyi.pdf"
    path.write_bytes(hostile.hidden_javascript_pdf())  # asserts no /JS in the raw bytes
    result = extract_file(path)
    assert result.error is None
    assert any("JavaScript" in w for w in result.documents[0].warnings)


def test_plain_pdf_has_no_active_content_warning(tmp_path: Path) -> None:
    result = extract_file(write(text_pdf(FORM_TEXT), tmp_path / "biasa.pdf"))
    assert not any("Treat the file with care" in w for w in result.documents[0].warnings)


def test_pdf_that_is_also_a_zip_is_read_as_pdf_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "poliglot.pdf"
    path.write_bytes(hostile.pdf_zip_polyglot())
    assert zipfile.is_zipfile(path)  # really both
    result = extract_file(path)
    assert result.error is None
    assert any("(a ZIP archive)" in w for w in result.documents[0].warnings)
    zip_first = tmp_path / "zip-dulu.pdf"
    zip_first.write_bytes(hostile.zip_pdf_polyglot())
    assert "ZIP archive" in error_of(zip_first)


def test_huge_image_inside_a_pdf_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bom-gambar.pdf"
    path.write_bytes(hostile.image_bomb_pdf())
    assert path.stat().st_size < 200_000
    message = error_of(path)
    assert "20000×20000 pixels" in message and "pixel limit" in message


def test_page_without_a_size_is_damaged_not_unexpected(tmp_path: Path) -> None:
    writer = text_pdf(FORM_TEXT)
    del writer.pages[0][NameObject("/MediaBox")]
    message = error_of(write(writer, tmp_path / "tanpa-ukuran.pdf"))
    assert "damaged or truncated" in message and "unexpected" not in message


def test_tiff_whose_second_page_lacks_dimensions_is_damaged_not_unexpected() -> None:
    # Found by tests/test_hostile_fuzz.py (the shrunk example, verbatim): Pillow raises
    # TypeError("Missing dimensions") stepping to a page header without a width.
    data = (
        b"II*\x00\x10\x00\x00\x00\xff\xff\xff\xff\xff\x00\x10\x01\t\x00\x00\x01\x03\x00\x01\x00"
        b"\x00\x00(\x00\x00\x00\x01\x01\x03\x00\x01\x00\x00\x00(\x00\x00\x00\x02\x01\x03\x00\x01"
        b"\x00\x00\x00\x01\x00\x00\x00\x03\x01\x03\x00\x01\x00\x00\x00\x04\x00\x00\x00\x06\x01"
        b"\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00\x11\x01\x04\x00\x01\x00\x00\x00\x08\x00\x00"
        b"\x00\x16\x01\x03\x00\x01\x00\x00\x00(\x00\x00\x00\x17\x01\x04\x00\x01\x00\x00\x00\x08"
        b"\x00\x00\x00\x1c\x01\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00\xa8\x00\x00\x00"
    )
    with pytest.raises(ExtractionError, match="damaged or truncated"):
        load_images(data, "halaman-kedua.tif", ExtractionLimits())
