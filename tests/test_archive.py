"""The case archive: BagIt bags from the database, PDF/A outputs, dossier, sealing, fixity."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import date, timedelta
from pathlib import Path

import bagit
import pytest
from PIL import Image, ImageFilter
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, text

from ppid.archive.bags import archive_case, archive_pending, pending_archive, update_bag
from ppid.archive.fixity import (
    FixityError,
    archival_failure,
    check_fixity,
    fixity_alerts,
    fixity_failure,
)
from ppid.archive.hardcopy import file_by_qr, print_version, separator_sheet
from ppid.archive.index import refresh_index
from ppid.archive.records import destroy_due, due_for_destruction, export_archive, import_archive
from ppid.casework.letters import store_output
from ppid.casework.register import register_case
from ppid.cli.app import main
from ppid.core.db import advisory_key
from ppid.core.files import sha256_file
from ppid.core.models import Case, CaseDocument, CaseEvent, utcnow
from ppid.core.paths import (
    bag_info,
    bag_versions,
    bags_by_slug,
    current_bag,
    is_sealed,
    next_output_path,
)
from ppid.core.settings import load_settings
from ppid.core.vocabulary import CaseStatus, DocumentKind
from ppid.intake.ledger import IntakeContext, claim
from ppid.intake.steps import extract, issue_receipt, store_original
from ppid.output.pdfa import findings as pdfa_findings
from ppid.output.qr import page_payload, parse_payload
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

SAMPLES = Path(__file__).parent / "corpus" / "samples"
NIK = "6102054210528578"
NIK_BOX = [1, 86.8, 317.9, 122.8, 583.0]  # where extraction found the NIK on ktp_crop_000.jpg


@pytest.fixture(scope="module")
def case_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A home with one registered case, its receipt and bag; each test gets a copy."""
    home = tmp_path_factory.mktemp("case-home")
    settings = load_settings(home=home)
    settings.archive.mkdir(parents=True)
    form = _blank_pdf(home / "formulir.pdf")
    ctx = IntakeContext.open(settings)
    number = make_case(ctx, form)
    ctx.sessions.kw["bind"].dispose()
    return home, number


def _store(ctx: IntakeContext, source: Path, name: str) -> tuple[str, str]:
    """Put a file in the intake's content store, as `store_original` does."""
    digest = sha256_file(source)
    relative = Path("originals", digest[:2], digest, name)
    (ctx.archive / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, ctx.archive / relative)
    return relative.as_posix(), digest


def make_case(ctx: IntakeContext, form: Path) -> str:
    """A registered case with its form and ID in the content store and a receipt issued."""
    originals = [
        (form, "formulir.pdf", "form", "objection_form", {}),
        (SAMPLES / "ktp_crop_000.jpg", "ktp.jpg", "id_card", "id_card", {"nik": NIK_BOX}),
    ]
    with ctx.sessions() as session, session.begin():
        case = Case(applicant_name="AISYAH NURHAYATI ABDULLAH", applicant_nik=NIK)
        case.reasons = ["a", "c"]
        case.request_number = "012/PPID/X/2026"
        register_case(session, ctx.settings, case, utcnow(), "petugas-uji")
        for source, name, role, kind, boxes in originals:
            path, digest = _store(ctx, source, name)
            extracted = {"document_type": kind, "pages": [1], "method": "ocr", "boxes": boxes}
            session.add(
                CaseDocument(
                    case=case,
                    kind=DocumentKind.ORIGINAL,
                    document_type=kind,
                    role=role,
                    path=path,
                    sha256=digest,
                    media_type="application/octet-stream",
                    fields={"documents": [extracted]},
                )
            )
        number = str(case.number)
    issue_receipt(ctx, number)
    archive_case(ctx.settings, ctx.sessions, number)  # the stage after the receipt
    return number


@pytest.fixture()
def home_with_case(
    ppid_home: Path, database_url: str, case_home: tuple[Path, str]
) -> tuple[IntakeContext, str]:
    """This test's home with the registered case: a copy of the SQLite one, or on PostgreSQL
    (whose database cannot be copied as a file) the case made again in the test's schema."""
    if database_url.startswith("sqlite"):
        shutil.copytree(case_home[0], ppid_home, dirs_exist_ok=True)
        return IntakeContext.open(load_settings()), case_home[1]
    ctx = IntakeContext.open(load_settings())
    ctx.settings.archive.mkdir(parents=True)
    return ctx, make_case(ctx, _blank_pdf(ppid_home / "formulir.pdf"))


@pytest.fixture()
def ctx(home_with_case: tuple[IntakeContext, str]) -> IntakeContext:
    return home_with_case[0]


@pytest.fixture()
def number(home_with_case: tuple[IntakeContext, str]) -> str:
    return home_with_case[1]


def _case(session, number: str) -> Case:
    return session.scalars(select(Case).where(Case.number == number)).one()


def test_a_registered_case_is_a_valid_bag_with_originals_outputs_and_metadata(ctx, number) -> None:
    with ctx.sessions() as session:
        case = _case(session, number)
        bag = current_bag(ctx.settings, case)
        receipt = next(d for d in case.documents if d.role == "receipt")
        assert (ctx.archive / receipt.path).parent == bag / "data" / "outputs"
        assert receipt.sha256 == sha256_file(ctx.archive / receipt.path)
    bagit.Bag(str(bag)).validate()
    assert {"sha256", "sha512"} <= set(bagit.Bag(str(bag)).algorithms)
    names = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    assert {
        "data/originals/formulir.pdf",
        "data/originals/ktp.jpg",
        "data/outputs/01-tanda-terima.pdf",
        "data/metadata/case.json",
        "data/metadata/dc.xml",
        "data/metadata/events.json",
        "README.html",
    } <= names
    # The originals are byte for byte what was received; the content store keeps its copy.
    assert sha256_file(bag / "data/originals/ktp.jpg") == sha256_file(SAMPLES / "ktp_crop_000.jpg")
    info = bag_info(bag)
    assert info["External-Identifier"] == number
    assert "Dinas Koperasi" in info["Source-Organization"]
    assert info["PPID-Received"] and info["PPID-Answer-Due"] != "-"
    assert json.loads((bag / "data/metadata/case.json").read_text())["number"] == number
    events = json.loads((bag / "data/metadata/events.json").read_text())
    assert {"registration", "creation"} <= {e["eventType"] for e in events}
    assert all(e["linkingAgent"]["name"] and e["eventDateTime"] for e in events)
    readme = (bag / "README.html").read_text()
    index = (ctx.archive / "index.html").read_text()
    for page in (readme, index):
        assert number in page and NIK not in page and NIK[:4] + "*" in page
    assert f"{bag.parent.name}/{bag.name}/README.html" in index


def test_every_output_has_the_pdfa_essentials_and_the_case_attached(ctx, number) -> None:
    with ctx.sessions() as session:
        bag = current_bag(ctx.settings, _case(session, number))
    outputs = sorted((bag / "data" / "outputs").glob("*.pdf"))
    assert len(outputs) >= 2  # the receipt and the numbered form copy beside it
    for pdf in outputs:
        assert pdfa_findings(pdf) == [], pdf.name
        attached = PdfReader(pdf).attachments["case.json"][0]
        assert json.loads(attached)["number"] == number


def test_a_flipped_byte_is_caught_loudly_and_recorded(ctx, number, capsys) -> None:
    with ctx.sessions() as session:
        bag = current_bag(ctx.settings, _case(session, number))
    assert fixity_failure(check_fixity(ctx.settings, ctx.sessions)) is None
    target = bag / "data" / "originals" / "ktp.jpg"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    results = check_fixity(ctx.settings, ctx.sessions)
    assert not results[0].ok and "ktp.jpg" in " ".join(results[0].problems)
    assert fixity_failure(results) is not None
    with ctx.sessions() as session:
        checks = [e for e in _case(session, number).events if e.action == "fixity_check"]
        assert [e.data["outcome"] for e in checks] == ["success", "failure"]
        assert [a["number"] for a in fixity_alerts(session)] == [number]
        # An update refuses to launder the damage into fresh checksums.
        with pytest.raises(Exception, match="changed since it was written"):
            update_bag(ctx.settings, session, _case(session, number))
    with pytest.raises(SystemExit) as exit_code:
        main(["archive", "verify"])
    printed = capsys.readouterr()
    assert exit_code.value.code != 0 and "DAMAGED" in printed.out and "ktp.jpg" in printed.out
    assert "failed the fixity check" in printed.err


def test_verify_reports_each_bag_as_it_is_committed_and_names_a_pdf_that_is_not_pdfa(
    ctx, number, capsys
) -> None:
    with ctx.sessions() as session:
        bag = current_bag(ctx.settings, _case(session, number))
    # a second case's bag, so the first is reported (and committed) before the second is checked
    second = make_case(ctx, _blank_pdf(ctx.settings.home / "formulir-2.pdf"))
    heard: list[tuple[int, int, list[str]]] = []

    def report(done: int, total: int, result) -> None:
        with ctx.sessions() as session:  # the bag's event is already committed
            checks = [e for e in _case(session, result.number).events if e.action == "fixity_check"]
        heard.append((done, total, [e.data["outcome"] for e in checks]))
        if ctx.sessions.kw["bind"].dialect.name == "sqlite":  # no write lock held between bags
            other = sqlite3.connect(ctx.sessions.kw["bind"].url.database, timeout=0)
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            other.close()

    results = check_fixity(ctx.settings, ctx.sessions, report=report)
    assert heard == [(1, 2, ["success"]), (2, 2, ["success"])]
    assert [r.number for r in results] == [number, second]
    assert archival_failure(results) is None

    # a plain PDF put in the outputs with fresh manifests: intact, but not PDF/A-3b
    _blank_pdf(bag / "data" / "outputs" / "99-tempelan.pdf")
    bagit.Bag(str(bag)).save(manifests=True)
    results = check_fixity(ctx.settings, ctx.sessions)
    first = results[0]
    assert first.ok and first.not_archival
    assert first.not_archival[0].startswith("data/outputs/99-tempelan.pdf: [violation]")
    assert archival_failure(results) is not None
    with ctx.sessions() as session:
        latest = [e for e in _case(session, number).events if e.action == "fixity_check"][-1]
        assert "tidak memenuhi PDF/A-3b" in latest.note
    with pytest.raises(SystemExit) as exit_code:
        main(["archive", "verify"])
    printed = capsys.readouterr()
    assert (
        exit_code.value.code != 0 and "PDF/A!" in printed.out and "99-tempelan.pdf" in printed.out
    )
    assert "not PDF/A-3b" in printed.err


def _events_in_bag(ctx: IntakeContext, number: str) -> list[str]:
    with ctx.sessions() as session:
        bag = current_bag(ctx.settings, _case(session, number))
    return [e.get("action") for e in json.loads((bag / "data/metadata/events.json").read_text())]


def test_archiving_is_the_stage_after_a_step_not_a_side_effect_of_it(ctx, number) -> None:
    from ppid.archive.sequences import DIRECT_STEP
    from ppid.casework import workflow

    with ctx.sessions() as session, session.begin():
        workflow.start(session, ctx.settings, _case(session, number))
    workflow.advance_number(ctx.sessions, ctx.settings, number, "petugas", "ani", "forward")
    assert "step" not in _events_in_bag(ctx, number)  # the step alone leaves the bag as it was
    with ctx.sessions() as session:
        assert pending_archive(session) == [number]  # … and the case says its bag is due
    parameters = {"number": number, "role": "bidang", "actor": "budi", "decision": "recommend"}
    DIRECT_STEP.run(ctx.settings, ctx.sessions, {**parameters, "note": "Sudah dijawab"})
    assert _events_in_bag(ctx, number).count("step") == 2  # step, then archive: both are in
    with ctx.sessions() as session:
        assert pending_archive(session) == []


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite serves one machine only
def test_a_bag_and_the_index_have_one_writer_across_machines(ctx, number, monkeypatch) -> None:
    """Warm workers on several machines share the register, not var/'s file locks: while one
    transaction writes a case's bag (or the index) no other, from any machine, can take it."""
    taken = text("SELECT pg_try_advisory_xact_lock(:key)")

    def free(name: str) -> bool:  # asked from another connection: another machine's worker
        with ctx.sessions() as other:
            return bool(other.execute(taken, {"key": advisory_key(name)}).scalar())

    with ctx.sessions() as session, session.begin():
        case = _case(session, number)
        update_bag(ctx.settings, session, case)
        assert not free(f"archive-{case.id}")  # held until this transaction ends
        case_id = case.id
    assert free(f"archive-{case_id}")
    held_while_written = []
    monkeypatch.setattr(
        "ppid.archive.index.write_index",
        lambda settings, session: held_while_written.append(not free("archive-index")),
    )
    refresh_index(ctx.settings, ctx.sessions)
    assert held_while_written == [True]
    assert free("archive-index")


def test_a_crash_between_a_step_and_its_archive_is_healed_by_the_next_archive_run(
    ctx, number
) -> None:
    """The step commits; the process dies before its archive stage (here: the stage fails the
    way a killed process would, never running). The next sweep finds the case and archives it."""
    from ppid.casework import workflow
    from ppid.casework.workflow import CaseStep

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # SIGINT between the stages: the step is already committed

    with ctx.sessions() as session, session.begin():
        workflow.start(session, ctx.settings, _case(session, number))
    crashing = CaseStep(take=workflow.advance_number, archive=killed)
    parameters = {"number": number, "role": "petugas", "actor": "ani", "decision": "forward"}
    with pytest.raises(KeyboardInterrupt):
        crashing.run(ctx.settings, ctx.sessions, parameters)
    with ctx.sessions() as session:
        assert _case(session, number).status == CaseStatus.EXAMINING  # the step is committed
    assert "step" not in _events_in_bag(ctx, number)
    assert archive_pending(ctx.settings, ctx.sessions) == [number]
    assert "step" in _events_in_bag(ctx, number)
    with ctx.sessions() as session:
        bag = current_bag(ctx.settings, _case(session, number))
    bagit.Bag(str(bag)).validate()
    assert archive_pending(ctx.settings, ctx.sessions) == []  # nothing left: nothing rewritten


def test_fixity_checks_do_not_make_a_bag_due(ctx, number) -> None:
    check_fixity(ctx.settings, ctx.sessions)
    with ctx.sessions() as session:
        assert pending_archive(session) == []


def test_a_year_folder_listed_once_gives_each_case_its_bags_in_version_order() -> None:
    names = ["002-X", "001-X_v10", "001-X", "001-X_v2", "001-X_vx", "010-X_v3", ".tmp-001-X"]
    assert bags_by_slug(names) == {
        "001-X": ["001-X", "001-X_v2", "001-X_v10"],
        "002-X": ["002-X"],
        "010-X": ["010-X_v3"],
        "001-X_vx": ["001-X_vx"],
        ".tmp-001-X": [".tmp-001-X"],
    }


def test_a_closed_case_is_sealed_with_a_dossier_and_never_changed_after(ctx, number) -> None:
    with ctx.sessions() as session, session.begin():
        case = _case(session, number)
        case.status, case.decision = CaseStatus.CLOSED, "dikabulkan"
        session.add(CaseEvent(case=case, actor="atasan-uji", action="decided", decision="ok"))
        session.flush()
        sealed = update_bag(ctx.settings, session, case)
    assert is_sealed(sealed)
    bagit.Bag(str(sealed)).validate()
    dossier = sealed / "data" / "outputs" / "00-berkas-lengkap.pdf"
    assert pdfa_findings(dossier) == []
    outline = [item.title for item in _flat(PdfReader(dossier).outline)]
    assert outline[0] == "Sampul dan ringkasan"
    assert any(t.startswith("KTP pemohon") for t in outline)
    assert any("Tanda terima" in t for t in outline) and outline[-1] == "Riwayat perkara"
    before = {p: p.read_bytes() for p in sealed.rglob("*") if p.is_file()}

    check_fixity(ctx.settings, ctx.sessions)  # a fixity event alone opens no new version
    with ctx.sessions() as session, session.begin():
        assert update_bag(ctx.settings, session, _case(session, number)) == sealed
    with ctx.sessions() as session, session.begin():
        case = _case(session, number)
        session.add(CaseEvent(case=case, actor="petugas-uji", action="note", note="susulan"))
        letter = next_output_path(ctx.settings, case, "surat-susulan")  # beside the sealed bag
        _blank_pdf(letter)
        store_output(
            session, ctx.archive, case, letter, role="letter", note="Surat susulan", actor="uji"
        )
        session.flush()
        later = update_bag(ctx.settings, session, case)
    assert later != sealed and later.name.endswith("_v2")
    assert not letter.parent.exists()  # the waiting room beside the sealed bag is emptied
    outputs = sorted(p.name for p in (later / "data" / "outputs").glob("*.pdf"))
    assert "01-tanda-terima.pdf" in outputs and any("surat-susulan" in n for n in outputs)
    assert all(pdfa_findings(later / "data" / "outputs" / n) == [] for n in outputs)
    assert bag_versions(ctx.settings, case) == [sealed, later]
    refresh_index(ctx.settings, ctx.sessions)
    index = (ctx.archive / "index.html").read_text()
    assert all(f"{bag.parent.name}/{bag.name}/README.html" in index for bag in (sealed, later))
    assert {p: p.read_bytes() for p in sealed.rglob("*") if p.is_file()} == before
    bagit.Bag(str(later)).validate()
    assert "susulan" in (later / "data/metadata/events.json").read_text()

    # Years later the records schedule says the ID scan goes: from the store and every bag.
    with ctx.sessions() as session, session.begin():
        future = date.today() + timedelta(days=366 * 3)
        due = due_for_destruction(ctx.settings, session, future)
        assert [d.role for d in due] == ["id_card"]  # 2 years for ID scans, 10 for the rest
        destroyed = destroy_due(ctx.settings, session, due, "arsiparis-uji")
        assert [d.role for d in destroyed] == ["id_card"]
    for bag in (sealed, later):
        assert not (bag / "data/originals/ktp.jpg").exists()
        bagit.Bag(str(bag)).validate()
    with ctx.sessions() as session:
        case = _case(session, number)
        record = next(e for e in case.events if e.action == "destroyed")
        assert record.actor == "arsiparis-uji" and "ktp.jpg" in str(record.note)
        ktp = next(d for d in case.documents if d.role == "id_card")
        assert not (ctx.archive / ktp.path).exists()
        assert due_for_destruction(ctx.settings, session, future) == []


def _blank_pdf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(path)
    return path


def _flat(outline: list) -> list:
    items = []
    for item in outline:
        items.extend(_flat(item) if isinstance(item, list) else [item])
    return items


def _scan(pdf: Path, out: Path, page: int = 1) -> Path:
    """Print and scan back: rasterise at 150 dpi in grey, turn slightly, blur, save as JPEG."""
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )
    page = Image.open(next(out.parent.glob(out.stem + "*.png")))
    page = page.rotate(1.5, expand=True, fillcolor=255).filter(ImageFilter.GaussianBlur(0.9))
    page.save(out, quality=55)
    return out


def _intake(ctx: IntakeContext, path: Path):
    intake_id, _ = claim(ctx, path)
    store_original(ctx, intake_id, path)
    extract(ctx, intake_id)
    filed = file_by_qr(ctx, intake_id)
    if filed is not None:  # as the intake flow does: the case's archive is the next stage
        archive_case(ctx.settings, ctx.sessions, filed.number)
    return filed


def test_a_signed_print_scanned_back_lands_on_its_case(ctx, number, tmp_path) -> None:
    with ctx.sessions() as session:
        case = _case(session, number)
        receipt = next(d for d in case.documents if d.role == "receipt")
        printed = print_version(ctx.settings, case, receipt, tmp_path / "cetak.pdf")
        sheet = separator_sheet(ctx.settings, case, tmp_path / "pemisah.pdf")
    ctx.settings.inbox.mkdir(parents=True, exist_ok=True)
    signed = _intake(ctx, _scan(printed, ctx.settings.inbox / "scan-ttd.jpg"))
    assert signed is not None and (signed.number, signed.kind) == (number, "signed")
    separated = _intake(ctx, _scan(sheet, ctx.settings.inbox / "scan-pemisah.jpg"))
    assert separated is not None and (separated.number, separated.kind) == (number, "separated")
    with ctx.sessions() as session:
        case = _case(session, number)
        copy = next(d for d in case.documents if d.kind == DocumentKind.SIGNED)
        assert copy.fields["signs"] == receipt.id and copy.role == "signed:receipt"
        assert any(e.action == "document_signed" for e in case.events)
        bag = current_bag(ctx.settings, case)
    assert (bag / "data" / "originals" / "scan-ttd.jpg").is_file()
    bagit.Bag(str(bag)).validate()


def _to_signature(ctx: IntakeContext, number: str) -> None:
    """Take the case down the dismissal branch: the Atasan's answer is signed and sent."""
    from ppid.casework import workflow

    with ctx.sessions() as session, session.begin():
        workflow.start(session, ctx.settings, _case(session, number))
    reasons = {"letter_text": "Informasi telah diberikan lengkap pada 10 November 2026"}
    for role, decision, note, data in (
        ("petugas", "forward", None, None),
        ("bidang", "recommend", "Permohonan awal sudah dijawab", None),
        ("atasan", "dismiss", None, reasons),
    ):
        workflow.advance_number(
            ctx.sessions, ctx.settings, number, role, f"{role}-uji", decision, note, data
        )


def test_a_signed_answer_scanned_back_completes_the_step_that_waits_for_it(
    ctx, number, tmp_path, capsys
) -> None:
    _to_signature(ctx, number)
    main(["tasks", "--json"])
    [waiting] = json.loads(capsys.readouterr().out)
    assert waiting["step"] == "signed"
    assert waiting["step_label"] == "Menunggu salinan bertanda tangan"
    with ctx.sessions() as session:
        case = _case(session, number)
        answer = next(d for d in case.documents if d.role == "tanggapan")
        printed = print_version(ctx.settings, case, answer, tmp_path / "cetak.pdf")
    ctx.settings.inbox.mkdir(parents=True, exist_ok=True)
    filed = _intake(ctx, _scan(printed, ctx.settings.inbox / "tanggapan-ttd.jpg"))
    assert filed is not None and filed.kind == "signed" and filed.completed_step
    with ctx.sessions() as session:
        case = _case(session, number)
        done = next(e for e in case.events if e.decision == "signed")
        assert done.actor == "sistem" and done.data["source_file"] == "tanggapan-ttd.jpg"
        assert done.data["signs"] == answer.id and done.data["manual"] is False
        scan = next(d for d in case.documents if d.kind == DocumentKind.SIGNED)
        assert done.data["signed_document"] == scan.id and scan.fields["signs"] == answer.id
        assert [t.step for t in case.tasks if t.status == "open"] == ["close"]
        assert case.status == CaseStatus.DISMISSED  # answered; the applicant's reaction is next


def test_a_clerk_confirms_a_signature_by_hand_with_a_reason(ctx, number) -> None:
    from ppid.casework import workflow

    _to_signature(ctx, number)
    with pytest.raises(Exception, match="without a scanned signed copy"):
        workflow.advance_number(ctx.sessions, ctx.settings, number, "petugas", "ani", "signed")
    workflow.advance_number(
        ctx.sessions, ctx.settings, number, "petugas", "ani", "signed", "Pemindai rusak"
    )
    with ctx.sessions() as session:
        case = _case(session, number)
        done = next(e for e in case.events if e.decision == "signed")
        assert (done.actor, done.note, done.data["manual"]) == ("ani", "Pemindai rusak", True)
        assert [t.step for t in case.tasks if t.status == "open"] == ["close"]


def test_an_office_that_does_not_wait_for_signatures_goes_straight_to_closing(
    ctx, number, monkeypatch
) -> None:
    monkeypatch.setenv("PPID_WORKFLOW__WAIT_FOR_SIGNED_COPY", "false")
    ctx = IntakeContext.open(load_settings())
    _to_signature(ctx, number)
    with ctx.sessions() as session:
        case = _case(session, number)
        assert [t.step for t in case.tasks if t.status == "open"] == ["close"]


def test_print_batch_includes_the_numbered_form_copy_behind_its_receipt(
    ctx, number, tmp_path
) -> None:
    with ctx.sessions() as session:
        receipt = next(d for d in _case(session, number).documents if d.role == "receipt")
        receipt_path = ctx.archive / receipt.path
    form_copy = receipt_path.with_name("02-salinan-formulir.pdf")
    sizes = [len(PdfReader(receipt_path).pages), len(PdfReader(form_copy).pages)]
    main(["print"])
    [batch] = (ctx.archive / "print").glob("*.pdf")
    pages = PdfReader(batch).pages
    total = sum(sizes)
    assert len(pages) == total
    for n, page in enumerate(pages, start=1):  # one document: QR text and page n/N on every page
        assert f"{number} · dok. {receipt.id} · hal. {n}/{total}" in page.extract_text()
    form_page = " ".join(pages[sizes[0]].extract_text().split())
    assert number in form_page  # the numbered copy carries the register number it was given
    # Scanned back, a form page shows our QR and still its own markers (the stamp avoids them).
    from parsers import alignment

    scan = _scan(batch, tmp_path / "salinan.jpg", page=sizes[0] + 1)
    with Image.open(scan) as image:
        codes, grey, scale = alignment.find_codes(image)
    assert page_payload(number, receipt.id, sizes[0] + 1, total) in [t for t, _ in codes.qr]
    assert alignment.align_codes(codes, grey, scale) is not None


def test_qr_payloads_read_back_and_foreign_codes_are_ignored() -> None:
    assert parse_payload(page_payload("001/KEB/X/2026", 7, 2, 3)) == {
        "kind": "doc",
        "case": "001/KEB/X/2026",
        "doc": "7",
        "p": "2/3",
    }
    assert parse_payload("PPIDSEP1|case=002/KEB/X/2026") == {
        "kind": "sep",
        "case": "002/KEB/X/2026",
    }
    assert parse_payload("PPIDKEB1|form=keberatan|v=1|p=1/2") is None
    assert parse_payload("PPIDDOC1|doc=3") is None


def test_the_archive_moves_whole_and_a_damaged_export_is_refused(
    ctx, number, tmp_path, monkeypatch
) -> None:
    export = tmp_path / "arsip.tar"
    assert [r.ok for r in export_archive(ctx.settings, ctx.sessions, export)] == [True]
    damaged = tmp_path / "rusak.tar"
    with tarfile.open(export) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("data/originals/ktp.jpg"):
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    for tar, ok in ((export, True), (damaged, False)):
        monkeypatch.setenv("PPID_ARCHIVE", str(tmp_path / f"baru-{tar.stem}"))
        settings = load_settings()
        if ok:
            results = import_archive(settings, tar)
            assert [r.number for r in results] == [number]
            assert (settings.archive / "index.html").is_file()
        else:
            with pytest.raises(Exception, match="failed the fixity check"):
                import_archive(settings, tar)


def test_the_weekly_fixity_flow_passes_then_fails_loudly_on_damage(ctx, number) -> None:
    from prefect.logging import disable_run_logger

    from flows.archive import verify_archive

    with disable_run_logger():
        assert [r["ok"] for r in verify_archive.fn()] == [True]
        with ctx.sessions() as session:
            bag = current_bag(ctx.settings, _case(session, number))
        (bag / "data" / "outputs" / "01-tanda-terima.pdf").write_bytes(b"%PDF-1.7 diganti")
        with pytest.raises(FixityError, match="failed the fixity check"):
            verify_archive.fn()
