"""An ID card's places checked against the region list and against its own NIK.

The card prints its province and regency in the header (the regency on the line under
`PROVINSI …`, whatever its first word reads as), its Kecamatan and Kel/Desa among the fields.
Each is snapped to the Kemendagri list, under the place above it: letters only, so OCR damage
is repaired ('SAMBA5' → 'SAMBAS') while the print's own spacing and words are kept. The codes
found are the NIK's first six digits: they help repair the NIK's look-alike digits, and
agreement or disagreement between the two is evidence either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from parsers.regions import Region, Snap, children, letters, region, respell, snap

# How sure a snap must be, per level: the more candidates, the nearer a damaged name must be.
LEAST_ALIKE = {"province": 0.75, "regency": 0.75, "district": 0.8, "village": 0.8}
UNLISTED = 0.55  # ceiling for a place the list does not know (misread, or a new region)
DISAGREES = 0.5  # ceiling for a place and a NIK that name different regions
CORRECTED = 0.85  # ceiling for a place whose letters the list repaired, with a witness
GUESSED = 0.65  # ceiling for one repaired among look-alikes, nothing else to confirm it
# Levels whose names are few and unlike each other: a repair among them needs no witness.
_FEW_NAMES = ("province", "regency")
# The words a card's regency line opens with, as printed, and what they are.
_REGENCY_WORDS = (("KABUPATEN", False), ("KAB", False), ("KOTA", True))
_PROVINCE_WORD = "PROVINSI"
_NAMES_ALONE = ("31.",)  # Jakarta's cards print the city's name without KOTA


@dataclass
class Places:
    """The card's four places as read, snapped, and the deepest code they settle."""

    found: dict[str, Snap] = field(default_factory=dict)  # level → snap accepted
    code: str | None = None  # dotted code of the deepest place found ('61.01.17')
    notes: list[str] = field(default_factory=list)

    @property
    def regency_code(self) -> str | None:
        """The header's province or regency code: what the NIK's first digits must say. (A
        Kecamatan read among many look-alike names is evidence, not a rule for its digits.)"""
        for level in ("regency", "province"):
            if level in self.found and self.found[level].exact:
                return self.found[level].region.code
        return None


def province_text(header: str) -> str:
    """The province line without its `PROVINSI` word (read whole or with a slip)."""
    words = header.split()
    if words and SequenceMatcher(None, letters(words[0]), _PROVINCE_WORD).ratio() >= 0.7:
        words = words[1:]
    return " ".join(words)


def regency_word(text: str) -> tuple[str | None, bool | None, str]:
    """(the printed `KABUPATEN`/`KAB.`/`KOTA` word, whether it says a city, the name after it);
    (None, None, text) when the line opens with neither (Jakarta cards print the name alone)."""
    words = text.split()
    if not words:
        return None, None, text
    head = letters(words[0])
    for word, city in _REGENCY_WORDS:
        alike = 1.0 if head == word else SequenceMatcher(None, head, word).ratio()
        if alike >= (0.75 if len(word) > 4 else 1.0):
            printed = "KAB." if word == "KAB" else word
            return printed, city, " ".join(words[1:])
    return None, None, text


def snap_places(fields: dict[str, Any]) -> Places:
    """Snap the card's province, regency, Kecamatan and Kel/Desa to the list, each under the
    one above it, and write back the print with its letters repaired."""
    places = Places()
    parent: str | None = None
    for level, name in (
        ("province", "province"),
        ("regency", "regency"),
        ("district", "district"),
        ("village", "village"),
    ):
        read = fields.get(name)
        if not read:
            continue
        found = _snap_field(level, read, parent)
        if found is None:
            places.notes.append(f"{name} {read!r} is not on the list of regions under {parent}")
            continue
        places.found[level] = found
        fields[name] = _printed(level, read, found)
        parent = places.code = found.region.code
    return places


def _snap_field(level: str, read: str, parent: str | None) -> Snap | None:
    """The listed place a read names; the read without a last word of specks or photo-side
    text ('SUNGAI RAYA JAE') when the whole of it names none."""
    city: bool | None = None
    text = read
    if level == "regency":
        _, city, text = regency_word(read)
    words = text.split()
    for cut in (len(words), len(words) - 1):
        if cut < 1 or (cut < len(words) and len(words[-1]) > 3):
            continue
        found = _best(" ".join(words[:cut]), level, parent, city)
        if found is not None and found.sure(LEAST_ALIKE[level]):
            return found
    return None


def _best(text: str, level: str, parent: str | None, city: bool | None) -> Snap | None:
    """The nearest region; a regency of the printed kind first ('KOTA BANDUNG' is not the
    Kabupaten Bandung)."""
    found = snap(text, level, parent)
    if found is None or city is None or level != "regency" or found.region.is_city == city:
        return found
    twin = [r for r in _same_letters(found, parent) if r.is_city == city]
    return Snap(twin[0], found.score, found.margin, twin[0].bare_name) if twin else found


def _same_letters(found: Snap, parent: str | None) -> list[Region]:
    key = letters(found.region.bare_name)
    return [r for r in children(parent) if letters(r.bare_name) == key] if parent else []


def _printed(level: str, read: str, found: Snap) -> str:
    """The print with its letters repaired; a regency keeps its printed Kabupaten/Kota word."""
    if level == "province":
        return respell(read, found.name)
    if level == "regency":
        word, _, name = regency_word(read)
        fixed = respell(name, found.name)
        if word is None and found.region.code.startswith(_NAMES_ALONE):
            return fixed
        if word is None:  # the word was lost (a speck, a fold): every card prints it
            word = "KOTA" if found.region.is_city else "KABUPATEN"
        right = "KOTA" if found.region.is_city else ("KAB." if word == "KAB." else "KABUPATEN")
        return f"{right} {fixed}"
    return respell(read, found.name)


def weigh_places(
    places: Places, nik: str | None, confidence: dict[str, float], warnings: list[str]
) -> bool:
    """Set the places' confidences from the list and the NIK; True when the NIK's region
    digits agree with every place the card shows (evidence for the NIK too)."""
    codes = _nik_codes(nik)
    agree = bool(codes) and bool(places.found)
    for level, name in _LEVEL_FIELDS:
        if name not in confidence:
            continue
        found = places.found.get(level)
        if found is None:
            confidence[name] = min(confidence[name], UNLISTED)
            continue
        if not found.exact:
            witnessed = level in _FEW_NAMES or codes.get(level) == found.region.code
            confidence[name] = min(confidence[name], CORRECTED if witnessed else GUESSED)
        if codes and level in codes and codes[level] != found.region.code:
            confidence[name] = min(confidence[name], DISAGREES)
            warnings.append(
                f"{name} {found.region.name!r} ({found.region.code}) is not the region "
                f"{codes[level]} the NIK names"
            )
            agree = False
        elif codes and level in codes and found.exact:
            confidence[name] = max(confidence[name], 0.9)
    warnings.extend(places.notes)
    return agree


_LEVEL_FIELDS = (
    ("province", "province"),
    ("regency", "regency"),
    ("district", "district"),
    ("village", "village"),
)


def _nik_codes(nik: str | None) -> dict[str, str]:
    if not nik or not re.fullmatch(r"\d{16}", nik):
        return {}
    return {
        "province": nik[:2],
        "regency": f"{nik[:2]}.{nik[2:4]}",
        "district": f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}",
    }


def reread_with_nik(fields: dict[str, Any], places: Places, nik: str) -> Places:
    """Places the header alone could not settle, tried again among the NIK's own regions: a
    damaged or unusual header still names the NIK's province and regency when it is near."""
    codes = _nik_codes(nik)
    changed = False
    for level, name in _LEVEL_FIELDS[:3]:
        read = fields.get(name)
        if level in places.found or not read or level not in codes:
            continue
        own = region(codes[level])
        if own is None:
            continue
        text = province_text(read) if level == "province" else regency_word(read)[2]
        alike = SequenceMatcher(None, letters(text), letters(own.bare_name)).ratio()
        if alike >= 0.6:
            places.found[level] = Snap(own, alike, 1.0, own.bare_name)
            fields[name] = _printed(level, read, places.found[level])
            changed = True
    if changed:
        places.notes.append("the card's header was read with the NIK's regions; check it")
    return places
