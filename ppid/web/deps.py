"""What every view depends on: the app's context, the logged-in user by role, the checked form.

FastAPI dependencies (`AnyUser`, `DeskUser`, `CheckedForm`, ...) and the cookie rules, kept
below the views and the factory so that neither imports the other for them.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathValue
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from ppid.core.calendar import WorkCalendar
from ppid.core.errors import ForbiddenError
from ppid.core.masking import mask_nik
from ppid.core.models import User
from ppid.core.settings import Settings
from ppid.web import auth
from ppid.web.auth import FULL_NIK_ROLES, LoginLimiter, WebRole

log = logging.getLogger(__name__)


SESSION_COOKIE = "ppid_sesi"
PRELOGIN_COOKIE = "ppid_pra"
DESK_ROLES = (WebRole.PETUGAS, WebRole.ADMIN)
QUEUE_ROLES = (WebRole.PETUGAS, WebRole.BIDANG, WebRole.ATASAN, WebRole.ADMIN)
ALL_ROLES = tuple(WebRole)


@dataclass
class WebContext:
    """What every request needs, built once per app (no globals)."""

    settings: Settings
    sessions: sessionmaker[Session]
    calendar: WorkCalendar
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    # (username, document id) -> when its ID-scan view was last logged; one entry a minute is
    # enough for the audit, and a case page asks for a dozen crops of the same card at once.
    logged_views: dict[tuple[str, int], float] = field(default_factory=dict)

    def today(self) -> date:
        return datetime.now(self.calendar.tz).date()


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


def web(request: Request) -> WebContext:
    return request.app.state.web


def client_of(request: Request) -> str:
    """The address of whoever sent the request, for the login limits and the access logs.

    The peer's own address, unless the peer is a reverse proxy named in `web_trusted_proxies`:
    then the last address in X-Forwarded-For that is not such a proxy (each proxy appends the
    address it heard from; anything before that the client could have written itself).
    """
    return forwarded_client(request, web(request).settings.web_trusted_proxies)


def forwarded_client(request: Request, trusted: list[str]) -> str:
    """`client_of` for any app of the product, given the proxies it trusts."""
    peer = request.client.host if request.client else "-"
    if not trusted or not is_trusted(peer, trusted):
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not is_trusted(address, trusted):
            return address[:60]
    return peer


def is_trusted(address: str, proxies: list[str]) -> bool:
    """Whether `address` is one of the proxies (addresses or networks like 10.0.0.0/24)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address in proxies
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def current_user(request: Request) -> User:
    """The logged-in user (detached from its session), or a redirect to the login page."""
    ctx = web(request)
    token = request.cookies.get(SESSION_COOKIE)
    with ctx.sessions() as session:
        user = auth.session_user(session, token)
    if user is None:
        raise LoginRequired
    request.state.user = user
    return user


def served_over_https(public_url: str) -> bool:
    """Whether people reach an app at `public_url` through https (then its cookies are Secure
    and HSTS is sent): the staff app's `web_public_url`, the public site's `public.url`."""
    return public_url.strip().lower().startswith("https://")


def put_cookie(response: Response, name: str, value: str, https: bool, **extra: Any) -> None:
    """Every cookie of both apps: HttpOnly, SameSite=Lax, and Secure when served over https."""
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=https, **extra)


def drop_cookie(response: Response, name: str, https: bool) -> None:
    response.delete_cookie(name, httponly=True, samesite="lax", secure=https)


def staff_https(request: Request) -> bool:
    return served_over_https(web(request).settings.web_public_url)


def set_cookie(request: Request, response: Response, name: str, value: str, **extra: Any) -> None:
    put_cookie(response, name, value, staff_https(request), **extra)


def delete_cookie(request: Request, response: Response, name: str) -> None:
    drop_cookie(response, name, staff_https(request))


def require(*roles: WebRole) -> Callable[..., User]:
    """A dependency that lets only these roles in (403 page for the others)."""
    allowed = {role.value for role in roles}

    def dependency(user: AnyUser) -> User:
        if user.role not in allowed:
            raise ForbiddenError("web.role_forbidden", role=user.role)
        return user

    return dependency


async def checked_form(request: Request) -> FormData:
    """The POSTed form, refused unless its CSRF token matches this browser's session."""
    form = await request.form()
    token = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRELOGIN_COOKIE)
    submitted = form.get("csrf")
    if not auth.csrf_ok(
        web(request).settings, token, submitted if isinstance(submitted, str) else None
    ):
        raise ForbiddenError("web.csrf")
    return form


AnyUser = Annotated[User, Depends(current_user)]
QueueUser = Annotated[User, Depends(require(*QUEUE_ROLES))]
DeskUser = Annotated[User, Depends(require(*DESK_ROLES))]
ActorUser = Annotated[User, Depends(require(WebRole.PETUGAS, WebRole.BIDANG, WebRole.ATASAN))]
ArchivistUser = Annotated[User, Depends(require(WebRole.ARSIPARIS, WebRole.ADMIN))]
AdminUser = Annotated[User, Depends(require(WebRole.ADMIN))]
CheckedForm = Annotated[FormData, Depends(checked_form)]

# An id in a URL: a number the database can hold (SQLite's INTEGER is 64-bit; a larger one
# made the driver raise), anything else is a bad address, never a server error.
MAX_RECORD_ID = 2**63 - 1
RecordId = Annotated[int, PathValue(ge=1, le=MAX_RECORD_ID)]


def can_see_nik(user: User) -> bool:
    return WebRole(user.role) in FULL_NIK_ROLES


def shown_nik(user: User, nik: str | None) -> str:
    return (nik if can_see_nik(user) else mask_nik(nik)) or "-"
