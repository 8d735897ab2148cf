"""Reasons a–g of an objection (UU 14/2008 Pasal 35(1)): which are ticked, in any tick style.

Works on text from a PDF text layer (☑, [x], (v), X before the letter) and on OCR text, where
empty boxes vanish and ticked ones turn into stray characters.
"""

from __future__ import annotations

import logging
import re

from parsers.model import REASON_LETTERS, TextLine

log = logging.getLogger(__name__)

# Reason a–g by a phrase from its Perki wording; checked in this order (d before c: both say
# "ditanggapi").
REASON_PHRASES: tuple[tuple[str, str], ...] = (
    ("d", r"tidak\s+sebagaimana"),
    ("a", r"ditolak"),
    ("b", r"berkala"),
    ("c", r"tidak\s+ditanggapi"),
    ("e", r"tidak\s+dipenuhi"),
    ("f", r"biaya"),
    ("g", r"melebihi\s+waktu|terlambat"),
)

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
        return [(letter, line) for letter, state, _, line in items if state == "ticked"], 1.0
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
