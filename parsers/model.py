"""The extraction contract: what every parser returns, as plain dataclasses serialisable to JSON.

`ppid extract --json` prints `FileResult.to_json()`; flows, the CLI and the web app all consume
these same objects. Dotted field names (`applicant.nik`) key `confidence` and `boxes`.

What a field holds is what the document prints, not a normalised form of it: the address line
as printed (street words and house number), `religion` as the card prints it (`KATHOLIK`),
`valid_until` `SEUMUR HIDUP` or the ISO date, `province` without `PROVINSI`, `regency` with its
`KABUPATEN`/`KOTA` word. Two values are given in one form whatever the print: dates as ISO
`YYYY-MM-DD`, phone numbers as their digits (`081234567890`, a leading `+` kept).

`confidence[name]` is the chance, from 0 to 1, that the value is right; below 0.7 a person
should check it. A field not found is `null` with a confidence of at most 0.5, never 1.0: an
unread value and a blank one look alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DocumentType = Literal["objection_form", "id_card", "cover_sheet", "other"]
Method = Literal["acroform", "text", "ocr"]
# (page number from 1, x0, y0, x1, y1) in page pixels for scans, PDF points for digital pages;
# origin top-left, y downwards.
Box = tuple[int, float, float, float, float]

OBJECTION_FIELDS: tuple[str, ...] = (
    "registration_number",
    "request_number",
    "purpose",
    "applicant.name",
    "applicant.nik",
    "applicant.address",
    "applicant.occupation",
    "applicant.phone",
    "applicant.email",
    "proxy.name",
    "proxy.address",
    "proxy.phone",
    "reasons",
    "case_description",
    "response_date",
    "place",
    "date",
    "signed",
)
REASON_LETTERS: tuple[str, ...] = ("a", "b", "c", "d", "e", "f", "g")
ID_CARD_FIELDS: tuple[str, ...] = (
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "blood_type",
    "address",
    "rt_rw",
    "village",
    "district",
    "religion",
    "marital_status",
    "occupation",
    "nationality",
    "valid_until",
    "province",
    "regency",
)


@dataclass(frozen=True)
class TextLine:
    """One line of text with where it sits, from a text layer or from OCR."""

    text: str
    page: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1; origin top-left
    confidence: float = 1.0  # 0..1; 1.0 for a digital text layer
    # Where each of the space-separated words of `text` lies along the line, as shares of the
    # box's width (start, end) in reading order; empty when only the line's box is known.
    spans: tuple[tuple[float, float], ...] = ()
    # each of those words' own OCR confidence, when OCR read it (empty: the line's for all)
    word_confidence: tuple[float, ...] = ()


class ExtractionError(Exception):
    """A file that cannot be read at all; the message is plain language naming what to do."""


@dataclass
class Document:
    document_type: DocumentType
    pages: list[int]
    method: Method
    fields: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    boxes: dict[str, Box] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # full text (text layer or OCR), kept for search; not part of the JSON contract

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        data["boxes"] = {name: list(box) for name, box in self.boxes.items()}
        return data


@dataclass
class FileResult:
    file: str
    documents: list[Document] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "documents": [d.to_json() for d in self.documents],
            "error": self.error,
        }


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds the caller passes in (parsers read no settings)."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_pages: int = 200
    max_pixels: int = 60_000_000
    max_seconds: float = 300.0


def nest_fields(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted names to the contract's nested objection fields; an all-empty proxy becomes null."""
    fields: dict[str, Any] = {"applicant": {}, "proxy": {}}
    for name in OBJECTION_FIELDS:
        value = flat.get(name)
        if name == "reasons":
            value = sorted(set(value or []))
        elif name == "signed":
            value = bool(value)
        group, _, leaf = name.partition(".")
        if leaf:
            fields[group][leaf] = value
        else:
            fields[name] = value
    if not any(fields["proxy"].values()):
        fields["proxy"] = None
    return fields
