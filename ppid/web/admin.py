"""Administration: web accounts and the log of every ID-scan view (UU 27/2022)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ppid.core.models import Case
from ppid.web import auth
from ppid.web.auth import WEB_ROLE_LABELS
from ppid.web.deps import AdminUser, web
from ppid.web.pages import page

router = APIRouter()


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: AdminUser) -> Response:
    ctx = web(request)
    with ctx.sessions() as session:
        users = auth.list_users(session)
        views = auth.id_scan_views(session)
        numbers = dict(session.execute(select(Case.id, Case.number)).all())
    return page(
        request,
        "admin.html",
        "Administrasi",
        users=users,
        views=views,
        numbers=numbers,
        role_labels={r.value: label for r, label in WEB_ROLE_LABELS.items()},
        tz=ctx.calendar.tz,
    )
