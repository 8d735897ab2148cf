"""A PDF's text layer as words and lines with their boxes (poppler's pdftotext, else pypdf).

Reading a text layer costs milliseconds; rasterising and OCR cost seconds. So it is tried first
and pages are only rasterised when it holds nothing usable.
"""

from __future__ import annotations

import html
import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from parsers.model import TextLine
from parsers.text_lines import collapse, line_of_words

log = logging.getLogger(__name__)


MIN_TEXT_CHARS = 40  # fewer non-blank characters than this on a page means "scan, needs OCR"


_LINE_TOLERANCE = 2.5  # points: fragments whose baselines differ less are on one line


_GAP_FOR_SPACE = 0.25  # of the font size: a wider gap between fragments becomes a space


_CHAR_WIDTH = 0.5  # of the font size: rough glyph width, enough for boxes a reviewer crops


_PAGE = re.compile(r"<page\b")


_WORD = re.compile(
    r'<word xMin="([\d.\-]+)" yMin="([\d.\-]+)" xMax="([\d.\-]+)" yMax="([\d.\-]+)">([^<]*)</word>'
)


@dataclass
class PageText:
    """One page's text layer: words (for our form's zones) and lines (for labels)."""

    words: list[TextLine]
    lines: list[TextLine]


def text_layer(pdf: Path, timeout: float) -> dict[int, PageText] | None:
    """Every page's words and lines via poppler's `pdftotext -bbox`: exact word boxes, and about
    a fifth of the CPU of pypdf's text extraction. None when the tool fails (then use pypdf).
    """
    try:
        # No memory rlimit here (a preexec_fn would cost a slow fork per file): the caller has
        # already bounded the decompressed content streams, and pdftotext decodes no images.
        done = subprocess.run(
            ["pdftotext", "-q", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        log.info("pdftotext failed on %s (%s); using pypdf", pdf.name, error)
        return None
    out = done.stdout.decode("utf-8", errors="replace")
    pages: dict[int, PageText] = {}
    for number, chunk in enumerate(_PAGE.split(out)[1:], start=1):
        words = [
            TextLine(html.unescape(text), number, (float(x0), float(y0), float(x1), float(y1)))
            for x0, y0, x1, y1, text in _WORD.findall(chunk)
        ]
        joined = [(w.box[3], w.box[0], w.box[3] - w.box[1], w.text, w.box[2]) for w in words]
        pages[number] = PageText(words, _join_words(joined, number))
    return pages


def _join_words(words: list[tuple[float, float, float, str, float]], number: int) -> list[TextLine]:
    """Words (baseline y, x0, height, text, x1) on one baseline become one line, left to right."""
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for word in sorted(words, key=lambda w: (round(w[0], 1), w[1])):
        if rows and abs(rows[-1][0][0] - word[0]) <= _LINE_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    lines: list[TextLine] = []
    for row in rows:
        row.sort(key=lambda w: w[1])
        boxed = [(text, (x0, y - height, x1, y), 1.0) for y, x0, height, text, x1 in row]
        line = line_of_words(boxed, number)
        if line is not None:
            lines.append(line)
    return lines


def page_lines(reader: PdfReader, index: int) -> list[TextLine]:
    """The text layer of one page as lines, top to bottom, boxes in points (origin top-left)."""
    page = reader.pages[index]
    height = float(page.mediabox.top)
    fragments: list[tuple[float, float, float, str]] = []  # (y_top, x, font size, text)

    def visit(text: str, cm: Any, tm: Any, _font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0) * (size or 10.0)
        for piece in text.splitlines():
            if piece.strip():
                fragments.append((height - y, x, scale, piece))

    page.extract_text(visitor_text=visit)
    return _join_fragments(fragments, index + 1)


def _join_fragments(
    fragments: list[tuple[float, float, float, str]], number: int
) -> list[TextLine]:
    rows: list[list[tuple[float, float, float, str]]] = []
    for fragment in sorted(fragments, key=lambda f: (round(f[0], 1), f[1])):
        if rows and abs(rows[-1][0][0] - fragment[0]) <= _LINE_TOLERANCE:
            rows[-1].append(fragment)
        else:
            rows.append([fragment])
    lines: list[TextLine] = []
    for row in rows:
        row.sort(key=lambda f: f[1])
        text, right = "", None
        for _y, x, size, piece in row:
            if right is not None and x - right > _GAP_FOR_SPACE * size and not text.endswith(" "):
                text += " "
            text += piece
            right = max(right or x, x + len(piece) * size * _CHAR_WIDTH)
        y, size = row[0][0], max(f[2] for f in row)
        text = collapse(text)
        if text:
            lines.append(TextLine(text, number, (row[0][1], y - size, right or row[0][1], y)))
    return lines


def usable_text(lines: list[TextLine]) -> bool:
    """Whether a page's text layer carries real content (not just a scan with a stray header)."""
    return sum(len(line.text.replace(" ", "")) for line in lines) >= MIN_TEXT_CHARS
