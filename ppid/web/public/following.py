"""Following a case on the public site: register number + the NIK's last six digits, then its
status in plain words, its dates and every letter the office has sent.

The look-up says the same thing, in the same time, for a number that does not exist and for a
wrong NIK, and is rate-limited per number and client and per client, so numbers cannot be
enumerated; the case it proves stays in a signed cookie, never in the URL.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ppid.casework.notices import letters_sent
from ppid.core.calendar import add_working_days, format_tanggal, working_days_between
from ppid.core.errors import NotFoundError
from ppid.core.messages import page_title, page_words, user_text
from ppid.core.models import Case, Task
from ppid.core.paths import archived
from ppid.core.vocabulary import (
    DOCUMENT_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    CaseStatus,
    TaskStatus,
)
from ppid.web.disclosure import redacted_copy
from ppid.web.public.context import (
    CASE_COOKIE,
    CheckedForm,
    client_of,
    delete_cookie,
    follow_case,
    followed_case_id,
    page,
    public,
)

log = logging.getLogger(__name__)

router = APIRouter()
ANY_NUMBER = "\x00any"  # the limiter's key for a client's look-ups over all numbers
# Compared against when the number is unknown, so both answers take the same time.
NOBODY = "\x00" * 6


@router.get("/status")
def lookup_form(request: Request) -> Response:
    return page(request, "lookup.html", page_title("public.lookup"), errors={})


@router.post("/status")
def lookup(request: Request, form: CheckedForm) -> Response:
    ctx = public(request)
    client = client_of(request)
    number = str(form.get("number") or "").strip().upper()[:40]
    last_six = str(form.get("nik6") or "").strip()[:6]
    attempt = ctx.lookups.admit(number, client)  # counted before the check, taken back if right
    if attempt is None:
        return _lookup_refused(request, "public.lookup_limit", 429)
    with ctx.sessions() as session:
        row = session.execute(
            select(Case.id, Case.applicant_nik).where(Case.number == number)
        ).first()
    expected = ((row.applicant_nik if row is not None else None) or NOBODY)[-6:]
    given = last_six.ljust(6, "\x01")
    matches = hmac.compare_digest(expected.encode(), given.encode())
    if row is None or not matches:
        return _lookup_refused(request, "public.no_match", 404)
    ctx.lookups.succeeded(attempt)
    response = RedirectResponse("/keberatan", status_code=303)
    follow_case(request, response, row.id)
    return response


def _lookup_refused(request: Request, code: str, status_code: int) -> Response:
    """The look-up form again, with why it was refused."""
    errors = {"": user_text(code)}
    title = page_title("public.lookup")
    return page(request, "lookup.html", title, errors=errors, status_code=status_code)


@router.get("/keberatan")
def status(request: Request) -> Response:
    """The followed case: its step in plain words, its dates, the letters sent."""
    case_id = followed_case_id(request)
    ctx = public(request)
    with ctx.sessions() as session:
        case = session.get(Case, case_id) if case_id is not None else None
        if case is None:
            return RedirectResponse("/status", status_code=303)
        title = page_title("public.status", number=case.number)
        return page(request, "status.html", title, **_status_of(request, case))


def _status_of(request: Request, case: Case) -> dict[str, Any]:
    ctx = public(request)
    open_task = next((t for t in case.tasks if t.status == TaskStatus.OPEN), None)
    dispute: dict[str, Any] | None = None
    if case.answered_on and case.status in (CaseStatus.ANSWERED, CaseStatus.REJECTED):
        days = ctx.settings.dispute_window_working_days
        by = add_working_days(ctx.calendar, case.answered_on, days)
        left = max(0, working_days_between(ctx.calendar, ctx.today(), by))
        dispute = {"by": format_tanggal(by), "left": left, "days": days}
    letters = [
        {
            "id": d.id,
            "label": DOCUMENT_LABELS.get(str(d.role), page_words("letter")),
            "date": format_tanggal(d.created_at.date(), weekday=False),
        }
        for d in letters_sent(ctx.settings, case)
    ]
    return {
        "number": case.number,
        "status_label": STATUS_LABELS.get(CaseStatus(case.status), case.status),
        "step_label": STEP_LABELS.get(open_task.step) if isinstance(open_task, Task) else None,
        "received": format_tanggal(case.received_at.date()) if case.received_at else None,
        "answer_due": format_tanggal(case.answer_due) if case.answer_due else None,
        "answered": case.status in (CaseStatus.ANSWERED, CaseStatus.REJECTED),
        "letters": letters,
        "dispute": dispute,
        "commission": ctx.settings.office.information_commission,
    }


@router.get("/surat/{document_id}")
def letter(request: Request, document_id: int) -> Response:
    """A letter the office sent on the followed case, as a copy without a full NIK (the browser
    proved six digits of it, not the whole); anything else is "not found"."""
    case_id = followed_case_id(request)
    ctx = public(request)
    with ctx.sessions() as session:
        case = session.get(Case, case_id) if case_id is not None else None
        sent = letters_sent(ctx.settings, case) if case is not None else []
        document = next((d for d in sent if d.id == document_id), None)
        if case is None or document is None:
            raise NotFoundError("public.letter_not_found", document_id=document_id)
        path = archived(ctx.settings, document.path)
        if not path.is_file():
            raise NotFoundError("public.letter_missing", document_id=document_id)
        copy = redacted_copy(case, document, path)
        label = DOCUMENT_LABELS.get(str(document.role), page_words("letter"))
    name = quote(f"{label}{copy.suffix}".lower().replace(" ", "-"))
    return Response(
        copy.data,
        media_type=copy.media_type,
        headers={"Content-Disposition": f"attachment; filename*=utf-8''{name}"},
    )


@router.post("/keluar")
def forget(request: Request, form: CheckedForm) -> Response:
    """This browser stops following the case (a shared phone)."""
    response = RedirectResponse("/status", status_code=303)
    delete_cookie(request, response, CASE_COOKIE)
    return response
