"""Pages in the base layout: the menu and its counts, the CSRF token, the shared labels; error
pages."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from ppid.core.calendar import format_tanggal
from ppid.core.errors import BadInputError, ConflictError, ForbiddenError, NotFoundError, PpidError
from ppid.core.messages import ERROR_TITLES
from ppid.core.models import Submission, SubmissionStatus, Task, User
from ppid.core.vocabulary import (
    DECISION_LABELS,
    REASON_TEXTS,
    STATUS_LABELS,
    TaskStatus,
)
from ppid.output.render import render_html
from ppid.web import auth
from ppid.web.auth import WEB_ROLE_LABELS, WebRole
from ppid.web.deps import DESK_ROLES, QUEUE_ROLES, SESSION_COOKIE, WebContext, web

log = logging.getLogger(__name__)


def menu_counts(ctx: WebContext, user: User) -> dict[str, int]:
    """Counts shown in the menu: open tasks of the user's role, overdue ones, pending intake."""
    counts: dict[str, int] = {}
    with ctx.sessions() as session:
        if user.role in {r.value for r in QUEUE_ROLES}:
            query = select(func.count(Task.id)).where(Task.status == TaskStatus.OPEN)
            if user.role != WebRole.ADMIN:
                query = query.where(Task.role == user.role)
            counts["tugas"] = session.scalar(query) or 0
            counts["terlambat"] = session.scalar(query.where(Task.due < ctx.today())) or 0
        if user.role in {r.value for r in DESK_ROLES}:
            counts["meja"] = (
                session.scalar(
                    select(func.count(Submission.id)).where(
                        Submission.status == SubmissionStatus.PENDING
                    )
                )
                or 0
            )
    return counts


def page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    """Render a page inside the base layout, with the menu, counts and the CSRF token."""
    ctx = web(request)
    user: User | None = getattr(request.state, "user", None)
    token = request.cookies.get(SESSION_COOKIE) or getattr(request.state, "prelogin", "")
    status = context.pop("status_code", 200)
    html = render_html(
        f"web/{template}",
        {
            "title": title,
            "office": ctx.settings.office,
            "user": user,
            "role_label": WEB_ROLE_LABELS.get(WebRole(user.role), "") if user else "",
            "counts": menu_counts(ctx, user) if user else {},
            "csrf": auth.csrf_token(ctx.settings, token) if token else "",
            "path": request.url.path,
            "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
            "decision_labels": dict(DECISION_LABELS),
            "reason_texts": dict(REASON_TEXTS),
            **context,
        },
    )
    return HTMLResponse(html, status_code=status)


def tanggal(day: date | None) -> str:
    """A date as every page shows it: "25 Januari 2027" ("-" when there is none)."""
    return format_tanggal(day, weekday=False) if day else "-"


def waktu(ctx: WebContext, moment: datetime | None) -> str:
    """A moment as every page shows it, in office time: "25 Januari 2027, 14.05"."""
    if moment is None:
        return "-"
    local = moment.astimezone(ctx.calendar.tz)
    return f"{format_tanggal(local, weekday=False)}, {local:%H.%M}"


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The page of an error: its title by status, the Indonesian text, a way back."""
    title = ERROR_TITLES.get(status, ERROR_TITLES[400])
    back = request.headers.get("referer", "")
    back = back if back.startswith(str(request.base_url)) else ""
    return page(request, "error.html", title, message=message, back=back, status_code=status)


def status_of(error: PpidError) -> int:
    """The HTTP status of an error meant for a person."""
    table: dict[type, int] = {
        NotFoundError: 404,
        ForbiddenError: 403,
        BadInputError: 400,
        ConflictError: 409,
    }
    return next((code for kind, code in table.items() if isinstance(error, kind)), 400)
