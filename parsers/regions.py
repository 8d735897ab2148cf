"""Indonesia's administrative regions (Kemendagri code list), as shipped in `parsers/data/`."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

LEVELS = ("province", "regency", "district", "village")


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


@cache
def regions() -> dict[str, Region]:
    """Every region by its dotted code; read once per process from the packaged list."""
    raw = resources.files("parsers").joinpath("data", "wilayah.csv.gz").read_bytes()
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return {row["code"]: Region(row["code"], row["name"]) for row in rows}


def region(code: str) -> Region | None:
    """The region of a dotted code (`61.71`), or None when the list has no such code."""
    return regions().get(code)


def nik_region_codes(nik: str) -> tuple[str, str, str]:
    """The dotted province, regency and district codes a NIK's first six digits name."""
    return nik[:2], f"{nik[:2]}.{nik[2:4]}", f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"


@cache
def children(code: str | None) -> tuple[Region, ...]:
    """The regions directly under `code` (None: the provinces), in code order."""
    depth = 0 if code is None else code.count(".") + 1
    prefix = "" if code is None else code + "."
    return tuple(
        r for c, r in sorted(regions().items()) if c.count(".") == depth and c.startswith(prefix)
    )
