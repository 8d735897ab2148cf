"""The applicant's reaction to an answer, from the signed link in the answer's e-mail.

The link (`ppid.casework.notices.REACTION_PATH`) carries the case and the letter, signed, so it
cannot be made for another case; opening it shows the two choices, and choosing records the SOP's
closing step (accepted, or going to the Komisi Informasi) exactly as a Petugas would, with the
applicant named as its actor. Staff still record it by hand when the applicant answers another
way, or after the window ends with no response.
"""

from __future__ import annotations

import logging
from functools import partial

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ppid.archive.sequences import DIRECT_STEP
from ppid.casework.notices import REACTION_PURPOSE
from ppid.casework.sop import current_step
from ppid.core.errors import NotFoundError, PpidError
from ppid.core.messages import history_note, page_title
from ppid.core.models import Case, CaseDocument
from ppid.core.signing import verify
from ppid.core.vocabulary import RESPONSE_LABELS, Role
from ppid.runtime.steps import take_step
from ppid.web.public.context import CheckedForm, page, public

log = logging.getLogger(__name__)

router = APIRouter()
ACTOR = "pemohon"
CHOICES = ("accepted", "dispute")


def _case_of(request: Request, token: str) -> tuple[str, bool]:
    """(register number, whether the reaction is still open) of a valid link; else not found."""
    parts = verify(public(request).settings, REACTION_PURPOSE, token)
    with public(request).sessions() as session:
        case = session.get(Case, int(parts[0])) if parts and parts[0].isdigit() else None
        letter = session.get(CaseDocument, int(parts[1])) if case is not None and parts else None
        if case is None or letter is None or letter.case_id != case.id:
            raise NotFoundError("public.reaction_not_found")
        step = current_step(case)
        return str(case.number), step is not None and step.name == "close"


@router.get("/tanggapan/{token}")
def reaction_form(request: Request, token: str) -> Response:
    number, open_ = _case_of(request, token)
    choices = {key: RESPONSE_LABELS[key] for key in CHOICES}
    return _page(request, number, open_, choices)


@router.post("/tanggapan/{token}")
async def record_reaction(request: Request, token: str, form: CheckedForm) -> Response:
    number, open_ = _case_of(request, token)
    decision = str(form.get("decision") or "")
    if decision not in CHOICES or not open_:
        return _page(request, number, False)
    ctx = public(request)
    try:
        await run_in_threadpool(
            partial(take_step, direct=lambda: DIRECT_STEP),
            ctx.settings,
            ctx.sessions,
            number,
            Role.PETUGAS,
            ACTOR,
            decision,
            history_note("reaction.by_link"),
        )
    except PpidError as error:
        log.info("reaction on %s not recorded: %s", number, error.message)
        raise
    return _page(request, number, False, recorded=RESPONSE_LABELS[decision])


def _page(
    request: Request,
    number: str,
    open_: bool,
    choices: dict[str, str] | None = None,
    recorded: str | None = None,
) -> Response:
    title = page_title("public.reaction", number=number)
    return page(
        request, "reaction.html", title, open=open_, choices=choices or {}, recorded=recorded
    )
