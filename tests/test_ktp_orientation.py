"""A cropped card scanned on its side or upside down is turned upright before any OCR."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from parsers import card_image
from parsers.geometry import map_box
from tests.corpus.ktp import render_ktp
from tests.corpus.people import make_person


@pytest.fixture(scope="module")
def card() -> Image.Image:
    return render_ktp(make_person(random.Random(11)), dpi=200, seed=3)


@pytest.mark.parametrize("turn", [None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                                  Image.Transpose.ROTATE_270])  # fmt: skip
def test_a_crop_in_any_quarter_turn_comes_back_with_its_photo_on_the_right(
    card: Image.Image, turn: Image.Transpose | None
) -> None:
    scanned = card if turn is None else card.transpose(turn)
    found = card_image.card_candidate(scanned)
    assert found is not None and found.method == "crop"
    height, width = found.grey.shape
    assert width > height  # landscape again
    assert card_image.photo_side(found.grey) == 1
    # the photo's box on the upright card maps back inside the scanned image
    x0, y0, x1, y1 = map_box(
        found.to_page, (0.78 * width, 0.25 * height, 0.95 * width, 0.6 * height)
    )
    assert min(x0, x1) >= 0 and max(x0, x1) <= scanned.width + 1
    assert min(y0, y1) >= 0 and max(y0, y1) <= scanned.height + 1
    photo = np.asarray(scanned.convert("L"))[round(y0) : round(y1), round(x0) : round(x1)]
    assert photo.size and float(np.median(photo)) < 180  # the grey photo, not card stock


def test_a_page_of_text_gives_no_side() -> None:
    assert card_image.photo_side(np.full((400, 640), 255, dtype=np.uint8)) == 0
