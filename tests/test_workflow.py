"""The case workflow: every branch, roles and order, append-only history, deadlines, CLI, flows."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.main import get_command

from ppid.casework import dip, tasks, workflow
from ppid.casework.notify import notify_role, warning_text
from ppid.casework.register import get_case, register_case
from ppid.cli.app import app
from ppid.core.db import open_db
from ppid.core.errors import BadInputError, ExitCode, ForbiddenError
from ppid.core.models import AppendOnlyError, Case
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import CaseStatus, TaskStatus
from tests.english import english_in
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES  # every test on SQLite and on PostgreSQL

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
DIP_CSV = (
    "title,description,category,pasal17,unit,year,link\n"
    "Laporan Keuangan Dinas 2025,Neraca dan realisasi anggaran,berkala,,Sekretariat,2025,"
    "https://contoh.go.id/lk2025\n"
    "Daftar Penerima Bantuan Modal UMKM,Nama usaha dan nilai bantuan,setiap saat,,Bidang UMKM,"
    "2026,\n"
    "Data Pribadi Anggota Koperasi,NIK dan rekening anggota,dikecualikan,h,Bidang Koperasi,2026,\n"
)


@pytest.fixture
def settings(ppid_home: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the DIP imported, made once and copied for each test (fast)."""
    home = tmp_path_factory.mktemp("template")
    path = home / "ppid.sqlite3"
    settings = load_settings(home=home, database_url=f"sqlite:///{path}")
    sessions = open_db(settings)
    csv = home / "dip.csv"
    csv.write_text(DIP_CSV, encoding="utf-8")
    with sessions() as session, session.begin():
        dip.import_csv(session, csv)
    sessions.kw["bind"].dispose()
    return path


@pytest.fixture
def sessions(settings: Settings, template_db: Path) -> sessionmaker[Session]:
    """The database with the DIP: a copy of the template on SQLite, imported on PostgreSQL."""
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, settings.var_dir / "ppid.sqlite3")
        return open_db(settings)
    sessions = open_db(settings)
    with sessions() as session, session.begin():
        dip.import_csv(session, template_db.with_name("dip.csv"))
    return sessions


def register(
    sessions: sessionmaker[Session],
    settings: Settings,
    name: str = "Rina Contoh",
    received_at: datetime = MONDAY,
) -> str:
    """A registered case with its first task, as intake leaves it (no OCR involved)."""
    with sessions() as session, session.begin():
        case = Case(
            applicant_name=name,
            applicant_nik="6171014507900001",
            applicant_address="Jl. Contoh Raya No. 5, Pontianak",
            request_number="012/PERM/PPID-DKUKM/2026",
            information_requested="Daftar penerima bantuan modal UMKM tahun 2026",
            purpose="Penelitian skripsi",
            reasons="ce",
        )
        register_case(session, settings, case, received_at, actor="petugas1")
        case.registered_at = received_at  # registered the day it came, whatever day the test runs
        workflow.start(session, settings, case)
        return str(case.number)


def step(
    sessions: sessionmaker[Session],
    settings: Settings,
    number: str,
    role: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    day: int = 1,
) -> dict[str, Any]:
    """One step, dated `day` December 2026 at 10:00 office time (letters carry that date)."""
    at = datetime(2026, 12, day, 10, 0, tzinfo=WIB)
    return workflow.advance_number(
        sessions, settings, number, role, f"{role}-contoh", decision, note, data, at=at
    )


def to_decision(sessions: sessionmaker[Session], settings: Settings, number: str) -> None:
    step(sessions, settings, number, "petugas", "forward")
    step(sessions, settings, number, "bidang", "recommend", "Alasan keberatan berdasar")


_OPEN: list[Session] = []  # sessions of `load`: kept open so the cases stay attached


def load(sessions: sessionmaker[Session], number: str) -> Case:
    """The case in a session of its own that stays open (its relations load lazily), without
    holding a transaction open (PostgreSQL would keep its locks until the session is gone)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    session = Session(engine, expire_on_commit=False)
    _OPEN.append(session)  # a session nobody holds is collected, detaching the case
    return get_case(session, number)


def dip_id(sessions: sessionmaker[Session], title_word: str) -> int:
    with sessions() as session:
        return dip.search(session, title_word)[0].id


def test_answered_branch_gives_the_dip_items_and_closes(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    ordered = step(sessions, settings, number, "atasan", "order", "Segera tindak lanjuti", day=2)
    assert ordered["status"] == "ordered"
    assert [Path(p).name for p in ordered["letters"][-2:]] == [
        "01-surat-perintah.pdf",
        "02-lembar-disposisi.pdf",
    ]
    item = dip_id(sessions, "Penerima Bantuan")
    step(sessions, settings, number, "bidang", "available", data={"dip_items": [item]}, day=3)
    sent = step(sessions, settings, number, "atasan", "send", day=4)
    assert sent["status"] == "answered"
    assert sent["open_tasks"] == [{"role": "petugas", "step": "signed", "due": "2026-12-11"}]
    with pytest.raises(ForbiddenError, match="in order"):  # not before the signed copy is back
        step(sessions, settings, number, "petugas", "accepted", day=7)
    with pytest.raises(BadInputError, match="without a scanned signed copy"):
        step(sessions, settings, number, "petugas", "signed", day=7)
    signed = step(sessions, settings, number, "petugas", "signed", "Diserahkan langsung", day=7)
    assert signed["status"] == "answered"
    assert signed["open_tasks"] == [{"role": "petugas", "step": "close", "due": "2026-12-28"}]
    step(sessions, settings, number, "petugas", "accepted", day=7)
    case = load(sessions, number)
    assert case.status == CaseStatus.CLOSED
    assert case.decision == "released"
    assert case.answer_letter_number == "001/TKI/PPID-DKUKM/XII/2026"
    assert case.answered_on == date(2026, 12, 4)
    assert case.applicant_response == "Menerima tanggapan"
    with sessions() as session:
        given = [i.title for i in dip.items_given(session, case)]
    assert given == ["Daftar Penerima Bantuan Modal UMKM"]
    assert all(task.status == TaskStatus.DONE for task in case.tasks)
    steps = [(e.role, e.data.get("step"), e.decision) for e in case.events if e.action == "step"]
    assert steps == [
        ("petugas", "verify", "forward"),
        ("bidang", "examine", "recommend"),
        ("atasan", "decide", "order"),
        ("bidang", "fulfil", "available"),
        ("atasan", "sign", "send"),
        ("petugas", "signed", "signed"),
        ("petugas", "close", "accepted"),
    ]
    confirmed = next(e for e in case.events if e.decision == "signed")
    answer = next(d for d in case.documents if d.role == "tanggapan")
    assert confirmed.data["manual"] is True and confirmed.data["signs"] == answer.id
    assert confirmed.note == "Diserahkan langsung"
    order_event = next(e for e in case.events if e.decision == "order")
    assert order_event.actor == "atasan-contoh"
    assert order_event.note == "Segera tindak lanjuti"
    assert order_event.at == datetime(2026, 12, 2, 10, 0, tzinfo=WIB)


def test_rejected_as_exempt_names_the_pasal_17_ground(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    step(sessions, settings, number, "atasan", "order", day=2)
    consequence = "Membuka NIK anggota merugikan privasi lebih besar daripada manfaatnya"
    found = {"pasal17": "h", "consequence": consequence}
    step(sessions, settings, number, "bidang", "exempt", "catatan bidang", found, day=3)
    sent = step(sessions, settings, number, "atasan", "send", day=4)
    assert sent["status"] == "rejected"
    assert sent["letters"][-1].endswith("03-surat-penolakan.pdf")
    case = load(sessions, number)
    assert case.decision == "exempt"
    assert case.answer_letter_number == "001/PNL/PPID-DKUKM/XII/2026"
    fulfil = next(e for e in case.events if e.data.get("step") == "fulfil")
    assert fulfil.data["pasal17"] == "h"
    assert fulfil.data["consequence"] == consequence


def test_exempt_without_ground_or_consequence_is_refused(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    step(sessions, settings, number, "atasan", "order", day=2)
    with pytest.raises(BadInputError, match="Pasal 17"):
        step(
            sessions,
            settings,
            number,
            "bidang",
            "exempt",
            None,
            {"pasal17": "z", "consequence": "u"},
        )
    with pytest.raises(BadInputError, match="consequence"):  # the internal note is not it
        step(sessions, settings, number, "bidang", "exempt", "uji", {"pasal17": "h"})
    exempt_item = dip_id(sessions, "Pribadi")
    with pytest.raises(BadInputError, match="exempt"):
        step(sessions, settings, number, "bidang", "available", data={"dip_items": [exempt_item]})
    assert load(sessions, number).status == CaseStatus.ORDERED


def test_rejected_as_not_held(sessions: sessionmaker[Session], settings: Settings) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    step(sessions, settings, number, "atasan", "order", day=2)
    step(sessions, settings, number, "bidang", "not_held", "Dokumen tidak pernah dibuat", day=3)
    sent = step(sessions, settings, number, "atasan", "send", day=4)
    assert sent["status"] == "rejected"
    case = load(sessions, number)
    assert case.decision == "not_held"
    assert case.answered_on == date(2026, 12, 4)


def test_dismissed_by_the_atasan_answers_with_written_reasons(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    with pytest.raises(BadInputError, match="reasons"):  # the internal note is not printed
        step(sessions, settings, number, "atasan", "dismiss", "catatan untuk berkas")
    printed = {"letter_text": "Permohonan telah dijawab tepat waktu"}
    result = step(sessions, settings, number, "atasan", "dismiss", "catatan", printed)
    assert result["status"] == "dismissed"
    assert [t["step"] for t in result["open_tasks"]] == ["signed"]
    case = load(sessions, number)
    assert case.decision == "dismissed"
    assert case.decision_note == "Permohonan telah dijawab tepat waktu"
    assert case.answer_letter_number == "001/TKI/PPID-DKUKM/XII/2026"
    step(sessions, settings, number, "petugas", "signed", "Tanda tangan basah diperiksa", day=9)
    step(sessions, settings, number, "petugas", "dispute", day=10)
    assert load(sessions, number).applicant_response.startswith("Mengajukan sengketa")


@pytest.mark.parametrize(
    ("steps_before", "wrong_role", "decision"),
    [
        (0, "bidang", "forward"),
        (0, "atasan", "forward"),
        (1, "petugas", "recommend"),
        (2, "bidang", "order"),
        (2, "petugas", "dismiss"),
    ],
)
def test_roles_cannot_take_each_others_steps(
    sessions: sessionmaker[Session],
    settings: Settings,
    steps_before: int,
    wrong_role: str,
    decision: str,
) -> None:
    number = register(sessions, settings)
    ladder = [("petugas", "forward", None), ("bidang", "recommend", "Berdasar")]
    for role, taken, note in ladder[:steps_before]:
        step(sessions, settings, number, role, taken, note)
    before = load(sessions, number)
    status, events = before.status, len(before.events)
    with pytest.raises(ForbiddenError, match="you act as " + wrong_role):
        step(sessions, settings, number, wrong_role, decision, "catatan")
    after = load(sessions, number)
    assert (after.status, len(after.events)) == (status, events)


def test_steps_are_taken_only_in_order(sessions: sessionmaker[Session], settings: Settings) -> None:
    number = register(sessions, settings)
    with pytest.raises(ForbiddenError, match="in order"):
        step(sessions, settings, number, "petugas", "accepted")
    step(sessions, settings, number, "petugas", "forward")
    with pytest.raises(ForbiddenError, match="in order"):
        step(sessions, settings, number, "bidang", "not_held", "x")
    with pytest.raises(BadInputError, match="unknown decision"):
        step(sessions, settings, number, "bidang", "approve")


def test_a_mistake_is_corrected_by_a_new_event_never_by_editing(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    step(sessions, settings, number, "atasan", "dismiss", data={"letter_text": "Salah"}, day=2)
    snapshot = [(e.id, e.action, e.decision, e.note, e.data) for e in load(sessions, number).events]
    with pytest.raises(ForbiddenError, match="only they or the Atasan"):
        step(sessions, settings, number, "petugas", "correction", "bukan urusan saya")
    with pytest.raises(BadInputError, match="note"):
        step(sessions, settings, number, "atasan", "correction")
    result = step(sessions, settings, number, "atasan", "correction", "Seharusnya diperintahkan")
    assert result["status"] == "awaiting_decision"
    assert [t["step"] for t in result["open_tasks"]] == ["decide"]
    case = load(sessions, number)
    assert case.decision is None and case.answer_letter_number is None
    assert [(e.id, e.action, e.decision, e.note, e.data) for e in case.events[:-1]] == snapshot
    assert case.events[-1].action == "correction"
    dismissal = next(s for s in snapshot if s[1] == "step" and s[2] == "dismiss")
    assert case.events[-1].data["corrects"] == dismissal[0]
    step(sessions, settings, number, "atasan", "order", day=3)
    assert load(sessions, number).status == CaseStatus.ORDERED
    session = sessions()
    event = get_case(session, number).events[0]
    event.note = "diubah"
    with pytest.raises(AppendOnlyError):
        session.flush()


def test_task_due_dates_skip_holidays_and_cuti_bersama(
    sessions: sessionmaker[Session],
) -> None:
    settings = load_settings(workflow={"task_due_days": {"fulfil": 5}})
    number = register(sessions, settings, received_at=datetime(2026, 12, 14, 9, tzinfo=WIB))
    to_decision(sessions, settings, number)
    ordered = step(sessions, settings, number, "atasan", "order", day=18)  # Friday
    # Mon 21, Tue 22, Wed 23, (Thu 24 cuti bersama, Fri 25 Natal, weekend), Mon 28, Tue 29.
    assert ordered["open_tasks"] == [{"role": "bidang", "step": "fulfil", "due": "2026-12-29"}]
    with_leave = load_settings(  # a day off of the office's own on Monday 28
        workflow={"task_due_days": {"fulfil": 5}},
        days_off={date(2026, 12, 28): "Cuti bersama tambahan"},
    )
    number = register(sessions, with_leave, "Budi Contoh", datetime(2026, 12, 14, 9, tzinfo=WIB))
    to_decision(sessions, with_leave, number)
    ordered = step(sessions, with_leave, number, "atasan", "order", day=18)
    assert ordered["open_tasks"][0]["due"] == "2026-12-30"


def test_a_task_is_never_due_after_the_answer_deadline(
    sessions: sessionmaker[Session],
) -> None:
    settings = load_settings(workflow={"task_due_days": {"fulfil": 60}})
    number = register(sessions, settings)
    to_decision(sessions, settings, number)
    ordered = step(sessions, settings, number, "atasan", "order", day=2)
    answer_due = load(sessions, number).answer_due
    assert ordered["open_tasks"][0]["due"] == answer_due.isoformat()


def test_due_soon_and_overdue_lists(sessions: sessionmaker[Session], settings: Settings) -> None:
    register(sessions, settings)  # verify task due one working day after Mon 30 Nov: Tue 1 Dec
    with sessions() as session:
        assert [t.step for t in tasks.due_soon(session, settings, date(2026, 11, 30))] == ["verify"]
        assert tasks.overdue_tasks(session, settings, date(2026, 11, 30)) == []
        late = tasks.overdue_tasks(session, settings, date(2026, 12, 2))
        assert [t.step for t in late] == ["verify"]
        assert tasks.tasks_for(session, "bidang") == []
        assert len(tasks.tasks_for(session, "petugas", overdue=True, today=date(2026, 12, 2)))
        report = tasks.deadline_report(session, settings, date(2026, 12, 2))
    assert [row["state"] for row in report["petugas"]] == ["overdue"]
    assert report["atasan"] == []


def test_deadline_warning_is_logged_without_smtp(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    number = register(sessions, settings)
    with sessions() as session:
        rows = tasks.deadline_report(session, settings, date(2026, 12, 2))["petugas"]
    text = warning_text("petugas", rows)
    assert f"[TERLAMBAT] {number}" in text
    assert "batas 2026-12-01" in text
    assert english_in(text) == []  # staff read Indonesian: no command to type
    assert warning_text("petugas", rows, "https://ppid.example.go.id/").endswith(
        "https://ppid.example.go.id/tugas"
    )
    with caplog.at_level(logging.WARNING):
        assert notify_role(settings, "petugas", rows) is False
    assert number in caplog.text


def test_cli_advance_refuses_the_wrong_role_and_lists_tasks(
    sessions: sessionmaker[Session], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from ppid.cli.app import main

    number = register(sessions, settings)
    with pytest.raises(SystemExit) as refused:
        main(["case", "advance", number, "--as", "bidang", "--decision", "recommend"])
    assert refused.value.code == ExitCode.FORBIDDEN
    assert "you act as bidang" in capsys.readouterr().err
    main(
        [
            "case",
            "advance",
            number,
            "--as",
            "petugas",
            "--decision",
            "forward",
            "--actor",
            "ani",
            "--set",
            "purpose=Penelitian tesis",
        ]
    )
    assert "Diperiksa Bidang" in capsys.readouterr().out
    assert load(sessions, number).purpose == "Penelitian tesis"
    main(["tasks", "--role", "bidang", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [(r["case"], r["step"]) for r in rows] == [(number, "examine")]
    assert {"case", "tasks", "dip"} <= set(get_command(app).commands)  # the workflow's commands


def test_daily_deadline_flow_reports_per_role_without_a_server(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    from flows.casework import advance_case, deadline_check

    number = register(sessions, settings)  # verification is due within a working day: "soon"
    report = deadline_check.fn()  # the flow body: plain functions, no Prefect server needed
    assert [row["case"] for row in report["petugas"]] == [number]
    assert report["bidang"] == report["atasan"] == []
    assert advance_case.name == "advance-case"


def test_verification_corrects_misread_fields_with_old_and_new_in_history(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings, name="Rina Cont0h")
    with pytest.raises(BadInputError, match="cannot correct"):
        step(
            sessions, settings, number, "petugas", "forward", data={"corrections": {"status": "x"}}
        )
    fixes = {"applicant_name": "Rina Contoh", "request_number": "013/PERM/PPID-DKUKM/2026"}
    step(sessions, settings, number, "petugas", "forward", data={"corrections": fixes})
    case = load(sessions, number)
    assert (case.applicant_name, case.request_number) == (
        "Rina Contoh",
        "013/PERM/PPID-DKUKM/2026",
    )
    corrected = next(e for e in case.events if e.action == "value_corrected")
    assert corrected.actor == "petugas-contoh" and corrected.note  # who and why
    assert {
        "document": None,
        "index": None,
        "field": "applicant_name",
        "old": "Rina Cont0h",
        "new": "Rina Contoh",
    } in corrected.data["changes"]
    verified = next(e for e in case.events if e.decision == "forward")
    assert verified.id > corrected.id and verified.data["corrected"] == 2


# --- steps as Prefect flow runs (ppid/runtime/steps.py) -------------------------------------------


def test_without_prefect_a_cli_step_is_recorded_directly_and_says_so(
    sessions: sessionmaker[Session],
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ppid.cli.app import main
    from ppid.runtime.steps import NOT_RUNNING

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens there
    number = register(sessions, settings)
    main(["case", "advance", number, "--as", "petugas", "--decision", "forward"])
    captured = capsys.readouterr()
    assert captured.err.strip() == NOT_RUNNING
    assert "Diperiksa Bidang" in captured.out
    case = load(sessions, number)
    assert case.status == CaseStatus.EXAMINING
    assert "flow_run" not in case.events[-1].data


def _serve_step_deployment(settings: Settings, api: str, log: Path) -> subprocess.Popen[bytes]:
    """`advance-case/step` served in a background process, as `ppid run` serves it."""
    from ppid.core.paths import CHECKOUT
    from ppid.runtime.prefect_env import prefect_environment

    code = (
        "from flows.casework import advance_case\n"
        "advance_case.serve(name='step', print_starting_message=False)\n"
    )
    env = {**os.environ, "PPID_HOME": str(settings.home), **prefect_environment(settings, api)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=CHECKOUT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_deployment(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + 180
    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                c.read_deployment_by_name("advance-case/step")
                return
            except ObjectNotFound:
                time.sleep(1)
    raise AssertionError(f"the deployment was not served: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_a_cli_step_runs_as_a_flow_run_named_after_the_case(
    sessions: sessionmaker[Session],
    settings: Settings,
    prefect_api: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from ppid.cli.app import main

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    number = register(sessions, settings)
    began = datetime.now(UTC)  # the session's Prefect server keeps other tests' runs of this name
    server = _serve_step_deployment(settings, prefect_api, tmp_path / "serve.log")
    try:
        _wait_for_deployment(prefect_api, server, tmp_path / "serve.log")
        # A refused step fails at once, in-process: no flow run is made for it.
        with pytest.raises(SystemExit) as refused:
            main(["case", "advance", number, "--as", "bidang", "--decision", "recommend"])
        assert refused.value.code == ExitCode.FORBIDDEN
        capsys.readouterr()
        main(["case", "advance", number, "--as", "petugas", "--decision", "forward", "--json"])
        result = json.loads(capsys.readouterr().out)
        api = temporary_settings(updates={PREFECT_API_URL: prefect_api})
        with api, get_client(sync_client=True) as client:  # before the runner stops (it cancels)
            run = client.read_flow_run(result["flow_run"]["id"])
            runs = client.read_flow_runs()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert result["status"] == "examining" and result["message"] is None
    assert result["flow_run"]["name"] == f"{number}: verify (forward)"
    assert number in run.name and run.state is not None and run.state.is_completed()
    ours = [r.name for r in runs if r.name.startswith(number) and r.created >= began]
    assert ours == [run.name]  # none for the refused step
    case = load(sessions, number)
    assert case.status == CaseStatus.EXAMINING
    assert case.events[-1].data["flow_run"] == {"id": str(run.id), "name": run.name}
    main(["case", "show", number, "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["events"][-1]["flow_run"] == str(run.id)


@pytest.mark.slow
def test_a_step_no_worker_starts_in_time_is_cancelled_and_not_taken(
    sessions: sessionmaker[Session],
    settings: Settings,
    prefect_api: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deployment is there but nothing serves it: the run is cancelled through the REST API
    (so no worker takes it later) and the case stays where it was."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.casework import advance_case
    from ppid.core.errors import PpidError
    from ppid.runtime.steps import take_step

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    monkeypatch.setattr(settings.workflow, "step_timeout_seconds", 1.0)
    number = register(sessions, settings)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        advance_case.to_deployment(name="step").apply()  # registered, not served

    def never() -> Any:
        raise AssertionError("the step ran in-process although Prefect answers")

    with pytest.raises(PpidError) as refused:
        take_step(settings, sessions, number, "petugas", "petugas1", "forward", direct=never)
    assert refused.value.code == "step.not_started"
    name = refused.value.params["run"]
    runs = httpx.post(
        f"{prefect_api}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [name]}}, "sort": "EXPECTED_START_TIME_DESC"},
        timeout=30,
    ).json()
    assert runs and runs[0]["state"]["type"] == "CANCELLED", runs[:1]
    assert load(sessions, number).status == CaseStatus.REGISTERED


def test_a_step_is_checked_in_process_before_any_flow_run(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    with sessions() as session:
        case = get_case(session, number)
        assert workflow.check_step(session, settings, case, "petugas", "forward") == "verify"
        with pytest.raises(ForbiddenError, match="you act as bidang"):
            workflow.check_step(session, settings, case, "bidang", "forward")
        with pytest.raises(BadInputError, match="return letter"):
            workflow.check_step(session, settings, case, "petugas", "return", "catatan saja")
        with pytest.raises(BadInputError, match="no step to correct"):
            workflow.check_step(session, settings, case, "atasan", "correction", "x")
    step(sessions, settings, number, "petugas", "forward")
    with sessions() as session:
        case = get_case(session, number)
        with pytest.raises(ForbiddenError, match="only they or the Atasan"):
            workflow.check_step(session, settings, case, "bidang", "correction", "salah")
        assert workflow.check_step(session, settings, case, "atasan", "correction", "salah")
        assert len(case.events) == 2  # registered, forward: checking recorded nothing


def test_a_failed_flow_run_comes_back_as_the_error_the_step_raised() -> None:
    from ppid.core.errors import PpidError
    from ppid.runtime.steps import _plain_error, step_run_name

    raised = ForbiddenError("correction.nothing_to_undo", number="001/KEB/X/2026")
    message = f"Flow run encountered an exception: ForbiddenError: {raised}"
    error = _plain_error("001: verify (forward)", message)
    assert isinstance(error, ForbiddenError) and error.code == "correction.nothing_to_undo"
    assert error.text == raised.text and "001/KEB/X/2026" in error.text  # Indonesian, intact
    other = _plain_error("r", "Flow run encountered an exception: OperationalError: locked")
    assert type(other) is PpidError and "flow run 'r' failed" in other.message
    assert other.code == "step.run_failed" and "locked" not in other.text
    assert step_run_name("001/KEB/X/2026", " Send ") == "001/KEB/X/2026: sign (send)"
