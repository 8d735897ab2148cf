"""What a PDF page draws rather than writes: pasted images, and tick boxes filled with ink.

A text layer holds the words of a digital form but not its drawing: a pasted signature is an
image, and a ticked box may be a small square painted black. A tiny walk of the page's content
stream (graphics state, transformation, fill colour, rectangles, fills, images), far cheaper
than a full parse, finds both; boxes are in points, origin top-left.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field

from pypdf import PdfReader

log = logging.getLogger(__name__)

Quad = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[^>]*>|[\[\]]|/[^\s/\[\]()<>{}]+|[^\s/\[\]()<>{}]+")
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_FILLS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
DARK = 0.5  # fill luminance under which a painted square is ink
TICK_MM = (2.0, 7.0)  # side of a painted tick box


@dataclass
class Drawing:
    """A page's images and dark filled squares, each (x0, y0, x1, y1) in points from top-left."""

    images: list[Quad] = field(default_factory=list)
    squares: list[Quad] = field(default_factory=list)


@dataclass
class _State:
    ctm: Matrix = _IDENTITY
    grey: float = 0.0  # fill luminance, 0 black .. 1 white


def page_drawing(reader: PdfReader, index: int) -> Drawing:
    """Images and dark filled squares of one page (an odd or damaged page gives what it gave)."""
    page = reader.pages[index]
    height = float(page.mediabox.top)
    xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
    xobjects = xobjects.get_object() if hasattr(xobjects, "get_object") else xobjects
    images = {
        name[1:] for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"
    }
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    drawing = Drawing()
    state, stack, operands, rects = _State(), [], [], []
    for token in _TOKEN.findall(data):
        if token[:1] in b"-.0123456789/" and token[:1]:
            operands.append(token)
            continue
        if token == b"q":
            stack.append(_State(state.ctm, state.grey))
        elif token == b"Q" and stack:
            state = stack.pop()
        elif token == b"cm" and len(operands) >= 6:
            with contextlib.suppress(ValueError):
                state.ctm = _multiply(tuple(float(v) for v in operands[-6:]), state.ctm)
        elif token in (b"g", b"rg", b"k", b"sc", b"scn"):
            state.grey = _luminance(token, operands)
        elif token == b"re" and len(operands) >= 4:
            with contextlib.suppress(ValueError):
                rects.append(_placed(state.ctm, *(float(v) for v in operands[-4:]), height))
        elif token in _FILLS:
            if state.grey < DARK:
                drawing.squares += [r for r in _solid(rects, token) if _tick_sized(r)]
            rects = []
        elif token in (b"n", b"S", b"s"):
            rects = []
        elif token == b"Do" and operands and operands[-1][1:].decode("latin-1") in images:
            drawing.images.append(_placed(state.ctm, 0.0, 0.0, 1.0, 1.0, height))
        operands = []
    return drawing


def image_boxes(reader: PdfReader, index: int) -> list[Quad]:
    """Where the page draws image XObjects: (x0, y0, x1, y1) in points, origin top-left."""
    return page_drawing(reader, index).images


def _luminance(operator: bytes, operands: list[bytes]) -> float:
    try:
        values = [float(v) for v in operands if not v.startswith(b"/")]
    except ValueError:
        return 0.0
    if operator == b"g" and values:
        return values[-1]
    if operator == b"k" and len(values) >= 4:
        c, m, y, k = values[-4:]
        return (1 - k) * (1 - (c + m + y) / 3)
    if len(values) >= 3:
        r, g, b = values[-3:]
        return 0.299 * r + 0.587 * g + 0.114 * b
    return values[-1] if values else 0.0


def _placed(ctm: Matrix, x: float, y: float, w: float, h: float, height: float) -> Quad:
    corners = [_apply(ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (min(xs), height - max(ys), max(xs), height - min(ys))


def _solid(rects: list[Quad], operator: bytes) -> list[Quad]:
    """The rectangles a fill paints solid: under the even-odd rule a rectangle with another
    inside it is a frame (how a box's border is drawn), and the inner one its hole."""
    if not operator.endswith(b"*") or len(rects) < 2:
        return rects
    return [r for r in rects if not any(o is not r and _overlap(r, o) for o in rects)]


def _overlap(a: Quad, b: Quad) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _tick_sized(box: Quad) -> bool:
    """A small square, the size of a printed tick box."""
    low, high = (mm / 25.4 * 72 for mm in TICK_MM)
    width, tall = box[2] - box[0], box[3] - box[1]
    return low <= width <= high and low <= tall <= high and 0.7 <= width / max(tall, 1e-6) <= 1.4


def _multiply(m: Matrix, n: Matrix) -> Matrix:
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


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
