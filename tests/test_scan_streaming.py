"""Scanned pages are read one at a time: a page is drawn or decoded only when a reader takes it,
and let go once read, so a 50-page bundle costs the memory of a page or two, not of fifty.

Each page source here is instrumented: at every page it draws it counts, by weak reference, how
many earlier page images are still alive. A reader that first made a list of every page would
show 0, 1, 2, ... instead of zeros. The pages are
read for real (OpenCV, Tesseract); they are small so that the test stays fast.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin
from pypdf import PdfReader

from parsers import image_files, raster, scan
from parsers.extract import extract_file
from parsers.files import Deadline
from parsers.model import ExtractionError, ExtractionLimits
from parsers.scan import page_threads, read_scanned_pages

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = (
    ("SURAT PENGANTAR", "Bersama ini kami sampaikan berkas permohonan."),
    ("Berkas ini disimpan sebagai arsip", "pemohon informasi publik."),
    ("Demikian kami sampaikan,", "atas perhatiannya kami ucapkan terima kasih."),
    ("Lampiran halaman terakhir", "tanpa isi yang lain."),
)


def _page(lines: tuple[str, ...], size: tuple[int, int] = (1000, 700)) -> Image.Image:
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 30)
    for i, line in enumerate(lines):
        draw.text((60, 80 + 60 * i), line, font=font, fill=0)
    return page


class AliveCounter:
    """Watches the page images a source hands out: how many earlier ones live at each new one."""

    def __init__(self) -> None:
        self._drawn: list[weakref.ref[Image.Image]] = []  # Image is unhashable: no WeakSet
        self.alive_at_draw: list[int] = []

    def _count(self) -> None:
        self.alive_at_draw.append(sum(ref() is not None for ref in self._drawn))

    def watch(self, image: Image.Image) -> Image.Image:
        self._count()
        self._drawn.append(weakref.ref(image))
        return image

    def wrap(self, draw: Callable[..., Image.Image]) -> Callable[..., Image.Image]:
        def counted(*args: Any, **kwargs: Any) -> Image.Image:
            self._count()  # before this page exists
            image = draw(*args, **kwargs)
            self._drawn.append(weakref.ref(image))
            return image

        return counted


def _drawn_on_demand(counter: AliveCounter) -> Iterator[Image.Image]:
    for lines in LINES:
        yield counter.watch(_page(lines))  # never bound to a name: the reader owns the page


@pytest.mark.parametrize("threads", [1, 2])
def test_each_page_is_drawn_only_when_a_reader_is_free_for_it(threads: int) -> None:
    counter = AliveCounter()
    with page_threads(threads):
        documents = read_scanned_pages(_drawn_on_demand(counter), [1, 2, 3, 4])

    assert [page for d in documents for page in d.pages] == [1, 2, 3, 4]
    assert len(counter.alive_at_draw) == len(LINES)
    # one at a time: no earlier page is alive when the next is drawn; in parallel, at most the
    # pages still being read (a free reader is waited for before drawing)
    assert max(counter.alive_at_draw) <= threads - 1, counter.alive_at_draw


def test_the_documents_are_those_read_from_a_list() -> None:
    from_list = read_scanned_pages([_page(lines) for lines in LINES], [1, 2, 3, 4])
    streamed = read_scanned_pages(_drawn_on_demand(AliveCounter()), [1, 2, 3, 4])
    assert [(d.document_type, d.pages, d.text) for d in streamed] == [
        (d.document_type, d.pages, d.text) for d in from_list
    ]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("source", ["scanned_image", "_pdftoppm"])
def test_a_scanned_pdf_is_rasterised_page_by_page_as_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int, source: str
) -> None:
    # a scan at the resolution pages are read at is decoded as it is; at 100 dpi it is drawn
    resolution = 300 if source == "scanned_image" else 100
    pages = [_page(lines, size=(1200, 900)) for lines in LINES[:3]]
    path = tmp_path / "pindaian.pdf"
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    del pages
    counter = AliveCounter()
    monkeypatch.setattr(raster, source, counter.wrap(getattr(raster, source)))

    with page_threads(threads):
        result = extract_file(path)

    assert result.error is None
    assert sorted(page for d in result.documents for page in d.pages) == [1, 2, 3]
    assert len(counter.alive_at_draw) == 3  # 1200×900 pixels each at 300 dpi
    assert max(counter.alive_at_draw) <= threads - 1, counter.alive_at_draw


def _scan_pdf(path: Path, page: Image.Image, dpi: int = 300) -> PdfReader:
    page.save(path, "PDF", resolution=dpi)  # Pillow writes what scanners do: one image a page
    return PdfReader(path)


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
def test_a_plain_scanned_page_is_decoded_as_pdftoppm_would_draw_it(
    tmp_path: Path, mode: str
) -> None:
    page = _page(LINES[0], size=(1754, 1240)).convert(mode)  # A6 landscape at 300 dpi
    reader = _scan_pdf(tmp_path / "pindaian.pdf", page)
    deadline = Deadline.start(60)

    decoded = raster.scanned_image(reader, 0, 300)
    drawn = raster._pdftoppm(tmp_path / "pindaian.pdf", 1, 300, deadline)

    assert decoded is not None
    assert decoded.mode == drawn.mode  # a colour scan without colour is handed on grey by both
    assert mode == "RGB" or decoded.mode == "L"
    assert abs(decoded.width - drawn.width) <= 1 and abs(decoded.height - drawn.height) <= 1
    both = (decoded.width - 1, decoded.height - 1)
    a = np.asarray(decoded.convert("L").crop((0, 0, *both)), dtype=np.int16)
    b = np.asarray(drawn.convert("L").crop((0, 0, *both)), dtype=np.int16)
    assert np.abs(a - b).mean() < 4  # JPEG decoders and scalers differ by a few levels


def test_a_page_that_is_more_than_one_plain_scan_is_left_to_pdftoppm(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    page = _page(LINES[0], size=(1754, 1240))
    reader = _scan_pdf(tmp_path / "pindaian.pdf", page)
    writer = PdfWriter(clone_from=reader)
    writer.pages[0].rotate(90)
    writer.write(tmp_path / "diputar.pdf")
    page.convert("P").save(tmp_path / "flate.pdf", "PDF", resolution=300)  # not JPEG or G4

    assert raster.scanned_image(reader, 0, 300) is not None
    assert raster.scanned_image(reader, 0, 200) is None  # to be resampled: pdftoppm's job
    assert raster.scanned_image(_scan_pdf(tmp_path / "200.pdf", page, 200), 0, 300) is None
    assert raster.scanned_image(PdfReader(tmp_path / "diputar.pdf"), 0, 300) is None
    assert raster.scanned_image(PdfReader(tmp_path / "flate.pdf"), 0, 300) is None


def test_tiff_frames_are_decoded_one_at_a_time_between_readings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    original_load = TiffImagePlugin.TiffImageFile.load
    original_read = scan._read_page

    def spy_load(self: TiffImagePlugin.TiffImageFile) -> object:
        events.append(f"decode {self.tell() + 1}")
        return original_load(self)

    def spy_read(image: Image.Image, number: int, after_form: bool = False) -> object:
        page = original_read(image, number, after_form)
        events.append(f"read {number}")
        return page

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", spy_load)
    monkeypatch.setattr(scan, "_read_page", spy_read)
    counter = AliveCounter()
    monkeypatch.setattr(image_files, "_decode_page", counter.wrap(image_files._decode_page))
    path = tmp_path / "faks.tif"
    frames = [_page(lines).convert("1") for lines in LINES[:3]]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression="group4")

    result = extract_file(path)

    assert result.error is None
    order = [e for i, e in enumerate(events) if i == 0 or events[i - 1] != e]
    assert order == ["decode 1", "read 1", "decode 2", "read 2", "decode 3", "read 3"]
    assert counter.alive_at_draw == [0, 0, 0]


def test_an_oversized_later_frame_is_refused_before_any_frame_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[int] = []
    original_load = TiffImagePlugin.TiffImageFile.load

    def spy_load(self: TiffImagePlugin.TiffImageFile) -> object:
        decoded.append(self.tell())
        return original_load(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", spy_load)
    buffer = io.BytesIO()
    small = Image.new("L", (100, 100), 255)
    small.save(buffer, "TIFF", save_all=True, append_images=[small, Image.new("L", (300, 300))])
    limits = ExtractionLimits(max_pixels=50_000)

    with pytest.raises(ExtractionError, match="pixel limit"):
        image_files.image_pages(buffer.getvalue(), "besar.tif", limits)
    assert decoded == []


def test_a_drawn_page_without_colour_is_handed_on_grey_with_the_same_values() -> None:
    from parsers.alignment import dropout_grey
    from parsers.geometry import to_grey

    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    drawn = Image.fromarray(np.stack([grey, grey, grey], axis=2))  # pdftoppm's colour output

    handed_on = raster._grey_if_colourless(drawn)

    assert handed_on.mode == "L"
    assert (to_grey(handed_on) == to_grey(drawn)).all()
    assert (dropout_grey(handed_on) == dropout_grey(drawn)).all()
    tinted = np.stack([grey, grey, grey], axis=2)
    tinted[5, 5, 2] ^= 1  # one pixel with a trace of colour: the page stays in colour
    assert raster._grey_if_colourless(Image.fromarray(tinted)).mode == "RGB"
