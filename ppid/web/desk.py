"""Web pages of the intake desk: pending submissions and quarantine, with the clerk's actions."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ppid.archive.sequences import REGISTER_SUBMISSION
from ppid.core.db import write_session
from ppid.core.errors import BadInputError, ConflictError, NotFoundError
from ppid.core.files import sha256_file
from ppid.core.messages import notice, page_title
from ppid.core.models import IntakeFile
from ppid.core.signing import sign, verify
from ppid.intake.desk import attach_submission, dismiss_submission, retry_quarantined
from ppid.intake.inbox import list_quarantine
from ppid.intake.ledger import IntakeContext
from ppid.intake.pairing import pending_submissions, submission_files
from ppid.web import auth
from ppid.web.deps import (
    MAX_RECORD_ID,
    CheckedForm,
    DeskUser,
    RecordId,
    WebContext,
    client_of,
    web,
)
from ppid.web.files import INLINE_TYPES, archived_file
from ppid.web.pages import page, waktu

log = logging.getLogger(__name__)

router = APIRouter()


def intake_context(ctx: WebContext) -> IntakeContext:
    return IntakeContext(ctx.settings, ctx.sessions, ctx.calendar)


def pending_rows(ctx: WebContext) -> list[dict[str, Any]]:
    """Pending submissions with their files (types read from the extraction)."""
    rows = pending_submissions(intake_context(ctx))
    with ctx.sessions() as session:
        for row in rows:
            row["since"] = waktu(ctx, datetime.fromisoformat(row["since"]))
            row["documents"] = [
                {
                    "id": f.id,
                    "name": f.original_name,
                    "types": [
                        d.get("document_type") for d in (f.extraction or {}).get("documents") or []
                    ],
                }
                for f in submission_files(session, row["id"])
            ]
    return rows


def quarantine_rows(ctx: WebContext) -> list[dict[str, str]]:
    folder = ctx.settings.quarantine
    assert folder is not None
    return [
        {"path": path.relative_to(folder).as_posix(), "reason": reason}
        for path, reason in list_quarantine(folder, "id")
    ]


def _int(form: FormData, name: str) -> int:
    value = str(form.get(name, ""))
    if not value.isdigit() or int(value) > MAX_RECORD_ID:
        raise BadInputError("desk.choose_submission", name=name)
    return int(value)


@router.get("/meja", response_class=HTMLResponse)
def desk(request: Request, user: DeskUser) -> Response:
    ctx = web(request)
    return page(
        request,
        "desk.html",
        page_title("desk"),
        pending=pending_rows(ctx),
        quarantine=quarantine_rows(ctx),
        message=_signed_notice(request),
    )


@router.post("/meja/lampirkan")
def attach(
    request: Request,
    form: CheckedForm,
    user: DeskUser,
) -> Response:
    source, target = _int(form, "sumber"), _int(form, "tujuan")
    ctx = intake_context(web(request))
    outcome = attach_submission(ctx, source, target, REGISTER_SUBMISSION)
    text = (
        notice("desk.registered", number=outcome.register_number)
        if outcome.register_number
        else notice("desk.waiting", reason=outcome.reason)
    )
    return _back_with_notice(request, text)


@router.post("/meja/bukan-keberatan")
def dismiss(
    request: Request,
    form: CheckedForm,
    user: DeskUser,
) -> Response:
    dismiss_submission(
        intake_context(web(request)),
        _int(form, "pengajuan"),
        user.username,
        str(form.get("catatan", "")),
    )
    return _back_with_notice(request, notice("desk.dismissed"))


@router.post("/meja/ulangi")
def retry(
    request: Request,
    form: CheckedForm,
    user: DeskUser,
) -> Response:
    moved = retry_quarantined(web(request).settings, str(form.get("berkas", "")))
    text = notice("desk.retried", name=moved.name)
    return _back_with_notice(request, text)


@router.get("/meja/berkas/{intake_id}")
def intake_file(request: Request, intake_id: RecordId, user: DeskUser) -> Response:
    ctx = web(request)
    with write_session(ctx.sessions) as session:
        row = session.get(IntakeFile, intake_id)
        if row is None or not row.stored_path:
            raise NotFoundError("desk.file_not_found", file=intake_id)
        path = archived_file(ctx, row.stored_path)
        if sha256_file(path) != row.sha256:  # never serve a damaged original as received
            log.error("intake file %s: %s no longer has its SHA-256", row.id, row.stored_path)
            raise ConflictError("desk.file_damaged", file=row.id)
        auth.log_id_scan_view(  # as kept, and any received file may bear an ID
            session, user, None, None, "meja", client_of(request), intake_file_id=row.id
        )
    import mimetypes

    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    inline = media in INLINE_TYPES
    return FileResponse(
        path,
        media_type=media if inline else "application/octet-stream",
        filename=Path(path).name,
        content_disposition_type="inline" if inline else "attachment",
    )


NOTICE_PURPOSE = "meja-pesan"


def _back_with_notice(request: Request, text: str) -> RedirectResponse:
    """Back to the desk with what was done; the notice is signed, so a link someone else wrote
    (`/meja?pesan=…`) cannot put its own words on the desk as an official notice."""
    token = sign(web(request).settings, NOTICE_PURPOSE, _digest(text))
    return RedirectResponse("/meja?" + urlencode({"pesan": text, "tanda": token}), 303)


def _signed_notice(request: Request) -> str:
    """The notice of the address if we wrote it, else nothing."""
    text = request.query_params.get("pesan", "")
    parts = verify(web(request).settings, NOTICE_PURPOSE, request.query_params.get("tanda"))
    return text if text and parts == [_digest(text)] else ""


def _digest(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
