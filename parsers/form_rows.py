"""A form's rows as label and value: where the label ends, and the value's next lines.

Forms print a label column and a value column, with or without a colon between them, with or
without rulings and item numbers. Labels and values both wrap: `Nomor Induk` over
`Kependudukan`, an address over two lines, a request number broken at its hyphen. A row is
split at its colon, or, where the words' places are known, at the gap after a label; the rows
below continue the label where their words stand left of the value column and the value where
they stand in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.label_words import (
    Label,
    clean_value,
    heading_of,
    label_of,
    place_date,
    strip_lead,
)
from parsers.model import TextLine
from parsers.text_lines import LineWord, has_geometry, line_of_words, line_words

COLUMN_GAP = 0.8  # of the row's height: a wider gap after a label starts the value column
ROW_GAP = 1.1  # of the row's height: a wider blank between rows ends a wrapped cell
INDENT = 0.6  # of the row's height: how far left of the value column a continuation may start
MAX_WRAPPED = 3  # value lines below the first for a wrapped cell
_COLON = re.compile(r"[:：]")
_COLON_LIKE = {":", ";", "!", "|", "1", "i", "l", "：", "=", "-"}
# Fields whose value may run on below (a long address or purpose); a number only where it
# was broken at a hyphen or slash.
WRAPPING = frozenset(
    {"address", "proxy.address", "purpose", "name", "proxy.name", "occupation"}
)  # fmt: skip
NUMBERS = frozenset({"request_number", "registration_number"})


@dataclass
class Split:
    """A row read as label and value: the label's words, the value's words (maybe none) and
    where the value column starts (None when the row is a label alone)."""

    label: Label
    label_words: list[LineWord]
    value_words: list[LineWord]
    value_x: float | None
    colon: bool


@dataclass
class Cell:
    """A labelled value over one or more rows: the rows used (by index) and its text."""

    key: str
    rows: list[int]
    text: str | None
    start: int = 0  # character offset of the value in its first row
    first_row: int = 0
    notes: list[str] = field(default_factory=list)
    confidence: float | None = None  # of the value's own words (None: its rows')
    label_confidence: float | None = None  # of the label's words, read in the same print


def split_row(line: TextLine, carry: list[LineWord] | None = None) -> Split | None:
    """The row as label and value, or None when it does not start with a label. `carry` is
    the start of a label wrapped from the row above, when this row holds its colon."""
    words = line_words(line)
    lead = _lead_count(words)
    body = words[lead:]
    if not body:
        return None
    for index, word in enumerate(body[: 8 + 1]):
        if _COLON.search(word.text):
            return _split_at_colon(body, index, carry or [])
    if carry:
        return None
    if not has_geometry(line):
        label = label_of(" ".join(w.text for w in body))
        return Split(label, body, [], None, False) if label else None
    height = line.box[3] - line.box[1]
    for end in range(min(len(body), 8), 0, -1):
        label = label_of(" ".join(w.text for w in body[:end]))
        if label is None:
            continue
        if end == len(body):
            return Split(label, body, [], None, False)
        if body[end].x0 - body[end - 1].x1 >= COLUMN_GAP * height:
            value = _without_colon_mark(body[end:])
            return Split(label, body[:end], value, value[0].x0 if value else None, False)
        return None
    return None


def _lead_count(words: list[LineWord]) -> int:
    """Leading item numbers and bullets ('4.', '12', 'a.', '•')."""
    count = 0
    while count < min(2, len(words) - 1) and strip_lead(words[count].text + " x") == "x":
        count += 1
    return count


def _split_at_colon(body: list[LineWord], index: int, carry: list[LineWord]) -> Split | None:
    word = body[index]
    before, after = _COLON.split(word.text, maxsplit=1)
    label_words = [*carry, *body[:index]]
    if before:
        label_words = [*label_words, LineWord(before, word.x0, word.x0, word.start)]
    label = label_of(" ".join(w.text for w in label_words))
    if label is None:
        return None
    value = body[index + 1 :]
    if after.strip():
        offset = word.start + len(word.text) - len(after)
        value = [LineWord(after, word.x1 - 1, word.x1, offset), *value]
    value = _without_colon_mark(value)
    value_x = value[0].x0 if value else word.x1
    return Split(label, label_words, value, value_x, True)


def _without_colon_mark(value: list[LineWord]) -> list[LineWord]:
    """A colon OCR read as another mark ('; 0812…', '1 Budi') is not part of the value."""
    if len(value) > 1 and value[0].text in _COLON_LIKE:
        return value[1:]
    return value


def is_boundary(line: TextLine) -> bool:
    """A row that ends the cell above: a label, a heading, the place and date of signing."""
    return (
        split_row(line) is not None
        or heading_of(line.text) is not None
        or place_date(line.text) is not None
    )


def read_cell(lines: list[TextLine], index: int, split: Split) -> Cell:
    """The labelled value at row `index`, with the label and value lines wrapped below it."""
    line = lines[index]
    label_words = list(split.label_words)
    parts: list[tuple[int, list[LineWord]]] = [(index, split.value_words)]
    used = [index]
    value_x = split.value_x
    if not split.value_words:
        beside = _beside(lines, index)
        if beside:
            return _cell_beside(lines, index, split, beside)
        if not split.colon:
            rest = _colon_below(lines, index, split)
            if rest is not None:
                cell = read_cell(lines, index + 1, rest)
                cell.rows.insert(0, index)
                return cell
            return _cell_below(lines, index, split)
    height = max(1.0, line.box[3] - line.box[1])
    right_of_label = max(w.x1 for w in label_words) if label_words else line.box[0]
    column = value_x if value_x is not None else right_of_label + COLUMN_GAP * height
    below = index + 1
    last = line
    while below < len(lines) and below - index <= MAX_WRAPPED:
        row = lines[below]
        if row.page != line.page or row.box[1] - last.box[3] > ROW_GAP * height:
            break
        words = line_words(row)
        left = [w for w in words if w.x1 <= column - INDENT * height]
        right = [w for w in words if w.x0 >= column - INDENT * height]
        label_only = left and not right and _label_tail(label_words, left, split.label.key)
        if is_boundary(row) and not label_only:  # 'Kependudukan' alone still ends 'Nomor Induk'
            break
        if _lead_count(words):  # the next numbered item
            break
        if len(left) + len(right) < len(words) or not _label_tail(
            label_words, left, split.label.key
        ):
            break
        label_words += left
        if right:
            parts.append((below, right))
        used.append(below)
        last = row
        below += 1
    label = label_of(" ".join(w.text for w in label_words)) or split.label
    parts = _kept_parts(label.key, parts)
    text = _joined(parts)
    start = parts[0][1][0].start if parts and parts[0][1] else len(line.text)
    label_read = [w.confidence for w in label_words]
    return Cell(
        label.key,
        used,
        text,
        start,
        index,
        confidence=_words_confidence(parts),
        label_confidence=sum(label_read) / len(label_read) if label_read else None,
    )


def _words_confidence(parts: Parts) -> float | None:
    """The value's words' OCR confidence, mean and weakest together: one doubtful word makes
    the whole value doubtful."""
    scores = [w.confidence for _, words in parts for w in words]
    if not scores:
        return None
    return 0.5 * sum(scores) / len(scores) + 0.5 * min(scores)


def _label_tail(label: list[LineWord], left: list[LineWord], key: str) -> bool:
    """Words left of the value column continue the label above when the two read as one label
    and the words alone do not name another field ('Kependudukan' continues 'Nomor Induk';
    'Nomor Registrasi Permohonan' under 'No. Register Keberatan' is a label of its own)."""
    if not left:
        return True
    own = label_of(" ".join(w.text for w in left))
    joined = label_of(" ".join(w.text for w in [*label, *left]))
    return joined is not None and (own is None or own.key == key)


Parts = list[tuple[int, list[LineWord]]]  # (row index, value words on that row)


def _kept_parts(key: str, parts: Parts) -> Parts:
    """The value's lines a field may have: wrapped ones for addresses and the like, a broken
    number's rest, or the first line only."""
    first, *rest = parts
    kept = [first]
    for part in rest:
        text = " ".join(w.text for w in part[1])
        if key in WRAPPING or (key in NUMBERS and _broken_number(_joined(kept), text)):
            kept.append(part)
        elif not _joined(kept) and key not in NUMBERS:
            kept.append(part)  # the first line was empty: the value starts below
        else:
            break
    return [p for p in kept if p[1]]


def _broken_number(head: str | None, tail: str) -> bool:
    """'065/PPID-' over 'DKUKM/XI/2025': a number broken at its hyphen or slash."""
    return (
        bool(head)
        and (head.endswith(("-", "/")) or tail.startswith(("/", "-")))
        and (" " not in tail.strip())
    )


def _joined(parts: list[tuple[int, list[LineWord]]]) -> str | None:
    text = ""
    for _, words in parts:
        piece = " ".join(w.text for w in words)
        if text.endswith(("-", "/")) and re.match(r"[A-Za-z0-9/]", piece) and " " not in text[-12:]:
            text += piece  # a number broken at its hyphen: no space between the halves
        else:
            text = f"{text} {piece}" if text else piece
    return clean_value(text) if text else None


def _beside(lines: list[TextLine], index: int) -> list[int]:
    """Lines right of an empty label within its row band: a value cell centred beside its
    label (a wrapped value whose first line sits above the label's own baseline)."""
    line = lines[index]
    height = line.box[3] - line.box[1]
    top, bottom = line.box[1] - 0.9 * height, line.box[3] + 0.9 * height
    found = []
    for other in range(max(0, index - 3), min(len(lines), index + 4)):
        candidate = lines[other]
        if other == index or candidate.page != line.page or candidate.box[0] < line.box[2] - 2:
            continue
        if top <= candidate.box[1] and candidate.box[3] <= bottom and not is_boundary(candidate):
            found.append(other)
    return found


def _cell_beside(lines: list[TextLine], index: int, split: Split, beside: list[int]) -> Cell:
    parts = [(i, line_words(lines[i])) for i in beside]
    parts = _kept_parts(split.label.key, parts)
    kept = [i for i, _ in parts] or beside[:1]
    return Cell(
        split.label.key,
        [index, *kept],
        _joined(parts),
        0,
        kept[0],
        confidence=_words_confidence(parts),
    )


def _colon_below(lines: list[TextLine], index: int, split: Split) -> Split | None:
    """A label over two rows whose colon and value sit on the second ('No. Pendaftaran
    Permintaan' over 'Informasi : PPID/0754/VII/2026'): the two read as one row."""
    if index + 1 >= len(lines):
        return None
    line, below = lines[index], lines[index + 1]
    height = max(1.0, line.box[3] - line.box[1])
    if below.page != line.page or below.box[1] - line.box[3] > ROW_GAP * height:
        return None
    joined = split_row(below, carry=split.label_words)
    if joined is None or not joined.colon:
        return None
    own = joined.label_words[len(split.label_words) :]
    return None if label_of(" ".join(w.text for w in own)) is not None else joined


def _cell_below(lines: list[TextLine], index: int, split: Split) -> Cell:
    """A label alone on its row ('Kasus Posisi', 'Tanggal Tanggapan atas Keberatan'): its
    value is the next row, when that row is close and is not a label or heading itself."""
    line = lines[index]
    below = index + 1
    if below < len(lines):
        row = lines[below]
        height = max(1.0, line.box[3] - line.box[1])
        close = row.page == line.page and row.box[1] - line.box[3] <= 2.2 * height
        if close and not is_boundary(row):
            text = clean_value(row.text)
            return Cell(split.label.key, [index, below], text, 0, below)
    return Cell(split.label.key, [index], None, len(line.text), index)


def pair_label_rows(lines: list[TextLine]) -> list[TextLine]:
    """A label left alone on its line joined with the value printed to its right.

    OCR splits a two-column form ('Nama' … ': Hendra') into separate lines when the gap is
    wide, and its reading order may then put the value before its label or beside the next
    one. The value belongs to the label whose row it shares: the nearest line to the right
    overlapping the label's height by half. `lines` must be in upright, levelled pixels (a
    scan's own frame before boxes are mapped back), so the same baseline means the same row.
    """
    taken: set[int] = set()
    joined: dict[int, TextLine] = {}
    for index, line in enumerate(lines):
        split = split_row(line)
        if split is None or split.value_words or index in taken:
            continue
        partner = _right_partner(lines, index, taken)
        if partner is None:
            continue
        taken.add(partner)
        joined[index] = _side_by_side(line, lines[partner])
    return [joined.get(i, line) for i, line in enumerate(lines) if i not in taken]


def _side_by_side(left: TextLine, right: TextLine) -> TextLine:
    """Two lines of one row as one, each word's place kept."""
    words = [
        (w.text, (w.x0, left.box[1], w.x1, left.box[3]), w.confidence) for w in line_words(left)
    ]
    words += [
        (w.text, (w.x0, right.box[1], w.x1, right.box[3]), w.confidence) for w in line_words(right)
    ]
    line = line_of_words(words, left.page)
    return line if line is not None else left


def _right_partner(lines: list[TextLine], index: int, taken: set[int]) -> int | None:
    line = lines[index]
    best: tuple[float, int] | None = None
    for other, candidate in enumerate(lines):
        if other == index or other in taken or candidate.page != line.page:
            continue
        if candidate.box[0] < line.box[2] - 2 or is_boundary(candidate):
            continue
        overlap = min(line.box[3], candidate.box[3]) - max(line.box[1], candidate.box[1])
        smaller = min(line.box[3] - line.box[1], candidate.box[3] - candidate.box[1])
        if smaller <= 0 or overlap < 0.5 * smaller:
            continue
        gap = candidate.box[0] - line.box[2]
        if best is None or gap < best[0]:
            best = (gap, other)
    return best[1] if best else None
