"""Line boxes from a turned page, brought upright for layout reasoning and mapped back after.

A scan read the right way up may still report boxes in the original (turned) image's pixels.
The label reader reasons about 'below' and 'indented', so it works on upright copies; the
boxes it returns are mapped back so the review screen crops the original image correctly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from statistics import median

import cv2
import numpy as np

from parsers.geometry import shrink
from parsers.model import Box, TextLine

log = logging.getLogger(__name__)

Quad = tuple[float, float, float, float]
Mapper = Callable[[float, float], tuple[float, float]]


def upright_lines(lines: list[TextLine]) -> tuple[list[TextLine], Callable[[Box], Box]]:
    """Upright copies of `lines` (reading order kept) and a function mapping boxes back."""
    forward: dict[int, Mapper] = {}
    back: dict[int, Mapper] = {}
    for page in {line.page for line in lines}:
        on_page = [line for line in lines if line.page == page]
        forward[page], back[page] = _mappers(on_page)
    moved = [replace(line, box=_map(forward[line.page], line.box)) for line in lines]

    def restore(box: Box) -> Box:
        page, *quad = box
        mapper = back.get(page)
        return (page, *_map(mapper, tuple(quad))) if mapper else box

    return moved, restore


def _map(mapper: Mapper, box: Quad) -> Quad:
    (ax, ay), (bx, by) = mapper(box[0], box[1]), mapper(box[2], box[3])
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def _mappers(lines: list[TextLine]) -> tuple[Mapper, Mapper]:
    """Judge the turn from line shapes (wide or tall) and the direction lines advance in."""
    width = max((ln.box[2] for ln in lines), default=0.0)
    height = max((ln.box[3] for ln in lines), default=0.0)
    words = [ln for ln in lines if len(ln.text) >= 4]
    tall = sum(ln.box[3] - ln.box[1] > ln.box[2] - ln.box[0] for ln in words)
    centres = [((ln.box[0] + ln.box[2]) / 2, (ln.box[1] + ln.box[3]) / 2) for ln in lines]
    steps = list(pairwise(centres))
    if tall * 2 <= len(words):
        down = median([b[1] - a[1] for a, b in steps]) if steps else 1.0
        if down >= 0:
            return _same, _same

        def flip(x: float, y: float) -> tuple[float, float]:
            return width - x, height - y

        return flip, flip
    right = median([b[0] - a[0] for a, b in steps]) if steps else 1.0
    if right < 0:  # turned clockwise: lines advance leftwards, text runs downwards
        return (lambda x, y: (y, width - x)), (lambda u, v: (width - v, u))
    return (lambda x, y: (height - y, x)), (lambda u, v: (v, height - u))


def _same(x: float, y: float) -> tuple[float, float]:
    return x, y


UPSIDE_DOWN_SURE = 0.2  # |score| past this: the ascender test alone settles up versus down


def updown_score(grey: np.ndarray) -> float:
    """How upright a levelled page of print looks, from -1 (upside down) to 1 (upright).

    Latin print has more ascenders (capitals, b d f h k l t) above the x-height band than
    descenders (g j p q y) below it; turned over, the excess moves below. Each text row votes
    with its own balance, so one ruled box or a big title cannot outvote the page. Costs a
    few milliseconds, against a full OCR for reading the page a second way round.
    """
    factor = min(1.0, 1240 / max(grey.shape))
    small = shrink(grey, factor)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    profile = ink.sum(axis=1).astype(np.float64)
    votes: list[float] = []
    for top, bottom in _bands(profile > 2):
        if bottom - top < 5:
            continue
        rows = profile[top:bottom]
        core = np.flatnonzero(rows >= 0.5 * rows.max())
        above, below = rows[: core[0]].sum(), rows[core[-1] + 1 :].sum()
        if above + below > 0:
            votes.append((above - below) / (above + below))
    return float(np.mean(votes)) if votes else 0.0


def _bands(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a 1-D mask as (start, end) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
