"""Rendering families of the corpus and the split between tuning and held-out data.

A family is an independent way of making the same kinds of input: its own people, card and form
renderings, label wordings, fonts and captures. Parsers are tuned on the `tuning` families only;
the `heldout` family is never looked at while tuning, and its figures are the headline.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import MAKERS, Maker


@dataclass(frozen=True)
class Family:
    name: str
    about: str
    makers: dict[str, Maker]


FAMILIES: dict[str, Family] = {
    "a": Family(
        "a",
        "DejaVu card on a blue gradient, our form typed and hand-filled, the Perki form and a "
        "letter; scans, faxes, phone photos, photocopies (mostly Kalimantan Barat)",
        MAKERS,
    ),
}
SPLITS: dict[str, tuple[str, ...]] = {"tuning": ("a",), "heldout": ()}


def split_of(family: str) -> str:
    """`tuning` or `heldout`, for a family name."""
    return next(split for split, names in SPLITS.items() if family in names)
