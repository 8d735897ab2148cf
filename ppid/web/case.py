"""Web pages of one case: the case page, its step forms (refused input shown again beside its
errors), the confirmation with the letters a decision would issue, corrections of values read,
its files and crops.

Decisions go through `ppid.runtime.steps` (the same function as the CLI: each step a Prefect flow
run while `ppid run` is up); previews through `ppid.casework.workflow`, rolled back. Corrections
through `ppid.casework.amendments`, then the case's archive. Files are served by
`ppid.web.files`.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ppid.archive.bags import archive_case
from ppid.archive.sequences import DIRECT_STEP
from ppid.casework import notices
from ppid.casework.amendments import DocumentValue, amend
from ppid.casework.letters import LETTERS
from ppid.casework.sop import CONFIRM_FIRST, LETTER_TEXT
from ppid.casework.workflow import advance, problems_of_step
from ppid.core.db import begin_write, write_session
from ppid.core.errors import ForbiddenError, NotFoundError, PpidError
from ppid.core.messages import CONFIRM_TEXTS, DECISION_TEXTS, notice, page_title, page_words
from ppid.core.models import Case, CaseEvent, NoticeStatus, User
from ppid.core.paths import crop_cache
from ppid.core.vocabulary import DOCUMENT_LABELS
from ppid.runtime.steps import take_step as take_sop_step
from ppid.web import auth
from ppid.web.casepage import document_label, document_rows, field_groups, history_rows, summary
from ppid.web.crops import crop_png, pdf_pages_png
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
from ppid.web.disclosure import Disclosure, disclosed_document, extracted
from ppid.web.files import (
    INLINE_TYPES,
    archived_file,
    case_package,
    load_case,
    log_view,
    serve_document,
)
from ppid.web.pages import page
from ppid.web.stepforms import StepInput, errors_by_field, step_forms

log = logging.getLogger(__name__)

router = APIRouter()
CORRECTING_ROLES = ("petugas", "atasan")


@router.get("/kasus/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: RecordId, user: AnyUser, dip: str = "", tersimpan: str = ""
) -> Response:
    return render_case(request, user, case_id, dip_query=dip[:200], saved=tersimpan)


def render_case(
    request: Request,
    user: User,
    case_id: int,
    *,
    entry: StepInput | None = None,
    errors: list[PpidError] | None = None,
    corrections: FormData | None = None,
    dip_query: str = "",
    saved: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; a refused step or correction is shown again with its input and errors."""
    ctx = web(request)
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        editable = user.role in CORRECTING_ROLES and str(case.status) != "closed"
        steps = step_forms(
            session, user, case, entry=entry, errors=errors or [], dip_query=dip_query
        )
        context = {
            "case": case,
            "nik": shown_nik(user, case.applicant_nik),
            "dates": summary(ctx, case),
            "notice": _saved_notice(case, saved),
            "steps": steps,
            "groups": field_groups(user, case, editable),
            "amend": {
                "allowed": editable,
                "typed": dict(corrections.multi_items()) if corrections else {},
                "reasons": corrections.getlist("alasan") if corrections else case.reasons,
                "errors": errors_by_field(errors or []) if corrections else {},
            },
            "documents": document_rows(ctx, user, case),
            "history": history_rows(ctx, user, case),
            "package": user.role in ("arsiparis", "admin"),
            "unsent_notices": unsent_rows(session, case.id),
        }
    return page(
        request,
        "case.html",
        page_title("case", number=case.number),
        status_code=status_code,
        **context,
    )


def _saved_notice(case: Case, saved: str) -> str | None:
    """What the page says after a step or a correction: the event `saved` names, if it is this
    case's (the address carries an event id, never a text)."""
    event = next((e for e in case.events if saved.isdigit() and e.id == int(saved)), None)
    if event is None:
        return None
    letters = (event.data or {}).get("letters") or []
    if event.action == "value_corrected":
        count = len((event.data or {}).get("changes") or [])
        ids = set((event.data or {}).get("reissued") or [])
        if reissued := [document_label(d) for d in case.documents if d.id in ids]:
            return notice("amend.saved_reissued", count=count, documents=reissued)
        return notice("amend.saved", count=count)
    decision = DECISION_TEXTS.get(event.decision or "", "")
    if letters:
        return notice("step.saved_letter", decision=decision, letters=letters)
    return notice("step.saved", decision=decision)


@router.post("/kasus/{case_id}/langkah")
def take_step(request: Request, case_id: RecordId, form: CheckedForm, user: ActorUser) -> Response:
    """A decision: refused with its errors beside the fields, or shown for confirmation with
    the letters it would issue, or taken."""
    ctx = web(request)
    entry = StepInput.from_form(form)
    if form.get("ubah"):  # back from the confirmation page, to change what was typed
        return render_case(request, user, case_id, entry=entry)
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        number, data = str(case.number), entry.data(case)
        problems = problems_of_step(
            session, ctx.settings, case, user.role, entry.decision, entry.note, data
        )
    if problems:
        status = 403 if any(isinstance(p, ForbiddenError) for p in problems) else 422
        return render_case(request, user, case_id, entry=entry, errors=problems, status_code=status)
    if entry.decision in CONFIRM_FIRST and not form.get("konfirmasi"):
        return confirm_page(request, user, case_id, entry)
    try:
        result = take_sop_step(
            ctx.settings,
            ctx.sessions,
            number,
            user.role,
            user.username,
            entry.decision,
            entry.note or None,
            data,
            direct=lambda: DIRECT_STEP,
        )
    except PpidError as error:  # another person took the step meanwhile, or it failed
        log.info("case %s: step refused: %s", number, error.message)
        return render_case(request, user, case_id, entry=entry, errors=[error], status_code=409)
    if result["message"]:
        log.info("case %s: %s", number, result["message"])
    return _back_to_case(ctx, case_id, user, "#ringkasan")


def confirm_page(request: Request, user: User, case_id: int, entry: StepInput) -> Response:
    """The decision once more before it is taken, with every letter it would issue."""
    ctx = web(request)
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        number, name = case.number, case.applicant_name
    letters = [
        {
            "title": title,
            "number": letter_number,
            "pages": [_data_uri(p) for p in pdf_pages_png(pdf)],
        }
        for title, letter_number, pdf in letter_previews(ctx, user, case_id, entry)
    ]
    return page(
        request,
        "confirm.html",
        page_title("confirm"),
        case={"id": case_id, "number": number, "applicant_name": name},
        decision_label=DECISION_TEXTS.get(entry.decision, ""),
        consequence=CONFIRM_TEXTS.get(entry.decision, ""),
        note=entry.note,
        letter_text=entry.letter_text if entry.decision in LETTER_TEXT else "",
        letters=letters,
        hidden=entry.hidden(),
        confirm_label=page_words("confirm.with_letters" if letters else "confirm.without_letters"),
    )


def letter_previews(
    ctx: WebContext, user: User, case_id: int, entry: StepInput
) -> list[tuple[str, str, bytes]]:
    """(title, number, PDF) of each letter the decision would issue: made by the real step in
    a transaction that is rolled back, so numbers, files and history stay as they were."""
    with ctx.sessions() as session:
        session.begin()
        begin_write(session)
        case = load_case(session, case_id)
        known = {d.id for d in case.documents}
        made: list[tuple[str, str, bytes]] = []
        try:
            advance(
                session,
                ctx.settings,
                case,
                user.role,
                user.username,
                entry.decision,
                entry.note or None,
                entry.data(case),
            )
            session.flush()
            for document in case.documents:
                if document.id in known or document.role not in LETTERS:
                    continue
                path = archived_file(ctx, document.path)
                made.append(
                    (
                        DOCUMENT_LABELS[document.role],
                        document.fields["letter_number"],
                        path.read_bytes(),
                    )
                )
                path.unlink(missing_ok=True)  # the preview never becomes a document
        finally:
            session.rollback()
    return made


@router.post("/kasus/{case_id}/pratinjau")
def preview(request: Request, case_id: RecordId, form: CheckedForm, user: ActorUser) -> Response:
    """The last letter this decision would issue, as the PDF it would be."""
    made = letter_previews(web(request), user, case_id, StepInput.from_form(form))
    if not made:
        raise NotFoundError("step.no_letter_to_preview")
    return Response(
        made[-1][2],
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="pratinjau-surat.pdf"'},
    )


@router.post("/kasus/{case_id}/perbaikan")
def correct_values(
    request: Request, case_id: RecordId, form: CheckedForm, user: ActorUser
) -> Response:
    """Corrections of values read from the scans, with their reason; outputs that printed a
    corrected value are issued again, then the case's archive is brought up to date."""
    ctx = web(request)
    values, document_values = _typed_values(form)
    try:
        with write_session(ctx.sessions) as session:
            case = load_case(session, case_id)
            number = str(case.number)
            amend(
                session,
                ctx.settings,
                ctx.calendar,
                case,
                role=user.role,
                actor=user.username,
                reason=str(form.get("keterangan", "")),
                values=values,
                document_values=document_values,
            )
    except PpidError as error:
        return render_case(
            request, user, case_id, errors=[error], corrections=form, status_code=422
        )
    archive_case(ctx.settings, ctx.sessions, number)
    return _back_to_case(ctx, case_id, user, "#data")


def _typed_values(form: FormData) -> tuple[dict[str, Any], dict[DocumentValue, Any]]:
    """The correction form's values: case values (`nilai:attr`), the reasons' ticks and the
    documents' values (`dok:id:index:name`)."""
    values: dict[str, Any] = {}
    documents: dict[DocumentValue, Any] = {}
    for key, value in form.multi_items():
        kind, _, rest = key.partition(":")
        if kind == "nilai":
            values[rest] = str(value)
        elif kind == "dok" and (where := _document_value(rest)) is not None:
            documents[where] = str(value)
    if form.get("alasan_ada"):
        values["reason_letters"] = "".join(str(v) for v in form.getlist("alasan"))
    return values, documents


def _document_value(key: str) -> DocumentValue | None:
    """`id:index:name` of a document value, or None when it is not one."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return DocumentValue(int(parts[0]), int(parts[1]), parts[2])


def _back_to_case(ctx: WebContext, case_id: int, user: User, anchor: str) -> Response:
    """To the case page, naming the event just recorded so the page can say what was saved."""
    with ctx.sessions() as session:
        case = load_case(session, case_id)
        mine = [e.id for e in case.events if _by(e, user)]
    saved = f"?tersimpan={mine[-1]}" if mine else ""
    return RedirectResponse(f"/kasus/{case_id}{saved}{anchor}", status_code=303)


def _by(event: CaseEvent, user: User) -> bool:
    return event.actor == user.username and event.action in ("step", "value_corrected")


def unsent_rows(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Notices to the applicant that did not go out yet, in words (the mail server's own error
    stays in the log and the case history's data)."""
    rows = []
    for waiting in notices.unsent(session, case_id):
        label = DOCUMENT_LABELS.get(waiting.kind, DOCUMENT_LABELS["other"])
        refused = waiting.status == NoticeStatus.FAILED
        rows.append(
            {"id": waiting.id, "label": label, "attempts": waiting.attempts, "refused": refused}
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
        document, allowed = disclosed_document(session, user, document_id)
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
        block=_reason_lines(items[d]) if f == "reasons" else None,
    )
    if logged:
        log_view(request, user, document_id, case_id, f"potongan:{f}", throttled=True)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _reason_lines(extracted: dict[str, Any]) -> tuple[int, int]:
    """The first and last of the reasons a–g that were read (the middle when none was)."""
    letters = [ord(c) - ord("a") for c in (extracted.get("fields") or {}).get("reasons") or []]
    letters = [n for n in letters if 0 <= n <= 6]
    return (min(letters), max(letters)) if letters else (3, 3)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def nik_boxes(item: dict[str, Any]) -> list[list[float]]:
    """Boxes of every NIK read in one extracted document (same units as its other boxes)."""
    return [box for name, box in (item.get("boxes") or {}).items() if name.endswith("nik")]
