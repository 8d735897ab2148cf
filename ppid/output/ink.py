"""Ink on a specimen of our form: synthetic values written into its zones, typed or hand-like.

The jitter is seeded, so a specimen is reproducible; text too long for its boxes is shrunk, then
cut with "…" (or refused when `strict`). Used by `ppid.output.forms.render_filled_form` to make
the extraction corpus and test files; it never needs a real person's data.
"""

from __future__ import annotations

import logging
import math
import random
import subprocess
from functools import lru_cache
from typing import Any, Literal

from parsers import form_layout as layout
from ppid.core.errors import BadInputError

log = logging.getLogger(__name__)

TYPED_FONTS = ("Liberation Mono", "DejaVu Sans Mono")
HAND_FONTS = ("Humor Sans", "Comic Neue", "DkgHandwriting")
HAND_INKS = ("#1b2f8a", "#15307a", "#141414")
Style = Literal["typed", "hand"]


@lru_cache(maxsize=16)
def _font(family: str) -> Any:
    """A PIL font of `family` at 100 px per mm, to measure text before placing it."""
    from PIL import ImageFont

    path = subprocess.run(
        ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True
    ).stdout
    return ImageFont.truetype(path, 100)


def _text_width(text: str, family: str, size: float) -> float:
    """Width in mm of `text` set at `size` mm."""
    return _font(family).getlength(text) / 100 * size


class _Pen:
    """Places characters the way a typewriter or a hand would, with seeded jitter."""

    def __init__(self, style: Style, font: str | None, rng: random.Random, strict: bool) -> None:
        self.style, self.rng, self.strict = style, rng, strict
        self.hand = style == "hand"
        fonts = HAND_FONTS if self.hand else TYPED_FONTS
        self.font = font or rng.choice(fonts)
        self.colour = rng.choice(HAND_INKS) if self.hand else "#111111"
        self.mark = rng.choice("✓X") if self.hand else "X"  # one habit per writer
        self.size = 5.6 if self.hand else 4.0  # font size in mm: capitals about 4 mm / 2.9 mm

    def _jitter(self, amount: float) -> float:
        return self.rng.uniform(-amount, amount) if self.hand else 0.0

    def chars(self, text: str, size: float) -> list[dict[str, Any]]:
        out = []
        for c in text:
            out.append(
                {
                    "c": "\u00a0" if c == " " else c,
                    "dy": round(self._jitter(0.07 * size), 2),
                    "dx": round(self.rng.uniform(0, 0.15), 2) if self.hand else 0,
                    "rot": round(self._jitter(4.0), 1),
                    "scale": round(1 + self._jitter(0.07), 3),
                    "w": 0,
                }
            )
        return out

    def _fits(self, text: str, size: float, width: float) -> bool:
        slack = 1.08 * _text_width(text, self.font, size) + (0.15 * len(text) if self.hand else 0)
        return slack <= width

    def _wrap(self, text: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            trial = f"{current} {word}".strip()
            if self._fits(trial, size, width):
                current = trial
                continue
            if current:
                lines.append(current)
            current = word
            while not self._fits(current, size, width) and len(current) > 1:
                cut = 1
                while cut < len(current) and self._fits(current[: cut + 1], size, width):
                    cut += 1
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        return lines

    def lines(self, zone: layout.Zone, text: str) -> list[dict[str, Any]]:
        """Text wrapped onto the zone's writing lines, shrunk (down to 52 %) when it must be."""
        width = zone.rect.w - 3.5
        for factor in (1.0, 0.9, 0.8, 0.72, 0.65, 0.58, 0.52):
            size = self.size * factor
            wrapped = self._wrap(text, size, width)
            if len(wrapped) <= zone.lines:
                break
        else:
            problem = BadInputError(
                "form.does_not_fit", name=zone.name, length=len(text), lines=zone.lines
            )
            if self.strict:
                raise problem
            log.warning("%s; cut with an ellipsis", problem.message)
            wrapped = wrapped[: zone.lines]
            last = wrapped[-1]
            while len(last) > 1 and not self._fits(last + "…", size, width):
                last = last[:-1]
            wrapped[-1] = last + "…"
        items = []
        for line, rect in zip(wrapped, zone.line_rects, strict=False):
            x = rect.x + 1.5 + (self.rng.uniform(0, 1.5) if self.hand else 0)
            items.append(self._item(x, rect.y + self._jitter(0.6), rect.h, size, line))
        return items

    def cells(self, zone: layout.Zone, text: str) -> list[dict[str, Any]]:
        """One character per comb cell, left-aligned in the comb."""
        items = []
        for c, cell in zip(text, zone.cells, strict=False):
            item = self._item(
                cell.x + self._jitter(0.5), cell.y + self._jitter(0.5), cell.h, self.size, c
            )
            item["chars"][0]["w"] = cell.w
            items.append(item)
        return items

    def tick(self, zone: layout.Zone) -> dict[str, Any]:
        mark = self.mark
        size = zone.rect.h * (1.1 if self.hand else 0.9)
        r = zone.rect
        item = self._item(r.x + self._jitter(0.6), r.y + self._jitter(0.6), r.h, size, mark)
        item["font"] = "DejaVu Sans" if mark == "✓" else self.font
        item["chars"][0]["w"] = r.w
        return item

    def signature(self, zone: layout.Zone) -> dict[str, Any]:
        """A cursive-looking scribble: a drifting loop curve and an underline, new per seed."""
        r = zone.rect.inset(2.0)
        rng = self.rng
        width = rng.uniform(0.55, 0.9) * r.w
        x0, mid = rng.uniform(1, r.w - width), r.h * rng.uniform(0.4, 0.55)
        loops, amp = rng.randint(4, 8), rng.uniform(0.25, 0.4) * r.h
        phase, wobble = rng.uniform(0, 6.3), rng.uniform(1.5, 3.0)
        points = []
        for i in range(161):
            t = i / 160
            angle = 2 * math.pi * loops * t + phase
            x = x0 + t * width + wobble * math.cos(angle)
            y = mid + amp * math.sin(angle) * (0.6 + 0.4 * math.sin(3 * t + phase))
            points.append(f"{x:.2f} {y:.2f}")
        path = "M" + " L".join(points)
        under = r.h * rng.uniform(0.8, 0.92)
        path += f" M{x0 + rng.uniform(-2, 4):.1f} {under:.1f} L{x0 + width:.1f} {under - 1:.1f}"
        colour = self.colour if self.hand else rng.choice(HAND_INKS)
        return {"kind": "signature", "rect": r, "path": path, "colour": colour, "stroke": 0.4}

    def _item(self, x: float, y: float, h: float, size: float, text: str) -> dict[str, Any]:
        return {
            "kind": "text",
            "x": round(x, 2),
            "y": round(y, 2),
            "h": h,
            "size": round(size, 2),
            "font": self.font,
            "colour": self.colour,
            "chars": self.chars(text, size),
        }


def ink_layer(
    values: dict[str, Any],
    text: dict[str, str],
    *,
    style: Style,
    font: str | None,
    seed: int,
    strict: bool = False,
) -> dict[int, list[dict[str, Any]]]:
    """Per page, the ink items the template draws: text, comb digits, ticks, the signature."""
    if style not in ("typed", "hand"):
        raise BadInputError("ink.unknown_style", style=style)
    # seeded jitter of specimen handwriting (repeatable test forms), not a secret
    pen = _Pen(style, font, random.Random(seed), strict)  # nosec B311
    reasons = set(values.get("reasons") or [])
    pages: dict[int, list[dict[str, Any]]] = {}
    for zone in layout.ZONES.values():
        items: list[dict[str, Any]] = []
        if zone.kind == "tick":
            if zone.name.rsplit(".", 1)[1] in reasons:
                items = [pen.tick(zone)]
        elif zone.kind == "signature":
            if values.get("signed", True):
                items = [pen.signature(zone)]
        elif text.get(zone.name):
            if zone.kind in ("comb", "date"):
                items = pen.cells(zone, text[zone.name])
            else:
                items = pen.lines(zone, text[zone.name])
        pages.setdefault(zone.page, []).extend(items)
    return pages
