"""Text lines and their words: one-line values, where each word lies, the box around lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.model import Box, TextLine

Quad = tuple[float, float, float, float]


@dataclass(frozen=True)
class LineWord:
    """One word of a line with its horizontal extent in the line's own (upright) frame."""

    text: str
    x0: float
    x1: float
    start: int  # index of its first character in the line's text
    confidence: float = 1.0  # OCR's for this word (the line's when not known word by word)


def collapse(text: str) -> str:
    """Whitespace runs to one space, ends trimmed: values as printed, in one line."""
    return re.sub(r"\s+", " ", text or "").strip()


def line_of_words(words: Sequence[tuple[str, Quad, float]], page: int) -> TextLine | None:
    """One line from words (text, box, confidence) in reading order, each word's place and
    confidence kept; the line's confidence is their mean."""
    kept = [(t.strip(), box, c) for t, box, c in words if t.strip() and " " not in t.strip()]
    if not kept:
        return None
    x0 = min(box[0] for _, box, _ in kept)
    x1 = max(box[2] for _, box, _ in kept)
    box = (x0, min(b[1] for _, b, _ in kept), x1, max(b[3] for _, b, _ in kept))
    width = max(x1 - x0, 1e-6)
    spans = tuple(((b[0] - x0) / width, (b[2] - x0) / width) for _, b, _ in kept)
    confidences = tuple(c for _, _, c in kept)
    mean = sum(confidences) / len(confidences)
    text = " ".join(t for t, _, _ in kept)
    return TextLine(text, page, box, mean, spans, confidences if mean < 1.0 else ())


def line_words(line: TextLine) -> list[LineWord]:
    """The line's words with their extent: from `spans` when known, else spread over the box
    by their share of the characters (a text without geometry, an e-mail's body)."""
    found = [(m.group(0), m.start()) for m in re.finditer(r"\S+", line.text)]
    x0, _, x1, _ = line.box
    width = x1 - x0
    if has_geometry(line):
        known = len(line.word_confidence) == len(found)
        return [
            LineWord(
                t,
                x0 + a * width,
                x0 + b * width,
                s,
                line.word_confidence[i] if known else line.confidence,
            )
            for i, ((t, s), (a, b)) in enumerate(zip(found, line.spans, strict=True))
        ]
    total = max(len(line.text), 1)
    return [
        LineWord(t, x0 + width * s / total, x0 + width * (s + len(t)) / total, s, line.confidence)
        for t, s in found
    ]


def has_geometry(line: TextLine) -> bool:
    """Whether the line knows where its words are (a text layer or OCR, not plain text)."""
    return bool(line.spans) and len(line.spans) == len(line.text.split())


def value_box(line: TextLine, start: int) -> Box:
    """The box of the line's text from character `start` on."""
    x0, y0, x1, y1 = line.box
    for word in line_words(line):
        if word.start >= start:
            return (line.page, word.x0, y0, x1, y1)
    share = start / max(len(line.text), 1)
    return (line.page, x0 + (x1 - x0) * share, y0, x1, y1)


def union_box(lines: list[TextLine], first: Box | None = None) -> Box:
    """The box around `lines` on the page of `first` (or of the first line)."""
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
