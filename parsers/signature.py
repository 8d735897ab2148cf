"""Whether an objection is signed: the scan's ink where the applicant signs, or its text."""

from __future__ import annotations

import re

import numpy as np

from parsers.field_checks import Found
from parsers.model import TextLine
from parsers.reasons import mark_tick_boxes
from parsers.text_lines import value_box

# The words above the applicant's signature: 'Hormat saya', 'Pengaju Keberatan', 'Pemohon / Kuasa'.
_CLOSING = re.compile(
    r"hormat\s+(?:saya|kami)|(?:pengaju|pemohon)\s+keberatan|pemohon\s*/\s*kuasa"
    r"|pemohon\s+informasi\s*$|yang\s+mengajukan(?:\s+keberatan)?\s*,?\s*$|^\W*pemohon\W*$",
    re.IGNORECASE,
)


_CLOSING_WORDS = {
    "mengetahui", "pengaju", "keberatan", "petugas", "informasi", "penerima", "hormat", "saya",
    "kami", "pemohon", "tanda", "tangan", "ttd", "materai", "meterai",
}  # fmt: skip


def signature_from_lines(after: list[TextLine], lines: list[TextLine], signer: str | None) -> Found:
    """Text cannot show ink; a typed 'ttd' (signed) says so. A printed '(name)' under the
    date is there whether or not anyone signed, so it proves nothing. On an OCR'd page a
    signature leaves letter-like marks ('AW', 'SJ WM') between the closing words and the
    signer's name: taken as signed, with a confidence that asks a person to look. PDFs with a
    pasted signature image are judged by digital.mark_signature.
    """
    measured = [line for line in lines if line.text in (INK_SIGNED, INK_BLANK)]
    if measured:  # the scan's own ink where the applicant signs
        ink = measured[-1]
        return Found(ink.text == INK_SIGNED, [ink], round(ink.confidence, 3), (ink.page, *ink.box))
    for line in after[:8]:
        if re.search(r"\bttd\b|/ttd/|\bdto\b", line.text, re.IGNORECASE):
            return Found(True, [line], round(0.6 * line.confidence, 3), (line.page, *line.box))
    marks = _signature_marks(lines, signer)
    if marks is not None:
        return Found(True, [marks], SIGNATURE_MARKS, (marks.page, *marks.box))
    return Found(False, [], 0.5, None)


SIGNATURE_MARKS = 0.65  # signed, judged from OCR marks: probable, to be confirmed by a person


def _signature_marks(lines: list[TextLine], signer: str | None) -> TextLine | None:
    """The line below the last closing words ('Hormat saya', 'Pengaju Keberatan') and above
    the signer's name that holds marks of two or more letters outside the closing's words."""
    closing = [i for i, line in enumerate(lines) if _CLOSING.search(line.text)]
    if not closing or lines[closing[-1]].confidence >= 0.999:  # a text layer shows no ink
        return None
    name_key = re.sub(r"[^a-z]", "", (signer or "").lower())
    for line in lines[closing[-1] + 1 : closing[-1] + 5]:
        if name_key and name_key in re.sub(r"[^a-z]", "", line.text.lower()):
            return None  # reached the signer's name
        tokens = re.findall(r"[A-Za-z0-9]+", line.text)
        if any(len(t) >= 2 and t.lower() not in _CLOSING_WORDS for t in tokens):
            return line
    return None


INK_SIGNED = "[ink: signed]"  # a line the scan reader adds: ink where the signature goes


INK_BLANK = "[ink: blank]"  # ... and no ink there


_SIGNED_INK = 0.01  # share of the signature area inked by a signature (specks stay below)


_BLANK_INK = 0.002


# "Not signed" sends the objection back to the citizen, and on letters people sign to the side of
# their name or over a stamp, outside the area measured: a person confirms it (measured: 2 of ~40
# signed letters looked blank there).
BLANK_SIGNATURE = 0.6


def mark_ink(lines: list[TextLine], grey: np.ndarray) -> list[TextLine]:
    """What a scan's ink shows that OCR text cannot: tick boxes and a signature.

    `lines` are one page's OCR lines in `grey`'s pixels (the levelled page). Reason lines
    get the box state a text layer would print ('☑'/'☐'); a line INK_SIGNED or INK_BLANK is
    added where the applicant signs (above the signer's name, below the closing words), its
    confidence saying how clear the ink was. The reader stays pure: an image in, lines out.
    """
    ink = grey < 128
    marked = mark_tick_boxes(lines, ink)
    signature = _signature_ink(marked, ink)
    if signature is None:
        return marked
    return [*marked, signature]


def _signature_ink(lines: list[TextLine], ink: np.ndarray) -> TextLine | None:
    closing = [i for i, line in enumerate(lines) if _CLOSING.search(line.text)]
    if not closing:
        return None
    close = lines[closing[-1]]
    height = close.box[3] - close.box[1]
    phrase = _CLOSING.search(close.text)
    left = value_box(close, phrase.start())[1] if phrase else close.box[0]
    right = (
        value_box(close, phrase.end())[1]
        if phrase and phrase.end() < len(close.text)
        else close.box[2]
    )
    signer = next(
        (
            line
            for line in lines[closing[-1] + 1 : closing[-1] + 7]
            if line.box[1] - close.box[3] >= 1.2 * height
            and _names_someone(line.text)
            and min(line.box[2], right) - max(line.box[0], left) > 0  # under the closing words
        ),
        None,
    )
    if signer is None:
        return None
    name = re.search(r"\(([^()]*[A-Za-z]{3}[^()]*)\)?\s*$", signer.text)
    start = name.start() if name else 0
    _, x0, _, x1, _ = value_box(signer, start)
    centre, half = (x0 + x1) / 2, max((x1 - x0) / 2, 5 * height)
    box = (centre - half, close.box[3] + 0.2 * height, centre + half, signer.box[1] - 0.1 * height)
    left, top, right, bottom = (round(v) for v in box)
    area = ink[max(0, top) : max(0, bottom), max(0, left) : max(0, right)]
    if area.size == 0 or bottom - top < height:
        return None
    share = float(area.mean())
    if share >= _SIGNED_INK:
        return TextLine(INK_SIGNED, signer.page, box, min(1.0, 0.9 + share))
    if share <= _BLANK_INK:  # likely unsigned, but a signature may sit beside the measured area
        return TextLine(INK_BLANK, signer.page, box, BLANK_SIGNATURE)
    return TextLine(INK_SIGNED, signer.page, box, 0.5)


def _names_someone(text: str) -> bool:
    """A signer's line: a word of three letters or more that is not a closing word."""
    words = re.findall(r"[A-Za-z]{3,}", text)
    return bool(words) and any(w.lower() not in _CLOSING_WORDS for w in words)
