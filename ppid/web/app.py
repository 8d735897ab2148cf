"""The web app (FastAPI, server-rendered, Bahasa Indonesia): the factory that puts it together.

It only adapts library calls: the workflow, intake, archive and search functions do the work.
`create_app` builds the app's context, installs the security headers and the one mapping of
errors to pages, and includes each area's router: accounts (`account`), queues (`queue`), the
case pages (`case`), the intake desk (`desk`), the archive browser (`archive`), the dashboard
(`stats`) and administration (`admin`). Views import what they need from `deps` and `pages`,
never this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ppid.core.calendar import calendar_from_settings
from ppid.core.db import open_db
from ppid.core.errors import PpidError
from ppid.core.messages import ERROR_TITLES, user_text
from ppid.core.settings import Settings
from ppid.output.render import TEMPLATES_DIR
from ppid.web import account, admin, archive, case, desk, queue, stats
from ppid.web.deps import LoginRequired, WebContext, staff_https
from ppid.web.pages import error_page, status_of

log = logging.getLogger(__name__)


STATIC_DIR = TEMPLATES_DIR / "web" / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"  # only when the app is reached over https (settings.web_public_url)


def install_error_pages(app: FastAPI) -> None:
    """The one place where errors become HTTP statuses and pages."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired) -> Response:
        target = quote(request.url.path)
        return RedirectResponse(f"/masuk?lanjut={target}", status_code=303)

    @app.exception_handler(PpidError)
    async def ppid_error(request: Request, error: PpidError) -> Response:
        log.info("%s %s: %s", request.method, request.url.path, error.message)
        return error_page(request, status_of(error), error.text)

    @app.exception_handler(404)
    async def not_found(request: Request, error: Exception) -> Response:
        return error_page(request, 404, user_text("web.not_found"))

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, error: RequestValidationError) -> Response:
        # A path or query value of the wrong kind (/kasus/abc): the page a person can act on,
        # never FastAPI's JSON.
        log.info("%s %s: invalid request %s", request.method, request.url.path, error.errors())
        return error_page(request, 404, user_text("web.bad_address"))


def with_security_headers(response: Response, path: str, https: bool) -> Response:
    """The headers every response of the staff app and the public site carries (HSTS only where
    the app is reached over https; static files may be cached)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if not path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_security_headers(request: Request, response: Response) -> Response:
    return with_security_headers(response, request.url.path, staff_https(request))


def install_security_headers(app: FastAPI) -> None:
    """The headers on every response, error pages included (an unexpected error too)."""

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[..., Any]) -> Response:
        return add_security_headers(request, await call_next(request))

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> Response:
        # Runs outside the middleware above (Starlette's outermost layer), so it adds the
        # headers itself; the error is still logged with its traceback by the server.
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, error)
        text = escape(user_text("web.server_error"))
        response = HTMLResponse(
            f'<!doctype html><html lang="id"><title>{ERROR_TITLES[500]}</title><p>{text}</p>',
            status_code=500,
        )
        return add_security_headers(request, response)


def health() -> dict[str, str]:
    """For a load balancer or a service manager: the app answers."""
    return {"status": "ok"}


# Each area of the app, in the order their routes are matched.
ROUTERS = (
    account.router,
    queue.router,
    case.router,
    desk.router,
    archive.router,
    stats.router,
    admin.router,
)


def create_app(settings: Settings) -> FastAPI:
    """The whole web app for `settings`; `ppid run` serves it with uvicorn."""
    app = FastAPI(title="Meja Keberatan PPID", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebContext(settings, open_db(settings), calendar_from_settings(settings))
    install_security_headers(app)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/health", health)
    for router in ROUTERS:
        app.include_router(router)
    return app
