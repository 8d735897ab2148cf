"""Files of the archive as the web app serves them: only from inside it, by document id, each
through the one personal-data rule (`ppid.web.disclosure`); a case's bags as one ZIP."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session

from ppid.archive.bags import payload_name, write_tags
from ppid.core.db import write_session
from ppid.core.errors import ConflictError, NotFoundError
from ppid.core.files import sha256_file
from ppid.core.messages import file_note
from ppid.core.models import Case, CaseDocument, User
from ppid.core.paths import (
    DOSSIER_NAME,
    bag_info,
    bag_originals,
    bag_outputs,
    bag_versions,
    package_folder,
)
from ppid.core.vocabulary import DocumentKind
from ppid.output.nik_copies import case_niks, copy_without_niks
from ppid.output.redact import CannotRedact, Redacted, redact_text
from ppid.web import auth
from ppid.web.deps import WebContext, client_of, web
from ppid.web.disclosure import (
    Disclosure,
    copy_name,
    disclosed_document,
    is_withheld,
    redacted_copy,
)

log = logging.getLogger(__name__)


VIEW_LOG_SECONDS = 60.0  # crops: one audit entry per person and document per minute
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff", "image/webp"}
WITHHELD_NOTE = "DITAHAN.txt"
TEXT_SUFFIXES = {".json", ".xml", ".txt", ".html", ".csv"}


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.number is None:
        raise NotFoundError("case.id_not_found", case_id=case_id)
    return case


def archived_file(ctx: WebContext, relative: str) -> Path:
    """The file at `relative` inside the archive; anything resolving outside it is refused."""
    assert ctx.settings.archive is not None
    root = ctx.settings.archive.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError("web.file_not_found", path=relative)
    return target


@dataclass
class Served:
    """What a request for one document gets: the file as kept, or a redacted copy of it."""

    path: Path
    media_type: str
    copy: Redacted | None = None

    @property
    def name(self) -> str:
        return copy_name(self.path, self.copy) if self.copy else self.path.name


def serve_document(request: Request, user: User, document_id: int, what: str) -> Served:
    """Document `document_id` as `user` may have it: as kept (logged), a redacted copy, or
    refused; an original whose bytes changed in the store is refused."""
    ctx = web(request)
    with ctx.sessions() as session:
        document, allowed = disclosed_document(session, user, document_id)
        path = archived_file(ctx, document.path)
        if document.kind == DocumentKind.ORIGINAL and sha256_file(path) != document.sha256:
            log.error("document %s: %s no longer has its SHA-256", document.id, document.path)
            raise ConflictError("web.document_damaged", document=document.id)
        if allowed == Disclosure.REDACTED:
            copy = redacted_copy(document.case, document, path)
            return Served(path, copy.media_type, copy)
        case_id = document.case_id
    log_view(request, user, document_id, case_id, what)  # as kept: every file may bear an ID
    return Served(path, document.media_type)


def log_view(
    request: Request,
    user: User,
    document_id: int,
    case_id: int | None,
    what: str,
    throttled: bool = False,
) -> None:
    """Record that `user` had a file as kept (it may bear an ID). `throttled` (crops, a dozen
    at once on a case page): one entry a minute per person and document."""
    ctx = web(request)
    if throttled:
        key, now = (user.username, document_id), time.monotonic()
        if now - ctx.logged_views.get(key, -VIEW_LOG_SECONDS) < VIEW_LOG_SECONDS:
            return
        ctx.logged_views[key] = now
    with write_session(ctx.sessions) as session:  # concurrent crops: the lock first
        auth.log_id_scan_view(session, user, document_id, case_id, what, client_of(request))


# --- packages --------------------------------------------------------------------------------


def case_package(ctx: WebContext, case: Case, redacted: bool = False) -> Path:
    """A zip of the case's BagIt bags (of its documents while it has none); `redacted`: every
    file as a role without full NIKs may have it (`redacted_bag`)."""
    folder = package_folder(ctx.settings)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=folder, suffix=".zip")
    os.close(descriptor)
    bags = bag_versions(ctx.settings, case)
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as bundle:
        if bags and redacted:
            with tempfile.TemporaryDirectory(dir=folder) as work:
                for bag in bags:
                    _add_folder(bundle, redacted_bag(case, bag, Path(work) / bag.name))
        elif bags:
            for bag in bags:
                _add_folder(bundle, bag)
        else:
            _add_documents(ctx, bundle, case, redacted)
    return Path(name)


def _add_folder(bundle: zipfile.ZipFile, bag: Path) -> None:
    for path in sorted(bag.rglob("*")):
        if path.is_file() and not path.is_symlink():
            bundle.write(path, (Path(bag.name) / path.relative_to(bag)).as_posix())


def _add_documents(ctx: WebContext, bundle: zipfile.ZipFile, case: Case, redacted: bool) -> None:
    withheld = []
    for document in case.documents:
        try:
            path = archived_file(ctx, document.path)
        except NotFoundError:
            log.warning("case %s: %s is not in the archive", case.number, document.path)
            continue
        folder = f"{document.kind}/{document.id:04d}-"
        if not redacted:
            bundle.write(path, folder + path.name)
        elif (copy := _copy_or_none(case, document, path)) is None:
            withheld.append(path.name)
        else:
            bundle.writestr(folder + copy_name(path, copy), copy.data)
    if withheld:
        bundle.writestr(WITHHELD_NOTE, _withheld_note(withheld))


def redacted_bag(case: Case, bag: Path, work: Path) -> Path:
    """A copy of `bag` at `work` with no full NIK in it: ID scans and e-mails left out (named
    in DITAHAN.txt), every other original and output as a redacted copy, the metadata masked;
    its manifests are written anew and bag-info.txt says it is redacted."""
    niks = case_niks(case)
    originals = {payload_name(case, d): d for d in case.documents if d.kind != DocumentKind.OUTPUT}
    withheld = []
    for path in sorted(p for p in (bag / "data").rglob("*") if p.is_file()):
        relative = path.relative_to(bag)
        target = work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.parent == bag_originals(bag):
            document = originals.get(path.name)
            copy = _copy_or_none(niks, document, path) if document is not None else None
            if copy is None:
                withheld.append(relative.as_posix())
            else:
                target.with_name(copy_name(path, copy)).write_bytes(copy.data)
        elif path.name == DOSSIER_NAME:  # it holds a copy of the ID card
            withheld.append(relative.as_posix())
        elif path.suffix.lower() in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            target.write_text(redact_text(text, niks), encoding="utf-8")
        elif path.parent == bag_outputs(bag) or path.suffix.lower() == ".pdf":
            try:
                copy = copy_without_niks(path, niks)
            except CannotRedact:
                withheld.append(relative.as_posix())
                continue
            target.with_name(copy_name(path, copy)).write_bytes(copy.data)
        else:
            withheld.append(relative.as_posix())
    if withheld:
        (work / "data" / WITHHELD_NOTE).write_text(_withheld_note(withheld), encoding="utf-8")
    readme = bag / "README.html"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        (work / "README.html").write_text(redact_text(text, niks), encoding="utf-8")
    info = {k: v for k, v in bag_info(bag).items() if k != "Payload-Oxum"}
    info["PPID-Redacted"] = file_note("package.redacted")
    write_tags(work, info)
    return work


def _copy_or_none(niks: set[str], document: CaseDocument, path: Path) -> Redacted | None:
    if is_withheld(document):
        return None
    try:
        return copy_without_niks(path, niks, document)
    except CannotRedact as error:
        log.warning("left out of a redacted package: %s", error)
        return None


def _withheld_note(names: list[str]) -> str:
    return file_note("package.withheld", lines="\n".join(f"- {name}" for name in names))
