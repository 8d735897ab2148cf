"""Administration: web accounts (and unlocking one locked by failed logins), and the log of every
ID-scan view (UU 27/2022)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ppid.core.errors import NotFoundError
from ppid.core.messages import PAGE_WORDS, field_label, page_title, page_words
from ppid.core.models import Case
from ppid.web import auth
from ppid.web.auth import WEB_ROLE_LABELS
from ppid.web.deps import AdminUser, CheckedForm, web
from ppid.web.pages import page, waktu

log = logging.getLogger(__name__)

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
        page_title("admin"),
        users=users,
        locked=ctx.limiter.locked_accounts(),
        views=views,
        numbers=numbers,
        role_labels={r.value: label for r, label in WEB_ROLE_LABELS.items()},
        waktu=lambda moment: waktu(ctx, moment),
        viewed=viewed,
    )


def viewed(what: str) -> str:
    """What an ID-scan view log entry saw, in words: the whole file, or a field's crop."""
    if what.startswith("potongan:"):
        return page_words("viewed.crop", field=field_label(what.removeprefix("potongan:")))
    code = f"viewed.{what}"
    return page_words(code) if code in PAGE_WORDS else what


@router.post("/admin/buka-kunci")
def unlock(request: Request, form: CheckedForm, user: AdminUser) -> Response:
    """Let an account locked by failed logins in again, from every address."""
    ctx = web(request)
    username = str(form.get("username", "")).strip().lower()
    with ctx.sessions() as session:
        if auth.credentials(session, username) is None:
            raise NotFoundError("user.not_found", username=username)
    ctx.limiter.unlock(username)
    log.info("%s unlocked the account %s", user.username, username)
    return RedirectResponse("/admin#terkunci", status_code=303)
