"""The public site through FastAPI's TestClient: filing with a KTP photo through the intake,
the receipt at once, the status page and its letters, and what a hostile visitor meets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ppid.casework.notices import REACTION_PURPOSE
from ppid.core.db import open_db
from ppid.core.models import Case, IntakeFile, Submission
from ppid.core.settings import Settings, load_settings
from ppid.core.signing import sign
from ppid.web.app import SECURITY_HEADERS
from ppid.web.public.app import create_public_app
from ppid.web.public.context import CASE_COOKIE, VISITOR_COOKIE
from tests.specimens import ON_BOTH_DATABASES, ktp_sample
from tests.test_notices import _to_answer
from tests.test_web_security import app_routes

pytestmark = ON_BOTH_DATABASES

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
REQUEST = "012/PPID-DKUKM/XI/2026"


def _values(card: dict[str, Any], **extra: str) -> dict[str, Any]:
    return {
        "request_number": REQUEST,
        "purpose": "Penelitian skripsi tentang koperasi",
        "applicant.name": card["name"],
        "applicant.nik": card["nik"],
        "applicant.address": card["address"],
        "applicant.occupation": "Mahasiswa",
        "applicant.phone": "081234567890",
        "reasons": ["a", "c"],
        "case_description": "Permohonan saya tidak ditanggapi dalam sepuluh hari kerja.",
        "place": "Pontianak",
        "declaration": "ya",
        **extra,
    }


def _client(settings: Settings) -> TestClient:
    return TestClient(create_public_app(settings), base_url="http://keberatan.test")


def _csrf(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


def _file(client: TestClient, values: dict[str, Any], ktp: tuple[str, bytes, str]) -> Any:
    data = {"csrf": _csrf(client), **values}
    return client.post("/ajukan", data=data, files={"ktp": ktp}, follow_redirects=False)


def _counts(settings: Settings) -> tuple[int, int, int]:
    from ppid.core.db import open_db

    with open_db(settings)() as session:
        return (
            session.scalar(select(func.count(Case.id))) or 0,
            session.scalar(select(func.count(IntakeFile.id))) or 0,
            session.scalar(select(func.count(Submission.id))) or 0,
        )


@pytest.fixture
def filed() -> tuple[Settings, TestClient, str, dict[str, Any]]:
    """One objection filed with a KTP photo: the settings, that browser, the number, the card."""
    settings = load_settings()
    path, card = ktp_sample("ktp_photo_000.jpg")
    client = _client(settings)
    response = _file(client, _values(card), ("ktp.jpg", path.read_bytes(), "image/jpeg"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/diterima"
    page = client.get("/diterima")
    number = re.search(r'id="nomor">([^<]+)<', page.text)
    assert number is not None
    return settings, client, number.group(1), card


def test_a_filing_is_registered_through_the_intake_with_its_receipt(filed: Any) -> None:
    settings, client, number, card = filed
    page = client.get("/diterima")
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    assert card["nik"] not in page.text  # the NIK is not shown back
    receipt = re.search(r'href="(/surat/\d+)"', page.text)
    assert receipt is not None
    pdf = client.get(receipt.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from ppid.core.db import open_db

    with open_db(settings)() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert case.channel == "web" and case.channel_label == "Situs web"
        assert case.applicant_nik == card["nik"]
        assert case.request_number == REQUEST
        assert sorted(d.role for d in case.documents) == ["form", "id_card", "receipt"]
        assert [t.step for t in case.tasks] == ["verify"]  # the desk's queue, like a scan
        sources = session.scalars(select(IntakeFile.source)).all()
        assert set(sources) == {"web"}


def test_the_status_page_needs_the_number_and_the_nik_and_says_nothing_else(filed: Any) -> None:
    settings, _, number, card = filed
    stranger = _client(settings)
    assert "/status" in stranger.get("/keberatan", follow_redirects=False).headers["location"]
    token = _csrf(stranger, "/status")
    wrong_nik = stranger.post("/status", data={"csrf": token, "number": number, "nik6": "000000"})
    unknown = stranger.post("/status", data={"csrf": token, "number": "K-9999/2099", "nik6": "1"})
    assert wrong_nik.status_code == unknown.status_code == 404
    assert _message(wrong_nik.text) == _message(unknown.text)
    assert number not in wrong_nik.text
    assert stranger.get("/surat/1").status_code == 404  # no letter without proving the case
    right = stranger.post(
        "/status", data={"csrf": token, "number": number.lower(), "nik6": card["nik"][-6:]}
    )
    assert right.status_code == 200 and number in right.text
    assert "Teregistrasi" in right.text and "Tanda terima" in right.text
    assert card["nik"] not in right.text


def _message(html: str) -> str:
    found = re.search(r'class="error" role="alert">([^<]+)<', html)
    assert found is not None
    return found.group(1)


def test_guessing_is_rate_limited_per_client(filed: Any) -> None:
    settings, _, number, _ = filed
    guesser = _client(settings)
    token = _csrf(guesser, "/status")
    codes = [
        guesser.post("/status", data={"csrf": token, "number": number, "nik6": f"{n:06d}"})
        for n in range(6)
    ]
    assert [c.status_code for c in codes] == [404] * 5 + [429]


def test_refusals_come_back_on_the_form_and_register_nothing() -> None:
    settings = load_settings()
    path, card = ktp_sample("ktp_photo_000.jpg")
    photo = ("ktp.jpg", path.read_bytes(), "image/jpeg")
    client = _client(settings)
    bad = _file(client, _values(card, **{"applicant.nik": "1234"}), photo)
    assert bad.status_code == 400 and "NIK harus 16 angka" in bad.text
    other = _values(card, **{"applicant.nik": "6171054508900003"})  # a valid NIK, not the card's
    mismatch = _file(client, other, photo)
    assert mismatch.status_code == 400 and "berbeda" in mismatch.text
    not_an_image = _file(client, _values(card), ("ktp.jpg", b"<html>hai</html>", "image/jpeg"))
    assert not_an_image.status_code == 400 and "jenis berkas tidak diterima" in not_an_image.text
    assert _counts(settings) == (0, 0, 0)
    no_csrf = client.post("/ajukan", data=_values(card), files={"ktp": photo})
    assert no_csrf.status_code == 403
    bot = _file(client, _values(card, situs_web="http://spam.example"), photo)
    assert bot.status_code == 400
    assert _counts(settings) == (0, 0, 0)


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    settings = load_settings(public={"max_upload_mb": 0.5})
    client = _client(settings)
    big = ("ktp.jpg", b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024), "image/jpeg")
    response = _file(client, {"applicant.name": "X"}, big)
    assert response.status_code == 413
    assert "terlalu besar" in response.text


def test_the_sites_cookies_are_httponly_samesite_and_secure_behind_https() -> None:
    settings = load_settings(public={"url": "https://keberatan.example.go.id"})
    client = TestClient(create_public_app(settings), base_url="https://keberatan.test")
    visit = client.get("/")
    forget = client.post("/keluar", data={"csrf": _csrf(client)}, follow_redirects=False)
    cookies = visit.headers.get_list("set-cookie") + forget.headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in cookies] == [VISITOR_COOKIE, CASE_COOKIE]  # set, removed
    for cookie in map(str.lower, cookies):
        assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" in cookie
    assert visit.headers["strict-transport-security"].startswith("max-age=")
    plain = _client(load_settings()).get("/")
    assert "; secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers


# What each route of the public site answers: anonymous, a browser following another case, and
# the applicant's own browser. A route added without a row fails the first test below.
MATRIX = {
    ("GET", "/"): (200, 200, 200),
    ("POST", "/ajukan"): (403, 403, 403),  # without its CSRF token
    ("GET", "/diterima"): (303, 200, 200),
    ("GET", "/status"): (200, 200, 200),
    ("POST", "/status"): (403, 403, 403),
    ("GET", "/keberatan"): (303, 200, 200),
    ("GET", "/surat/{document_id}"): (404, 404, 200),  # the applicant's own receipt
    ("POST", "/keluar"): (403, 403, 403),
    ("GET", "/tanggapan/{token}"): (404, 404, 404),  # a token we did not sign
    ("POST", "/tanggapan/{token}"): (403, 403, 403),
}


def _routes(app: Any) -> set[tuple[str, str]]:
    """The app's (method, path) pairs, as the staff app's route matrix reads them."""
    return set(app_routes(app)) - {("GET", "/static")}


def test_every_route_answers_as_the_matrix_says_and_an_applicant_sees_only_their_case(
    filed: Any,
) -> None:
    settings, own, number, card = filed
    assert _routes(create_public_app(settings)) == set(MATRIX)
    other_path, other_card = ktp_sample("ktp_crop_000.jpg")
    other = _client(settings)
    other_values = _values(other_card, request_number="013/PPID-DKUKM/XI/2026")
    photo = ("ktp.jpg", other_path.read_bytes(), "image/jpeg")
    assert _file(other, other_values, photo).status_code == 303
    receipt = re.search(r'href="/surat/(\d+)"', own.get("/diterima").text)
    assert receipt is not None
    for (method, path), expected in MATRIX.items():
        url = path.replace("{document_id}", receipt.group(1)).replace("{token}", "1.2.x")
        for client, code in zip((_client(settings), other, own), expected, strict=True):
            answer = client.request(method, url, follow_redirects=False)
            assert answer.status_code == code, (method, path, code)
    assert number not in other.get("/keberatan").text
    assert card["nik"] not in other.get("/keberatan").text


def test_nothing_of_the_staff_app_is_reachable_through_the_public_site() -> None:
    from ppid.web.app import create_app

    settings = load_settings()
    client = _client(settings)
    staff = _routes(create_app(settings)) - set(MATRIX)
    assert staff  # the staff app's routes were found
    for method, path in sorted(staff):
        url = re.sub(r"\{[^}]+\}", "1", path)
        assert client.request(method, url).status_code in (404, 405), (method, path)


def test_the_status_follows_the_staffs_steps_to_the_answer_and_the_applicant_reacts() -> None:
    settings = load_settings(workflow={"wait_for_signed_copy": False})
    path, card = ktp_sample("ktp_photo_000.jpg")
    client = _client(settings)
    photo = ("ktp.jpg", path.read_bytes(), "image/jpeg")
    assert _file(client, _values(card), photo).status_code == 303
    number = re.search(r'id="nomor">([^<]+)<', client.get("/diterima").text)
    assert number is not None
    sessions = open_db(settings)
    _to_answer(sessions, settings, number.group(1))  # the staff's steps, as in the desk
    status = client.get("/keberatan")
    assert "Ditanggapi" in status.text and "Tanggapan atas keberatan" in status.text
    assert "hari kerja" in status.text and "Komisi Informasi" in status.text
    letters = re.findall(r'href="(/surat/\d+)"', status.text)
    assert len(letters) == 2  # the receipt and the answer
    assert all(client.get(url).content.startswith(b"%PDF") for url in letters)
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number.group(1))).one()
        answer = next(d for d in case.documents if d.role == "tanggapan")
        token = sign(settings, REACTION_PURPOSE, case.id, answer.id)
    stranger = _client(settings)  # the link works from the e-mail, in any browser
    form = stranger.get(f"/tanggapan/{token}")
    assert form.status_code == 200 and "Menerima tanggapan" in form.text
    csrf = CSRF.search(form.text)
    assert csrf is not None
    done = stranger.post(
        f"/tanggapan/{token}", data={"csrf": csrf.group(1), "decision": "accepted"}
    )
    assert done.status_code == 200 and "tercatat" in done.text
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number.group(1))).one()
        assert case.status == "closed" and case.applicant_response == "Menerima tanggapan"
        assert [e.action for e in case.events if e.actor == "pemohon"] == ["step"]
    again = stranger.post(
        f"/tanggapan/{token}", data={"csrf": csrf.group(1), "decision": "dispute"}
    )
    assert "sudah tercatat" in again.text  # once only
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert stranger.get(f"/tanggapan/{forged}").status_code == 404
