"""What every page of the public site needs: its context, cookies, CSRF, the followed case.

The site has no accounts. A browser holds two cookies: a random visitor token the CSRF tokens
are bound to, and, once the applicant filed or proved the case is theirs (register number + the
NIK's last six digits), a signed token naming that one case. Neither carries personal data;
register numbers and NIKs never travel in URLs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from ppid.core.calendar import WorkCalendar
from ppid.core.errors import ForbiddenError
from ppid.core.messages import ERROR_TITLES
from ppid.core.settings import Settings
from ppid.core.signing import sign, verify
from ppid.output.render import render_html
from ppid.web.auth import LoginLimiter, csrf_ok, csrf_token
from ppid.web.deps import drop_cookie, forwarded_client, put_cookie, served_over_https

VISITOR_COOKIE = "ppid_pengunjung"
CASE_COOKIE = "ppid_keberatan"
CASE_PURPOSE = "public-case"
CASE_COOKIE_SECONDS = 2 * 60 * 60  # a shared phone forgets the case after two hours


@dataclass
class PublicContext:
    """Built once per app: settings, database, calendar, and the per-client limits."""

    settings: Settings
    sessions: sessionmaker[Session]
    calendar: WorkCalendar
    # One limiter class for the whole product (the staff login's): filings per client and
    # hour (no cap over all clients: the office takes any number), and status look-ups per
    # (register number, client), per number from all clients, and per client.
    filings: LoginLimiter = field(default_factory=lambda: filing_limiter(5))
    lookups: LoginLimiter = field(
        default_factory=lambda: LoginLimiter(
            attempts=5, window=900.0, client_attempts=10, account_attempts=20
        )
    )

    def today(self) -> date:
        return datetime.now(self.calendar.tz).date()


def filing_limiter(per_hour: int) -> LoginLimiter:
    """At most `per_hour` filings from one client in an hour."""
    unbounded = 10**9
    return LoginLimiter(
        attempts=per_hour, window=3600.0, client_attempts=per_hour, account_attempts=unbounded
    )


def public(request: Request) -> PublicContext:
    return request.app.state.public


def client_of(request: Request) -> str:
    """Who sent the request, behind the same trusted proxies as the staff app."""
    return forwarded_client(request, public(request).settings.web_trusted_proxies)


def public_https(request: Request) -> bool:
    return served_over_https(public(request).settings.public.url)


def set_cookie(request: Request, response: Response, name: str, value: str, **extra: Any) -> None:
    put_cookie(response, name, value, public_https(request), **extra)


def delete_cookie(request: Request, response: Response, name: str) -> None:
    drop_cookie(response, name, public_https(request))


def visitor_token(request: Request) -> str:
    """This browser's visitor token (a new one is set on the response by `page`)."""
    token = request.cookies.get(VISITOR_COOKIE) or getattr(request.state, "visitor", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.visitor = token
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form, refused unless its CSRF token matches this browser's visitor token."""
    form = await request.form()
    submitted = form.get("csrf")
    token = request.cookies.get(VISITOR_COOKIE)
    settings = public(request).settings
    if not csrf_ok(settings, token, submitted if isinstance(submitted, str) else None):
        raise ForbiddenError("web.csrf")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def follow_case(request: Request, response: Response, case_id: int) -> None:
    """From now on this browser may see this one case (until the cookie expires)."""
    token = sign(public(request).settings, CASE_PURPOSE, case_id)
    set_cookie(request, response, CASE_COOKIE, token, max_age=CASE_COOKIE_SECONDS)


def followed_case_id(request: Request) -> int | None:
    parts = verify(public(request).settings, CASE_PURPOSE, request.cookies.get(CASE_COOKIE))
    return int(parts[0]) if parts and parts[0].isdigit() else None


def page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    """A page of the site in its layout, with the CSRF token of this browser."""
    ctx = public(request)
    token = visitor_token(request)
    status = context.pop("status_code", 200)
    html = render_html(
        f"public/{template}",
        {
            "title": title,
            "office": ctx.settings.office,
            "csrf": csrf_token(ctx.settings, token),
            **context,
        },
    )
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(VISITOR_COOKIE) != token:
        set_cookie(request, response, VISITOR_COOKIE, token)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = ERROR_TITLES.get(status, ERROR_TITLES[400])
    return page(request, "error.html", title, message=message, status_code=status)
