"""Our QR codes on paper: how a printed page names its case and document, drawn as inline SVG.

A letter carries `PPIDDOC1|case=<number>|doc=<name>`, each page of a print version
`PPIDDOC1|case=<number>|doc=<document id>|p=<n>/<N>`, a separator sheet
`PPIDSEP1|case=<number>`. Scanned back into the inbox, the scan parser reports such a page as a
`cover_sheet` with its `code`, and `parse_payload` reads it (the archive files the scan by it).
Our form's own page codes (`PPIDKEB1`) belong to `parsers.form_layout`.
"""

from __future__ import annotations

import io

import segno

DOC_PREFIX = "PPIDDOC1"
SEP_PREFIX = "PPIDSEP1"


def qr_svg(payload: str) -> str:
    """An inline SVG QR code: a printed copy scanned back finds its case by this payload."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", border=1, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def document_payload(number: str | None, document: str) -> str:
    """A document of a case by name (a letter's own code, the dossier's)."""
    return f"{DOC_PREFIX}|case={number}|doc={document}"


def page_payload(number: str, document_id: int, page: int, pages: int) -> str:
    """One page of a print version: the case, the document by id, page n of N."""
    return f"{DOC_PREFIX}|case={number}|doc={document_id}|p={page}/{pages}"


def separator_payload(number: str) -> str:
    """A separator sheet: the pages behind it belong to this case."""
    return f"{SEP_PREFIX}|case={number}"


def parse_payload(text: str) -> dict[str, str] | None:
    """`PPIDDOC1|case=…|doc=…` or `PPIDSEP1|case=…` as a dict with "kind"; None otherwise."""
    head, *parts = text.strip().split("|")
    if head not in (DOC_PREFIX, SEP_PREFIX):
        return None
    fields = dict(part.split("=", 1) for part in parts if "=" in part)
    if not fields.get("case"):
        return None
    return {"kind": "doc" if head == DOC_PREFIX else "sep", **fields}
