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

from sqlalchemy.orm import Session

from ppid.core.errors import ForbiddenError, NotFoundError
from ppid.core.models import Case, CaseDocument, User
from ppid.core.paths import DOSSIER_NAME
from ppid.output.nik_copies import case_niks, copy_without_niks, extracted
from ppid.output.redact import CannotRedact, Redacted
from ppid.web.deps import can_see_nik

log = logging.getLogger(__name__)

WITHHELD_ROLES = ("id_card", "email")
WITHHELD_TYPES = ("id_card", "bundle", "email")


class Disclosure(StrEnum):
    FULL = "full"  # the file as kept
    REDACTED = "redacted"  # a copy without full NIKs
    WITHHELD = "withheld"  # refused


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


def redacted_copy(case: Case, document: CaseDocument, path: Path) -> Redacted:
    """The copy of `path` a role without full NIKs gets (ForbiddenError when none can be made)."""
    try:
        return copy_without_niks(path, case_niks(case), document)
    except CannotRedact as error:
        log.warning("no redacted copy of document %s: %s", document.id, error)
        raise ForbiddenError("web.no_redacted_copy", document=document.id) from error


def copy_name(path: Path, copy: Redacted) -> str:
    return f"{path.stem}-nik-disamarkan{copy.suffix}"
