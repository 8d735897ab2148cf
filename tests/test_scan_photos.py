"""A phone photo of a foreign-layout page: the sheet is found on the table, flattened, read."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from weasyprint import HTML

from parsers.extract import extract_file
from parsers.page_image import flat_page
from tests.corpus import degrade
from tests.test_extract_digital import PERKI_HTML, STYLE


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("photo")
    pdf = root / "perki.pdf"
    HTML(
        string=f"<html><head><style>{STYLE}</style></head><body>{PERKI_HTML}</body></html>"
    ).write_pdf(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(root / "page")], check=True
    )
    page = Image.open(root / "page.png").convert("RGB")
    shot, _ = degrade.photograph(page, random.Random(5), fill=0.75, out_long_side=2200)
    path = root / "foto.jpg"
    shot.save(path, quality=85)
    return path


def test_the_sheet_is_found_and_flattened_to_a_page(photo: Path) -> None:
    flat = flat_page(Image.open(photo))
    assert flat is not None
    assert flat.image.size == (1654, 2339)  # A4 at 200 dpi, upright as photographed


def test_a_photographed_foreign_form_is_read_and_its_boxes_land_on_the_photo(photo: Path) -> None:
    [document] = extract_file(photo).documents
    assert document.document_type == "objection_form"
    fields = document.fields
    assert fields["request_number"] == "045/PPID/X/2026"
    assert fields["applicant"]["nik"] == "6171054512900003"
    assert fields["applicant"]["name"] == "Rina Contoh Sari"
    width, height = Image.open(photo).size
    for name, (_, x0, y0, x1, y1) in document.boxes.items():
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, name


def test_a_flat_scan_is_not_taken_for_a_photographed_sheet() -> None:
    page = Image.new("L", (1654, 2339), 255)
    assert flat_page(page) is None


@pytest.mark.parametrize("size", [(3, 5000), (5000, 3), (1, 1)])
def test_a_sliver_of_an_image_shows_no_sheet(size: tuple[int, int]) -> None:
    assert flat_page(Image.new("L", size, 200)) is None
