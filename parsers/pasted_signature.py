"""A signature pasted into a PDF as an image, found where the applicant signs."""

from __future__ import annotations

import contextlib
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from parsers.model import Document

log = logging.getLogger(__name__)


_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[^>]*>|[\[\]]|/[^\s/\[\]()<>{}]+|[^\s/\[\]()<>{}]+")


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


def image_boxes(reader: PdfReader, index: int) -> list[tuple[float, float, float, float]]:
    """Where the page draws image XObjects: (x0, y0, x1, y1) in points, origin top-left.

    A tiny content-stream walk that follows only q/Q/cm/Do, far cheaper than a full parse.
    """
    page = reader.pages[index]
    xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
    xobjects = xobjects.get_object() if hasattr(xobjects, "get_object") else xobjects
    images = {
        name[1:] for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"
    }
    if not images:
        return []
    height = float(page.mediabox.top)
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    ctm, stack, operands = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), [], []
    boxes = []
    for token in _TOKEN.findall(data):
        if token[:1] in b"-.0123456789" and token[:1]:
            operands.append(token)
            continue
        if token.startswith(b"/"):
            operands.append(token)
            continue
        if token == b"q":
            stack.append(ctm)
        elif token == b"Q" and stack:
            ctm = stack.pop()
        elif token == b"cm" and len(operands) >= 6:
            with contextlib.suppress(ValueError):
                ctm = _multiply(tuple(float(v) for v in operands[-6:]), ctm)
        elif token == b"Do" and operands and operands[-1][1:].decode("latin-1") in images:
            corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            boxes.append((min(xs), height - max(ys), max(xs), height - min(ys)))
        operands = []
    return boxes


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
