"""The desk in a real browser (Debian's chromium via Playwright), as each role meets it.

Four cases come in through intake's real steps (a filled form and a KTP scan each, OCR and
all), then go from verification to closing through the pages only, one per ending the SOP
allows: returned to the applicant, dismissed by the Atasan, information given, information
refused. Every page any role reaches is checked as it loads: no error page, no English word,
command-line flag, Python value or JSON in what it shows, one date format. Every ending's
letter is fetched as the applicant would get it and read: what was typed for the applicant is
in it, the internal note never. Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright import sync_api as playwright_api
from pypdf import PdfReader

from ppid.core.settings import Settings, load_settings
from ppid.web import auth
from tests.english import english_in
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
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# A date anywhere but in the pages' one format (25 Januari 2027): 2027-01-25 or 25-01-2027.
OTHER_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[-/]\d{1,2}[-/]\d{4}\b")
ENDINGS = ("returned", "dismissed", "released", "rejected")
REQUESTS = {
    "returned": "021/PPID/XI/2026",
    "dismissed": "022/PPID/XI/2026",
    "released": "023/PPID/XI/2026",
    "rejected": "024/PPID/XI/2026",
}
# What each ending's decider types: for the file only, and for the applicant's letter.
INTERNAL = {
    "returned": "Catatan internal: pemohon sudah ditelepon dua kali.",
    "dismissed": "Catatan internal: dibahas dalam rapat pimpinan.",
    "released": "Disetujui, kirim kepada pemohon.",
    "rejected": "Catatan internal: rekening anggota tidak boleh dibuka.",
}
PRINTED = {
    "returned": "Formulir belum ditandatangani pemohon; mohon ajukan kembali dengan tanda tangan.",
    "dismissed": "Permohonan awal telah dijawab lengkap dan tepat waktu oleh PPID.",
    "released": "Informasi tersedia dalam Daftar Informasi Publik dan diberikan seluruhnya.",
    "rejected": "Data pribadi anggota koperasi dilindungi undang-undang.",
}
CONSEQUENCE = "Membuka rekening anggota merugikan privasi lebih besar daripada manfaatnya."


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
    return Registration(register_file, issue_receipt, archive_case).run(ctx, intake_id).outcome


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


def _variant(ktp: Path, quality: int, out: Path) -> Path:
    """The KTP scan saved again (other bytes, same card): one applicant, four objections."""
    Image.open(ktp).save(out, quality=quality)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The web app on a free port, four registered cases, a DIP, a desk with work on it."""
    from ppid.core.db import open_db
    from ppid.core.models import Case, DipItem
    from ppid.output.forms import render_filled_form
    from ppid.runtime.run import serve_web
    from ppid.web.app import create_app

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PREFECT_API_URL", raising=False)  # steps are taken directly here
        home = tmp_path_factory.mktemp("browserhome")
        settings = load_settings(home=home, web_port=_free_port())
        for folder in (settings.inbox, settings.archive, settings.quarantine):
            assert folder is not None
            folder.mkdir(parents=True, exist_ok=True)
        auth.set_password_cost(1, 1024)
        sessions = open_db(settings)
        with sessions() as session, session.begin():
            for role in ROLES:
                auth.add_user(session, f"{role}1", role, PASSWORD, f"{role.title()} Uji")
            session.add_all(
                [
                    DipItem(title="Laporan keuangan koperasi 2025", category="setiap_saat"),
                    DipItem(title="Daftar koperasi aktif 2026", category="berkala"),
                    DipItem(title="Rencana strategis dinas 2025-2029", category="berkala"),
                    DipItem(
                        title="Data rekening anggota koperasi",
                        category="dikecualikan",
                        pasal17="h",
                    ),
                ]
            )
        ktp, card = ktp_sample()
        specimens = tmp_path_factory.mktemp("specimens")
        numbers = {}
        for index, ending in enumerate(ENDINGS):
            values = objection_values(
                card,
                REQUESTS[ending],
                reasons=("c",),
                purpose="Penelitian tentang koperasi simpan pinjam",
                case_description="Permohonan laporan keuangan koperasi tidak ditanggapi.",
            )
            form = render_filled_form(
                settings, values, specimens / f"formulir-{ending}.pdf", fillable=True
            )
            folder = f"pemohon-{index + 1}"
            assert _ingest(settings, form, f"{folder}/formulir.pdf") == "pending"
            scan = _variant(ktp, 95 - index, specimens / f"ktp-{ending}.jpg")
            assert _ingest(settings, scan, f"{folder}/ktp.jpg") == "registered"
        with sessions() as session:
            for case in session.query(Case).filter(Case.number.is_not(None)):
                ending = next(e for e in ENDINGS if REQUESTS[e] == case.request_number)
                numbers[ending] = case.id
        _pending_other(settings)
        assert settings.quarantine is not None
        (settings.quarantine / "rusak.pdf").write_bytes(b"%PDF-1.4 rusak")
        (settings.quarantine / "rusak.pdf.txt").write_text(
            "Mengapa berkas ini dikarantina:\n  Berkas tidak dapat dibaca.\n\n---\n"
            "Why this file was quarantined:\n  The file could not be read\n",
            encoding="utf-8",
        )
        thread, uvicorn_server = serve_web(settings, create_app(settings))
        try:
            yield {
                "base": f"http://127.0.0.1:{settings.web_port}",
                "settings": settings,
                "cases": numbers,
                "nik": card["nik"],
            }
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


@dataclass
class Desk:
    """One role's browser tab: every page it loads is checked before the test goes on."""

    page: Any
    role: str
    base: str
    visited: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        self.check(response, path)

    def submit(self, name: str, *, expect_errors: bool = False, scope: Any = None) -> None:
        """Press the button `name` (in `scope`, default the page) and check what comes back."""
        where = scope if scope is not None else self.page
        with self.page.expect_navigation() as navigation:
            where.get_by_role("button", name=name, exact=True).click()
        self.check(navigation.value, f"{self.page.url} ← {name}", expect_errors=expect_errors)

    def check(self, response: Any, what: str, *, expect_errors: bool = False) -> None:
        """No error page, no English, no other date format in what the page shows."""
        self.page.wait_for_load_state()
        self.visited.append(self.page.url)
        status = response.status if response is not None else 200
        text = self.page.inner_text("body") + " " + self.page.title()
        if expect_errors:
            assert status == 422, (what, status)
            assert self.page.locator(".error, .alert[role=alert]").count() >= 1, what
        else:
            assert status < 400, (what, status, text[:500])
            alerts = self.page.locator("[role=alert]")
            assert alerts.count() == 0, (what, alerts.first.inner_text())
        assert english_in(text) == [], (what, english_in(text))
        assert OTHER_DATE.findall(text) == [], (what, OTHER_DATE.findall(text))
        assert "Traceback" not in self.page.content()

    def case(self, case_id: int) -> None:
        self.goto(f"/kasus/{case_id}")

    def decide(
        self, decision: str, *, note: str = "", letter: str = "", confirm: bool = True
    ) -> None:
        """Choose `decision` in the open step, type the note and the letter's text, save; a
        decision that issues a letter or closes the case is confirmed on the next page."""
        step = self.page.locator("section.step-card").first
        step.locator(f'input[name="decision"][value="{decision}"]').check()
        if note:
            step.get_by_label("Catatan internal").fill(note)
        if letter:
            step.get_by_label("Teks untuk surat").fill(letter)
        self.submit("Simpan keputusan", scope=step)
        if confirm:
            assert "Periksa sebelum menyimpan" in self.page.title()
            self.submit_confirmation()
        assert self.page.locator("#pemberitahuan").count() == 1  # "Keputusan tersimpan"

    def submit_confirmation(self) -> None:
        name = self.page.locator("button.primary").inner_text()
        self.submit(name)

    def letter(self, label: str) -> str:
        """The text of the newest document named `label` on the case page, as downloaded."""
        link = self.page.locator("ul.docs li:not(.replaced) a", has_text=label).last
        response = self.page.request.get(self.base + link.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.body()))
        return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def desks(server: dict[str, Any], browser: Any) -> dict[str, Desk]:
    """One logged-in tab per role for the whole module."""
    found = {}
    for role in ROLES:
        page = browser.new_context(viewport=DESKTOP, base_url=server["base"]).new_page()
        desk = Desk(page, role, server["base"])
        desk.goto("/masuk")
        page.get_by_label("Nama pengguna").fill(f"{role}1")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        desk.submit("Masuk")
        found[role] = desk
    return found


def letter_checks(text: str, ending: str) -> None:
    """What every letter to the applicant must say and must not."""
    assert PRINTED[ending] in text, ending
    assert INTERNAL[ending] not in text, ending
    assert english_in(text) == [], (ending, english_in(text))
    assert OTHER_DATE.findall(text) == [], OTHER_DATE.findall(text)


def test_the_desk_and_the_case_page_before_any_step(server: dict[str, Any], desks) -> None:
    petugas = desks["petugas"]
    petugas.goto("/meja")
    assert petugas.page.get_by_text("maupun KTP").count() == 1
    assert petugas.page.get_by_text("Berkas tidak dapat dibaca.").count() == 1
    petugas.shot("meja-1366")
    petugas.page.get_by_label("Alasan bukan keberatan").fill("Undangan rapat, bukan keberatan")
    petugas.submit("Tandai bukan keberatan")
    assert petugas.page.get_by_text("Ditandai bukan keberatan").count() == 1
    petugas.submit("Coba lagi rusak.pdf")
    assert petugas.page.get_by_text("dipindahkan kembali ke folder masuk").count() == 1
    petugas.goto("/tugas")
    assert petugas.page.locator("table a").count() == 4
    petugas.shot("tugas-1366")
    petugas.case(server["cases"]["returned"])
    page = petugas.page
    broken = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
    assert page.locator(".field .crop img").count() >= 10
    assert page.evaluate(broken) == 0  # every field's crop of the scan was served
    headings = page.locator("#data h3").all_inner_texts()
    assert headings == ["Formulir keberatan", "KTP pemohon"]  # the form's values first
    assert server["nik"] in page.content()  # the petugas needs the full NIK
    petugas.shot("kasus-verifikasi-1366")


def test_ending_returned_corrections_reissue_the_receipt_and_the_letter_says_why(
    server: dict[str, Any], desks: dict[str, Desk]
) -> None:
    petugas = desks["petugas"]
    petugas.case(server["cases"]["returned"])
    page = petugas.page
    # Reasons c and e (only c was read), a misread request number.
    page.locator('input[name="alasan"][value="e"]').check()
    page.get_by_label("Yang benar (Nomor pendaftaran permohonan)").fill("021/PPID/XI/2026-A")
    petugas.submit("Simpan perbaikan", expect_errors=True)  # no reason given: refused
    assert page.locator('input[name="alasan"][value="e"]').is_checked()  # the input is kept
    assert "021/PPID/XI/2026-A" in page.locator("#perbaikan").inner_html()
    page.get_by_label("Alasan perbaikan").fill("Centang e terlewat; nomor salah baca")
    petugas.submit("Simpan perbaikan")
    assert "Diterbitkan ulang: Tanda terima" in page.locator("#pemberitahuan").inner_text()
    assert page.locator("li.replaced", has_text="Tanda terima").count() == 1
    assert (
        page.get_by_text(
            "Nomor pendaftaran permohonan: 021/PPID/XI/2026 → 021/PPID/XI/2026-A"
        ).count()
        == 1
    )
    assert "Centang e terlewat" in page.inner_text("#riwayat-judul + div")
    receipt = petugas.letter("Tanda terima")
    assert "021/PPID/XI/2026-A" in receipt and "e. Permintaan informasi tidak dipenuhi" in receipt
    # A return without the reason for the applicant stays on the form, input kept.
    step = page.locator("section.step-card").first
    step.locator('input[name="decision"][value="return"]').check()
    step.get_by_label("Catatan internal").fill(INTERNAL["returned"])
    petugas.submit("Simpan keputusan", scope=step, expect_errors=True)
    step = page.locator("section.step-card").first
    assert step.locator('input[name="decision"][value="return"]').is_checked()
    assert step.get_by_label("Catatan internal").input_value() == INTERNAL["returned"]
    assert page.get_by_text("Tuliskan alasan pengembalian untuk pemohon").count() >= 1
    petugas.shot("kasus-galat-1366")
    # With the reason, the decision is shown with its letter before it is taken.
    step.get_by_label("Teks untuk surat").fill(PRINTED["returned"])
    petugas.submit("Simpan keputusan", scope=step)
    assert page.locator("img.sheet").count() >= 1  # the letter as it will be printed
    petugas.shot("konfirmasi-pengembalian-1366")
    petugas.submit_confirmation()
    assert "Selesai" in page.inner_text("#ringkasan")
    letter_checks(petugas.letter("Surat pengembalian"), "returned")


def test_ending_dismissed_by_the_atasan_with_written_reasons(
    server: dict[str, Any], desks: dict[str, Desk]
) -> None:
    case = server["cases"]["dismissed"]
    petugas, bidang, atasan = desks["petugas"], desks["bidang"], desks["atasan"]
    petugas.case(case)
    petugas.decide("forward", confirm=False)
    bidang.case(case)
    step = bidang.page.locator("section.step-card").first
    bidang.submit("Simpan keputusan", scope=step, expect_errors=True)  # findings missing
    bidang.decide(
        "recommend", note="Permohonan awal sudah dijawab; disarankan ditolak.", confirm=False
    )
    atasan.case(case)
    context = atasan.page.locator(".context").inner_text()
    assert "Permohonan awal sudah dijawab" in context  # the Bidang's findings beside it
    assert "Informasi yang dimohon" in context and "Alasan keberatan" in context
    atasan.shot("kasus-keputusan-1366")
    atasan.decide("dismiss", note=INTERNAL["dismissed"], letter=PRINTED["dismissed"])
    letter_checks(atasan.letter("Tanggapan atas keberatan"), "dismissed")
    petugas.case(case)
    petugas.decide("signed", note="Salinan bertanda tangan diserahkan langsung.", confirm=False)
    petugas.decide("dispute", note="Pemohon mengajukan sengketa lewat surat.")
    assert "Selesai" in petugas.page.inner_text("#ringkasan")


def test_ending_released_after_a_dip_search_and_the_internal_note_stays_internal(
    server: dict[str, Any], desks: dict[str, Desk]
) -> None:
    case = server["cases"]["released"]
    petugas, bidang, atasan = desks["petugas"], desks["bidang"], desks["atasan"]
    petugas.case(case)
    petugas.decide("forward", confirm=False)
    bidang.case(case)
    bidang.decide("recommend", note="Informasi ada di DIP; disarankan diberikan.", confirm=False)
    atasan.case(case)
    atasan.decide("order", letter="Berikan laporan keuangan sesuai DIP.")
    bidang.case(case)
    page = bidang.page
    assert page.locator('select[name="pasal17"]').is_hidden()  # only for an exemption
    page.get_by_label("Cari di Daftar Informasi Publik (DIP)").fill("laporan keuangan")
    bidang.submit("Cari")
    items = page.locator('input[name="dip_item"]')
    assert items.count() == 1  # the search narrowed the list
    page.get_by_label("Laporan keuangan koperasi 2025").check()
    bidang.shot("kasus-dip-1366")
    bidang.decide("available", note="Diberikan dari DIP.", confirm=False)
    atasan.case(case)
    assert "Laporan keuangan koperasi 2025" in atasan.page.locator(".context").inner_text()
    atasan.decide("send", note=INTERNAL["released"], letter=PRINTED["released"])
    text = atasan.letter("Tanggapan atas keberatan")
    letter_checks(text, "released")
    assert "Laporan keuangan koperasi 2025" in text
    atasan.shot("kasus-ditanggapi-1366")
    petugas.case(case)
    petugas.decide("signed", note="Salinan bertanda tangan diterima di meja.", confirm=False)
    petugas.decide("no_response")
    assert "Selesai" in petugas.page.inner_text("#ringkasan")


def test_ending_rejected_as_exempt_with_ground_and_consequence(
    server: dict[str, Any], desks: dict[str, Desk]
) -> None:
    case = server["cases"]["rejected"]
    petugas, bidang, atasan = desks["petugas"], desks["bidang"], desks["atasan"]
    petugas.case(case)
    petugas.decide("forward", confirm=False)
    bidang.case(case)
    bidang.decide("recommend", note="Yang diminta data rekening anggota.", confirm=False)
    atasan.case(case)
    atasan.decide("order")
    bidang.case(case)
    step = bidang.page.locator("section.step-card").first
    step.locator('input[name="decision"][value="exempt"]').check()
    assert step.locator('select[name="pasal17"]').is_visible()
    bidang.submit("Simpan keputusan", scope=step, expect_errors=True)  # ground, test missing
    step = bidang.page.locator("section.step-card").first
    step.get_by_label("Dasar pengecualian (Pasal 17)").select_option("h")
    step.get_by_label("Uji konsekuensi").fill(CONSEQUENCE)
    bidang.decide("exempt", note="Catatan bidang: sesuai daftar pengecualian.", confirm=False)
    atasan.case(case)
    atasan.decide("send", note=INTERNAL["rejected"], letter=PRINTED["rejected"])
    text = atasan.letter("Surat penolakan")
    letter_checks(text, "rejected")
    assert "Pasal 17 huruf h" in text and CONSEQUENCE in text
    petugas.case(case)
    petugas.decide("signed", note="Salinan bertanda tangan diserahkan langsung.", confirm=False)
    petugas.decide("accepted")
    assert "Selesai" in petugas.page.inner_text("#ringkasan")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_reads_as_indonesian(
    server: dict[str, Any], desks: dict[str, Desk], role: str
) -> None:
    """Each role follows every link of its menu and of the pages it finds (cases, archive,
    dashboard, desk, administration) and each page passes the checks."""
    desk = desks[role]
    start = {"petugas": "/tugas", "bidang": "/tugas", "atasan": "/tugas"}.get(role, "/")
    desk.goto(start)
    seen: set[str] = set()
    todo = [desk.page.url]
    while todo and len(seen) < 40:
        url = todo.pop(0)
        path = url.removeprefix(server["base"]).split("#")[0]
        if path in seen:
            continue
        seen.add(path)
        desk.goto(path)
        for href in desk.page.locator("a[href^='/']").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        ):
            if (
                not re.match(r"^/(dokumen|static|kasus/\d+/paket)", href)
                and href.split("#")[0] not in seen
            ):
                todo.append(href)
    assert len(seen) >= 4, seen
    for path in ("/kasus/abc", "/kasus/999999", "/tidak-ada"):
        response = desk.page.goto(path)
        assert response.status == 404
        text = desk.page.inner_text("body")
        assert english_in(text) == [] and "detail" not in text
    desk.goto(start)
    desk.shot(f"{role}-1366")


def test_pages_fit_a_phone(server: dict[str, Any], browser: Any, desks: dict[str, Desk]) -> None:
    phone_page = browser.new_context(viewport=PHONE, base_url=server["base"]).new_page()
    phone = Desk(phone_page, "petugas", server["base"])
    phone.goto("/masuk")
    phone_page.get_by_label("Nama pengguna").fill("petugas1")
    phone_page.get_by_label("Kata sandi").fill(PASSWORD)
    phone.submit("Masuk")
    for name, path in (
        ("tugas", "/tugas"),
        ("kasus", f"/kasus/{server['cases']['released']}"),
        ("arsip", "/arsip"),
    ):
        phone.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{name} scrolls sideways on a phone ({width}px)"
        phone.shot(f"{name}-ponsel")


def test_the_login_page_is_keyboard_usable_and_every_input_has_a_label(server, browser) -> None:
    page = browser.new_context(viewport=DESKTOP, base_url=server["base"]).new_page()
    page.goto("/masuk")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type("admin1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dasbor$"))
    for path in ("/dasbor", "/arsip", "/meja", "/tugas", "/admin"):
        page.goto(path)
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
