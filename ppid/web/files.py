"""Files of the archive as the web app serves them: only from inside it, by document id, ID scans
refused or logged (UU 27/2022); a case's bags as one ZIP."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session

from ppid.core.db import write_session
from ppid.core.errors import ForbiddenError, NotFoundError
from ppid.core.models import Case, CaseDocument, User
from ppid.core.paths import bag_versions, package_folder
from ppid.web import auth
from ppid.web.deps import WebContext, can_see_nik, client_of, web

log = logging.getLogger(__name__)


VIEW_LOG_SECONDS = 60.0  # one audit entry per person and ID document per minute
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff", "image/webp"}


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.number is None:
        raise NotFoundError("case.id_not_found", case_id=case_id)
    return case


def is_id_scan(document: CaseDocument) -> bool:
    """Whether the file shows an ID card (personal data with restricted, logged access)."""
    extracted = (document.fields or {}).get("documents") or []
    return document.role == "id_card" or any(d.get("document_type") == "id_card" for d in extracted)


def archived_file(ctx: WebContext, relative: str) -> Path:
    """The file at `relative` inside the archive; anything resolving outside it is refused."""
    assert ctx.settings.archive is not None
    root = ctx.settings.archive.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError("web.file_not_found", path=relative)
    return target


def open_document(request: Request, user: User, document_id: int, what: str) -> CaseDocument:
    """The document if this user may see it; ID scans are refused or logged (UU 27/2022)."""
    ctx = web(request)
    with ctx.sessions() as session:
        document = session.get(CaseDocument, document_id)
        if document is None:
            raise NotFoundError("web.document_not_found", document=document_id)
        session.expunge(document)
    if is_id_scan(document):
        if not can_see_nik(user):
            raise ForbiddenError("web.id_scan_forbidden")
        key, now = (user.username, document.id), time.monotonic()
        if now - ctx.logged_views.get(key, -VIEW_LOG_SECONDS) < VIEW_LOG_SECONDS:
            return document
        ctx.logged_views[key] = now
        with write_session(ctx.sessions) as session:  # concurrent crops: the lock first
            auth.log_id_scan_view(
                session, user, document.id, document.case_id, what, client_of(request)
            )
    return document


def case_package(ctx: WebContext, case: Case) -> Path:
    """A zip of the case's BagIt bags, or of its documents while it has none."""
    bags = bag_versions(ctx.settings, case)
    folder = package_folder(ctx.settings)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=folder, suffix=".zip")
    os.close(descriptor)
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as bundle:
        for bag in bags:
            for path in sorted(bag.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    bundle.write(path, (Path(bag.name) / path.relative_to(bag)).as_posix())
        if not bags:
            for document in case.documents:
                try:
                    path = archived_file(ctx, document.path)
                except NotFoundError:
                    log.warning("case %s: %s is not in the archive", case.number, document.path)
                    continue
                bundle.write(path, f"{document.kind}/{document.id:04d}-{path.name}")
    return Path(name)
