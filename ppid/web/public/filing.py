"""Filing an objection on the public site: the form, its checks, and the receipt at once.

The checks here are the ones a person can fix while typing (required fields, the NIK's
structure and region, the request number's shape, the declaration); the filing itself goes
through the intake (`ppid.intake.web.ingest_web`), which reads the KTP, cross-checks the NIK and
registers the case like any other. A refusal comes back on the form with its reason.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from parsers.model import nest_fields
from parsers.nik import validate_nik
from ppid.archive.sequences import REGISTER_SUBMISSION
from ppid.core.calendar import format_tanggal
from ppid.core.errors import BadInputError
from ppid.core.messages import PUBLIC_FORM_LABELS, page_title, page_words, user_text
from ppid.core.models import Case
from ppid.core.vocabulary import REASON_TEXTS
from ppid.intake.ledger import IntakeContext
from ppid.intake.web import Upload, ingest_web
from ppid.web.public.context import (
    CheckedForm,
    client_of,
    follow_case,
    followed_case_id,
    page,
    public,
)

log = logging.getLogger(__name__)

router = APIRouter()
FILING = "pengajuan"  # the limiter's key for filings (one client, any case)
HONEYPOT = "situs_web"  # hidden from people; a bot fills it
LONGEST = {  # form name → longest accepted
    "applicant.name": 120,
    "applicant.nik": 16,
    "applicant.address": 300,
    "applicant.occupation": 100,
    "applicant.phone": 30,
    "applicant.email": 254,
    "proxy.name": 120,
    "proxy.address": 300,
    "proxy.phone": 30,
    "request_number": 60,
    "purpose": 1000,
    "case_description": 4000,
    "place": 80,
}
TEXT_FIELDS = {name: (PUBLIC_FORM_LABELS[name], longest) for name, longest in LONGEST.items()}
REQUIRED = ("applicant.name", "applicant.nik", "applicant.address", "request_number", "purpose")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()-]{6,30}")


def _form_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = public(request)
    return page(
        request,
        "form.html",
        page_title("public.form"),
        values=values or {},
        errors=errors or {},
        reasons=REASON_TEXTS,
        fields=TEXT_FIELDS,
        required=REQUIRED,
        honeypot=HONEYPOT,
        max_upload_mb=ctx.settings.public.max_upload_mb,
        request_example=ctx.settings.public.request_number_example,
        request_pattern=ctx.settings.public.request_number_pattern,
        status_code=status_code,
    )


@router.get("/")
def form(request: Request) -> Response:
    return _form_page(request)


def typed_values(form: FormData) -> dict[str, str]:
    """The text fields as typed (trimmed), the ticked reasons and the declaration."""
    values = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["reasons"] = "".join(
        sorted({str(r) for r in form.getlist("reasons")} & set(REASON_TEXTS))
    )
    values["declaration"] = "ya" if form.get("declaration") else ""
    return values


def check_values(
    request: Request, values: dict[str, str], has_proxy_letter: bool
) -> dict[str, str]:
    """Each field's problem, in the words shown beside it; empty when the form may be filed."""
    settings = public(request).settings.public
    errors: dict[str, str] = {}
    for name, (label, longest) in TEXT_FIELDS.items():
        if name in REQUIRED and not values[name]:
            errors[name] = user_text("filing.required", {"label": label})
        elif len(values[name]) > longest:
            errors[name] = user_text("filing.too_long", {"label": label, "longest": longest})
    nik = values["applicant.nik"]
    if nik and "applicant.nik" not in errors and validate_nik(nik):
        errors["applicant.nik"] = user_text("filing.nik")
    number = values["request_number"]
    if number and not re.fullmatch(settings.request_number_pattern, number, re.IGNORECASE):
        example = settings.request_number_example
        errors["request_number"] = user_text("filing.request_number", {"example": example})
    if values["applicant.email"] and not EMAIL.fullmatch(values["applicant.email"]):
        errors["applicant.email"] = user_text("filing.email")
    for name in ("applicant.phone", "proxy.phone"):
        if values[name] and not PHONE.fullmatch(values[name]):
            errors[name] = user_text("filing.phone")
    if not values["reasons"]:
        errors["reasons"] = user_text("filing.reasons")
    if values["proxy.name"] and not has_proxy_letter:
        errors["surat_kuasa"] = user_text("filing.proxy_letter")
    if not values["declaration"]:
        errors["declaration"] = user_text("filing.declaration")
    return errors


def form_fields(values: dict[str, str], today: str) -> dict[str, Any]:
    """The values as the objection form's fields, the same contract as a scanned form."""
    flat: dict[str, Any] = {name: values[name] or None for name in TEXT_FIELDS}
    flat["reasons"] = list(values["reasons"])
    flat["date"], flat["signed"] = today, True
    return nest_fields(flat)


async def _upload(form: FormData, name: str, label: str) -> Upload | None:
    file = form.get(name)
    if not isinstance(file, UploadFile) or not file.filename:
        return None
    return Upload(label, file.filename, await file.read())


@router.post("/ajukan")
async def file_objection(request: Request, form: CheckedForm) -> Response:
    ctx = public(request)
    client = client_of(request)
    if form.get(HONEYPOT):
        log.info("public filing refused: the hidden field was filled")
        ctx.filings.admit(FILING, client)
        return _form_page(request, errors={"": user_text("public.hidden_field")}, status_code=400)
    if ctx.filings.blocked(FILING, client):
        message = user_text("public.filing_limit")
        return _form_page(request, typed_values(form), {"": message}, status_code=429)
    values = typed_values(form)
    card = await _upload(form, "ktp", page_words("upload.ktp"))
    proxy_letter = await _upload(form, "surat_kuasa", page_words("upload.proxy_letter"))
    errors = check_values(request, values, proxy_letter is not None)
    if card is None:
        errors["ktp"] = user_text("filing.card_missing")
    if errors:
        return _form_page(request, values, errors, status_code=400)
    assert card is not None
    fields = form_fields(values, ctx.today().isoformat())
    intake = IntakeContext(ctx.settings, ctx.sessions, ctx.calendar)
    others = [proxy_letter] if proxy_letter else []
    try:
        outcome = await run_in_threadpool(
            ingest_web, intake, fields, card, others, REGISTER_SUBMISSION
        )
    except BadInputError as refusal:
        log.info("public filing refused: %s", refusal.code)  # no file names, no NIK
        return _form_page(request, values, {"ktp": refusal.text}, status_code=400)
    ctx.filings.admit(FILING, client)  # counts filings per client and hour
    if not outcome.register_number:
        log.warning("web filing not registered: %s", outcome.reason)
        message = user_text("public.not_registered")
        return _form_page(request, errors={"": message}, status_code=202)
    with ctx.sessions() as session:
        case_id = session.query(Case.id).filter(Case.number == outcome.register_number).scalar()
    response = RedirectResponse("/diterima", status_code=303)
    follow_case(request, response, int(case_id))
    return response


@router.get("/diterima")
def received(request: Request) -> Response:
    """The confirmation: the register number, the answer's due date, the receipt to download."""
    case_id = followed_case_id(request)
    if case_id is None:
        return RedirectResponse("/status", status_code=303)
    ctx = public(request)
    with ctx.sessions() as session:
        case = session.get(Case, case_id)
        if case is None:
            return RedirectResponse("/status", status_code=303)
        receipt = next((d for d in case.documents if d.role == "receipt"), None)
        return page(
            request,
            "received.html",
            page_title("public.received"),
            number=case.number,
            answer_due=format_tanggal(case.answer_due) if case.answer_due else None,
            receipt_id=receipt.id if receipt else None,
            email=bool(case.applicant_email),
        )
