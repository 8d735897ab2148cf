"""The web app (FastAPI, server-rendered, Bahasa Indonesia): login, queues, dashboard, admin.

It only adapts library calls: the workflow, intake, archive and search functions do the work;
this module handles accounts, CSRF, security headers and the mapping of errors to pages. The
case pages and files live in `ppid.webcase`, the archive browser in `ppid.webarchive`, the
intake desk in `ppid.webdesk`, the dashboard figures in `ppid.webstats`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from ppid.core.calendar import WorkCalendar, calendar_from_settings, format_tanggal
from ppid.core.db import open_db, write_session
from ppid.core.errors import ForbiddenError, NotFoundError, PpidError
from ppid.core.masking import mask_nik
from ppid.core.models import Case, Task, User
from ppid.core.settings import Settings
from ppid.core.vocabulary import STATUS_LABELS, CaseStatus, TaskStatus
from ppid.output.render import TEMPLATES_DIR, render_html
from ppid.web import auth
from ppid.web.auth import FULL_NIK_ROLES, WEB_ROLE_LABELS, LoginLimiter, WebRole

log = logging.getLogger(__name__)

SESSION_COOKIE = "ppid_sesi"
PRELOGIN_COOKIE = "ppid_pra"
STATIC_DIR = TEMPLATES_DIR / "web" / "static"
DESK_ROLES = (WebRole.PETUGAS, WebRole.ADMIN)
QUEUE_ROLES = (WebRole.PETUGAS, WebRole.BIDANG, WebRole.ATASAN, WebRole.ADMIN)
ALL_ROLES = tuple(WebRole)
CLOSED_STATUSES = (
    CaseStatus.ANSWERED,
    CaseStatus.REJECTED,
    CaseStatus.DISMISSED,
    CaseStatus.CLOSED,
)
HOME_OF = {WebRole.ARSIPARIS: "/arsip", WebRole.ADMIN: "/dasbor"}
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
    return request.client.host if request.client else "-"


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


def served_over_https(settings: Settings) -> bool:
    """Whether people reach the app through https (then cookies are Secure and HSTS is sent)."""
    return settings.web_public_url.strip().lower().startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, **extra: Any) -> None:
    """Every cookie of the app: HttpOnly, SameSite=Lax, and Secure when served over https."""
    secure = served_over_https(web(request).settings)
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, **extra)


def delete_cookie(request: Request, response: Response, name: str) -> None:
    secure = served_over_https(web(request).settings)
    response.delete_cookie(name, httponly=True, samesite="lax", secure=secure)


def require(*roles: WebRole) -> Callable[..., User]:
    """A dependency that lets only these roles in (403 page for the others)."""
    allowed = {role.value for role in roles}

    def dependency(user: AnyUser) -> User:
        if user.role not in allowed:
            raise ForbiddenError("Halaman ini tidak tersedia untuk peran Anda.")
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
        raise ForbiddenError(
            "Formulir ditolak karena token keamanan (CSRF) tidak cocok. Muat ulang halaman lalu "
            "kirim lagi."
        )
    return form


AnyUser = Annotated[User, Depends(current_user)]
QueueUser = Annotated[User, Depends(require(*QUEUE_ROLES))]
DeskUser = Annotated[User, Depends(require(*DESK_ROLES))]
ActorUser = Annotated[User, Depends(require(WebRole.PETUGAS, WebRole.BIDANG, WebRole.ATASAN))]
ArchivistUser = Annotated[User, Depends(require(WebRole.ARSIPARIS, WebRole.ADMIN))]
AdminUser = Annotated[User, Depends(require(WebRole.ADMIN))]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def can_see_nik(user: User) -> bool:
    return WebRole(user.role) in FULL_NIK_ROLES


def shown_nik(user: User, nik: str | None) -> str:
    return (nik if can_see_nik(user) else mask_nik(nik)) or "-"


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
            from ppid.core.models import Submission, SubmissionStatus

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
            "decision_labels": _decision_labels(),
            **context,
        },
    )
    return HTMLResponse(html, status_code=status)


def _decision_labels() -> dict[str, str]:
    try:
        from ppid.core.vocabulary import DECISION_LABELS
    except ImportError:
        return {}
    return dict(DECISION_LABELS)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {403: "Akses ditolak", 404: "Tidak ditemukan", 429: "Terlalu banyak percobaan"}
    title = titles.get(status, "Permintaan tidak dapat diproses")
    return page(request, "error.html", title, message=message, status_code=status)


def _status_of(error: PpidError) -> int:
    from ppid.core.errors import BadInputError, ConflictError

    table: dict[type, int] = {
        NotFoundError: 404,
        ForbiddenError: 403,
        BadInputError: 400,
        ConflictError: 409,
    }
    return next((code for kind, code in table.items() if isinstance(error, kind)), 400)


def install_error_pages(app: FastAPI) -> None:
    """The one place where errors become HTTP statuses and pages."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired) -> Response:
        target = quote(request.url.path)
        return RedirectResponse(f"/masuk?lanjut={target}", status_code=303)

    @app.exception_handler(PpidError)
    async def ppid_error(request: Request, error: PpidError) -> Response:
        return error_page(request, _status_of(error), error.message)

    @app.exception_handler(404)
    async def not_found(request: Request, error: Exception) -> Response:
        return error_page(request, 404, "Halaman atau berkas yang diminta tidak ada.")


def add_security_headers(request: Request, response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if served_over_https(web(request).settings):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


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
        response = HTMLResponse(
            "<!doctype html><title>Kesalahan</title><p>Terjadi kesalahan pada server. "
            "Coba lagi sebentar lagi; bila berulang, hubungi administrator.</p>",
            status_code=500,
        )
        return add_security_headers(request, response)


# --- pages ------------------------------------------------------------------------------------


def install_account_pages(app: FastAPI) -> None:
    @app.get("/masuk", response_class=HTMLResponse)
    def login_form(request: Request, lanjut: str = "/") -> Response:
        return _login_page(request, lanjut, "")

    @app.post("/masuk")
    def login(request: Request, form: CheckedForm) -> Response:
        ctx = web(request)
        username = str(form.get("username", "")).strip().lower()
        password = str(form.get("password", ""))
        target = _safe_target(str(form.get("lanjut", "/")))
        client = client_of(request)
        if ctx.limiter.blocked(username, client):
            raise_status = _login_page(
                request, target, "Terlalu banyak percobaan masuk. Coba lagi 15 menit lagi."
            )
            raise_status.status_code = 429
            return raise_status
        with write_session(ctx.sessions) as session:
            user = auth.authenticate(session, username, password)
            token = None
            if user is not None:
                # A new session id at every login (no session fixation): whatever session this
                # browser presented before is ended, and the cookie gets a fresh random token.
                auth.end_session(session, request.cookies.get(SESSION_COOKIE))
                token = auth.start_session(session, user)
        if token is None:
            ctx.limiter.failed(username, client)
            response = _login_page(request, target, "Nama pengguna atau kata sandi salah.")
            response.status_code = 401
            return response
        ctx.limiter.succeeded(username, client)
        response = RedirectResponse(target, status_code=303)
        set_cookie(request, response, SESSION_COOKIE, token, max_age=auth.SESSION_HOURS * 3600)
        delete_cookie(request, response, PRELOGIN_COOKIE)
        return response

    @app.post("/keluar")
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


def _login_page(request: Request, target: str, message: str) -> HTMLResponse:
    import secrets

    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    request.state.prelogin = token
    response = page(request, "login.html", "Masuk", lanjut=_safe_target(target), message=message)
    set_cookie(request, response, PRELOGIN_COOKIE, token)
    return response


def install_pages(app: FastAPI) -> None:
    @app.get("/")
    def home(user: AnyUser) -> Response:
        return RedirectResponse(HOME_OF.get(WebRole(user.role), "/tugas"), status_code=303)

    @app.get("/tugas", response_class=HTMLResponse)
    def queue(request: Request, user: QueueUser) -> Response:
        ctx = web(request)
        with ctx.sessions() as session:
            rows = queue_rows(session, ctx, None if user.role == WebRole.ADMIN else user.role)
        return page(request, "queue.html", "Antrean tugas", rows=rows)

    @app.get("/dasbor", response_class=HTMLResponse)
    def dashboard(request: Request, user: AnyUser) -> Response:
        from ppid.web.stats import dashboard_data

        ctx = web(request)
        with ctx.sessions() as session:
            data = dashboard_data(session, ctx.today(), ctx.calendar.tz)
        return page(request, "dashboard.html", "Dasbor", **data)

    @app.get("/admin", response_class=HTMLResponse)
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

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}


def queue_rows(session: Session, ctx: WebContext, role: str | None) -> list[dict[str, Any]]:
    """Open tasks, soonest due first (via the workflow's `tasks_for` when it exists)."""
    try:
        from ppid.casework.tasks import tasks_for  # type: ignore[attr-defined]
    except ImportError:
        tasks_for = None
    if tasks_for is not None:
        tasks = list(tasks_for(session, role=role))
    else:
        query = select(Task).where(Task.status == TaskStatus.OPEN)
        if role:
            query = query.where(Task.role == role)
        tasks = list(session.scalars(query))
    tasks.sort(key=lambda t: (t.due or date.max, t.id))
    today = ctx.today()
    return [
        {
            "case_id": task.case_id,
            "number": task.case.number,
            "applicant": task.case.applicant_name,
            "role": str(task.role),
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


STEP_LABELS = {
    "verify": "Verifikasi data",
    "examine": "Pemeriksaan Bidang",
    "decide": "Keputusan Atasan PPID",
    "fulfil": "Pemenuhan informasi",
    "fulfill": "Pemenuhan informasi",
    "sign": "Tanda tangan dan kirim surat",
    "close": "Penutupan",
}


def step_label(step: str) -> str:
    try:
        from ppid.casework import workflow

        labels = getattr(workflow, "STEP_LABELS", {})
        if step in labels:
            return str(labels[step])
    except ImportError:
        pass
    return STEP_LABELS.get(step, step)


def create_app(settings: Settings) -> FastAPI:
    """The whole web app for `settings`; `ppid run` serves it with uvicorn."""
    from ppid.web import archive as webarchive
    from ppid.web import case as webcase
    from ppid.web import desk as webdesk

    app = FastAPI(title="Meja Keberatan PPID", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebContext(settings, open_db(settings), calendar_from_settings(settings))
    install_security_headers(app)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_account_pages(app)
    install_pages(app)
    webcase.install(app)
    webarchive.install(app)
    webdesk.install(app)
    return app
