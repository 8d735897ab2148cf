"""Logging in and out: the login page, the limit on attempts, a fresh session at every login."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ppid.core.db import write_session
from ppid.core.messages import page_title, user_text
from ppid.web import auth
from ppid.web.deps import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    CheckedForm,
    client_of,
    delete_cookie,
    set_cookie,
    web,
)
from ppid.web.pages import page

log = logging.getLogger(__name__)


router = APIRouter()


@router.get("/masuk", response_class=HTMLResponse)
def login_form(request: Request, lanjut: str = "/") -> Response:
    return _login_page(request, lanjut, "")


@router.post("/masuk")
def login(request: Request, form: CheckedForm) -> Response:
    """Log in: the attempt is counted before the password is checked (so concurrent guesses
    cannot all be tried), and the hashing runs outside any database transaction."""
    ctx = web(request)
    username = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    target = _safe_target(str(form.get("lanjut", "/")))
    attempt = ctx.limiter.admit(username, client_of(request))
    if attempt is None:
        return _login_page(request, target, user_text("web.login_blocked"), status_code=429)
    with ctx.sessions() as session:
        found = auth.credentials(session, username)
    if not auth.check_password(found, password):
        failed = user_text("web.login_failed")
        return _login_page(request, target, failed, status_code=401)
    assert found is not None
    new_hash = auth.rehashed(found, password)
    with write_session(ctx.sessions) as session:
        user = auth.logged_in(session, found.user_id, new_hash)
        # A new session id at every login (no session fixation): whatever session this
        # browser presented before is ended, and the cookie gets a fresh random token.
        auth.end_session(session, request.cookies.get(SESSION_COOKIE))
        token = auth.start_session(session, user)
    ctx.limiter.succeeded(attempt)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=auth.SESSION_HOURS * 3600)
    delete_cookie(request, response, PRELOGIN_COOKIE)
    return response


@router.post("/keluar")
def logout(request: Request, form: CheckedForm) -> Response:
    with write_session(web(request).sessions) as session:
        auth.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/masuk", status_code=303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


def _safe_target(target: str) -> str:
    """Only local paths after login (no open redirect to another site).

    Browsers read `/\\host` like `//host`, and drop tabs and newlines from URLs, so a target with
    a backslash or a control character is refused too.
    """
    local = target.startswith("/") and not target.startswith("//")
    odd = "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target)
    return target if local and not odd else "/"


def _login_page(
    request: Request, target: str, message: str, status_code: int = 200
) -> HTMLResponse:
    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    request.state.prelogin = token
    response = page(
        request,
        "login.html",
        page_title("login"),
        lanjut=_safe_target(target),
        message=message,
        status_code=status_code,
    )
    set_cookie(request, response, PRELOGIN_COOKIE, token)
    return response
