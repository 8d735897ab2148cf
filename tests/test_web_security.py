"""Web security, proven by requests against the real app.

Every route of `app.routes` × every role × anonymous answers as the matrix below says (a route
added without a matrix entry fails), every POST refuses a missing or foreign CSRF token, a login
always starts a new session id, hostile text from a scan renders as text in pages and PDFs,
search input never reaches SQL or FTS5 syntax, downloads never leave the archive, and every
response carries the security headers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIRouter
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.routing import Mount

from ppid.casework.register import register_case
from ppid.core.db import open_db
from ppid.core.files import sha256_file
from ppid.core.models import Case, CaseDocument, CaseEvent, IntakeFile, Submission, SubmissionStatus
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import DocumentKind
from ppid.web import auth
from ppid.web.app import SECURITY_HEADERS, create_app
from ppid.web.deps import PRELOGIN_COOKIE, SESSION_COOKIE, checked_form
from tests.specimens import ON_BOTH_DATABASES
from tests.test_web import CSRF, PASSWORD, ROLES, _seed, login

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JINJA = "{{ 7*7 }} {% raw %} {{ 1234*10 }}"  # evaluated, it would read "49" and "12340"
HOSTILE_NAME = SCRIPT
HOSTILE_DESCRIPTION = f"Kasus posisi {JINJA} {SCRIPT} selesai"
WEB_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"


@dataclass
class World:
    settings: Settings
    app: Any
    case_id: int
    form_doc: int
    ktp_doc: int
    evil_doc: int
    hostile_case: int
    absolute_doc: int
    symlink_doc: int
    symlink_folder_doc: int
    intake_file: int
    evil_intake_file: int
    outside: Path
    clients: dict[str, TestClient]


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    """argon2 at its default cost takes ~1 s per login on a busy CI machine."""
    auth.set_password_cost(1, 1024)
    yield
    auth.set_password_cost(3, 65536)


def _seed_hostile(settings: Settings, outside: Path) -> dict[str, int]:
    """A case whose fields hold markup and jinja, files that point outside the archive."""
    assert settings.archive is not None and settings.quarantine is not None
    archive = settings.archive
    (archive / "originals" / "cc").mkdir(parents=True)
    (archive / "originals" / "cc" / "tautan.png").symlink_to(outside / "rahasia.png")
    (archive / "originals" / "dd").symlink_to(outside, target_is_directory=True)
    (archive / "intake").mkdir()
    (archive / "intake" / "surat.png").write_bytes(
        (archive / "originals/aa/formulir.png").read_bytes()
    )
    quarantine = settings.quarantine
    quarantine.mkdir(parents=True, exist_ok=True)
    (quarantine / f"{IMG}.pdf").write_bytes(b"%PDF-1.4 bukan pdf")
    (quarantine / f"{IMG}.pdf.txt").write_text(
        f"Why this file was quarantined:\n{SCRIPT} {JINJA}\n", encoding="utf-8"
    )
    (quarantine / "keluar.pdf").symlink_to(outside / "rahasia.pdf")
    extracted = {
        "document_type": "objection_form",
        "pages": [1],
        "method": "ocr",
        "fields": {"applicant": {"name": SCRIPT}, "purpose": IMG, "case_description": JINJA},
        "confidence": {"applicant.name": 0.9},
        "boxes": {},
    }
    with open_db(settings)() as session, session.begin():
        case = Case(
            applicant_name=HOSTILE_NAME,
            applicant_nik="6171054508900011",
            applicant_address=f"Jl. {IMG} No. 2",
            request_number="013/PPID/X/2026",
            purpose=JINJA,
            case_description=HOSTILE_DESCRIPTION,
            channel="scan",
            received_at=datetime(2026, 11, 24, 2, tzinfo=UTC),
        )
        case.reasons = ["a"]
        register_case(session, settings, case, case.received_at, "uji")

        def document(path: str, fields: dict[str, Any] | None = None) -> CaseDocument:
            stored = archive / path
            return CaseDocument(
                case=case,
                kind=DocumentKind.ORIGINAL,
                document_type="other",
                role="other",
                path=path,
                sha256=sha256_file(stored) if stored.is_file() else "0" * 64,
                media_type="image/png",
                fields=fields or {},
            )

        docs = [
            document("originals/aa/formulir.png", {"documents": [extracted]}),
            document(str(outside / "rahasia.png")),  # an absolute path
            document("originals/cc/tautan.png"),  # a symlink to a file outside
            document("originals/dd/rahasia.png"),  # through a symlinked folder
        ]
        session.add_all(docs)
        submission = Submission(group_key="uji-meja", status=SubmissionStatus.PENDING)
        session.add(submission)
        session.flush()
        files = [
            IntakeFile(
                sha256=sha256_file(archive / stored) if n == 1 else f"{n}" * 64,
                original_name=name,
                source_path=f"/inbox/{n}",
                group_key="uji-meja",
                stored_path=stored,
                submission_id=submission.id,
                extraction={"documents": [{"document_type": "objection_form"}]},
            )
            for n, name, stored in (
                (1, f"{SCRIPT}.png", "intake/surat.png"),
                (2, "jalan.png", "../../../../etc/passwd"),
            )
        ]
        session.add_all(files)
        auth.add_user(session, "jahil1", "petugas", PASSWORD, f"Uji {SCRIPT}")
        session.flush()
        return {
            "hostile_case": case.id,
            "absolute_doc": docs[1].id,
            "symlink_doc": docs[2].id,
            "symlink_folder_doc": docs[3].id,
            "intake_file": files[0].id,
            "evil_intake_file": files[1].id,
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[World]:
    home = tmp_path_factory.mktemp("sechome")
    settings = load_settings(home=home, database_url=module_database_url)
    outside = tmp_path_factory.mktemp("outside")
    (outside / "rahasia.png").write_bytes(b"RAHASIA-DI-LUAR-ARSIP")
    (outside / "rahasia.pdf").write_bytes(b"RAHASIA-DI-LUAR-ARSIP")
    ids = _seed(settings)
    extra = _seed_hostile(settings, outside)
    app = create_app(settings)
    clients = {"anonim": TestClient(app, follow_redirects=False)}
    for role in ROLES:
        clients[role] = TestClient(app, follow_redirects=False)
        assert login(clients[role], role + "1") == 303
    yield World(settings, app, *ids, **extra, outside=outside, clients=clients)
    for client in clients.values():
        client.close()


# --- the authorisation matrix -----------------------------------------------------------------

OK, SEE_OTHER, UNAUTHORISED, FORBIDDEN, MISSING = 200, 303, 401, 403, 404
LOGIN = "login"  # a 303 to the login page
WHO = ("anonim", *ROLES)


def _row(anonim: int | str, *by_role: int) -> dict[str, int | str]:
    return dict(zip(WHO, (anonim, *by_role), strict=True))


ALL_OK = _row(OK, OK, OK, OK, OK, OK)
# (method, path as declared) -> what anonim, petugas, bidang, atasan, arsiparis, admin get.
# A GET of real data answers 200 to an admitted role; a POST carries a valid CSRF token and
# points at nothing, so an admitted role gets 404 (or 401) while a refused one gets 403 first.
# Which role may take which workflow step is test_web.test_a_role_cannot_take_another_roles_step.
MATRIX: dict[tuple[str, str], dict[str, int | str]] = {
    ("GET", "/static"): ALL_OK,
    ("GET", "/health"): ALL_OK,
    ("GET", "/masuk"): ALL_OK,
    ("POST", "/masuk"): _row(*[UNAUTHORISED] * 6),  # wrong password for everyone
    ("POST", "/keluar"): _row(SEE_OTHER, *[SEE_OTHER] * 5),
    ("GET", "/"): _row(LOGIN, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER),
    ("GET", "/tugas"): _row(LOGIN, OK, OK, OK, FORBIDDEN, OK),
    ("GET", "/dasbor"): _row(LOGIN, OK, OK, OK, OK, OK),
    ("GET", "/admin"): _row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/admin/buka-kunci"): _row(LOGIN, *[FORBIDDEN] * 4, MISSING),
    ("GET", "/arsip"): _row(LOGIN, OK, OK, OK, OK, OK),
    ("GET", "/kasus/{case_id}"): _row(LOGIN, OK, OK, OK, OK, OK),
    ("POST", "/kasus/{case_id}/langkah"): _row(LOGIN, *[MISSING] * 3, FORBIDDEN, FORBIDDEN),
    ("POST", "/kasus/{case_id}/pemberitahuan/{notice_id}"): _row(
        LOGIN, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING
    ),
    ("POST", "/kasus/{case_id}/pratinjau"): _row(LOGIN, *[MISSING] * 3, FORBIDDEN, FORBIDDEN),
    ("POST", "/kasus/{case_id}/perbaikan"): _row(LOGIN, *[MISSING] * 3, FORBIDDEN, FORBIDDEN),
    ("GET", "/kasus/{case_id}/paket"): _row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK),
    ("GET", "/dokumen/{document_id}"): _row(LOGIN, OK, OK, OK, FORBIDDEN, OK),  # the KTP scan
    ("GET", "/dokumen/{document_id}/potongan"): _row(LOGIN, OK, OK, OK, FORBIDDEN, OK),
    ("GET", "/meja"): _row(LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/meja/berkas/{intake_id}"): _row(LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/meja/lampirkan"): _row(LOGIN, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING),
    ("POST", "/meja/bukan-keberatan"): _row(
        LOGIN, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING
    ),
    ("POST", "/meja/ulangi"): _row(LOGIN, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING),
}


def served_routes(app: Any) -> list[Any]:
    """Every route the app serves, read from the app itself, through each router it includes
    (one per area, none with a prefix)."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount | APIRoute):
            found.append(route)
        elif isinstance(getattr(route, "original_router", None), APIRouter):
            found += served_routes(route.original_router)
        else:
            raise AssertionError(f"unexpected route type {type(route).__name__}: {route}")
    return found


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app serves (HEAD is GET's twin)."""
    found = []
    for route in served_routes(app):
        if isinstance(route, Mount):
            found.append(("GET", route.path))
        else:
            found += [(method, route.path) for method in sorted(route.methods - {"HEAD"})]
    return found


def _request(w: World, method: str, path: str, who: str) -> tuple[str, dict[str, str]]:
    """A concrete URL and form for a declared route, as `who` would send it."""
    # a POST names a case that does not exist: an admitted role gets 404, and nothing changes
    case_id = w.case_id if method == "GET" else 999999
    url = path.format(
        case_id=case_id, document_id=w.ktp_doc, intake_id=w.intake_file, notice_id=999999
    )
    if path == "/static":
        url += "/" + _a_static_file()
    elif path.endswith("/potongan"):
        url += "?d=0&f=nik"
    payloads = {
        "/masuk": {"username": f"tidak-ada-{who}", "password": "salah-sekali"},
        "/meja/lampirkan": {"sumber": "999998", "tujuan": "999999"},
        "/meja/bukan-keberatan": {"pengajuan": "999999", "catatan": "uji"},
        "/meja/ulangi": {"berkas": "tidak-ada.pdf"},
        "/admin/buka-kunci": {"username": "tidak-ada"},
    }
    return url, payloads.get(path, {"decision": ""})


def _a_static_file() -> str:
    return sorted(p.name for p in (WEB_TEMPLATES / "static").iterdir() if p.is_file())[0]


def _fresh(w: World, who: str) -> TestClient:
    """A client of its own for requests that end the session (logout)."""
    client = TestClient(w.app, follow_redirects=False)
    if who != "anonim":
        assert login(client, who + "1") == 303
    return client


def _token(client: TestClient) -> str:
    """The CSRF token this browser's pages carry (pre-login pages for an anonymous one)."""
    page = client.get("/masuk") if SESSION_COOKIE not in client.cookies else client.get("/dasbor")
    return CSRF.search(page.text).group(1)


def test_every_route_of_the_app_has_a_row_in_the_matrix(world: World) -> None:
    served = app_routes(world.app)
    assert len(served) == len(set(served))
    missing = sorted(set(served) - set(MATRIX))
    assert not missing, f"add these routes to MATRIX with what each role gets: {missing}"
    assert not sorted(set(MATRIX) - set(served)), "MATRIX lists routes the app no longer has"


@pytest.mark.parametrize("who", WHO)
def test_every_route_answers_every_role_and_anonymous_as_the_matrix_says(
    world: World, who: str
) -> None:
    before = _state(world)
    got: dict[tuple[str, str], int | str] = {}
    for method, path in app_routes(world.app):
        client = _fresh(world, who) if path == "/keluar" else world.clients[who]
        url, data = _request(world, method, path, who)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**data, "csrf": _token(client)})
        _assert_security_headers(response)
        location = response.headers.get("location", "")
        got[(method, path)] = (
            LOGIN
            if response.status_code == 303 and location.startswith("/masuk?")
            else response.status_code
        )
    assert got == {route: MATRIX[route][who] for route in got}
    assert _state(world) == before  # nobody changed anything on the way


def test_anonymous_posts_without_a_pre_login_cookie_are_refused(world: World) -> None:
    for method, path in app_routes(world.app):
        if method == "POST":
            url, data = _request(world, method, path, "anonim")
            response = TestClient(world.app, follow_redirects=False).post(url, data=data)
            assert response.status_code == FORBIDDEN, path


# --- CSRF ---------------------------------------------------------------------------------------


def _state(w: World) -> dict[str, Any]:
    """What a state-changing request would change: events, cases, submissions, sessions, files."""
    assert w.settings.quarantine is not None and w.settings.inbox is not None
    with open_db(w.settings)() as session:
        return {
            "events": session.scalar(select(func.count(CaseEvent.id))),
            "cases": [(c.id, c.status) for c in session.scalars(select(Case).order_by(Case.id))],
            "submissions": [
                (s.id, s.status)
                for s in session.scalars(select(Submission).order_by(Submission.id))
            ],
            "quarantine": sorted(p.name for p in w.settings.quarantine.iterdir()),
            "inbox": sorted(p.name for p in w.settings.inbox.rglob("*"))
            if w.settings.inbox.exists()
            else [],
        }


def test_every_post_route_depends_on_the_csrf_check(world: World) -> None:
    def calls(dependant: Any) -> set[Any]:
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    posts = [
        r
        for r in served_routes(world.app)
        if isinstance(r, APIRoute) and r.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert posts
    for route in posts:
        assert checked_form in calls(route.dependant), route.path


def test_every_post_form_in_the_web_pages_carries_the_csrf_token() -> None:
    forms = 0
    for template in sorted(WEB_TEMPLATES.glob("*.html")):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", template.read_text(), re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                assert 'name="csrf" value="{{ csrf }}"' in form, (template.name, form[:80])
    assert forms >= 6


@pytest.mark.parametrize("who", WHO)
def test_every_post_route_refuses_a_missing_wrong_or_foreign_csrf_token(
    world: World, who: str
) -> None:
    before = _state(world)
    other = world.clients["admin" if who != "admin" else "petugas"]
    foreign = _token(other)  # a valid token, of another browser's session
    for method, path in app_routes(world.app):
        if method != "POST":
            continue
        client = _fresh(world, who) if path == "/keluar" else world.clients[who]
        client.get("/masuk")  # an anonymous browser holds a pre-login cookie, as in real life
        url, data = _request(world, method, path, who)
        own = _token(client)
        altered = own[:-1] + ("1" if own.endswith("0") else "0")
        for token in (None, "", "0" * 64, foreign, altered):
            form = data if token is None else {**data, "csrf": token}
            response = client.post(url, data=form)
            assert response.status_code == FORBIDDEN, (who, path, token)
            assert "CSRF" in response.text
            _assert_security_headers(response)
        if path == "/keluar" and who != "anonim":
            assert client.get("/dasbor").status_code == OK  # still logged in
    assert _state(world) == before


def test_a_good_token_from_the_query_string_or_a_header_is_not_enough(world: World) -> None:
    client = world.clients["petugas"]
    token = _token(client)
    url = f"/kasus/{world.case_id}/langkah?csrf={token}"
    response = client.post(url, data={"decision": "return"}, headers={"X-CSRF-Token": token})
    assert response.status_code == FORBIDDEN


# --- sessions -------------------------------------------------------------------------------


def _session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, cookies
    return cookies[0].split(";")[0].split("=", 1)[1]


def _is_valid(w: World, token: str) -> bool:
    with open_db(w.settings)() as session:
        return auth.session_user(session, token) is not None


def _login_response(client: TestClient, username: str) -> Any:
    token = CSRF.search(client.get("/masuk").text).group(1)
    data = {"username": username, "password": PASSWORD, "csrf": token, "lanjut": "/"}
    response = client.post("/masuk", data=data)
    assert response.status_code == SEE_OTHER
    return response


def test_a_session_id_planted_before_login_is_never_used(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    planted = "ditanam-penyerang-" + "x" * 30
    client.cookies.set(SESSION_COOKIE, planted)
    issued = _session_cookie(_login_response(client, "bidang1"))
    assert issued != planted and len(issued) >= 40
    assert _is_valid(world, issued) and not _is_valid(world, planted)


def test_logging_in_again_issues_a_new_session_id_and_ends_the_old_one(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    first = _session_cookie(_login_response(client, "petugas1"))
    second = _session_cookie(_login_response(client, "admin1"))
    assert first != second
    assert not _is_valid(world, first) and _is_valid(world, second)
    # an attacker who planted their own valid session sees it ended by the victim's login
    attacker = _session_cookie(
        _login_response(TestClient(world.app, follow_redirects=False), "atasan1")
    )
    victim = TestClient(world.app, follow_redirects=False)
    victim.cookies.set(SESSION_COOKIE, attacker)
    own = _session_cookie(_login_response(victim, "bidang1"))
    assert own != attacker and not _is_valid(world, attacker)


def test_the_pre_login_token_stops_working_once_logged_in(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    before = CSRF.search(client.get("/masuk").text).group(1)
    response = client.post(
        "/masuk", data={"username": "atasan1", "password": PASSWORD, "csrf": before}
    )
    assert response.status_code == SEE_OTHER
    assert any(
        c.startswith(PRELOGIN_COOKIE + '=""') for c in response.headers.get_list("set-cookie")
    )
    assert client.post("/keluar", data={"csrf": before}).status_code == FORBIDDEN
    assert client.get("/tugas").status_code == OK


def test_logout_ends_the_session_on_the_server_not_only_in_the_browser(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    token = _session_cookie(_login_response(client, "arsiparis1"))
    response = client.post("/keluar", data={"csrf": _token(client)})
    assert response.status_code == SEE_OTHER
    assert any(
        c.startswith(SESSION_COOKIE + '=""') for c in response.headers.get_list("set-cookie")
    )
    assert not _is_valid(world, token)
    replay = TestClient(world.app, follow_redirects=False)
    replay.cookies.set(SESSION_COOKIE, token)  # a copy of the old cookie
    assert replay.get("/arsip").headers["location"].startswith("/masuk")


def test_cookies_are_httponly_samesite_and_secure_behind_https(
    world: World, tmp_path: Path
) -> None:
    def cookies_of(client: TestClient, username: str) -> list[str]:
        first = client.get("/masuk").headers.get_list("set-cookie")
        then = _login_response(client, username).headers.get_list("set-cookie")
        names = [c.split("=")[0] for c in first + then]
        assert names == [PRELOGIN_COOKIE, SESSION_COOKIE, PRELOGIN_COOKIE]  # the last removes it
        return [c.lower() for c in first + then]

    plain = cookies_of(TestClient(world.app, follow_redirects=False), "admin1")
    for cookie in plain:
        assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" not in cookie
    settings = load_settings(
        home=tmp_path,
        database_url=world.settings.database_url,
        archive=world.settings.archive,
        web_public_url="https://ppid.example.go.id",
    )
    https = TestClient(create_app(settings), base_url="https://testserver", follow_redirects=False)
    secure = cookies_of(https, "admin1")
    for cookie in secure:
        assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" in cookie
    assert https.get("/masuk").headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in world.clients["admin"].get("/dasbor").headers


@pytest.mark.parametrize(
    "target",
    [
        "//contoh.com",
        "/\\contoh.com",
        "/\t/contoh.com",
        "https://contoh.com",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_to_another_site(world: World, target: str) -> None:
    client = TestClient(world.app, follow_redirects=False)
    token = CSRF.search(client.get("/masuk").text).group(1)
    data = {"username": "bidang1", "password": PASSWORD, "csrf": token, "lanjut": target}
    assert client.post("/masuk", data=data).headers["location"] == "/"


# --- output escaping --------------------------------------------------------------------------


def _assert_shown_as_text(html: str, *texts: str) -> None:
    from html import escape

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "12340" not in html  # {{ 1234*10 }} was never evaluated
    for text in texts:
        assert escape(text, quote=False) in html.replace("&#34;", '"').replace("&#39;", "'"), text


def test_hostile_text_from_a_scan_renders_as_text_in_every_page(world: World) -> None:
    petugas, arsiparis = world.clients["petugas"], world.clients["arsiparis"]
    case_page = petugas.get(f"/kasus/{world.hostile_case}")
    assert case_page.status_code == OK
    _assert_shown_as_text(case_page.text, SCRIPT, IMG, "{{ 7*7 }}", "{% raw %}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in case_page.text
    for page in (
        arsiparis.get("/arsip"),
        arsiparis.get("/arsip?q=script+alert"),  # snippets: escaped, then marked
        arsiparis.get(f"/arsip?q={SCRIPT}"),
        world.clients["admin"].get("/admin"),  # a display name with markup
        petugas.get("/meja"),  # intake file names and quarantine notes
        petugas.get(f"/meja?pesan={SCRIPT}"),
        world.clients["anonim"].get('/masuk?lanjut=/"><script>alert(1)</script>'),
        petugas.get("/tidak-ada/<script>alert(1)</script>"),
    ):
        assert page.status_code in (OK, MISSING)
        _assert_shown_as_text(page.text)
    assert "&lt;script&gt;" in arsiparis.get("/arsip").text
    assert "<mark>script</mark>" in arsiparis.get("/arsip?q=script").text
    desk = petugas.get("/meja").text
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in desk and "{{ 7*7 }}" in desk
    jahil = TestClient(world.app, follow_redirects=False)
    assert login(jahil, "jahil1") == SEE_OTHER
    _assert_shown_as_text(jahil.get("/tugas").text, f"Uji {SCRIPT}")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    values = " ".join(str(f.get("/V", "")) for f in (reader.get_fields() or {}).values())
    return " ".join(f"{text} {values}".split())


def test_hostile_text_prints_literally_in_the_receipt_and_a_letter(world: World) -> None:
    from ppid.casework.letters import issue_letter, render_receipt
    from ppid.core.calendar import calendar_from_settings

    cal = calendar_from_settings(world.settings)
    assert world.settings.archive is not None
    out = world.settings.home / "uji-pdf" / "01-tanda-terima.pdf"
    note = f"Catatan {SCRIPT} {JINJA}"  # what an Atasan types, printed in the written order
    with open_db(world.settings)() as session:
        try:
            case = session.get_one(Case, world.hostile_case)
            render_receipt(world.settings, cal, case, out)
            extra = {"on_time": True, "fulfil_due": "-", "instruction": note}
            on = date(2026, 11, 25)
            letter = issue_letter(
                session, world.settings, cal, case, "perintah", on=on, actor="uji", extra=extra
            )
            letter_path = world.settings.archive / letter.path
        finally:
            session.rollback()  # the letter number is given back; the case is unchanged
    receipt = _pdf_text(out)
    assert SCRIPT in receipt and "{{ 7*7 }}" in receipt
    assert "12340" not in receipt
    copy = _pdf_text(out.with_name("02-salinan-formulir.pdf"))  # the form prints in capitals
    assert SCRIPT.upper() in copy.upper() and "{{ 7*7 }}" in copy and "12340" not in copy
    order = _pdf_text(letter_path)
    assert note in order
    assert "12340" not in order


# --- search input -------------------------------------------------------------------------------

INJECTIONS = [
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(koperasi simpan, 2)",
    "' OR 1=1 --",
    '" OR "1"="1',
    "koperasi OR 1=1; DROP TABLE cases; --",
    "number:001",
    "^koperasi",
    "kop*rasi AND NOT",
    "(",
    ")",
    "-",
    "+",
    ":",
    "{fields ocr}: koperasi",
    "\\",
    "%",
    "_",
    "a_b",
    "\x00",
    "ø" * 300,
    "نحن",
    "🙂",
    "zzzz' OR 1=1 --",
]


@pytest.mark.parametrize("q", INJECTIONS)
def test_search_syntax_and_sql_injection_give_results_or_a_plain_message(
    world: World, q: str
) -> None:
    page = world.clients["arsiparis"].get("/arsip", params={"q": q})
    assert page.status_code == OK
    assert "Tidak ada keberatan yang cocok" in page.text or "<tbody>" in page.text
    if q.startswith("zzzz"):
        assert "Tidak ada keberatan yang cocok" in page.text


def test_archive_filters_are_values_not_sql_or_wildcards(world: World) -> None:
    client = world.clients["arsiparis"]
    for params in (
        {"tahun": "2026 OR 1=1"},
        {"status": "' OR '1'='1"},
        {"keputusan": "x' --"},
        {"ketepatan": "tepat' OR 1=1 --"},
        {"alasan": "%"},
        {"alasan": "_"},
    ):
        page = client.get("/arsip", params=params)
        assert page.status_code == OK, params
        if "tahun" not in params and "ketepatan" not in params:
            assert "Sari Contoh" not in page.text, params  # matched nothing, as it should
    assert "Sari Contoh" in client.get("/arsip", params={"alasan": "c"}).text


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.text(max_size=60))
def test_any_text_typed_into_search_is_a_query_never_an_error(world: World, words: str) -> None:
    from ppid.casework.search import Filters, search_cases

    with open_db(world.settings)() as session, session.begin():
        search_cases(session, words, Filters(), date(2026, 11, 27))


# --- downloads stay inside the archive ----------------------------------------------------------


def test_no_download_leaves_the_archive_by_dots_encoding_absolute_paths_or_symlinks(
    world: World,
) -> None:
    client = world.clients["admin"]
    documents = (world.evil_doc, world.absolute_doc, world.symlink_doc, world.symlink_folder_doc)
    for document in documents:
        for suffix in ("", "?unduh=1"):
            response = client.get(f"/dokumen/{document}{suffix}")
            assert response.status_code == MISSING, document
            assert b"RAHASIA" not in response.content
    assert client.get(f"/meja/berkas/{world.evil_intake_file}").status_code == MISSING
    package = client.get(f"/kasus/{world.hostile_case}/paket")  # the zip skips them as well
    assert package.status_code == OK
    with zipfile.ZipFile(io.BytesIO(package.content)) as bundle:
        assert bundle.namelist()  # the form scan is in it
        assert all(b"RAHASIA" not in bundle.read(name) for name in bundle.namelist())
    for path in (
        "/dokumen/%2e%2e/%2e%2e/etc/passwd",
        "/dokumen/..%2F..%2Fetc%2Fpasswd",
        "/dokumen/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/dokumen/..%252F..%252Fetc%252Fpasswd",
        "/dokumen//etc/passwd",
        "/dokumen/%2Fetc%2Fpasswd",
        "/meja/berkas/..%2F..%2Fetc%2Fpasswd",
        "/static/../../ppid/core/settings.py",
        "/static/%2e%2e/%2e%2e/ppid/core/settings.py",
        "/static/..%2F..%2Fppid%2Fsettings.py",
        "/static/%2Fetc%2Fpasswd",
        "/static//etc/passwd",
        f"/static/{world.outside}/rahasia.png",
    ):
        response = client.get(path)
        assert response.status_code in (MISSING, 422), path
        assert b"root:" not in response.content and b"BaseSettings" not in response.content
        assert b"RAHASIA" not in response.content
        _assert_security_headers(response)


def test_retry_from_quarantine_never_moves_a_file_from_outside(world: World) -> None:
    client = world.clients["petugas"]
    token = _token(client)
    before = _state(world)
    for berkas in (
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
        str(world.outside / "rahasia.pdf"),
        "keluar.pdf",  # a symlink in quarantine pointing outside it
        f"{IMG}.pdf/../../inbox",
        "",
    ):
        response = client.post("/meja/ulangi", data={"berkas": berkas, "csrf": token})
        assert response.status_code == MISSING, berkas
    assert (world.outside / "rahasia.pdf").read_bytes() == b"RAHASIA-DI-LUAR-ARSIP"
    assert _state(world) == before


# --- headers on every response ------------------------------------------------------------------


def _assert_security_headers(response: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_even_an_unexpected_error_carries_the_security_headers(world: World) -> None:
    app = create_app(world.settings)

    def boom() -> None:
        raise RuntimeError("uji")

    app.add_api_route("/uji-galat", boom)
    response = TestClient(app, raise_server_exceptions=False).get("/uji-galat")
    assert response.status_code == 500
    assert "RuntimeError" not in response.text and "uji" not in response.text
    _assert_security_headers(response)
    for path in ("/tidak-ada", "/static/tidak-ada.css", "/health", "/masuk"):
        _assert_security_headers(world.clients["anonim"].get(path))


ODD_VALUES = ("99999999999999999999999", "9223372036854775808", "-1", "0", "abc", "%00", "1e9")
ODD_QUERIES = ("hal", "d", "f", "q", "tahun", "status", "lanjut", "pesan", "unduh")
ODD_ASKERS = ("anonim", "petugas", "arsiparis", "admin")  # between them, every route admitted


def test_no_address_answers_a_server_error(world: World) -> None:
    """Every GET route with each of its path values and query values replaced by odd ones (a
    number too large for the database, a negative, a word, a NUL), as every role: a plain
    answer, never a 500."""
    failures = []
    for method, path in app_routes(world.app):
        if method != "GET":
            continue
        urls = {re.sub(r"\{[^}]+\}", value, path) for value in ODD_VALUES}
        base = path.format(case_id=world.case_id, document_id=world.ktp_doc, intake_id=1)
        urls |= {f"{base}?{name}={value}" for name in ODD_QUERIES for value in ODD_VALUES[:5:4]}
        for who in ODD_ASKERS:
            for url in sorted(urls):
                try:
                    status = world.clients[who].get(url).status_code
                except Exception as error:  # raised out of the app: what a 500 hides
                    failures.append(f"{who} {url}: {type(error).__name__}")
                    continue
                if status >= 500:
                    failures.append(f"{who} {url}: {status}")
    assert failures == [], "\n".join(failures)


def test_the_desk_shows_only_notices_it_wrote_itself(world: World) -> None:
    """A link with `?pesan=` written by anyone used to show its words as an official notice."""
    petugas = world.clients["petugas"]
    forged = "Pengumuman resmi: kirim kata sandi Anda ke admin@contoh.test"
    assert "Pengumuman resmi" not in petugas.get(f"/meja?pesan={forged}").text
    assert world.settings.quarantine is not None
    (world.settings.quarantine / "uji-pesan.pdf").write_bytes(b"%PDF-1.4 uji")
    token = CSRF.search(petugas.get("/meja").text).group(1)  # type: ignore[union-attr]
    moved = petugas.post("/meja/ulangi", data={"berkas": "uji-pesan.pdf", "csrf": token})
    assert moved.status_code == SEE_OTHER
    assert "uji-pesan.pdf dipindahkan kembali" in petugas.get(moved.headers["location"]).text
    altered = moved.headers["location"].replace("uji-pesan", "surat-palsu")
    assert "dipindahkan kembali" not in petugas.get(altered).text
