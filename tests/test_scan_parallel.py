"""Pages of one scan read in parallel (`parsers.scan.page_threads`) give what one at a time gives.

The one decision that depends on the page before — a foreign form's closing page continues it —
is taken after the parallel reading; this bundle exercises it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageDraw, ImageFont

from parsers.scan import page_threads, read_scanned_pages

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _page(lines: tuple[str, ...]) -> Image.Image:
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    for i, line in enumerate(lines):
        draw.text((160, 220 + 70 * i), line, font=font, fill=0)
    return page


FOREIGN_FORM = (
    "PERNYATAAN KEBERATAN ATAS PERMOHONAN INFORMASI",
    "Nomor Pendaftaran: 17/PPID/2026",
    "Nama: RAHMAT HIDAYAT",
    "Alamat: Jalan Gajah Mada No. 12, Pontianak",
    "Tujuan penggunaan informasi: penelitian",
    "Alasan pengajuan keberatan: permohonan informasi ditolak",
)
CLOSING = (
    "Kasus posisi: permohonan tidak ditanggapi dalam jangka waktu.",
    "Demikian keberatan ini saya sampaikan.",
    "Hormat saya, Pemohon",
)
LETTER = (
    "SURAT PENGANTAR",
    "Bersama ini kami sampaikan berkas permohonan informasi",
    "yang telah kami terima pada hari Senin pekan lalu.",
)


def test_pages_read_in_parallel_give_the_same_documents_as_one_at_a_time() -> None:
    pages = [_page(FOREIGN_FORM), _page(CLOSING), _page(LETTER)]

    one_at_a_time = read_scanned_pages(pages, [1, 2, 3])
    with page_threads(3):
        parallel = read_scanned_pages(pages, [1, 2, 3])

    kinds = [(d.document_type, d.pages) for d in one_at_a_time]
    assert kinds == [("objection_form", [1, 2]), ("other", [3])]  # the closing page continues
    assert [(d.document_type, d.pages) for d in parallel] == kinds
    assert [d.fields for d in parallel] == [d.fields for d in one_at_a_time]
    assert [d.text for d in parallel] == [d.text for d in one_at_a_time]


def test_each_page_is_read_inside_its_own_slot() -> None:
    """Capacity is taken page by page (`slot`), never more pages at once than threads."""
    held, most, entered = [0], [0], []
    lock = threading.Lock()

    @contextmanager
    def slot() -> Iterator[None]:
        with lock:
            held[0] += 1
            most[0] = max(most[0], held[0])
            entered.append(held[0])
        try:
            yield
        finally:
            with lock:
                held[0] -= 1

    pages = [_page(LETTER), _page(CLOSING), _page(LETTER)]
    for threads in (1, 2):
        entered.clear()
        most[0] = 0
        with page_threads(threads, slot=slot):
            read_scanned_pages(pages, [1, 2, 3])
        assert len(entered) == 3, f"{threads} thread(s): a page was read outside a slot"
        assert most[0] <= threads and held[0] == 0
