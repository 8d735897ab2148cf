"""Personal data on its way out: the NIK masked wherever it leaves the register (UU 27/2022)."""

from __future__ import annotations

import re

NIK_PATTERN = re.compile(r"\d{16}")  # a NIK as the register keeps it: sixteen digits
_NIK_IN_TEXT = re.compile(r"\b(\d{4})\d{12}\b")


def mask_nik(nik: str | None) -> str | None:
    """NIK with birth date and serial hidden (UU 27/2022): "6171************" keeps the region."""
    if not nik:
        return nik
    return nik[:4] + "*" * (len(nik) - 4)


def mask_niks_in(text: str) -> str:
    """`text` with every sixteen-digit run masked as `mask_nik` masks a NIK (search snippets)."""
    return _NIK_IN_TEXT.sub(lambda m: m.group(1) + "*" * 12, text)


def short_nik(nik: str | None) -> str:
    """The operator's view of an extracted NIK (`ppid extract`): region and last four digits,
    enough to match it against the card in hand."""
    if not nik:
        return "-"
    return nik[:4] + "*" * 8 + nik[-4:] if len(nik) == 16 else nik
