"""Reasons a–g of an objection (UU 14/2008 Pasal 35(1)): which are ticked, in any tick style.

Works on text from a PDF text layer (☑, [x], (v), X before the letter) and on OCR text, where
empty boxes vanish and ticked ones turn into stray characters.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from parsers.geometry import components
from parsers.model import REASON_LETTERS, TextLine

log = logging.getLogger(__name__)

# Reason a–g by a phrase from its Perki wording; checked in this order (d before c: both say
# "ditanggapi").
REASON_PHRASES: tuple[tuple[str, str], ...] = (
    ("d", r"tidak\s+sebagaimana|tidak\s+sesuai\s+(?:dengan\s+)?(?:yang\s+)?(?:di)?minta"),
    ("a", r"ditolak|penolakan"),
    ("b", r"berkala"),
    ("c", r"tidak\s+ditanggapi|tidak\s+ada\s+tanggapan|tidak\s+mendapat\s+tanggapan"),
    ("e", r"tidak\s+dipenuhi"),
    ("f", r"biaya"),
    ("g", r"melebihi\s+(?:jangka\s+)?waktu|terlambat|lewat\s+(?:jangka\s+)?waktu"),
)
_BULLETS = {"•", "·", "-", "–", "*", "▪", "►", ">", "o", "◦"}
_TICKED = re.compile(r"[☑☒✓✔✅xXvV]")
_BOX = re.compile(r"[☐□❑▢]|\[\s*\]|\(\s*\)")
_REASON_ITEM = re.compile(
    r"^\s*(?P<mark>(?:[☑☒✓✔✅☐□❑▢]|\[\s*[xXvV✓✔]?\s*\]|\(\s*[xXvV✓✔]?\s*\)|[xXvV](?=\s+[a-g][.)]))\s*)?"
    r"(?P<letter>[a-g])\s*[.)]\s*(?P<after>(?:[☑☒✓✔✅☐□❑▢]|\[\s*[xXvV✓✔]?\s*\]|\(\s*[xXvV✓✔]?\s*\))?)"
    r"\s*(?P<text>.*)$"
)
_JUNK_ITEM = re.compile(r"^\s*(?P<junk>\S{1,4}?)\s+(?P<letter>[a-g])\s*[.)]\s+(?P<text>\S.*)$")


def reason_item(line: TextLine) -> tuple[str, str, str] | None:
    """(letter, state, mark) with state ticked / box / junk / none for one reason line.

    OCR drops empty boxes and reads a ticked one as stray characters ('41', 'M'), so an
    unknown mark before the letter is 'junk': a probable tick, decided across all lines.
    """
    match = _REASON_ITEM.match(line.text)
    if match:
        marks = (match.group("mark") or "") + (match.group("after") or "")
        letter, text = match.group("letter"), match.group("text")
    else:
        junk = _JUNK_ITEM.match(line.text)
        if junk:
            return junk.group("letter"), "junk", junk.group("junk")
        text, letter = line.text, None
        lead = re.match(r"^(.*?)(?=[A-Za-z]{3})", line.text)
        marks = lead.group(1) if lead else ""
    if letter is None:
        by_phrase = letters_in(text)
        if not by_phrase:
            return None
        letter = by_phrase[0]
        first = marks.split()[0] if marks.split() else ""
        if _EMPTY_BOX_READ.match(first):  # 'CJ 8. Penyampaian …': the letter misread too
            return letter, "junk", first
        if first in _BULLETS:
            return letter, "none", first  # a listed reason: a letter names only its own
        head = text.split()[0] if text.split() else ""
        if len(head) <= 3 and head.lower() not in _ITEM_WORDS:
            return letter, "junk", head  # 'Bk Pengenaan …': box and letter read as one
    if _TICKED.search(marks):
        return letter, "ticked", marks
    return letter, ("box" if _BOX.search(marks) else "none"), marks


def letters_in(text: str) -> list[str]:
    """Reason letters named by their Perki wording anywhere in `text`."""
    lowered = text.lower()
    return [letter for letter, phrase in REASON_PHRASES if re.search(phrase, lowered)]


# How OCR reads an EMPTY printed tick box: a bracket-like pair ('L]', 'LJ', 'CJ', 'Ll', 'L_]');
# a ticked box mostly vanishes (the cross merges with the frame) or shows its tick ('[v]', 'IV)').
_EMPTY_BOX_READ = re.compile(r"^[LCU\[(|]_?[\]JlI1|)]?$")
_ITEM_WORDS = {"dan", "ada"}  # short words a reason's own text may start with
_TICK_READ = re.compile(r"[xXvV✓✔√]")
OCR_BOX_SURE = 0.85  # all seven items read, every mark clear: boxes judged by their OCR reading
OCR_BOX_UNSURE = 0.6  # an item line lost or a mark neither box nor tick


def chosen_reasons(
    items: list[tuple[str, str, str, TextLine]],
) -> tuple[list[tuple[str, TextLine]], float]:
    """Which listed reasons are chosen, and how sure we are (1.0, or less for unclear marks)."""
    states = {state for _, state, _, _ in items}
    empty_boxes = [m for _, state, m, _ in items if state == "junk" and _EMPTY_BOX_READ.match(m)]
    if len(empty_boxes) >= 2 and "box" not in states:
        return _ocr_boxes(items)
    if states & {"ticked", "box"}:
        chosen = [(letter, line) for letter, state, _, line in items if state == "ticked"]
        scanned = all(line.confidence < 0.999 for *_, line in items)  # OCR, not a text layer
        unjudged = scanned and (
            bool(states - {"ticked", "box"}) or len(items) < len(REASON_LETTERS)
        )
        return chosen, OCR_BOX_UNSURE if unjudged else 1.0  # a box the page did not show
    if "junk" in states:
        marks = [mark for _, state, mark, _ in items if state == "junk"]
        common = max(set(marks), key=marks.count)
        every = len(marks) == len(items) and len(items) > 1
        ticked = [
            (letter, line)
            for letter, state, mark, line in items
            if state == "junk" and not (every and mark == common)
        ]
        return ticked, 0.7
    if items and len({letter for letter, *_ in items}) < len(REASON_LETTERS):
        return [(letter, line) for letter, _, _, line in items], 1.0  # a letter lists its own
    return [], 1.0


def _ocr_boxes(
    items: list[tuple[str, str, str, TextLine]],
) -> tuple[list[tuple[str, TextLine]], float]:
    """A scanned list of printed boxes: those read as an empty bracket are not ticked; those
    read as nothing or as a tick are. A mark that is neither counts as empty but lowers the
    confidence, and so does a reason line OCR lost (its box was never seen)."""
    chosen: list[tuple[str, TextLine]] = []
    unclear = False
    for letter, state, mark, line in items:
        if state in ("ticked", "none") or (state == "junk" and _TICK_READ.search(mark)):
            chosen.append((letter, line))
        elif not _EMPTY_BOX_READ.match(mark):
            unclear = True
    complete = {letter for letter, *_ in items} == set(REASON_LETTERS)
    return chosen, OCR_BOX_SURE if complete and not unclear else OCR_BOX_UNSURE


TICKED_INK = 0.06  # share of a box's inside inked: a tick or a cross
EMPTY_INK = 0.02  # at most this inked: an empty box (scanner specks)


def mark_tick_boxes(lines: list[TextLine], ink: np.ndarray) -> list[TextLine]:
    """Reason lines of a scan rewritten as a text layer prints them ('☑ b. …', '☐ a. …').

    OCR reads a printed box as stray characters or nothing at all, so the box is judged
    from the page itself: a square frame just left of the reason's text, ticked when its
    inside holds ink. `ink` is a boolean image in the lines' own (levelled) pixels. A line
    without a clear frame, or with a half-filled one, is left as OCR read it.
    """
    out = []
    for line in lines:
        letters = letters_in(line.text)
        inside = _box_inside(line, ink) if letters else None
        if inside is None or EMPTY_INK < inside < TICKED_INK:
            out.append(line)
            continue
        body = re.search(r"[A-Za-z]{3}.*$", line.text)
        own = re.match(r"^\W*(?:\S{1,4}\s+)?([a-g])\s*[.)]\s", line.text)
        letter = own.group(1) if own and own.group(1) in letters else letters[0]
        mark = "☑" if inside >= TICKED_INK else "☐"
        text = f"{mark} {letter}. {body.group(0) if body else line.text}"
        out.append(TextLine(text, line.page, line.box, line.confidence))
    return out


def _box_inside(line: TextLine, ink: np.ndarray) -> float | None:
    """Inked share of the inside of the square frame left of a line's text, or None."""
    x0, y0, _, y1 = (round(v) for v in line.box)
    height = max(4, y1 - y0)
    left, right = max(0, x0 - 3 * height), min(ink.shape[1], x0 + 4 * height)
    top, bottom = max(0, y0 - height), min(ink.shape[0], y1 + height)
    window = ink[top:bottom, left:right].astype(np.uint8)
    if window.size == 0:
        return None
    count, _, stats, _ = components(window, 8)
    middle = (y0 + y1) / 2 - top
    frames = []
    for index in range(1, count):
        bx, by, bw, bh = (int(v) for v in stats[index, :4])
        if not (0.7 * height <= bh <= 2.2 * height and 0.7 <= bw / bh <= 1.4):
            continue
        if not by <= middle <= by + bh:  # the box of the line above or below, not this one's
            continue
        cell = window[by : by + bh, bx : bx + bw]
        if _is_frame(cell):
            frames.append((abs(by + bh / 2 - middle), bx, cell))
    if not frames:
        return None
    _, _, cell = min(frames, key=lambda frame: (frame[0], frame[1]))
    pad_y, pad_x = max(2, cell.shape[0] // 5), max(2, cell.shape[1] // 5)
    return float(cell[pad_y:-pad_y, pad_x:-pad_x].mean())


def _is_frame(cell: np.ndarray) -> bool:
    """All four sides of the cell mostly inked (within two pixels of its edge)."""
    sides = (cell[:2].max(axis=0), cell[-2:].max(axis=0), cell[:, :2].max(axis=1),
             cell[:, -2:].max(axis=1))  # fmt: skip
    return all(side.mean() >= 0.6 for side in sides)


def mark_painted_boxes(lines: list[TextLine], squares: list[tuple[float, ...]]) -> list[TextLine]:
    """Reason lines of a text layer beside a box painted in ink ('☑ b. …'): a digital form's
    tick drawn as a filled square leaves no character in the text. `squares` are in the lines'
    own coordinates."""
    if not squares:
        return lines
    out = []
    for line in lines:
        x0, y0, _, y1 = line.box
        height = max(1.0, y1 - y0)
        beside = any(
            s[2] <= x0 + 0.5 * height
            and s[0] >= x0 - 4 * height
            and min(y1, s[3]) - max(y0, s[1]) >= 0.4 * min(height, s[3] - s[1])
            for s in squares
        )
        if beside and letters_in(line.text):
            out.append(TextLine(f"☑ {line.text}", line.page, line.box, line.confidence))
        else:
            out.append(line)
    return out
