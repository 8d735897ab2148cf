"""Each role's task queue, soonest due first, and the home page that leads to it."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ppid.casework.tasks import tasks_for
from ppid.core.calendar import format_tanggal
from ppid.core.messages import page_title
from ppid.core.vocabulary import ROLE_LABELS, Role, step_label
from ppid.web.auth import WebRole
from ppid.web.deps import AnyUser, QueueUser, WebContext, web
from ppid.web.pages import page

log = logging.getLogger(__name__)


HOME_OF = {WebRole.ARSIPARIS: "/arsip", WebRole.ADMIN: "/dasbor"}

router = APIRouter()


@router.get("/")
def home(user: AnyUser) -> Response:
    return RedirectResponse(HOME_OF.get(WebRole(user.role), "/tugas"), status_code=303)


@router.get("/tugas", response_class=HTMLResponse)
def queue(request: Request, user: QueueUser) -> Response:
    ctx = web(request)
    with ctx.sessions() as session:
        rows = queue_rows(session, ctx, None if user.role == WebRole.ADMIN else user.role)
    return page(request, "queue.html", page_title("queue"), rows=rows)


def queue_rows(session: Session, ctx: WebContext, role: str | None) -> list[dict[str, Any]]:
    """Open tasks of `role` (every role's: None), soonest due first."""
    tasks = list(tasks_for(session, role=role))
    tasks.sort(key=lambda t: (t.due or date.max, t.id))
    today = ctx.today()
    return [
        {
            "case_id": task.case_id,
            "number": task.case.number,
            "applicant": task.case.applicant_name,
            "channel": task.case.channel_label,
            "role": ROLE_LABELS[Role(task.role)],
            "step": task.step,
            "step_label": step_label(task.step),
            "due": format_tanggal(task.due, weekday=False) if task.due else "-",
            "overdue": bool(task.due and task.due < today),
            "due_soon": bool(task.due and today <= task.due <= today + timedelta(days=3)),
            "case_due": format_tanggal(task.case.answer_due, weekday=False)
            if task.case.answer_due
            else "-",
            "status_label": task.case.status_label,
        }
        for task in tasks
    ]
