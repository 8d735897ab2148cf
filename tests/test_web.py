"""The web app through FastAPI's TestClient: who may see what, CSRF, files, NIK masking, audit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import select

from ppid.casework.register import register_case
from ppid.core.files import sha256_file
from ppid.core.models import Case, CaseDocument, IdScanView, User
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import CaseStatus, DocumentKind
from ppid.web import auth
from ppid.web.app import SECURITY_HEADERS, create_app
from ppid.web.auth import LoginLimiter
from tests.english import english_in
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

PASSWORD = "kata-sandi-uji-1"
ROLES = ("petugas", "bidang", "atasan", "arsiparis", "admin")
NIK = "6171054508900003"  # synthetic: Kota Pontianak, a woman born 05-08-1990
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class World:
    settings: Settings
    app: object
    case_id: int
    form_doc: int
    ktp_doc: int
    evil_doc: int
    clients: dict[str, TestClient]


def _scan(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(image).text((20, 20), text, fill="black")
    image.save(path)
    return path


def _document(
    case: Case, kind: str, path: str, extracted: dict | None, role: str, root: Path
) -> CaseDocument:
    stored = root / path
    return CaseDocument(
        case=case,
        kind=DocumentKind.ORIGINAL,
        document_type=kind,
        role=role,
        path=path,
        sha256=sha256_file(stored) if stored.is_file() else "0" * 64,
        media_type="image/png",
        fields={"documents": [extracted]} if extracted else {},
    )


def _seed(settings: Settings) -> tuple[int, int, int, int]:
    """One registered case at the verify step, with a form scan, a KTP scan and a bad path."""
    from ppid.casework import workflow
    from ppid.core.db import open_db

    assert settings.archive is not None
    _scan(settings.archive / "originals" / "aa" / "formulir.png", "Nama: Sari Contoh")
    _scan(settings.archive / "originals" / "bb" / "ktp.png", f"NIK {NIK}")
    form = {
        "document_type": "objection_form",
        "pages": [1],
        "method": "ocr",
        "fields": {"applicant": {"name": "Sari Contoh", "nik": NIK}, "reasons": ["c"]},
        "confidence": {"applicant.name": 0.95, "applicant.nik": 0.42},
        "boxes": {"applicant.name": [1, 20, 20, 300, 60], "applicant.nik": [1, 20, 80, 300, 120]},
        "warnings": [
            "formulir.pdf: the PDF contains JavaScript; it was ignored and never run. "
            "Treat the file with care."
        ],
    }
    card = {
        "document_type": "id_card",
        "pages": [1],
        "method": "ocr",
        "fields": {"nik": NIK, "name": "SARI CONTOH"},
        "confidence": {"nik": 0.9},
        "boxes": {"nik": [1, 10, 10, 400, 50]},
    }
    root = settings.archive
    with open_db(settings)() as session, session.begin():
        case = Case(
            applicant_name="Sari Contoh",
            applicant_nik=NIK,
            applicant_address="Jl. Contoh No. 1, Pontianak",
            request_number="012/PPID/X/2026",
            case_description="Permohonan tentang koperasi simpan pinjam tidak ditanggapi.",
            channel="scan",
            received_at=datetime(2026, 11, 23, 2, tzinfo=UTC),
        )
        case.reasons = ["c"]
        register_case(session, settings, case, case.received_at, "uji")
        workflow.start(session, settings, case)
        docs = [
            _document(case, "objection_form", "originals/aa/formulir.png", form, "form", root),
            _document(case, "id_card", "originals/bb/ktp.png", card, "id_card", root),
            _document(case, "other", "../../../../etc/passwd", None, "other", root),
        ]
        session.add_all(docs)
        for role in ROLES:
            auth.add_user(session, role + "1", role, PASSWORD, f"Uji {role.title()}")
        session.flush()
        return case.id, docs[0].id, docs[1].id, docs[2].id


def login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    token = CSRF.search(client.get("/masuk").text).group(1)
    data = {"username": username, "password": password, "csrf": token, "lanjut": "/"}
    return client.post("/masuk", data=data).status_code


def csrf_of(client: TestClient, path: str = "/dasbor") -> str:
    return CSRF.search(client.get(path).text).group(1)


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    """argon2 at its default cost takes ~1 s per login on a busy CI machine."""
    auth.set_password_cost(1, 1024)
    yield
    auth.set_password_cost(3, 65536)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[World]:
    home = tmp_path_factory.mktemp("webhome")
    settings = load_settings(home=home, database_url=module_database_url)
    ids = _seed(settings)
    app = create_app(settings)
    clients = {"anonim": TestClient(app, follow_redirects=False)}
    for role in ROLES:
        clients[role] = TestClient(app, follow_redirects=False)
        assert login(clients[role], role + "1") == 303
    yield World(settings, app, *ids, clients)
    for client in clients.values():
        client.close()


def _routes(w: World) -> dict[str, str]:
    crop = "/dokumen/{}/potongan?d=0&f={}"
    return {
        "tugas": "/tugas",
        "dasbor": "/dasbor",
        "arsip": "/arsip?q=kopera",
        "kasus": f"/kasus/{w.case_id}",
        "admin": "/admin",
        "meja": "/meja",
        "formulir": f"/dokumen/{w.form_doc}",
        "ktp": f"/dokumen/{w.ktp_doc}",
        "potongan-nama": crop.format(w.form_doc, "applicant.name"),
        "potongan-nik": crop.format(w.form_doc, "applicant.nik"),
        "potongan-ktp": crop.format(w.ktp_doc, "nik"),
        "paket": f"/kasus/{w.case_id}/paket",
    }


OK, NO = 200, 403
EXPECTED = {
    #               tugas dasbor arsip kasus admin meja formulir ktp p-nama p-nik p-ktp paket
    "petugas": (OK, OK, OK, OK, NO, OK, OK, OK, OK, OK, OK, NO),
    "bidang": (OK, OK, OK, OK, NO, NO, OK, OK, OK, OK, OK, NO),
    "atasan": (OK, OK, OK, OK, NO, NO, OK, OK, OK, OK, OK, NO),
    "arsiparis": (NO, OK, OK, OK, NO, NO, OK, NO, OK, NO, NO, OK),
    "admin": (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(world: World, role: str) -> None:
    client = world.clients[role]
    got = {name: client.get(path).status_code for name, path in _routes(world).items()}
    assert got == dict(zip(_routes(world), EXPECTED[role], strict=True))


def test_anonymous_visitors_are_sent_to_the_login_page_everywhere(world: World) -> None:
    client = world.clients["anonim"]
    for path in ["/", *_routes(world).values()]:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/masuk")
    assert client.get("/health").status_code == 200


def test_home_sends_each_role_to_its_own_page(world: World) -> None:
    homes = {r: world.clients[r].get("/").headers["location"] for r in ROLES}
    assert homes == {
        "petugas": "/tugas",
        "bidang": "/tugas",
        "atasan": "/tugas",
        "arsiparis": "/arsip",
        "admin": "/dasbor",
    }


def test_post_without_the_right_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    client = world.clients["petugas"]
    url = f"/kasus/{world.case_id}/langkah"
    for token in (None, "0" * 64, csrf_of(world.clients["bidang"])):
        data = {"decision": "return", "note": "uji"} | ({"csrf": token} if token else {})
        response = client.post(url, data=data)
        assert response.status_code == 403
        assert "CSRF" in response.text
    assert _status(world) == CaseStatus.REGISTERED
    # the login form carries a token too
    anon = TestClient(world.app, follow_redirects=False)
    assert (
        anon.post("/masuk", data={"username": "petugas1", "password": PASSWORD}).status_code == 403
    )


def _status(world: World) -> str:
    from ppid.core.db import open_db

    with open_db(world.settings)() as session:
        return session.get_one(Case, world.case_id).status


def test_a_role_cannot_take_another_roles_step(world: World) -> None:
    url = f"/kasus/{world.case_id}/langkah"
    for role, decision in (("bidang", "recommend"), ("atasan", "order"), ("atasan", "forward")):
        client = world.clients[role]
        data = {"decision": decision, "note": "uji", "csrf": csrf_of(client)}
        assert client.post(url, data=data).status_code == 403, role
    for role in ("arsiparis", "admin"):
        client = world.clients[role]
        data = {"decision": "forward", "csrf": csrf_of(client)}
        assert client.post(url, data=data).status_code == 403, role
    assert _status(world) == CaseStatus.REGISTERED


def test_arsiparis_sees_masked_niks_and_others_the_full_number(world: World) -> None:
    masked = NIK[:4] + "*" * 12
    for role in ROLES:
        for path in (f"/kasus/{world.case_id}", "/arsip"):
            page = world.clients[role].get(path).text
            if role == "arsiparis":
                assert NIK not in page and masked in page, path
            else:
                assert NIK in page, (role, path)


def test_every_id_scan_view_is_logged_with_who_and_which_document(world: World) -> None:
    from ppid.core.db import open_db

    def views() -> list[IdScanView]:
        with open_db(world.settings)() as session:
            return list(session.scalars(select(IdScanView).order_by(IdScanView.id)))

    world.app.state.web.logged_views.clear()  # earlier tests looked within the last minute
    before = len(views())
    assert world.clients["atasan"].get(f"/dokumen/{world.ktp_doc}").status_code == 200
    path = f"/dokumen/{world.ktp_doc}/potongan?d=0&f=nik"
    assert world.clients["bidang"].get(path).status_code == 200
    assert world.clients["bidang"].get(path).status_code == 200  # same minute: one entry
    assert world.clients["arsiparis"].get(f"/dokumen/{world.ktp_doc}").status_code == 403
    assert world.clients["petugas"].get(f"/dokumen/{world.form_doc}").status_code == 200
    new = views()[before:]
    assert [(v.username, v.document_id, v.case_id, v.what) for v in new] == [
        ("atasan1", world.ktp_doc, world.case_id, "berkas"),
        ("bidang1", world.ktp_doc, world.case_id, "potongan:nik"),
        ("petugas1", world.form_doc, world.case_id, "berkas"),  # the form bears the NIK too
    ]
    assert all(v.at is not None for v in new)
    log_page = world.clients["admin"].get("/admin").text
    assert "atasan1" in log_page and "potongan kolom “NIK”" in log_page


def test_no_route_serves_a_file_outside_the_archive(world: World) -> None:
    client = world.clients["admin"]
    assert client.get(f"/dokumen/{world.evil_doc}").status_code == 404
    for path in (
        "/dokumen/..%2F..%2Fetc%2Fpasswd",
        "/static/../../ppid/core/settings.py",
        "/static/%2e%2e/%2e%2e/ppid/core/settings.py",
        "/dokumen/1/../../../etc/passwd",
    ):
        response = client.get(path)
        assert response.status_code in (404, 422), path
        assert "root:" not in response.text and "BaseSettings" not in response.text
    token = csrf_of(world.clients["petugas"], "/meja")
    response = world.clients["petugas"].post(
        "/meja/ulangi", data={"berkas": "../../../etc/passwd", "csrf": token}
    )
    assert response.status_code == 404


def test_crops_show_the_field_from_the_scan(world: World) -> None:
    response = world.clients["petugas"].get(
        f"/dokumen/{world.form_doc}/potongan?d=0&f=applicant.name"
    )
    assert response.headers["content-type"] == "image/png"
    import io

    crop = Image.open(io.BytesIO(response.content))
    # the line with a quarter of its height above and below (clear of the lines around it),
    # a line's height left and right (here cut at the page's edge)
    assert crop.size[1] == 40 + 2 * 10 and crop.size[0] >= 280 + 40


def test_case_page_marks_low_confidence_fields_and_offers_corrections(world: World) -> None:
    page = world.clients["petugas"].get(f"/kasus/{world.case_id}").text
    nik_row = page[page.index("NIK pemohon") - 400 : page.index("NIK pemohon")]
    assert "field low" in nik_row
    assert 'name="nilai:applicant_name"' in page  # every value read can be corrected
    assert 'name="keterangan"' in page  # with the reason why
    bidang = world.clients["bidang"].get(f"/kasus/{world.case_id}").text
    assert 'name="nilai:applicant_name"' not in bidang


def test_case_page_warns_of_active_content_found_in_an_original(world: World) -> None:
    page = world.clients["petugas"].get(f"/kasus/{world.case_id}").text
    assert "Berkas memuat JavaScript; tidak dijalankan oleh sistem." in page
    assert page.count("Hati-hati</span>") == 1  # only the form carries a warning
    assert "the PDF contains JavaScript" not in page  # the reader's English note is translated


def test_archive_search_finds_prefixes_ranked_with_snippets(world: World) -> None:
    page = world.clients["arsiparis"].get("/arsip?q=simpan+kopera").text
    assert "<mark>koperasi</mark>" in page and "Sari Contoh" in page
    assert "Tidak ada keberatan yang cocok" in world.clients["arsiparis"].get("/arsip?q=zzzz").text
    filtered = world.clients["arsiparis"].get("/arsip?alasan=a").text
    assert "Sari Contoh" not in filtered


def test_pages_carry_security_headers_and_cookies_are_httponly(world: World) -> None:
    response = world.clients["petugas"].get("/dasbor")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    fresh = TestClient(world.app, follow_redirects=False)
    token = CSRF.search(fresh.get("/masuk").text).group(1)
    data = {"username": "admin1", "password": PASSWORD, "csrf": token}
    cookie = fresh.post("/masuk", data=data).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_dashboard_draws_the_monthly_chart_as_svg(world: World) -> None:
    page = world.clients["atasan"].get("/dasbor").text
    assert "<svg" in page and 'class="bar"' in page
    assert "1</span> keberatan teregistrasi" in page


def test_logins_are_rate_limited_per_user_and_address(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    for _ in range(5):
        assert login(client, "bidang1", "salah-sekali") == 401
    assert login(client, "bidang1") == 429  # even the right password waits now
    assert login(client, "atasan1") == 303  # another user is not affected


def test_logout_ends_the_session(world: World) -> None:
    client = TestClient(world.app, follow_redirects=False)
    assert login(client, "petugas1") == 303
    assert client.get("/tugas").status_code == 200
    assert client.post("/keluar", data={"csrf": csrf_of(client)}).status_code == 303
    client.cookies.clear()
    assert client.get("/tugas").status_code == 303


def test_users_are_added_from_the_command_line_with_the_password_on_stdin(ppid_home) -> None:
    from typer.testing import CliRunner

    from ppid.cli.app import app
    from ppid.core.db import open_db

    result = CliRunner().invoke(
        app,
        ["user", "add", "rina", "--role", "arsiparis", "--password-stdin"],
        input="cukup-panjang\n",
    )
    assert result.exit_code == 0, result.output
    with open_db(load_settings())() as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.role) == ("rina", "arsiparis")
        assert auth.authenticate(session, "rina", "cukup-panjang") is not None
    bad = CliRunner().invoke(
        app, ["user", "add", "x", "--role", "raja", "--password-stdin"], input="cukup-panjang\n"
    )
    assert bad.exit_code != 0


def test_the_command_line_search_finds_the_same_cases_with_nik_masked(
    world: World, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from ppid.cli.app import app

    monkeypatch.setenv("PPID_HOME", str(world.settings.home))
    monkeypatch.setenv("PPID_DATABASE_URL", str(world.settings.database_url))
    result = CliRunner().invoke(app, ["search", "kopera", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["applicant_name"] for row in rows] == ["Sari Contoh"]
    assert rows[0]["applicant_nik"] == NIK[:4] + "*" * 12
    assert "[koperasi]" in rows[0]["snippet"]


def test_queues_put_the_soonest_due_first_and_mark_overdue_in_red(world: World) -> None:
    from datetime import date

    from ppid.core.db import open_db
    from ppid.core.models import Task
    from ppid.core.vocabulary import Role

    with open_db(world.settings)() as session, session.begin():
        case = session.get_one(Case, world.case_id)
        for due in (date(2099, 1, 5), date(2020, 1, 6)):
            session.add(Task(case=case, role=Role.ATASAN, step="decide", due=due))
    page = world.clients["atasan"].get("/tugas").text
    rows = re.findall(r'<tr class="([^"]*)">\s*<td>([^<]+)', page)
    assert [(cls, day.strip()) for cls, day in rows] == [
        ("overdue", "6 Januari 2020"),
        ("", "5 Januari 2099"),
    ]
    assert "1 terlambat" in page  # the menu counts the overdue task
    assert "<td>Kertas (dipindai)</td>" in page  # the channel the case came by


def test_one_address_trying_many_usernames_is_slowed_down_too() -> None:
    limiter = LoginLimiter(attempts=5, client_attempts=8)
    for number in range(8):  # one guess each against eight accounts: no single account hits 5
        assert limiter.admit(f"pegawai{number}", "10.0.0.9") is not None
    assert limiter.admit("pegawai99", "10.0.0.9") is None  # the address is slowed down
    assert limiter.admit("pegawai99", "10.0.0.10") is not None  # another address is not
    assert limiter.blocked("pegawai0", "10.0.0.9")  # a good login there now waits too


def test_the_archive_shows_the_office_date_a_case_came_in(tmp_path: Path) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from ppid.casework.search import Filters
    from ppid.core.db import make_engine, migrate, session_factory
    from ppid.web.archive import archive_rows

    engine = make_engine(f"sqlite:///{tmp_path / 'arsip.sqlite3'}")
    migrate(engine)
    with session_factory(engine)() as session:
        came = datetime(2026, 11, 28, 17, 13, tzinfo=UTC)  # Sunday 29 November, 00.13 WIB
        session.add(Case(number="001/KEB/X/2026", year=2026, seq=1, received_at=came))
        session.commit()
        archivist = User(username="arsip", role="arsiparis")
        wib = ZoneInfo("Asia/Jakarta")
        rows, _ = archive_rows(session, archivist, "", Filters(), date(2026, 11, 29), wib)
    engine.dispose()
    assert rows[0]["received"] == "29 November 2026"  # as on its receipt, not the UTC day before


def test_the_dashboard_counts_a_case_in_the_office_month_it_came_in(tmp_path: Path) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from ppid.core.db import make_engine, migrate, session_factory
    from ppid.web.stats import monthly

    engine = make_engine(f"sqlite:///{tmp_path / 'dasbor.sqlite3'}")
    migrate(engine)
    with session_factory(engine)() as session:
        came = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 1 December, 00.30 WIB
        session.add(Case(number="001/KEB/XII/2026", year=2026, seq=1, received_at=came))
        session.commit()
        months = monthly(session, date(2026, 12, 2), ZoneInfo("Asia/Jakarta"))
    engine.dispose()
    counted = {(m["year"], m["month"]): m["received"] for m in months}
    assert counted[(2026, 12)] == 1 and counted[(2026, 11)] == 0


@pytest.mark.parametrize(
    "path", ["/kasus/abc", "/dokumen/satu", "/dokumen/1/potongan?d=x&f=nik", "/arsip?hal=%00"]
)
def test_a_malformed_address_gets_an_indonesian_page_never_json(world: World, path: str) -> None:
    response = world.clients["petugas"].get(path)
    assert response.status_code in (200, 404) and response.headers["content-type"].startswith(
        "text/html"
    )
    assert "detail" not in response.text and "int_parsing" not in response.text
    if response.status_code == 404:
        assert "Alamat halaman tidak valid" in response.text or "tidak ditemukan" in response.text
    assert english_in(visible_text(response.text)) == [], path


def visible_text(html: str) -> str:
    """The text a browser shows of a page (no tags, scripts, styles or attribute values)."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
