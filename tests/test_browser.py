"""The web app in a real browser (Debian's chromium via Playwright): a case from intake to answer.

The server is the one `ppid run` starts (uvicorn in a thread) on a free port and a temporary
home; intake runs its real steps on a filled form and a synthetic KTP scan. Screenshots of the
main pages at 1366×768 and on a phone go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api as playwright_api
from sqlalchemy import select

from ppid.core.settings import Settings, load_settings
from ppid.web import auth
from tests.specimens import ktp_sample, objection_values

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by scripts/setup-system.sh
pytestmark = pytest.mark.slow
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "kata-sandi-uji-1"
ROLES = ("petugas", "bidang", "atasan", "arsiparis", "admin")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ingest(settings: Settings, source: Path, relative: str) -> str:
    """Intake's real steps on one file dropped into the inbox; returns the outcome."""
    from ppid.archive.bags import archive_case
    from ppid.intake.ledger import IntakeContext, claim
    from ppid.intake.steps import (
        Registration,
        extract,
        issue_receipt,
        register_file,
        store_original,
    )

    assert settings.inbox is not None
    target = settings.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    ctx = IntakeContext.open(settings)
    intake_id, _ = claim(ctx, target)
    store_original(ctx, intake_id, target)
    extract(ctx, intake_id)
    outcome = Registration(register_file, issue_receipt, archive_case).run(ctx, intake_id)
    return outcome.outcome


def _pending_other(settings: Settings) -> None:
    """A submission holding a letter that is not an objection (as intake leaves it, no OCR)."""
    from ppid.core.db import open_db
    from ppid.core.models import IntakeFile, Submission

    reason = "Tidak ditemukan formulir keberatan maupun KTP dalam berkas ini."
    with open_db(settings)() as session, session.begin():
        submission = Submission(group_key="folder:lain", reason=reason)
        session.add(submission)
        session.flush()
        session.add(
            IntakeFile(
                sha256="1" * 64,
                original_name="undangan.pdf",
                source_path="inbox/lain/undangan.pdf",
                group_key="folder:lain",
                status="assembled",
                extraction={"documents": [{"document_type": "other"}]},
                submission_id=submission.id,
            )
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, dict]]:
    """The web app on a free port, a seeded home, and the specimens."""
    from ppid.core.db import open_db
    from ppid.core.models import DipItem
    from ppid.output.forms import render_filled_form
    from ppid.runtime.run import serve_web
    from ppid.web.app import create_app

    home = tmp_path_factory.mktemp("browserhome")
    settings = load_settings(home=home, web_port=_free_port())
    for folder in (settings.inbox, settings.archive, settings.quarantine):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
    auth.set_password_cost(1, 1024)
    ktp, card = ktp_sample()
    specimens = tmp_path_factory.mktemp("specimens")
    form = render_filled_form(
        settings,
        objection_values(
            card,
            reasons=("c",),
            purpose="Penelitian tentang koperasi simpan pinjam",
            case_description="Permohonan laporan keuangan koperasi tidak ditanggapi.",
        ),
        specimens / "formulir.pdf",
        fillable=True,
    )
    with open_db(settings)() as session, session.begin():
        for role in ROLES:
            auth.add_user(session, f"{role}1", role, PASSWORD, f"{role.title()} Uji")
        session.add(DipItem(title="Laporan keuangan koperasi 2025", category="setiap_saat"))
    thread, uvicorn_server = serve_web(settings, create_app(settings))
    try:
        yield (
            f"http://127.0.0.1:{settings.web_port}",
            settings,
            {"form": form, "ktp": ktp, "nik": card["nik"], "name": card["name"]},
        )
    finally:
        uvicorn_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)
        auth.set_password_cost(3, 65536)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium; its absence fails the tests (make test installs it), never skips them."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup-system.sh"
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def login(browser: Any, base: str, role: str, viewport: dict | None = None) -> Any:
    page = browser.new_context(viewport=viewport or DESKTOP, base_url=base).new_page()
    page.goto("/masuk")
    page.get_by_label("Nama pengguna").fill(f"{role}1")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def csrf(page: Any) -> str:
    return page.locator('input[name="csrf"]').first.get_attribute("value")


def take_step(page: Any, decision: str, note: str = "", **fields: str) -> None:
    page.locator(f'input[name="decision"][value="{decision}"]').check()
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    if note:
        page.get_by_label("Catatan / alasan").fill(note)
    page.get_by_role("button", name="Simpan keputusan").click()
    page.wait_for_load_state()
    assert page.locator(".alert").count() == 0, page.locator(".alert").first.inner_text()


def test_a_case_goes_from_intake_to_the_answer_letter_through_the_pages(server, browser) -> None:
    base, settings, spec = server
    assert settings.quarantine is not None
    # Intake: a form alone waits at the desk; a second form is not an objection; a broken file
    # sits in quarantine.
    assert _ingest(settings, spec["form"], "pemohon-a/formulir.pdf") == "pending"
    _pending_other(settings)
    broken = settings.quarantine / "rusak.pdf"
    broken.write_bytes(b"%PDF-1.4 rusak")
    broken.with_name("rusak.pdf.txt").write_text(
        "Why this file was quarantined:\n  The file could not be read\n"
    )

    petugas = login(browser, base, "petugas")
    petugas.goto("/meja")
    assert petugas.get_by_text("Fotokopi/scan KTP pemohon belum ada").count() == 1
    assert petugas.get_by_text("maupun KTP").count() == 1
    shot(petugas, "meja-1366")
    petugas.get_by_label("Alasan bukan keberatan").nth(1).fill("Undangan rapat, bukan keberatan")
    petugas.get_by_role("button", name="Tandai bukan keberatan").nth(1).click()
    assert petugas.get_by_text("Ditandai bukan keberatan").count() == 1
    petugas.get_by_role("button", name="Coba lagi rusak.pdf").click()
    assert petugas.get_by_text("dipindahkan kembali ke folder masuk").count() == 1
    assert (settings.inbox / "rusak.pdf").exists()

    # The KTP arrives and pairs with the waiting form by NIK: the case is registered.
    assert _ingest(settings, spec["ktp"], "scan-ktp.jpg") == "registered"
    petugas.goto("/tugas")
    shot(petugas, "tugas-1366")
    petugas.locator("table a").first.click()
    petugas.wait_for_load_state()
    case_url = petugas.url
    broken = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
    assert petugas.locator(".field .crop img").count() >= 10
    assert petugas.evaluate(broken) == 0  # every field's crop of the scan was served
    assert spec["nik"] in petugas.content()  # the petugas needs the full NIK
    shot(petugas, "kasus-verifikasi-1366")
    occupation = petugas.get_by_label("Nilai yang benar (Pekerjaan)")
    occupation.fill("Peneliti")
    take_step(petugas, "forward")
    assert "Diperiksa Bidang" in petugas.content()
    assert petugas.get_by_text("Pekerjaan: KARYAWAN SWASTA → Peneliti").count() == 1

    # Bidang cannot decide as the Atasan, nor post without a CSRF token.
    bidang = login(browser, base, "bidang")
    bidang.goto(case_url)
    assert bidang.get_by_text("Keputusan Atasan PPID").count() == 0
    step_url = case_url + "/langkah"
    as_atasan = bidang.request.post(step_url, form={"decision": "order", "csrf": csrf(bidang)})
    assert as_atasan.status == 403
    assert bidang.request.post(step_url, form={"decision": "recommend"}).status == 403
    take_step(bidang, "recommend", "Informasi ada di DIP; disarankan diberikan.")

    atasan = login(browser, base, "atasan")
    atasan.goto(case_url)
    preview = atasan.request.post(
        case_url + "/pratinjau", form={"decision": "order", "note": "Segera", "csrf": csrf(atasan)}
    )
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    take_step(atasan, "order", "Segera tanggapi sesuai DIP.")

    bidang.goto(case_url)
    bidang.get_by_label("Laporan keuangan koperasi 2025").check()
    take_step(bidang, "available", "Diberikan dari DIP.")

    atasan.goto(case_url)
    take_step(atasan, "send", "Informasi diberikan.")
    assert "Ditanggapi" in atasan.content()
    answer = atasan.get_by_role("link", name="Tanggapan atas keberatan")
    pdf = atasan.request.get(base + answer.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    shot(atasan, "kasus-ditanggapi-1366")

    # The archivist finds it by a word prefix, sees the NIK masked and cannot open the KTP.
    arsiparis = login(browser, base, "arsiparis")
    arsiparis.get_by_label("Cari (nama, isi formulir, teks hasil OCR)").fill("kopera")
    arsiparis.get_by_role("button", name="Cari").click()
    arsiparis.wait_for_load_state()
    assert arsiparis.locator("mark").count() >= 1
    shot(arsiparis, "arsip-1366")
    arsiparis.locator("table.results a").first.click()
    arsiparis.wait_for_load_state()
    content = arsiparis.content()
    assert spec["nik"] not in content and spec["nik"][:4] + "*" * 12 in content
    assert "akses dibatasi" in content
    ktp_ids = _ktp_document_ids(settings)
    assert petugas.request.get(f"{base}/dokumen/{ktp_ids[0]}").status == 200
    assert arsiparis.request.get(f"{base}/dokumen/{ktp_ids[0]}").status == 403
    for path in ("/static/../../ppid/core/settings.py", "/static/%2e%2e/%2e%2e/pyproject.toml"):
        response = arsiparis.request.get(base + path)
        body = response.text()
        assert response.status == 404 and "BaseSettings" not in body and "[project]" not in body

    admin = login(browser, base, "admin")
    admin.goto("/dasbor")
    assert admin.locator("svg.chart rect.bar").count() == 12
    shot(admin, "dasbor-1366")
    admin.goto("/admin")
    log_rows = admin.locator("#log-ktp + p + div tr", has_text="petugas1")
    assert log_rows.count() >= 1  # the petugas opened the KTP scan above
    shot(admin, "admin-1366")

    phone = login(browser, base, "petugas", PHONE)
    for name, path in (("tugas", "/tugas"), ("kasus", case_url), ("arsip", "/arsip")):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{name} scrolls sideways on a phone ({width}px)"
        shot(phone, f"{name}-ponsel")


def _ktp_document_ids(settings: Settings) -> list[int]:
    from ppid.core.db import open_db
    from ppid.core.models import CaseDocument

    with open_db(settings)() as session:
        query = select(CaseDocument.id).where(CaseDocument.role == "id_card")
        return list(session.scalars(query))


def test_the_login_page_is_keyboard_usable_and_every_input_has_a_label(server, browser) -> None:
    base, _, _ = server
    page = browser.new_context(viewport=DESKTOP, base_url=base).new_page()
    page.goto("/masuk")
    shot(page, "masuk-1366")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type("admin1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dasbor$"))
    for path in ("/dasbor", "/arsip", "/meja", "/tugas"):
        page.goto(path)
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
