"""The public site's app: its own FastAPI app, process port and static files.

Nothing of the staff app is mounted here: only the filing pages (`filing`), the status pages
(`following`) and the site's own static files. It sends the staff app's security headers,
bounds every request body before it is parsed, and maps errors to pages in Indonesian.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ppid.core.calendar import calendar_from_settings
from ppid.core.db import open_db
from ppid.core.errors import PpidError
from ppid.core.messages import UNKNOWN_ERROR, page_title, page_words, user_text
from ppid.core.settings import Settings
from ppid.output.render import TEMPLATES_DIR
from ppid.web.app import SECURITY_HEADERS, with_security_headers
from ppid.web.pages import status_of
from ppid.web.public import filing, following, reaction
from ppid.web.public.context import (
    PublicContext,
    error_page,
    filing_limiter,
    public_https,
)

log = logging.getLogger(__name__)

STATIC_DIR = TEMPLATES_DIR / "public" / "static"
FORM_OVERHEAD = 1024 * 1024  # the text fields and multipart framing beside the files
TOO_LARGE = (
    f"<!doctype html><html lang=id><title>{page_title('public.too_large')}</title>"
    f"<p>{page_words('too_large')}</p>"
)


class BodyLimit:
    """Refuses a request whose body is larger than `limit` bytes (413), before it is parsed,
    whether it says its length or streams it in chunks."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _refuse(send)


class _TooLarge(Exception):
    pass


async def _refuse(send: Send) -> None:
    body = TOO_LARGE.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close")]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def add_security_headers(request: Request, response: Response) -> Response:
    return with_security_headers(response, request.url.path, public_https(request))


def install_pages(app: FastAPI) -> None:
    """Security headers on every response; errors as pages (a crash without a traceback)."""

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[..., Any]) -> Response:
        return add_security_headers(request, await call_next(request))

    @app.exception_handler(PpidError)
    async def ppid_error(request: Request, error: PpidError) -> Response:
        return error_page(request, status_of(error), error.text)

    @app.exception_handler(404)
    async def not_found(request: Request, error: Exception) -> Response:
        return error_page(request, 404, user_text("public.letter_not_found"))

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> Response:
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, error)
        response = HTMLResponse(
            f"<!doctype html><html lang=id><title>Kesalahan</title><p>{UNKNOWN_ERROR}</p>",
            status_code=500,
        )
        return add_security_headers(request, response)


def create_public_app(settings: Settings) -> FastAPI:
    """The public site for `settings`; `ppid run` serves it on `public.host`:`public.port`."""
    app = FastAPI(title="Keberatan PPID", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.public = PublicContext(
        settings,
        open_db(settings),
        calendar_from_settings(settings),
        filings=filing_limiter(settings.public.submissions_per_hour),
    )
    install_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(filing.router)
    app.include_router(following.router)
    app.include_router(reaction.router)
    limit = int(2 * settings.public.max_upload_mb * 1024 * 1024) + FORM_OVERHEAD
    app.add_middleware(BodyLimit, limit=limit)
    return app
