"""Personal data on every way out of the web app: route × role × document kind, bytes inspected.

A case with every kind of file (a fillable form, a scanned form, an ID card, a bundle, an
e-mail, a typed letter from the applicant, and the PDFs we made, which carry case.json) is served
to every role through every route. What a role that sees masked NIKs receives is searched, bytes
and all: inside ZIPs, PDFs (every stream decoded, attachments, page text, form fields) and
pages; it must hold no full NIK and no ID scan. Roles that see full NIKs get the files as kept,
and each download of an ID-bearing file adds one line to the access log.

Table-driven: `WAYS_OUT` lists every route the app serves and the requests that exercise it, and
`ROLES` who asks. A new route (or a new app) is one entry; a route missing from the table fails
`test_every_route_is_walked`. The public site is walked the same way (`PUBLIC_WAYS_OUT`) by the
applicant's own browser and by one that proved nothing: the applicant gets the case's letters,
and only those, with the NIK masked (six digits proved are not the whole NIK).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select

from ppid.archive.bags import archive_case, update_all
from ppid.casework.notices import letters_sent
from ppid.core.files import sha256_file
from ppid.core.masking import mask_nik
from ppid.core.models import Case, CaseDocument, IdScanView, IntakeFile
from ppid.core.paths import stored_original
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import DocumentKind
from ppid.intake.ledger import IntakeContext, claim
from ppid.intake.steps import Registration, extract, issue_receipt, register_file, store_original
from ppid.output.forms import render_filled_form
from ppid.web import auth
from ppid.web.app import create_app
from ppid.web.public.app import create_public_app
from tests.nik_leaks import findings
from tests.specimens import ktp_sample, objection_values
from tests.test_web import CSRF, PASSWORD, login
from tests.test_web_security import app_routes

SCAN_NIK = "6171054508900003"  # written on the scanned form
LETTER_NIK = "6171011203850007"  # typed in the applicant's letter of authority
FULL_ROLES = ("petugas", "bidang", "atasan", "admin")
MASKED_ROLES = ("arsiparis", "anonim")
ROLES = FULL_ROLES + MASKED_ROLES
NIK_BOX = (140.0, 300.0, 1100.0, 360.0)  # where the scanned form's NIK is drawn (pixels)


@dataclass
class World:
    settings: Settings
    app: Any
    case_id: int
    niks: set[str]
    documents: dict[str, int]  # kind -> document id
    intake_files: list[int]
    id_scans: list[bytes]  # the bytes of every ID scan kept
    clients: dict[str, TestClient] = field(default_factory=dict)


# --- the case ------------------------------------------------------------------------------------


def _scanned_form(path: Path) -> Path:
    page = Image.new("RGB", (1240, 900), "white")
    draw = ImageDraw.Draw(page)
    draw.text((140, 200), "Nama: SARI CONTOH", fill="black")
    draw.text((150, 320), f"NIK: {SCAN_NIK}", fill="black")
    page.save(path)
    return path


def _typed_letter(path: Path) -> Path:
    import weasyprint

    text = f"<p>Surat kuasa. NIK pemberi kuasa: {LETTER_NIK}. Nomor lain: 12345.</p>"
    weasyprint.HTML(string=text).write_pdf(path)
    return path


def _bundle(path: Path, nik: str) -> Path:
    import weasyprint

    weasyprint.HTML(string=f"<p>KARTU TANDA PENDUDUK NIK {nik}</p>").write_pdf(path)
    return path


def _email(path: Path, nik: str, ktp: bytes) -> Path:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"], message["From"] = "Keberatan", "pemohon@example.org"
    message.set_content(f"NIK saya {nik}")
    message.add_attachment(ktp, maintype="image", subtype="jpeg", filename="ktp.jpg")
    path.write_bytes(message.as_bytes())
    return path


def _keep(ctx: IntakeContext, source: Path) -> tuple[str, str]:
    digest = sha256_file(source)
    relative = stored_original(digest, source.name)
    (ctx.archive / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, ctx.archive / relative)
    return relative.as_posix(), digest


def _add_originals(ctx: IntakeContext, case_id: int, folder: Path, nik: str, ktp: bytes) -> None:
    scan_form = {
        "document_type": "objection_form",
        "pages": [1],
        "method": "ocr",
        "fields": {"applicant": {"name": "SARI CONTOH", "nik": SCAN_NIK}},
        "confidence": {"applicant.nik": 0.9},
        "boxes": {"applicant.name": [1, 140, 190, 700, 230], "applicant.nik": [1, *NIK_BOX]},
    }
    letter = {"document_type": "other", "pages": [1], "method": "text", "fields": {}}
    files = [
        ("formulir-scan.png", "form", "objection_form", "image/png", [scan_form], _scanned_form),
        ("surat-kuasa.pdf", "other", "other", "application/pdf", [letter], _typed_letter),
        ("gabungan.pdf", "other", "bundle", "application/pdf", [], lambda p: _bundle(p, nik)),
        ("pesan.eml", "email", "email", "message/rfc822", [], lambda p: _email(p, nik, ktp)),
    ]
    with ctx.sessions() as session, session.begin():
        case = session.get_one(Case, case_id)
        for name, role, kind, media, documents, make in files:
            path, digest = _keep(ctx, make(folder / name))
            session.add(
                CaseDocument(
                    case=case,
                    kind=DocumentKind.ORIGINAL,
                    document_type=kind,
                    role=role,
                    path=path,
                    sha256=digest,
                    media_type=media,
                    fields={"documents": documents},
                )
            )


def _take(ctx: IntakeContext, source: Path) -> tuple[int, str | None]:
    assert ctx.settings.inbox is not None
    path = ctx.settings.inbox / "pemohon" / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, path)
    intake_id, _ = claim(ctx, path)
    store_original(ctx, intake_id, path)
    extract(ctx, intake_id)
    registration = Registration(register_file, issue_receipt, archive_case)
    return intake_id, registration.run(ctx, intake_id).register_number


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    auth.set_password_cost(1, 1024)
    yield
    auth.set_password_cost(3, 65536)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("pd-home")
    folder = tmp_path_factory.mktemp("pd-files")
    settings = load_settings(home=home)
    for place in (settings.inbox, settings.archive):
        assert place is not None
        place.mkdir(parents=True, exist_ok=True)
    ctx = IntakeContext.open(settings)
    ktp, card = ktp_sample()
    form = render_filled_form(
        settings, objection_values(card), folder / "formulir.pdf", fillable=True
    )
    shutil.copy(ktp, folder / "ktp.jpg")
    form_id, _ = _take(ctx, form)
    ktp_id, number = _take(ctx, folder / "ktp.jpg")
    assert number is not None
    with ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case_id = case.id
    _add_originals(ctx, case_id, folder, card["nik"], (folder / "ktp.jpg").read_bytes())
    update_all(settings, ctx.sessions, number)  # the bag, its PDFs archival with case.json
    with ctx.sessions() as session, session.begin():
        case = session.get_one(Case, case_id)
        documents = {f"{d.kind}:{Path(d.path).name}": d.id for d in case.documents}
        id_scans = [
            (settings.archive / d.path).read_bytes() for d in case.documents if d.role == "id_card"
        ]
        for role in ROLES[:-1]:
            auth.add_user(session, role + "1", role, PASSWORD, role)
    app = create_app(settings)
    niks = {card["nik"], SCAN_NIK, LETTER_NIK}
    world = World(settings, app, case_id, niks, documents, [form_id, ktp_id], id_scans)
    world.clients["anonim"] = TestClient(app, follow_redirects=False)
    for role in ROLES[:-1]:
        world.clients[role] = TestClient(app, follow_redirects=False)
        assert login(world.clients[role], role + "1") == 303
    yield world
    for client in world.clients.values():
        client.close()


# --- every way out ----------------------------------------------------------------------------

Request = tuple[str, dict[str, str] | None]  # a URL, and the form of a POST


def _documents(w: World) -> list[Request]:
    ids = sorted(w.documents.values())
    return [(f"/dokumen/{i}", None) for i in ids] + [(f"/dokumen/{i}?unduh=1", None) for i in ids]


def _crops(w: World) -> list[Request]:
    found = []
    with w.app.state.web.sessions() as session:
        for document in session.scalars(select(CaseDocument)):
            for index, item in enumerate((document.fields or {}).get("documents") or []):
                for name in item.get("boxes") or {}:
                    found.append((f"/dokumen/{document.id}/potongan?d={index}&f={name}", None))
    return found


def _static(_: World) -> list[Request]:
    folder = Path(__file__).resolve().parent.parent / "templates" / "web" / "static"
    return [(f"/static/{p.name}", None) for p in sorted(folder.iterdir()) if p.is_file()]


NOTHING = {"csrf": ""}  # a POST naming nothing that exists: an error page, also inspected

# (method, path as the app declares it) -> the requests that exercise it for the world's case.
WAYS_OUT: dict[tuple[str, str], Callable[[World], list[Request]]] = {
    ("GET", "/static"): _static,
    ("GET", "/health"): lambda w: [("/health", None)],
    ("GET", "/masuk"): lambda w: [("/masuk", None)],
    ("POST", "/masuk"): lambda w: [("/masuk", {"username": "tidak-ada", "password": "salah"})],
    ("POST", "/keluar"): lambda w: [],  # ends the session; answers a redirect, nothing else
    ("GET", "/"): lambda w: [("/", None)],
    ("GET", "/tugas"): lambda w: [("/tugas", None)],
    ("GET", "/dasbor"): lambda w: [("/dasbor", None)],
    ("GET", "/admin"): lambda w: [("/admin", None)],
    ("POST", "/admin/buka-kunci"): lambda w: [("/admin/buka-kunci", {"username": "x"})],
    ("GET", "/arsip"): lambda w: (
        [("/arsip", None)]
        + [(f"/arsip?q={q}", None) for q in (*sorted(w.niks), "koperasi", "SARI")]
    ),
    ("GET", "/kasus/{case_id}"): lambda w: [(f"/kasus/{w.case_id}", None)],
    ("POST", "/kasus/{case_id}/langkah"): lambda w: [
        (f"/kasus/{w.case_id}/langkah", {"decision": "tidak-ada"})
    ],
    ("POST", "/kasus/{case_id}/pratinjau"): lambda w: [
        (f"/kasus/{w.case_id}/pratinjau", {"decision": "tidak-ada"})
    ],
    ("POST", "/kasus/{case_id}/perbaikan"): lambda w: [  # refused: the page again, input kept
        (f"/kasus/{w.case_id}/perbaikan", {"keterangan": ""})
    ],
    ("GET", "/kasus/{case_id}/paket"): lambda w: [(f"/kasus/{w.case_id}/paket", None)],
    ("POST", "/kasus/{case_id}/pemberitahuan/{notice_id}"): lambda w: [
        (f"/kasus/{w.case_id}/pemberitahuan/999999", {})
    ],
    ("GET", "/dokumen/{document_id}"): _documents,
    ("GET", "/dokumen/{document_id}/potongan"): _crops,
    ("GET", "/meja"): lambda w: [("/meja", None)],
    ("GET", "/meja/berkas/{intake_id}"): lambda w: [
        (f"/meja/berkas/{i}", None) for i in w.intake_files
    ],
    ("POST", "/meja/lampirkan"): lambda w: [("/meja/lampirkan", {"sumber": "0", "tujuan": "0"})],
    ("POST", "/meja/bukan-keberatan"): lambda w: [("/meja/bukan-keberatan", {"pengajuan": "0"})],
    ("POST", "/meja/ulangi"): lambda w: [("/meja/ulangi", {"berkas": "tidak-ada.pdf"})],
}


def test_every_route_is_walked(world: World) -> None:
    served = set(app_routes(world.app))
    assert not served - set(WAYS_OUT), f"add to WAYS_OUT: {sorted(served - set(WAYS_OUT))}"
    assert not set(WAYS_OUT) - served, "WAYS_OUT lists routes the app no longer has"


# --- what a response holds --------------------------------------------------------------------


def _walk(world: World, role: str) -> Iterator[tuple[str, Any]]:
    client = world.clients[role]
    for route, requests in WAYS_OUT.items():
        for url, form in requests(world):
            if form is None:
                yield url, client.get(url)
            else:
                token = CSRF.search(client.get("/masuk" if role == "anonim" else "/dasbor").text)
                yield url, client.post(url, data={**form, "csrf": token.group(1) if token else ""})
        assert route in WAYS_OUT


def _views(world: World) -> int:
    with world.app.state.web.sessions() as session:
        return int(session.scalar(select(func.count(IdScanView.id))) or 0)


# --- the rule, walked ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_no_full_nik_or_id_scan_leaves_for_a_role_that_sees_masked_niks(
    world: World, role: str
) -> None:
    leaks, answered = [], {}
    for url, response in _walk(world, role):
        answered[url] = response.status_code
        leaks += findings(response.content, f"{role} {url}", world.niks, world.id_scans)
    assert leaks == [], "\n".join(leaks)
    if role == "arsiparis":  # and the archivist still gets the files, redacted
        documents = {kind: answered[f"/dokumen/{i}"] for kind, i in world.documents.items()}
        assert documents["original:formulir.pdf"] == 200
        assert documents["original:formulir-scan.png"] == 200
        assert documents["original:surat-kuasa.pdf"] == 200
        assert documents["original:ktp.jpg"] == 403
        assert documents["original:gabungan.pdf"] == 403 and documents["original:pesan.eml"] == 403
        assert all(code == 200 for kind, code in documents.items() if kind.startswith("output"))
        assert answered[f"/kasus/{world.case_id}/paket"] == 200


@pytest.mark.parametrize("role", FULL_ROLES)
def test_roles_that_see_full_niks_get_files_as_kept_and_each_download_is_logged(
    world: World, role: str
) -> None:
    client, seen = world.clients[role], []
    for kind, document_id in sorted(world.documents.items()):
        before = _views(world)
        response = client.get(f"/dokumen/{document_id}")
        assert response.status_code == 200, kind
        seen += findings(response.content, kind, world.niks, world.id_scans)
        assert _views(world) == before + 1, f"{kind}: not logged"
    assert any("an ID scan" in f for f in seen)  # the inspection finds what is there
    assert any("@case.json" in f for f in seen) and any("form field" in f for f in seen)
    in_bytes = world.niks - {SCAN_NIK}  # the scanned form's NIK is only pixels
    assert {nik for nik in world.niks if any(nik in f for f in seen)} == in_bytes


def test_the_archivists_package_is_a_valid_bag_without_id_scans(world: World) -> None:
    import bagit

    response = world.clients["arsiparis"].get(f"/kasus/{world.case_id}/paket")
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        names = bundle.namelist()
        folder = world.settings.var_dir / "uji-paket"
        bundle.extractall(folder)
    bag = folder / names[0].split("/")[0]
    bagit.Bag(str(bag)).validate()
    withheld = (bag / "data" / "DITAHAN.txt").read_text(encoding="utf-8")
    assert "ktp.jpg" in withheld and "pesan.eml" in withheld and "gabungan.pdf" in withheld
    assert "PPID-Redacted" in (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert any(name.endswith("formulir-nik-disamarkan.pdf") for name in names)


def test_a_redacted_copy_blacks_out_every_place_a_nik_was_read(world: World) -> None:
    client = world.clients["arsiparis"]
    scan = client.get(f"/dokumen/{world.documents['original:formulir-scan.png']}")
    image = Image.open(io.BytesIO(scan.content)).convert("L")
    x0, y0, x1, y1 = (int(v) for v in NIK_BOX)
    assert image.crop((x0, y0, x1, y1)).getextrema() == (0, 0)  # all black where the NIK was
    assert image.crop((140, 190, 700, 230)).getextrema()[1] > 0  # the name is still there
    letter = client.get(f"/dokumen/{world.documents['original:surat-kuasa.pdf']}")
    assert PdfReader(io.BytesIO(letter.content)).pages[0].extract_text().strip() == ""
    form = client.get(f"/dokumen/{world.documents['original:formulir.pdf']}")
    assert PdfReader(io.BytesIO(form.content)).get_fields() is None  # drawn: no fields left
    with world.app.state.web.sessions() as session:
        assert session.scalar(select(func.count(IntakeFile.id))) == 2


# --- the public site ------------------------------------------------------------------------------

PUBLIC_WAYS_OUT: dict[tuple[str, str], Callable[[World], list[Request]]] = {
    ("GET", "/static"): lambda w: [],  # the site's stylesheet: no case in it
    ("GET", "/"): lambda w: [("/", None)],
    ("POST", "/ajukan"): lambda w: [("/ajukan", {})],  # refused: the form again
    ("GET", "/diterima"): lambda w: [("/diterima", None)],
    ("GET", "/status"): lambda w: [("/status", None)],
    ("POST", "/status"): lambda w: [("/status", {"number": "K-0/2099", "nik6": "000000"})],
    ("GET", "/keberatan"): lambda w: [("/keberatan", None)],
    ("GET", "/surat/{document_id}"): lambda w: [
        (f"/surat/{i}", None) for i in sorted(w.documents.values())
    ],
    ("POST", "/keluar"): lambda w: [],  # forgets the case; answers a redirect, nothing else
    ("GET", "/tanggapan/{token}"): lambda w: [("/tanggapan/1.2.x", None)],
    ("POST", "/tanggapan/{token}"): lambda w: [("/tanggapan/1.2.x", {"decision": "accepted"})],
}


def _public_browsers(world: World) -> dict[str, TestClient]:
    """The applicant's browser, which proved the case on the site, and one that proved nothing."""
    app = create_public_app(world.settings)
    browsers = {
        who: TestClient(app, base_url="http://keberatan.test", follow_redirects=False)
        for who in ("pemohon", "orang-lain")
    }
    with world.app.state.web.sessions() as session:
        case = session.get_one(Case, world.case_id)
        number, nik = str(case.number), str(case.applicant_nik)
    token = CSRF.search(browsers["pemohon"].get("/status").text)
    assert token is not None
    proof = {"csrf": token.group(1), "number": number, "nik6": nik[-6:]}
    assert browsers["pemohon"].post("/status", data=proof).status_code == 303
    return browsers


def _public_walk(world: World, client: TestClient) -> Iterator[tuple[str, Any]]:
    for requests in PUBLIC_WAYS_OUT.values():
        for url, form in requests(world):
            if form is None:
                yield url, client.get(url)
            else:
                token = CSRF.search(client.get("/status").text)
                yield url, client.post(url, data={**form, "csrf": token.group(1) if token else ""})


def test_the_public_site_gives_the_applicant_only_the_cases_letters_with_the_nik_masked(
    world: World,
) -> None:
    browsers = _public_browsers(world)
    assert set(app_routes(browsers["pemohon"].app)) == set(PUBLIC_WAYS_OUT)
    with world.app.state.web.sessions() as session:
        case = session.get_one(Case, world.case_id)
        sent = {d.id for d in letters_sent(world.settings, case)}
        masked = str(mask_nik(case.applicant_nik))
    assert sent  # the receipt, at least
    for who, client in browsers.items():
        leaks, answered = [], {}
        for url, response in _public_walk(world, client):
            answered[url] = response
            leaks += findings(response.content, f"{who} {url}", world.niks, world.id_scans)
        assert leaks == [], "\n".join(leaks)
        letters = {i: answered[f"/surat/{i}"] for i in world.documents.values()}
        mine = {i for i, response in letters.items() if response.status_code == 200}
        assert mine == (sent if who == "pemohon" else set()), who
        assert all(r.status_code == 404 for i, r in letters.items() if i not in mine), who
    for document_id in sent:  # the copy keeps its attached case.json, the NIK in it masked
        with pikepdf.open(io.BytesIO(letters_of(browsers["pemohon"], document_id))) as pdf:
            attached = pdf.attachments["case.json"].get_file().read_bytes()
        assert masked.encode() in attached
    for client in browsers.values():
        client.close()


def letters_of(client: TestClient, document_id: int) -> bytes:
    response = client.get(f"/surat/{document_id}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    return response.content
