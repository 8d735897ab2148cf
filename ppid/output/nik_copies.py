"""A case file's copy without a full NIK, from what extraction recorded of where NIKs sit.

Every way a file leaves for someone who may see only masked NIKs asks here: a staff role's
download or package (`ppid.web.disclosure`, `ppid.web.files`), the public site's letters, and the
letters and receipts e-mailed to the applicant (an address typed wrong sends them to a stranger).
The NIKs to take out are the case's: the register's and every one extraction read in its files;
`ppid.output.redact` draws the copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ppid.core.masking import NIK_PATTERN
from ppid.core.models import Case, CaseDocument
from ppid.core.vocabulary import DocumentKind
from ppid.output.redact import Redacted, Region, redact


def copy_without_niks(path: Path, niks: set[str], document: CaseDocument | None = None) -> Redacted:
    """The copy of `path` (a case's file, recorded as `document` if known) without any of `niks`
    (`case_niks`: a package reads them once for all its files); `CannotRedact` when the file
    holds one whose place is not known."""
    if document is None:  # a file we made: it prints NIKs masked, the redaction finds any other
        return redact(path, niks, [], expected=False)
    return redact(path, niks, nik_regions(document), nik_expected(document))


def case_niks(case: Case) -> set[str]:
    """Every NIK known for the case: the register's and every one read in its files."""
    found = {case.applicant_nik} if case.applicant_nik else set()
    for document in case.documents:
        found |= read_niks(document)
    return found


def extracted(document: CaseDocument) -> list[dict[str, Any]]:
    """What extraction recorded of the file: one entry per document found in it."""
    return list((document.fields or {}).get("documents") or [])


def read_niks(document: CaseDocument) -> set[str]:
    """The NIKs extraction read in the file (any field named `nik`)."""
    return niks_in(extracted(document))


def niks_in(items: list[dict[str, Any]]) -> set[str]:
    """The NIKs in extraction results (any field named `nik`)."""
    found = set()
    for item in items:
        for name, value in _flat(item.get("fields") or {}):
            if name.endswith("nik") and isinstance(value, str) and NIK_PATTERN.fullmatch(value):
                found.add(value)
    return found


def nik_regions(document: CaseDocument) -> list[Region]:
    """Where extraction read a NIK in the file, in the units its boxes use."""
    is_pdf = document.path.lower().endswith(".pdf") or document.media_type == "application/pdf"
    regions = []
    for item in extracted(document):
        digital = item.get("method") in ("acroform", "text")
        unit = "pt" if digital else ("px300" if is_pdf else "px")
        for name, box in (item.get("boxes") or {}).items():
            if name.endswith("nik") and isinstance(box, list | tuple) and len(box) == 5:
                page, *corners = box
                regions.append(Region(int(page), tuple(float(v) for v in corners), unit))
    return regions  # type: ignore[return-value]


def nik_expected(document: CaseDocument) -> bool:
    """Whether the file is known to hold a NIK on its pages (a form, or a NIK read in it)."""
    if document.kind != DocumentKind.ORIGINAL:
        return False  # our PDFs print it masked; the redaction looks for any that is not
    return bool(read_niks(document)) or any(
        d.get("document_type") == "objection_form" for d in extracted(document)
    )


def _flat(fields: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in fields.items():
        name = f"{prefix}{key}"
        pairs += _flat(value, name + ".") if isinstance(value, dict) else [(name, value)]
    return pairs
