"""Intake end to end: real extraction, real SQLite, real Prefect flows, crashes at every stage."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ppid.archive.bags import archive_case, pending_archive
from ppid.core.models import Case, IntakeFile, Submission, Task
from ppid.core.settings import load_settings
from ppid.intake.inbox import is_ignored, list_quarantine, prune_empty_folders
from ppid.intake.ledger import (
    IntakeContext,
    Quarantined,
    claim,
    finish,
    mark_quarantined,
    record_duplicate,
)
from ppid.intake.pairing import completeness_problem, pending_submissions
from ppid.intake.steps import (
    Registration,
    extract,
    issue_receipt,
    register_file,
    store_original,
)
from ppid.output.forms import render_filled_form
from tests.specimens import ON_BOTH_DATABASES, SQLITE_ONLY, ktp_sample, objection_values

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

PPID = [sys.executable, "-m", "ppid"]


@pytest.fixture(scope="module")
def specimens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A filled fillable form and a matching KTP scan, made once per module."""
    folder = tmp_path_factory.mktemp("specimens")
    ktp, card = ktp_sample()
    settings = load_settings(home=folder)
    form = render_filled_form(
        settings, objection_values(card), folder / "formulir.pdf", fillable=True
    )
    other = render_filled_form(
        settings,
        objection_values(card, "099/PPID/XI/2026"),
        folder / "formulir-2.pdf",
        fillable=True,
    )
    shutil.copy(ktp, folder / "ktp.jpg")
    return {"form": form, "form2": other, "ktp": folder / "ktp.jpg"}


@pytest.fixture()
def ctx(ppid_home: Path) -> IntakeContext:
    settings = load_settings()
    for folder in (settings.inbox, settings.archive):
        folder.mkdir(parents=True, exist_ok=True)
    return IntakeContext.open(settings)


# What flows.intake.process_file runs after extraction, as the plain functions.
REGISTRATION = Registration(register_file, issue_receipt, archive_case)


def drop(ctx: IntakeContext, source: Path, relative: str) -> Path:
    target = ctx.settings.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def run_steps(ctx: IntakeContext, path: Path) -> tuple[int, str, str | None]:
    """The flow's steps without Prefect: what `flows.intake.process_file` puts in order."""
    intake_id, state = claim(ctx, path)
    if state != "new":
        return intake_id, state, None
    store_original(ctx, intake_id, path)
    extract(ctx, intake_id)
    outcome = REGISTRATION.run(ctx, intake_id)
    return intake_id, outcome.outcome, outcome.register_number


def test_form_and_id_in_one_folder_register_one_case_with_receipt(ctx, specimens) -> None:
    form = drop(ctx, specimens["form"], "pemohon-a/formulir.pdf")
    ktp = drop(ctx, specimens["ktp"], "pemohon-a/ktp.jpg")
    assert run_steps(ctx, form)[1] == "pending"
    _, outcome, number = run_steps(ctx, ktp)
    assert outcome == "registered"
    assert number is not None and number.startswith("001/KEB/PPID-DKUKM/")
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.applicant_nik == ktp_sample()[1]["nik"]
        assert case.reasons == ["a", "c"]
        assert case.answer_due is not None
        assert {d.role for d in case.documents} == {"form", "id_card", "receipt"}
        task = session.scalars(select(Task)).one()
        assert (task.role, task.step) == ("petugas", "verify")
    receipt = ctx.archive / next(d.path for d in case.documents if d.role == "receipt")
    from pypdf import PdfReader

    text = PdfReader(receipt).pages[0].extract_text()
    assert number in text
    assert case.applicant_name in text
    assert (receipt.parent / "02-salinan-formulir.pdf").exists()


def test_the_last_file_taken_from_an_applicant_folder_removes_the_folder(ctx, specimens) -> None:
    inbox = ctx.settings.inbox
    form = drop(ctx, specimens["form"], "pemohon-b/scan/formulir.pdf")
    ktp = drop(ctx, specimens["ktp"], "pemohon-b/scan/ktp.jpg")
    (inbox / "pemohon-b/scan/Thumbs.db").write_bytes(b"left by Windows Explorer")
    finish(ctx, run_steps(ctx, form)[0], form)
    assert ktp.exists()  # the folder still holds the KTP
    finish(ctx, run_steps(ctx, ktp)[0], ktp)
    assert not (inbox / "pemohon-b").exists()
    assert inbox.is_dir()


def test_a_folder_with_anything_but_desktop_leftovers_stays(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "elsewhere"
    busy = inbox / "pemohon-c"
    busy.mkdir(parents=True)
    (busy / ".~lock.formulir.odt#").write_text("a document still open")
    outside.mkdir()
    prune_empty_folders(busy, inbox)
    prune_empty_folders(outside, inbox)
    prune_empty_folders(inbox, inbox)
    assert busy.is_dir() and outside.is_dir() and inbox.is_dir()
    (busy / ".~lock.formulir.odt#").unlink()
    prune_empty_folders(busy, inbox)
    assert not busy.exists() and inbox.is_dir()


def test_form_alone_waits_as_pending_and_pairs_with_a_later_id_by_nik(ctx, specimens) -> None:
    form = drop(ctx, specimens["form"], "formulir.pdf")
    assert run_steps(ctx, form)[1] == "pending"
    rows = pending_submissions(ctx)
    assert len(rows) == 1 and "KTP" in rows[0]["reason"]
    assert rows[0]["nik"].endswith("*" * 12)  # masked in listings
    assert rows[0]["since"].endswith("+07:00")  # office time, as the desk shows it to a clerk
    ktp = drop(ctx, specimens["ktp"], "scan-ktp.jpg")
    assert run_steps(ctx, ktp)[1] == "registered"
    assert pending_submissions(ctx) == []


def test_same_bytes_twice_are_recorded_not_registered_twice(ctx, specimens) -> None:
    form = drop(ctx, specimens["form"], "a/formulir.pdf")
    run_steps(ctx, form)
    run_steps(ctx, drop(ctx, specimens["ktp"], "a/ktp.jpg"))
    again = drop(ctx, specimens["form"], "lagi/formulir.pdf")
    assert run_steps(ctx, again)[1] == "duplicate"
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_same_nik_and_request_within_30_days_is_flagged(ctx, specimens, tmp_path) -> None:
    run_steps(ctx, drop(ctx, specimens["form"], "a/formulir.pdf"))
    run_steps(ctx, drop(ctx, specimens["ktp"], "a/ktp.jpg"))
    # Same request, new bytes (a re-filled form): registered, but flagged.
    refilled = tmp_path / "formulir.pdf"
    refilled.write_bytes(specimens["form"].read_bytes() + b"\n% diisi ulang\n")
    run_steps(ctx, drop(ctx, refilled, "b/formulir.pdf"))
    ktp_copy = tmp_path / "ktp.jpg"
    ktp_copy.write_bytes(specimens["ktp"].read_bytes() + b"\0")
    run_steps(ctx, drop(ctx, ktp_copy, "b/ktp.jpg"))
    with ctx.sessions() as session:
        cases = session.scalars(select(Case).order_by(Case.seq)).all()
    assert [c.possible_duplicate for c in cases] == [False, True]


def test_completeness_reasons_are_plain_indonesian() -> None:
    def file_with(*documents: dict[str, Any]) -> IntakeFile:
        return IntakeFile(extraction={"documents": list(documents)})

    form = {"document_type": "objection_form", "fields": {"applicant": {"name": "A"}}}
    card = {"document_type": "id_card", "fields": {"nik": "6171010101900001"}}
    assert "KTP" in completeness_problem([file_with(form)])
    assert "Formulir" in completeness_problem([file_with(card)])
    assert "NIK pemohon" in completeness_problem([file_with(form, card)])
    assert "maupun" in completeness_problem([file_with({"document_type": "other"})])
    applicant = {"name": "A", "nik": "6171010101900001", "address": "Jl. Contoh"}
    full = {"document_type": "objection_form", "fields": {"applicant": applicant, "reasons": ["c"]}}
    unread = {"document_type": "id_card", "fields": {"nik": None}}
    other = {"document_type": "id_card", "fields": {"nik": "6171010101900002"}}
    assert completeness_problem([file_with(full, card)]) is None
    assert "tidak terbaca" in completeness_problem([file_with(full, unread)])
    assert "berbeda" in completeness_problem([file_with(full), file_with(other)])


@pytest.mark.parametrize(
    "name", [".~lock.formulir.pdf#", "Thumbs.db", "unduhan.pdf.part", ".hidden/x.pdf", "~$tmp.docx"]
)
def test_temporary_and_system_files_are_ignored(name: str) -> None:
    assert is_ignored(Path(name))


def test_unreadable_file_is_quarantined_with_a_bilingual_note(ctx, specimens) -> None:
    from flows.intake import _after_failure  # noqa: F401  (import check: flows stay importable)
    from ppid.intake.ledger import Quarantined, mark_quarantined

    bad = drop(ctx, specimens["form"], "rusak.pdf")
    bad.write_bytes(b"%PDF-1.7\n1 0 obj <<")  # truncated
    intake_id, _ = claim(ctx, bad)
    store_original(ctx, intake_id, bad)
    with pytest.raises(Quarantined) as caught:
        extract(ctx, intake_id)
    mark_quarantined(ctx, intake_id, bad, caught.value)
    assert not bad.exists()
    [(moved, reason)] = list_quarantine(ctx.settings.quarantine)
    assert moved.name == "rusak.pdf" and reason
    note = moved.with_name("rusak.pdf.txt").read_text()
    assert "Cara mencoba lagi" in note and "To retry" in note
    # Moving it back retries: the ledger lets the same bytes in again.
    shutil.move(moved, ctx.settings.inbox / "rusak.pdf")
    assert claim(ctx, ctx.settings.inbox / "rusak.pdf")[1] == "resume"


# --- through the real flows and a real Prefect server --------------------------------------


def ingest(home: Path, api: str, *args: str, crash_after: str | None = None) -> list[dict]:
    env = {**os.environ, "PPID_HOME": str(home), "PREFECT_API_URL": api}
    env["PPID_INTAKE__STABLE_SECONDS"] = "0"
    env.pop("PPID_CRASH_AFTER", None)
    if crash_after:
        env["PPID_CRASH_AFTER"] = crash_after
    done = subprocess.run(
        [*PPID, "ingest", "--json", *args], env=env, capture_output=True, text=True, timeout=600
    )
    if crash_after:
        assert done.returncode == -9, done.stderr[-2000:]
        return []
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_ingest_once_runs_the_flows_and_reports_json(ppid_home, prefect_api, specimens) -> None:
    inbox = ppid_home / "inbox"
    (inbox / "pemohon").mkdir(parents=True)
    shutil.copy(specimens["form"], inbox / "pemohon" / "formulir.pdf")
    shutil.copy(specimens["ktp"], inbox / "pemohon" / "ktp.jpg")
    (inbox / "catatan.txt").write_text("bukan keberatan")
    outcomes = ingest(ppid_home, prefect_api)
    by_name = {Path(o["file"]).name: o for o in outcomes}
    assert by_name["ktp.jpg"]["outcome"] == "registered"
    assert by_name["ktp.jpg"]["register_number"].startswith("001/")
    assert by_name["catatan.txt"]["outcome"] == "quarantined"
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file()) == []


@pytest.mark.parametrize(
    ("backend", "stage"),
    [("sqlite", stage) for stage in ("claim", "store", "register", "receipt")]
    # on PostgreSQL the stages whose transactions differ (row locks on the register counter)
    + [("postgresql", "register"), ("postgresql", "receipt")],
    indirect=["backend"],
)
def test_sigkill_at_any_stage_loses_nothing_and_registers_once(
    ppid_home, prefect_api, specimens, stage: str
) -> None:
    inbox = ppid_home / "inbox"
    (inbox / "p1").mkdir(parents=True)
    shutil.copy(specimens["form"], inbox / "p1" / "formulir.pdf")
    shutil.copy(specimens["ktp"], inbox / "p1" / "ktp.jpg")
    shutil.copy(specimens["form2"], inbox / "formulir-kedua.pdf")
    ingest(ppid_home, prefect_api, crash_after=stage)
    ingest(ppid_home, prefect_api)
    ingest(ppid_home, prefect_api)  # a third pass finds nothing left to do

    ctx = IntakeContext.open(load_settings())
    with ctx.sessions() as session:
        cases = session.scalars(select(Case).order_by(Case.seq)).all()
        files = session.scalars(select(IntakeFile)).all()
        pending = session.scalars(select(Submission).where(Submission.status == "pending")).all()
    assert [c.seq for c in cases] == [1]  # gap-free, once
    assert len(files) == 3 and all(f.stored_path for f in files)
    assert all((ctx.archive / str(f.stored_path)).exists() for f in files)
    assert len(pending) == 1  # the second form waits for its KTP
    assert [p for p in inbox.rglob("*") if p.is_file()] == []  # nothing orphaned in the inbox
    receipts = list(ctx.archive.rglob("01-tanda-terima.pdf"))
    assert len(receipts) == 1
    assert receipts[0].parents[2].joinpath("bag-info.txt").is_file()
    with ctx.sessions() as session:
        assert pending_archive(session) == []  # every change to the case made it into its bag


def test_the_sweep_archives_a_case_whose_archive_stage_never_ran(
    ppid_home, prefect_api, specimens
) -> None:
    """A step committed, then the process died before its archive stage: `ppid ingest` (the
    sweep, here with nothing in the inbox) brings the bag up to date."""
    from ppid.casework import workflow

    inbox = ppid_home / "inbox"
    (inbox / "p1").mkdir(parents=True)
    shutil.copy(specimens["form"], inbox / "p1" / "formulir.pdf")
    shutil.copy(specimens["ktp"], inbox / "p1" / "ktp.jpg")
    [number] = {o["register_number"] for o in ingest(ppid_home, prefect_api)} - {None}
    ctx = IntakeContext.open(load_settings())
    workflow.advance_number(ctx.sessions, ctx.settings, number, "petugas", "ani", "forward")
    with ctx.sessions() as session:
        assert pending_archive(session) == [number]
    assert ingest(ppid_home, prefect_api) == []
    with ctx.sessions() as session:
        assert pending_archive(session) == []
    [events] = list(ctx.archive.rglob("events.json"))
    assert '"step"' in events.read_text()


def _claim_in_process(home: str, path: str, start: float) -> str:
    os.environ["PPID_HOME"] = home
    ctx = IntakeContext.open(load_settings())
    while time.time() < start:
        time.sleep(0.001)
    return claim(ctx, Path(path))[1]


def test_two_workers_never_take_the_same_file(ctx, specimens) -> None:
    path = drop(ctx, specimens["form"], "formulir.pdf")
    start = time.time() + 1.5
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2) as pool:
        home = str(ctx.settings.home)
        states = pool.starmap(_claim_in_process, [(home, str(path), start)] * 2)
    assert sorted(states) == ["busy", "new"]


# --- concurrent writers ("database is locked" with two workers) ----------------------------


class Interferer:
    """Another worker's commit, squeezed in after every SELECT of ours while armed.

    This is the interleaving that failed in the two-worker bench: our transaction reads (taking
    a WAL snapshot), the other worker commits, ours then writes. A deferred transaction fails
    there at once ("database is locked", SQLITE_BUSY_SNAPSHOT); one that began with BEGIN
    IMMEDIATE holds the write lock, so the other worker waits (here: gives up after 0.1 s).
    """

    def __init__(self, ctx: IntakeContext) -> None:
        import sqlite3

        from sqlalchemy import event

        self.engine = ctx.sessions.kw["bind"]
        assert self.engine.dialect.name == "sqlite", "a test of SQLite's locking (SQLITE_ONLY)"
        self.other = sqlite3.connect(self.engine.url.database, timeout=0.1, isolation_level=None)
        self.other.execute("CREATE TABLE IF NOT EXISTS other_worker (n INTEGER)")
        self.armed, self.committed, self.waited = False, 0, 0
        event.listen(self.engine, "after_cursor_execute", self._after)

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        import sqlite3

        if not self.armed or not statement.lstrip().upper().startswith("SELECT"):
            return
        try:
            self.other.execute("INSERT INTO other_worker VALUES (1)")
            self.committed += 1
        except sqlite3.OperationalError:  # we hold the write lock: the other worker waits
            self.waited += 1

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "after_cursor_execute", self._after)
        self.other.close()


@pytest.fixture()
def interferer(ctx: IntakeContext) -> Any:
    other = Interferer(ctx)
    yield other
    other.close()


@SQLITE_ONLY  # PostgreSQL has row locks and no snapshot upgrade to fail
def test_every_step_survives_another_worker_committing_between_its_read_and_write(
    ctx, specimens, interferer, caplog
) -> None:
    """Each intake step, with another worker's commit after each of its reads: none fails."""
    form = drop(ctx, specimens["form"], "p/formulir.pdf")
    ktp = drop(ctx, specimens["ktp"], "p/ktp.jpg")
    interferer.armed = True
    number = None
    for path in (form, ktp):
        intake_id, state = claim(ctx, path)
        assert state == "new"
        store_original(ctx, intake_id, path)
        extract(ctx, intake_id)
        outcome = REGISTRATION.run(ctx, intake_id)
        number = outcome.register_number or number
        if number:
            issue_receipt(ctx, number)  # a second time: finds the receipt of the first
        finish(ctx, intake_id, path)
    again = drop(ctx, specimens["form"], "lagi/formulir.pdf")
    intake_id, state = claim(ctx, again)
    assert state == "duplicate"
    record_duplicate(ctx, intake_id, again)
    interferer.armed = False
    assert interferer.committed > 0  # the interleaving really happened
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.number == number
        assert {f.status for f in session.scalars(select(IntakeFile))} == {"done"}
        receipt = next(d for d in case.documents if d.role == "receipt")
    assert (ctx.archive / receipt.path).is_file()
    # archive_case never fails its caller (it logs): check it did not fail, and the bag is there
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
    assert (ctx.archive / receipt.path).parents[2].joinpath("bag-info.txt").is_file()
    assert not list(ctx.settings.inbox.rglob("*.*"))


@SQLITE_ONLY
def test_a_quarantine_survives_another_worker_committing(ctx, interferer, tmp_path) -> None:
    bad = ctx.settings.inbox / "rusak.pdf"
    bad.write_bytes(b"%PDF-1.7 truncated")
    intake_id, _ = claim(ctx, bad)
    interferer.armed = True
    mark_quarantined(ctx, intake_id, bad, Quarantined("rusak", "broken"))
    interferer.armed = False
    with ctx.sessions() as session:
        assert session.get_one(IntakeFile, intake_id).status == "quarantined"


def test_a_transient_failure_is_written_on_the_ledger_and_releases_the_lease(
    ctx, specimens
) -> None:
    """Retries spent on a locked database: the row says why, and the next sweep may take it."""
    from sqlalchemy.exc import OperationalError

    from flows.intake import _after_failure

    path = drop(ctx, specimens["ktp"], "ktp.jpg")
    intake_id, _ = claim(ctx, path)
    error = OperationalError("UPDATE intake_files", {}, Exception("database is locked"))
    outcome = _after_failure(ctx, intake_id, path, error)
    assert outcome.outcome == "retry-later"
    with ctx.sessions() as session:
        row = session.get_one(IntakeFile, intake_id)
        assert "database is locked" in (row.error or "")
        assert row.claimed_by is None
    other = IntakeContext(ctx.settings, ctx.sessions, ctx.calendar, worker="elsewhere:1")
    assert claim(other, path) == (intake_id, "resume")  # not "busy" for the lease's 15 min
