"""What a field's confidence means: the chance it is right, and never certainty about nothing."""

from __future__ import annotations

import re
from typing import Any

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS, Document

NOT_FOUND = 0.3  # a field whose label, zone or line was never seen
EMPTY_AT_MOST = 0.5  # a field seen empty: likely blank, but a person glances at it
GARBLED_AT_MOST = 0.6  # a read value holding characters no such value is written with

# Characters OCR leaves where it could not read (no name, address, number or place has them);
# an e-mail's '_' and a prose field's punctuation are the writer's own.
_OCR_DEBRIS = re.compile(r"[?_|~{}\[\]<>\\]")
_PROSE = ("case_description", "purpose", "applicant.email", "signed", "reasons")


def doubt_garbled_values(document: Document) -> None:
    """A value OCR read with debris in it ('1? JL. MERDEKA', 'NO. 108A_') is damaged however
    sure Tesseract was of its other letters."""
    if document.method != "ocr":
        return
    names = {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(
        document.document_type, ()
    )
    for name in names:
        value = _value(document.fields, name)
        if name in _PROSE or not isinstance(value, str) or not _OCR_DEBRIS.search(value):
            continue
        seen = document.confidence.get(name, 1.0)
        document.confidence[name] = round(min(seen, GARBLED_AT_MOST), 3)


def doubt_empty_fields(document: Document) -> None:
    """A null (or empty) field is reported as doubtful, never as surely absent: an unread
    value and a blank one look the same, and 'certainly empty' would never be checked."""
    names = {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(
        document.document_type, ()
    )
    for name in names:
        if _value(document.fields, name) in (None, "", []):
            seen = document.confidence.get(name, NOT_FOUND)
            document.confidence[name] = round(min(seen, EMPTY_AT_MOST), 3)


def _value(fields: dict[str, Any], name: str) -> Any:
    group, _, leaf = name.partition(".")
    if not leaf:
        return fields.get(group)
    inner = fields.get(group)
    return inner.get(leaf) if isinstance(inner, dict) else None
