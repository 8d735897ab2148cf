"""One rule for personal data on every way a file leaves the web app (UU 27/2022).

Who may see full NIKs (`FULL_NIK_ROLES`) gets every file as kept, and every such download is
logged: any file of a case may bear an ID (an ID scan, an e-mail and its attachments, a form, a
letter typing the NIK where no extraction looked, a PDF we made, whose attached `case.json`
holds it), so none is left out of the log. Anyone else gets a redacted copy
(`ppid.output.redact`: the form's NIK blacked out, our PDFs' attached metadata masked) or, for
an ID scan and a raw e-mail (which may carry one as an attachment), a refusal. Pages, crops,
single files and packages all ask this module.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ppid.core.errors import ForbiddenError, NotFoundError
from ppid.core.masking import NIK_PATTERN
from ppid.core.models import Case, CaseDocument, User
from ppid.core.paths import DOSSIER_NAME
from ppid.core.vocabulary import DocumentKind
from ppid.output.redact import CannotRedact, Redacted, Region, redact
from ppid.web.deps import can_see_nik

log = logging.getLogger(__name__)

WITHHELD_ROLES = ("id_card", "email")
WITHHELD_TYPES = ("id_card", "bundle", "email")


class Disclosure(StrEnum):
    FULL = "full"  # the file as kept
    REDACTED = "redacted"  # a copy without full NIKs
    WITHHELD = "withheld"  # refused


def extracted(document: CaseDocument) -> list[dict[str, Any]]:
    return list((document.fields or {}).get("documents") or [])


def is_id_scan(document: CaseDocument) -> bool:
    """Whether the file shows an ID card (personal data with restricted, logged access)."""
    return document.role == "id_card" or any(
        d.get("document_type") == "id_card" for d in extracted(document)
    )


def is_withheld(document: CaseDocument) -> bool:
    """Files no redacted copy is made of: ID scans, raw e-mails (their attachments), and the
    dossier of a sealed case (it holds a copy of the ID card)."""
    return (
        is_id_scan(document)
        or Path(document.path).name == DOSSIER_NAME
        or document.role in WITHHELD_ROLES
        or document.document_type in WITHHELD_TYPES
        or document.media_type == "message/rfc822"
    )


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


def _flat(fields: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in fields.items():
        name = f"{prefix}{key}"
        pairs += _flat(value, name + ".") if isinstance(value, dict) else [(name, value)]
    return pairs


def disclosure(user: User, document: CaseDocument) -> Disclosure:
    """What `user` may have of `document`."""
    if can_see_nik(user):
        return Disclosure.FULL
    return Disclosure.WITHHELD if is_withheld(document) else Disclosure.REDACTED


def disclosed_document(
    session: Session, user: User, document_id: int
) -> tuple[CaseDocument, Disclosure]:
    """Document `document_id` and what `user` may have of it, for every route that serves a
    file or a piece of one; NotFoundError when there is none, ForbiddenError when withheld."""
    document = session.get(CaseDocument, document_id)
    if document is None:
        raise NotFoundError("web.document_not_found", document=document_id)
    allowed = disclosure(user, document)
    if allowed == Disclosure.WITHHELD:
        raise ForbiddenError("web.id_scan_forbidden")
    return document, allowed


def case_niks(case: Case) -> set[str]:
    """Every NIK known for the case: the register's and every one read in its files."""
    found = {case.applicant_nik} if case.applicant_nik else set()
    for document in case.documents:
        found |= read_niks(document)
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


def redacted_copy(case: Case, document: CaseDocument, path: Path) -> Redacted:
    """The copy of `path` a role without full NIKs gets (ForbiddenError when none can be made)."""
    try:
        return redact(path, case_niks(case), nik_regions(document), nik_expected(document))
    except CannotRedact as error:
        log.warning("no redacted copy of document %s: %s", document.id, error)
        raise ForbiddenError("web.no_redacted_copy", document=document.id) from error


def copy_name(path: Path, copy: Redacted) -> str:
    return f"{path.stem}-nik-disamarkan{copy.suffix}"
