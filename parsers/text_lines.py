"""Small helpers on text and its lines: one-line values, value boxes, the box around lines."""

from __future__ import annotations

import re

from parsers.model import Box, TextLine


def collapse(text: str) -> str:
    """Whitespace runs to one space, ends trimmed: values as printed, in one line."""
    return re.sub(r"\s+", " ", text or "").strip()


def value_box(line: TextLine, start: int) -> Box:
    x0, y0, x1, y1 = line.box
    share = start / max(len(line.text), 1)
    return (line.page, x0 + (x1 - x0) * share, y0, x1, y1)


def union_box(lines: list[TextLine], first: Box | None = None) -> Box:
    page = first[0] if first else lines[0].page
    same = [ln.box for ln in lines if ln.page == page]
    boxes = [first[1:], *same] if first else same
    return (
        page,
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
