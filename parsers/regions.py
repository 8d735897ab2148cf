"""Indonesia's administrative regions (Kemendagri code list), as shipped in `parsers/data/`.

Besides looking regions up by code, names printed on a card or written on a form are matched to
the list by their letters (`snap`): the list repairs OCR damage, and the codes it gives are
checked against the NIK's first six digits.
"""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib import resources
from itertools import pairwise

LEVELS = ("province", "regency", "district", "village")
# How cards and forms print some provinces, beside the decree's names.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "11": ("NANGGROE ACEH DARUSSALAM",),
    "31": ("DKI JAKARTA", "DAERAH KHUSUS JAKARTA"),
    "34": ("DI YOGYAKARTA",),
    "19": ("BANGKA BELITUNG",),
}
# The words a regency's name starts with in the decree; a card prints them in full or not.
REGENCY_WORDS = ("KABUPATEN ADMINISTRASI", "KOTA ADMINISTRASI", "KABUPATEN", "KOTA")
SURE_MARGIN = 0.08  # a damaged name must be this much nearer its region than any other


@dataclass(frozen=True)
class Region:
    code: str  # dotted, as the decree writes it: "61", "61.71", "61.71.01", "61.71.01.1002"
    name: str  # as the decree writes it: "Kalimantan Barat", "Kota Pontianak"

    @property
    def level(self) -> str:
        """`province`, `regency`, `district` or `village`, from the code's number of parts."""
        return LEVELS[self.code.count(".")]

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition(".")[0] or None

    @property
    def is_city(self) -> bool:
        """A kota (its code 71 and up), not a kabupaten."""
        return self.level == "regency" and self.name.upper().startswith("KOTA")

    @property
    def bare_name(self) -> str:
        """The name in capitals, a regency's without its `Kabupaten`/`Kota` word."""
        name = self.name.upper()
        if self.level == "regency":
            for word in REGENCY_WORDS:
                if name.startswith(word + " "):
                    return name[len(word) + 1 :]
        return name


@cache
def _index() -> tuple[dict[str, str], dict[str | None, tuple[str, ...]]]:
    """Every region's name by its dotted code, and the codes under each code (None: provinces),
    in list order; read once per process from the packaged list."""
    raw = resources.files("parsers").joinpath("data", "wilayah.csv.gz").read_bytes()
    header, *lines = gzip.decompress(raw).decode("utf-8").splitlines()
    if header != "code,name":
        raise ValueError(f"wilayah.csv.gz: expected the columns code,name, found {header!r}")
    names: dict[str, str] = {}
    kids: dict[str | None, list[str]] = {}
    for line in lines:
        if '"' in line:  # a quoted name (with a comma in it): let csv read it
            code, name = next(csv.reader([line]))
        else:
            code, _, name = line.partition(",")
        names[code] = name
        kids.setdefault(code.rpartition(".")[0] or None, []).append(code)
    return names, {parent: tuple(sorted(codes)) for parent, codes in kids.items()}


def regions() -> dict[str, Region]:
    """Every region by its dotted code."""
    return {code: Region(code, name) for code, name in _index()[0].items()}


def region(code: str) -> Region | None:
    """The region of a dotted code (`61.71`), or None when the list has no such code."""
    name = _index()[0].get(code)
    return Region(code, name) if name is not None else None


def nik_region_codes(nik: str) -> tuple[str, str, str]:
    """The dotted province, regency and district codes a NIK's first six digits name."""
    return nik[:2], f"{nik[:2]}.{nik[2:4]}", f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"


@cache
def children(code: str | None) -> tuple[Region, ...]:
    """The regions directly under `code` (None: the provinces), in code order."""
    names = _index()[0]
    return tuple(Region(c, names[c]) for c in _index()[1].get(code, ()))


def letters(text: str) -> str:
    """Capital letters only: how names are compared (spaces, dots and dashes vary)."""
    plain = unicodedata.normalize("NFKD", text or "").upper()
    return re.sub(r"[^A-Z]", "", plain)


@dataclass(frozen=True)
class Snap:
    """A printed name matched to the list: the region, how alike their letters are (1.0: the
    same letters) and the lead over the next candidate (a damaged name between two is doubtful)."""

    region: Region
    score: float
    margin: float
    name: str = ""  # the listed name (or the printed alias) matched, in capitals

    @property
    def exact(self) -> bool:
        return self.score >= 0.999

    def sure(self, least: float) -> bool:
        """The same letters, or at least `least` alike and clearly nearer than any other."""
        return self.exact or (self.score >= least and self.margin >= SURE_MARGIN)


@cache
def _keys(parent: str | None, level: str) -> tuple[tuple[str, Region, str], ...]:
    """(letters, region, name) of every region of `level` under `parent` (all when None)."""
    depth = LEVELS.index(level)
    pool: tuple[Region, ...] = children(parent) if parent is not None else ()
    if parent is None:
        layer: tuple[Region, ...] = children(None)
        for _ in range(depth):
            layer = tuple(r for above in layer for r in children(above.code))
        pool = layer
    elif parent.count(".") + 1 != depth:
        pool = tuple(r for r in _descendants(parent) if r.level == level)
    keys = [(letters(r.bare_name), r, r.bare_name) for r in pool]
    if level == "province":
        names = _index()[0]
        keys += [
            (letters(alias), Region(code, names[code]), alias)
            for code, aliases in PROVINCE_ALIASES.items()
            if parent is None or code.startswith(parent)
            for alias in aliases
        ]
    return tuple(keys)


def _descendants(code: str) -> list[Region]:
    found, layer = [], list(children(code))
    while layer:
        found += layer
        layer = [r for above in layer for r in children(above.code)]
    return found


def snap(text: str, level: str, parent: str | None = None) -> Snap | None:
    """The listed region whose letters are nearest `text` (a province; a regency without its
    Kabupaten/Kota word; a district; a village), among `parent`'s own when it is given."""
    key = letters(text)
    if len(key) < 3:
        return None
    best: dict[str, tuple[float, Region, str]] = {}
    for other, candidate, name in _keys(parent, level):
        if abs(len(other) - len(key)) > max(3, len(key) // 2):
            continue
        score = 1.0 if other == key else SequenceMatcher(None, key, other, autojunk=False).ratio()
        if score > best.get(candidate.code, (-1.0,))[0]:
            best[candidate.code] = (score, candidate, name)
    if not best:
        return None
    ranked = sorted(best.values(), key=lambda item: -item[0])
    score, found, name = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    return Snap(found, score, score - runner_up, name)


def respell(printed: str, name: str) -> str:
    """`name` (the listed spelling, in capitals) with the print's spaces added where the list
    joins words the card prints apart: the list repairs what OCR damaged ('BENUA MELAYU LAUI'
    → 'BENUA MELAYU LAUT', '1? DESAY' → 'DESAY', 'MANDORA' → 'MANDOR A'). A space the print adds
    is kept only where the letters on both sides match the list and neither side is a scrap of
    one or two letters (OCR splits words too: 'KALIMANT AN')."""
    listed = re.sub(r"\s+", " ", name.upper()).strip()
    spaced = _kept_spaces(printed, letters(listed))
    out, count = [], 0
    for char in listed:
        if letters(char):
            if count in spaced and out and out[-1] != " ":
                out.append(" ")
            count += 1
        out.append(char)
    return "".join(out)


def _kept_spaces(printed: str, wanted: str) -> set[int]:
    """Positions (in letters of `wanted`) of the print's spaces that split whole words."""
    pieces = [letters(p) for p in printed.split()]
    pieces = [p for p in pieces if p]
    seen = "".join(pieces)
    blocks = SequenceMatcher(None, seen, wanted, autojunk=False).get_matching_blocks()
    kept, count = set(), 0
    for before, after in pairwise(pieces):
        count += len(before)
        if len(before) < 3 or len(after) < 3:
            continue
        for i, j, size in blocks:
            if i < count < i + size:  # both sides of the space inside one matching run
                kept.add(j + count - i)
    return kept
