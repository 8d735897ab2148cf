"""A signature pasted into a PDF as an image, found where the applicant signs."""

from __future__ import annotations

import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from parsers.model import Document
from parsers.page_drawing import image_boxes

log = logging.getLogger(__name__)


def mark_signature(reader: PdfReader, document: Document) -> None:
    """A text layer cannot show ink, but a pasted signature is an image drawn under the date.

    Sets `signed` when a small image lies below the place-and-date line (at the top of a letter,
    at the bottom of a form) on that page or a later one; otherwise the label reader's verdict
    stands. A logo sits above that line, a full-page scan is not small.
    """
    anchor = document.boxes.get("date") or document.boxes.get("place")
    first = anchor[0] if anchor else document.pages[-1]
    top = anchor[2] - 10 if anchor else None
    try:
        for number in (n for n in document.pages if n >= first):
            height = float(reader.pages[number - 1].mediabox.top)
            floor = (top if top is not None else height / 2) if number == first else 0.0
            for x0, y0, x1, y1 in image_boxes(reader, number - 1):
                if y0 >= floor and (x1 - x0) * (y1 - y0) < 0.25 * height * height:
                    document.fields["signed"] = True
                    document.confidence["signed"] = 0.85
                    document.boxes["signed"] = (number, x0, y0, x1, y1)
                    return
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return
