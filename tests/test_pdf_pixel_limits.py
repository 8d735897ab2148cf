"""Every image a PDF page can hold is checked against the pixel limit before anything decodes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from parsers.extract import extract_file
from parsers.model import ExtractionLimits
from tests.peak_memory import run_with_peak_mb

LIMIT = "pixel limit (limits.max_pixels)"


def _stream(writer: PdfWriter, data: bytes, **entries: object) -> object:
    stream = StreamObject()
    stream._data = data
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value  # type: ignore[assignment]
    return writer._add_object(stream)


def _huge_image(writer: PdfWriter) -> object:
    """A 20000×20000 image by its header (its few bytes are never decoded)."""
    return _stream(
        writer,
        b"\x00" * 16,
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Image"),
        Width=NumberObject(20000),
        Height=NumberObject(20000),
        ColorSpace=NameObject("/DeviceGray"),
        BitsPerComponent=NumberObject(8),
    )


def _form(writer: PdfWriter, name: str, inner: object) -> object:
    resources = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject(f"/{name}"): inner})}
    )
    return _stream(
        writer,
        f"q /{name} Do Q".encode(),
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Form"),
        BBox=ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)]),
        Resources=resources,
    )


def _in_an_annotation(writer: PdfWriter, page: DictionaryObject) -> None:
    appearance = _form(writer, "Im0", _huge_image(writer))
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Stamp"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 60, 60)]),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): appearance}),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _deeply_nested(writer: PdfWriter, page: DictionaryObject) -> None:
    inner = _huge_image(writer)
    for level in range(6):
        inner = _form(writer, f"F{level}", inner)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Luar"): inner})}
    )
    page[NameObject("/Contents")] = _stream(writer, b"q /Luar Do Q")


def _inline(writer: PdfWriter, page: DictionaryObject) -> None:
    drawing = b"q 100 0 0 100 0 0 cm BI /W 20000 /H 20000 /CS /G /BPC 8 ID \x00\x00 EI Q"
    page[NameObject("/Contents")] = _stream(writer, drawing)


@pytest.mark.parametrize("place", [_in_an_annotation, _deeply_nested, _inline])
def test_an_oversized_image_is_refused_wherever_the_page_holds_it(tmp_path: Path, place) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    place(writer, page)
    path = tmp_path / f"{place.__name__.strip('_')}.pdf"
    with path.open("wb") as out:
        writer.write(out)
    result = extract_file(path, ExtractionLimits())
    assert result.error is not None and LIMIT in result.error, result.error
    assert "20000×20000" in result.error and path.name in result.error


def test_a_small_inline_image_passes(tmp_path: Path) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    page[NameObject("/Contents")] = _stream(
        writer, b"q 10 0 0 10 0 0 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\x00\x00\x00 EI Q"
    )
    path = tmp_path / "kecil.pdf"
    with path.open("wb") as out:
        writer.write(out)
    assert LIMIT not in (extract_file(path, ExtractionLimits()).error or "")


def _many_pages(path: Path, pages: int, declared: int) -> Path:
    """A PDF of `pages` blank pages, its page tree declaring `declared`."""
    kids = " ".join(f"{3 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count {declared} /Kids [{kids}] >>".encode(),
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages,
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


@pytest.mark.parametrize("declared", [100_000, 1])
def test_a_hundred_thousand_pages_are_refused_by_the_page_limit_within_memory(
    tmp_path: Path, declared: int
) -> None:
    """The page limit answers before pypdf builds an object per page (it took ~700 MB and was
    noted as a decompression bomb); a /Count that lies does not help."""
    path = _many_pages(tmp_path / "tebal.pdf", 100_000, declared)
    script = (
        "from parsers.extract import extract_file\n"
        "from parsers.model import ExtractionLimits\n"
        f"result = extract_file(__import__('pathlib').Path({str(path)!r}), ExtractionLimits())\n"
        "print(result.error)\n"
    )
    error, peak_mb = run_with_peak_mb(script)
    assert "page limit (limits.max_pages)" in error and "bomb" not in error, error
    # ~140 MB (up to ~270 while Python compiles its modules afresh): the interpreter, pypdf and
    # the xref; an object per page took it past 380 MB
    assert int(peak_mb) < 320, f"{peak_mb} MB"
