"""Web pages of one case: every field beside its scan, the step forms, files, letter previews.

Decisions and corrections go through `ppid.steps` (the same function as the CLI: each step a
Prefect flow run while `ppid run` is up); previews through `ppid.workflow`, rolled back. Files
are served only from inside the archive, by document id, and every view of an ID scan is logged.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from ppid.core.db import begin_write, write_session
from ppid.core.errors import BadInputError, ForbiddenError, NotFoundError
from ppid.core.models import Case, CaseDocument, User
from ppid.core.paths import crop_cache, package_folder
from ppid.core.vocabulary import DOCUMENT_LABELS, REASON_TEXTS, TaskStatus
from ppid.runtime.steps import take_step as take_sop_step
from ppid.web import auth
from ppid.web.app import (
    ActorUser,
    AnyUser,
    ArchivistUser,
    CheckedForm,
    WebContext,
    can_see_nik,
    client_of,
    page,
    shown_nik,
    step_label,
    web,
)
from ppid.web.crops import crop_png
from ppid.web.labels import ACTION_LABELS, CASE_FIELDS, DECISION_TEXTS, FIELD_LABELS

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.7
VIEW_LOG_SECONDS = 60.0  # one audit entry per person and ID document per minute
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff", "image/webp"}


def dotted(fields: dict[str, Any], name: str) -> Any:
    value: Any = fields
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def shown_value(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return str(value)


def is_id_scan(document: CaseDocument) -> bool:
    """Whether the file shows an ID card (personal data with restricted, logged access)."""
    extracted = (document.fields or {}).get("documents") or []
    return document.role == "id_card" or any(d.get("document_type") == "id_card" for d in extracted)


def field_rows(user: User, document: CaseDocument, case: Case) -> list[dict[str, Any]]:
    """Every extracted field of one archived original, with its crop URL and confidence."""
    rows = []
    for index, extracted in enumerate((document.fields or {}).get("documents") or []):
        kind = extracted.get("document_type")
        if kind == "id_card" and not can_see_nik(user):
            continue
        names = OBJECTION_FIELDS if kind == "objection_form" else ID_CARD_FIELDS
        fields, confidence = extracted.get("fields") or {}, extracted.get("confidence") or {}
        boxes = extracted.get("boxes") or {}
        for name in names:
            value = dotted(fields, name)
            if value in (None, "", []) and name not in boxes:
                continue
            is_nik = name.endswith("nik")
            crop_allowed = name in boxes and (can_see_nik(user) or not is_nik)
            editable = kind == "objection_form" and CASE_FIELDS.get(name) in getattr(
                _workflow(), "CORRECTABLE_FIELDS", ()
            )
            current = getattr(case, CASE_FIELDS[name]) if name in CASE_FIELDS else None
            rows.append(
                {
                    "name": name,
                    "document": "Formulir" if kind == "objection_form" else "KTP",
                    "label": FIELD_LABELS.get(name, name),
                    "value": shown_nik(user, value) if is_nik else shown_value(value),
                    "current": (shown_nik(user, current) if is_nik else shown_value(current)),
                    "editable": editable and (can_see_nik(user) or not is_nik),
                    "confidence": confidence.get(name),
                    "low": confidence.get(name) is not None and confidence[name] < LOW_CONFIDENCE,
                    "crop": f"/dokumen/{document.id}/potongan?d={index}&f={name}"
                    if crop_allowed
                    else None,
                }
            )
    return rows


# What the parsers warn about a file that a clerk must know before opening it elsewhere.
CAUTIONS = (
    ("JavaScript", "memuat JavaScript — tidak dijalankan oleh sistem"),
    ("launch action", "memuat perintah membuka program — tidak dijalankan"),
    ("embedded files", "membawa berkas sisipan — tidak dibuka"),
    ("hidden in it", "menyembunyikan berkas lain di dalamnya — diabaikan"),
    ("precede the PDF header", "ada data asing di depan isi PDF — diabaikan"),
)


def reading_notes(document: CaseDocument) -> tuple[list[str], list[str]]:
    """(cautions in Indonesian, the parsers' own notes) for one archived original.

    The extraction stored its warnings with the file; without this the clerk learned of a PDF
    carrying JavaScript or a hidden ZIP only from `ppid extract`.
    """
    notes: list[str] = []
    for extracted in (document.fields or {}).get("documents") or []:
        for warning in extracted.get("warnings") or []:
            if warning not in notes:
                notes.append(warning)
    cautions = [text for key, text in CAUTIONS if any(key in note for note in notes)]
    return cautions, notes


def document_rows(user: User, case: Case) -> list[dict[str, Any]]:
    rows = []
    for document in case.documents:
        restricted = is_id_scan(document) and not can_see_nik(user)
        cautions, notes = reading_notes(document)
        rows.append(
            {
                "id": document.id,
                "kind": str(document.kind),
                "label": DOCUMENT_LABELS.get(document.role or "other", document.role or "Berkas"),
                "name": Path(document.path).name,
                "restricted": restricted,
                "id_scan": is_id_scan(document),
                "created": document.created_at,
                "cautions": cautions,
                "notes": [] if restricted else notes,
            }
        )
    return rows


def decision_forms(session: Session, user: User, case: Case) -> list[dict[str, Any]]:
    """The open steps this user's role may take on the case, with the workflow's decisions."""
    steps = getattr(_workflow(), "STEPS", {})
    forms = []
    for task in case.tasks:
        if task.status != TaskStatus.OPEN or str(task.role) != user.role:
            continue
        step = steps.get(task.step)
        decisions = list(step.decisions) if step else []
        forms.append(
            {
                "task_id": task.id,
                "step": task.step,
                "label": step_label(task.step),
                "options": [(d, DECISION_TEXTS.get(d, d)) for d in decisions],
                "dip": _dip_choices(session) if task.step == "fulfil" else [],
            }
        )
    return forms


def _workflow() -> Any:
    try:
        from ppid.casework import workflow
    except ImportError:
        return None
    return workflow


def _dip_choices(session: Session) -> list[dict[str, Any]]:
    from ppid.casework import dip

    return [
        {"id": item.id, "title": item.title, "category": item.category_label}
        for item in dip.search(session, "", limit=200)
    ]


def step_data(form: FormData, case: Case) -> dict[str, Any]:
    """The workflow's `data` from the step form: corrections, DIP items, Pasal 17 ground."""
    data: dict[str, Any] = {}
    corrections = {}
    for key, value in form.multi_items():
        name = CASE_FIELDS.get(key[2:]) if key.startswith("f:") else None
        if name is None or name not in getattr(_workflow(), "CORRECTABLE_FIELDS", ()):
            continue
        text = str(value).strip()
        if text != (getattr(case, name) or ""):
            corrections[name] = text or None
    if corrections:
        data["corrections"] = corrections
    items = [int(v) for v in form.getlist("dip_item") if str(v).isdigit()]
    if items:
        data["dip_items"] = items
    for key in ("information_requested", "pasal17", "consequence"):
        if value := str(form.get(key, "")).strip():
            data[key] = value
    return data


def history_rows(ctx: WebContext, case: Case) -> list[dict[str, Any]]:
    """The case's events for the page; a step taken as a Prefect flow run links to it."""
    prefect = f"http://127.0.0.1:{ctx.settings.intake.prefect_port}/runs/flow-run/"
    return [
        {
            "at": event.at.astimezone(ctx.calendar.tz).strftime("%d-%m-%Y %H:%M"),
            "actor": event.actor,
            "role": event.role or "",
            "action": ACTION_LABELS.get(event.action, event.action),
            "decision": DECISION_TEXTS.get(event.decision or "", event.decision or ""),
            "note": " ".join(filter(None, [event.note, _corrections_text(event.data)])),
            "flow_run_url": prefect + run["id"]
            if (run := (event.data or {}).get("flow_run"))
            else None,
        }
        for event in case.events
    ]


def _corrections_text(data: dict[str, Any] | None) -> str:
    """Field corrections recorded with a verification step, as "Kolom: lama → baru"."""
    changes = (data or {}).get("corrections") or {}
    labels = {attr: FIELD_LABELS.get(name, attr) for name, attr in CASE_FIELDS.items()}
    return "; ".join(
        f"{labels.get(name, name)}: {change.get('old') or '-'} → {change.get('new') or '-'}"
        for name, change in changes.items()
        if isinstance(change, dict)
    )


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.number is None:
        raise NotFoundError(f"Keberatan #{case_id} tidak ditemukan.")
    return case


def archived_file(ctx: WebContext, relative: str) -> Path:
    """The file at `relative` inside the archive; anything resolving outside it is refused."""
    assert ctx.settings.archive is not None
    root = ctx.settings.archive.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError("Berkas tidak ditemukan di arsip.")
    return target


def open_document(request: Request, user: User, document_id: int, what: str) -> CaseDocument:
    """The document if this user may see it; ID scans are refused or logged (UU 27/2022)."""
    ctx = web(request)
    with ctx.sessions() as session:
        document = session.get(CaseDocument, document_id)
        if document is None:
            raise NotFoundError("Berkas tidak ditemukan.")
        session.expunge(document)
    if is_id_scan(document):
        if not can_see_nik(user):
            raise ForbiddenError("Scan KTP hanya dapat dilihat oleh petugas yang berwenang.")
        key, now = (user.username, document.id), time.monotonic()
        if now - ctx.logged_views.get(key, -VIEW_LOG_SECONDS) < VIEW_LOG_SECONDS:
            return document
        ctx.logged_views[key] = now
        with write_session(ctx.sessions) as session:  # concurrent crops: the lock first
            auth.log_id_scan_view(
                session, user, document.id, document.case_id, what, client_of(request)
            )
    return document


def install(app: FastAPI) -> None:
    @app.get("/kasus/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: int, user: AnyUser) -> Response:
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
                "history": history_rows(ctx, case),
                "pasal17": _pasal17(),
                "package": user.role in ("arsiparis", "admin"),
            }
        return page(request, "case.html", f"Keberatan {case.number}", **context)

    @app.post("/kasus/{case_id}/langkah")
    def take_step(
        request: Request,
        case_id: int,
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
            ctx.settings, ctx.sessions, number, user.role, user.username, decision, note, data
        )
        if result["message"]:
            log.info("case %s: %s", number, result["message"])
        return RedirectResponse(f"/kasus/{case_id}", status_code=303)

    @app.post("/kasus/{case_id}/pratinjau")
    def preview(
        request: Request,
        case_id: int,
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
                    (archived_file(ctx, path), archived_file(ctx, path).read_bytes())
                    for path in made
                ]
            finally:
                session.rollback()
        for path, _ in pdfs:
            path.unlink(missing_ok=True)  # the preview never becomes a document
        if not pdfs:
            raise NotFoundError(
                "Keputusan ini tidak menerbitkan surat; tidak ada yang dipratinjau."
            )
        return Response(
            pdfs[-1][1],
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="pratinjau-surat.pdf"'},
        )

    @app.get("/kasus/{case_id}/paket")
    def package(
        request: Request,
        case_id: int,
        user: ArchivistUser,
    ) -> Response:
        ctx = web(request)
        with write_session(ctx.sessions) as session:
            case = load_case(session, case_id)
            path = _package(ctx, case)
            auth.log_id_scan_view(session, user, None, case.id, "paket-arsip", client_of(request))
            name = (case.number or str(case.id)).replace("/", "-") + ".zip"
        return FileResponse(
            path,
            media_type="application/zip",
            filename=name,
            background=BackgroundTask(path.unlink, missing_ok=True),
        )

    @app.get("/dokumen/{document_id}")
    def document_file(
        request: Request, user: AnyUser, document_id: int, unduh: bool = False
    ) -> Response:
        document = open_document(request, user, document_id, "berkas")
        path = archived_file(web(request), document.path)
        inline = document.media_type in INLINE_TYPES and not unduh
        return FileResponse(
            path,
            media_type=document.media_type if inline else "application/octet-stream",
            filename=path.name,
            content_disposition_type="inline" if inline else "attachment",
        )

    @app.get("/dokumen/{document_id}/potongan")
    def document_crop(
        request: Request, document_id: int, d: int, f: str, user: AnyUser
    ) -> Response:
        if f.endswith("nik") and not can_see_nik(user):
            raise ForbiddenError("NIK hanya dapat dilihat oleh petugas yang berwenang.")
        document = open_document(request, user, document_id, f"potongan:{f}")
        extracted = (document.fields or {}).get("documents") or []
        if not 0 <= d < len(extracted) or f not in (extracted[d].get("boxes") or {}):
            raise NotFoundError("Kolom ini tidak punya posisi pada scan.")
        ctx = web(request)
        png = crop_png(
            archived_file(ctx, document.path),
            document.media_type,
            extracted[d]["boxes"][f],
            extracted[d].get("method", "ocr"),
            crop_cache(ctx.settings),
        )
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _advance(session: Session, ctx: WebContext, user: User, case: Case, form: FormData) -> None:
    workflow = _workflow()
    if workflow is None:
        raise BadInputError("Alur kerja (ppid.workflow) belum tersedia di instalasi ini.")
    decision = str(form.get("decision", "")).strip()
    note = str(form.get("note", "")).strip() or None
    data = step_data(form, case)
    workflow.advance(session, ctx.settings, case, user.role, user.username, decision, note, data)


def _pasal17() -> list[tuple[str, str]]:
    from ppid.casework.dip import PASAL17_TEXTS

    return list(PASAL17_TEXTS.items())


def _package(ctx: WebContext, case: Case) -> Path:
    """A zip of the case's BagIt bags (ppid.archive), or of its documents while it has none."""
    try:
        from ppid.core.paths import bag_versions
    except ImportError:
        bags: list[Path] = []
    else:
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
