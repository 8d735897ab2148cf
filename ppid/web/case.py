"""Web pages of one case: the case page, its step form and letter previews, its files and crops.

Decisions and corrections go through `ppid.runtime.steps` (the same function as the CLI: each
step a Prefect flow run while `ppid run` is up); previews through `ppid.casework.workflow`,
rolled back. Files are served by `ppid.web.files`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ppid.archive.sequences import DIRECT_STEP
from ppid.casework import dip, notices
from ppid.casework.workflow import advance
from ppid.core.db import begin_write, write_session
from ppid.core.errors import ForbiddenError, NotFoundError
from ppid.core.models import Case, CaseDocument, NoticeStatus, User
from ppid.core.paths import crop_cache
from ppid.core.vocabulary import (
    DOCUMENT_LABELS,
    REASON_TEXTS,
)
from ppid.runtime.steps import take_step as take_sop_step
from ppid.web import auth
from ppid.web.casepage import (
    decision_forms,
    document_rows,
    field_rows,
    history_rows,
    step_data,
)
from ppid.web.crops import crop_png
from ppid.web.deps import (
    ActorUser,
    AnyUser,
    ArchivistUser,
    CheckedForm,
    DeskUser,
    RecordId,
    WebContext,
    can_see_nik,
    client_of,
    shown_nik,
    web,
)
from ppid.web.disclosure import Disclosure, disclosure, extracted
from ppid.web.files import (
    INLINE_TYPES,
    archived_file,
    case_package,
    load_case,
    log_view,
    serve_document,
)
from ppid.web.pages import page

log = logging.getLogger(__name__)


router = APIRouter()


@router.get("/kasus/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: RecordId, user: AnyUser) -> Response:
    ctx = web(request)
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        originals = [d for d in case.documents if str(d.kind) == "original"]
        steps = decision_forms(session, user, case)
        context = {
            "case": case,
            "nik": shown_nik(user, case.applicant_nik),
            "reasons": [(letter, REASON_TEXTS[letter]) for letter in case.reasons],
            "fields": [row for d in originals for row in field_rows(user, d, case)],
            "documents": document_rows(user, case),
            "steps": steps,
            "verify_form": next(
                (f"langkah-{s['task_id']}" for s in steps if s["step"] == "verify"), ""
            ),
            "history": history_rows(ctx, case, user),
            "pasal17": _pasal17(),
            "package": user.role in ("arsiparis", "admin"),
            "unsent_notices": unsent_rows(session, case.id),
        }
    return page(request, "case.html", f"Keberatan {case.number}", **context)


@router.post("/kasus/{case_id}/langkah")
def take_step(
    request: Request,
    case_id: RecordId,
    form: CheckedForm,
    user: ActorUser,
) -> Response:
    ctx = web(request)
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        number, data = str(case.number), step_data(form, case)
    decision = str(form.get("decision", "")).strip()
    note = str(form.get("note", "")).strip() or None
    result = take_sop_step(
        ctx.settings,
        ctx.sessions,
        number,
        user.role,
        user.username,
        decision,
        note,
        data,
        direct=lambda: DIRECT_STEP,
    )
    if result["message"]:
        log.info("case %s: %s", number, result["message"])
    return RedirectResponse(f"/kasus/{case_id}", status_code=303)


@router.post("/kasus/{case_id}/pratinjau")
def preview(
    request: Request,
    case_id: RecordId,
    form: CheckedForm,
    user: ActorUser,
) -> Response:
    """The letter this decision would issue, made by the real step and then rolled back."""
    ctx = web(request)
    with ctx.sessions() as session:
        session.begin()
        begin_write(session)
        case = load_case(session, case_id)
        known = {d.id for d in case.documents}
        try:
            _advance(session, ctx, user, case, form)
            session.flush()
            made = [d.path for d in case.documents if d.id not in known and d.kind == "output"]
            pdfs = [
                (archived_file(ctx, path), archived_file(ctx, path).read_bytes()) for path in made
            ]
        finally:
            session.rollback()
    for path, _ in pdfs:
        path.unlink(missing_ok=True)  # the preview never becomes a document
    if not pdfs:
        raise NotFoundError("step.no_letter_to_preview")
    return Response(
        pdfs[-1][1],
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="pratinjau-surat.pdf"'},
    )


def unsent_rows(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Notices to the applicant that did not go out yet, in words (the mail server's own error
    stays in the log and the case history's data)."""
    rows = []
    for notice in notices.unsent(session, case_id):
        label = DOCUMENT_LABELS.get(notice.kind, DOCUMENT_LABELS["other"])
        refused = notice.status == NoticeStatus.FAILED
        rows.append(
            {"id": notice.id, "label": label, "attempts": notice.attempts, "refused": refused}
        )
    return rows


@router.post("/kasus/{case_id}/pemberitahuan/{notice_id}")
def send_notice_again(
    request: Request, case_id: RecordId, notice_id: RecordId, form: CheckedForm, user: DeskUser
) -> Response:
    """A notice that did not go out, sent again now (after the address was corrected, say)."""
    with write_session(web(request).sessions) as session:
        notices.send_again(session, notice_id, case_id, user.username)
    return RedirectResponse(f"/kasus/{case_id}", status_code=303)


@router.get("/kasus/{case_id}/paket")
def package(
    request: Request,
    case_id: RecordId,
    user: ArchivistUser,
) -> Response:
    """The case's bags as one ZIP: as kept (logged) for who may see full NIKs, else redacted."""
    ctx = web(request)
    full = can_see_nik(user)
    with write_session(ctx.sessions) as session:
        case = load_case(session, case_id)
        path = case_package(ctx, case, redacted=not full)
        if full:
            auth.log_id_scan_view(session, user, None, case.id, "paket-arsip", client_of(request))
        name = (case.number or str(case.id)).replace("/", "-")
    suffix = ".zip" if full else "-nik-disamarkan.zip"
    return FileResponse(
        path,
        media_type="application/zip",
        filename=name + suffix,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/dokumen/{document_id}")
def document_file(
    request: Request, user: AnyUser, document_id: RecordId, unduh: bool = False
) -> Response:
    served = serve_document(request, user, document_id, "berkas")
    inline = served.media_type in INLINE_TYPES and not unduh
    disposition = "inline" if inline else "attachment"
    media_type = served.media_type if inline else "application/octet-stream"
    if served.copy is not None:
        quoted = quote(served.name)
        return Response(
            served.copy.data,
            media_type=media_type,
            headers={"Content-Disposition": f"{disposition}; filename*=utf-8''{quoted}"},
        )
    return FileResponse(
        served.path,
        media_type=media_type,
        filename=served.name,
        content_disposition_type=disposition,
    )


@router.get("/dokumen/{document_id}/potongan")
def document_crop(
    request: Request, document_id: RecordId, d: int, f: str, user: AnyUser
) -> Response:
    """The piece of a scan a field was read from; a NIK's only for who may see full NIKs, and
    for anyone else every NIK on the page is blacked out before the piece is cut."""
    if f.endswith("nik") and not can_see_nik(user):
        raise ForbiddenError("web.nik_forbidden")
    ctx = web(request)
    with ctx.sessions() as session:
        document = session.get(CaseDocument, document_id)
        if document is None:
            raise NotFoundError("web.document_not_found", document=document_id)
        allowed = disclosure(user, document)
        if allowed == Disclosure.WITHHELD:
            raise ForbiddenError("web.id_scan_forbidden")
        items = extracted(document)
        if not 0 <= d < len(items) or f not in (items[d].get("boxes") or {}):
            raise NotFoundError("crop.no_box", field=f, document=document_id)
        hidden = [] if allowed == Disclosure.FULL else nik_boxes(items[d])
        path, media_type = archived_file(ctx, document.path), document.media_type
        case_id, logged = document.case_id, allowed == Disclosure.FULL
    png = crop_png(
        path,
        media_type,
        items[d]["boxes"][f],
        items[d].get("method", "ocr"),
        crop_cache(ctx.settings),
        hidden=hidden,
    )
    if logged:
        log_view(request, user, document_id, case_id, f"potongan:{f}", throttled=True)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _advance(session: Session, ctx: WebContext, user: User, case: Case, form: FormData) -> None:
    decision = str(form.get("decision", "")).strip()
    note = str(form.get("note", "")).strip() or None
    data = step_data(form, case)
    advance(session, ctx.settings, case, user.role, user.username, decision, note, data)


def _pasal17() -> list[tuple[str, str]]:
    return list(dip.PASAL17_TEXTS.items())


def nik_boxes(item: dict[str, Any]) -> list[list[float]]:
    """Boxes of every NIK read in one extracted document (same units as its other boxes)."""
    return [box for name, box in (item.get("boxes") or {}).items() if name.endswith("nik")]
