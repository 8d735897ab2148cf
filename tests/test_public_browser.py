"""The public site in a real browser on a phone-sized screen (Debian's chromium via Playwright).

The site is served as `ppid run` serves it (uvicorn in a thread) on a free port and a temporary
home. A citizen files with a KTP photo, gets the number and the receipt, follows the status
while the staff take their steps to the answer letter, and records the reaction from the link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api as playwright_api
from sqlalchemy import select

from ppid.casework.notices import REACTION_PURPOSE
from ppid.core.db import open_db
from ppid.core.models import Case
from ppid.core.settings import Settings, load_settings
from ppid.core.signing import sign
from tests.specimens import ktp_sample
from tests.test_browser import ARGS, CHROMIUM, PHONE, _free_port
from tests.test_notices import _to_answer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    from ppid.runtime.run import serve_public
    from ppid.web.public.app import create_public_app

    home = tmp_path_factory.mktemp("publichome")
    settings = load_settings(
        home=home, public={"port": _free_port()}, workflow={"wait_for_signed_copy": False}
    )
    thread, server = serve_public(settings, create_public_app(settings))
    try:
        yield f"http://127.0.0.1:{settings.public.port}", settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def phone() -> Iterator[Any]:
    """A phone-sized page of Debian's chromium; its absence fails the test, never skips it."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup-system.sh"
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        yield context.new_page()
        chromium.close()


def test_a_citizen_files_on_a_phone_follows_the_case_to_its_answer_and_reacts(
    site: tuple[str, Settings], phone: Any
) -> None:
    base, settings = site
    path, card = ktp_sample("ktp_photo_000.jpg")
    phone.goto(base + "/")
    nik = phone.locator("#f-applicant\\.nik")
    nik.fill(card["nik"][:15])
    nik.blur()
    playwright_api.expect(phone.locator("#e-applicant\\.nik")).to_contain_text("16 angka")
    nik.fill(card["nik"])
    phone.fill("#f-request_number", "012/PPID-DKUKM/XI/2026")
    phone.fill("#f-purpose", "Penelitian tentang koperasi")
    phone.fill("#f-applicant\\.name", card["name"])
    phone.fill("#f-applicant\\.address", card["address"])
    phone.set_input_files("#f-ktp", str(path))
    phone.check("input[name=reasons][value=c]")
    phone.check("input[name=declaration]")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click("button[type=submit]")
    number = phone.locator("#nomor")
    playwright_api.expect(number).to_be_visible(timeout=120_000)
    register_number = number.inner_text().strip()
    receipt = phone.locator("a[href^='/surat/']").first.get_attribute("href")
    assert phone.request.get(base + str(receipt)).body().startswith(b"%PDF")
    phone.goto(base + "/keberatan")
    playwright_api.expect(phone.locator("#status")).to_have_text("Teregistrasi")
    sessions = open_db(settings)
    _to_answer(sessions, settings, register_number)  # the staff's steps to the answer letter
    phone.reload()
    playwright_api.expect(phone.locator("#status")).to_have_text("Ditanggapi")
    playwright_api.expect(phone.locator("#sengketa")).to_contain_text("hari kerja")
    assert phone.locator("a[href^='/surat/']").count() == 2
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.number == register_number)).one()
        answer = next(d for d in case.documents if d.role == "tanggapan")
        token = sign(settings, REACTION_PURPOSE, case.id, answer.id)
    phone.goto(f"{base}/tanggapan/{token}")
    phone.click("button[value=accepted]")
    playwright_api.expect(phone.locator(".ok")).to_contain_text("Menerima tanggapan")
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.number == register_number)).one()
        assert case.status == "closed"
    assert re.fullmatch(r"[^<>]+", register_number)
