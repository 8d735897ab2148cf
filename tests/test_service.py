"""`ppid run` as an operator uses it: starts everything, refuses a second copy, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from ppid.core.settings import load_settings
from ppid.output.forms import render_form
from tests.specimens import kill_tree, ppid_run_env, wait_for_line, workers_of


@pytest.mark.slow
def test_run_starts_everything_refuses_a_second_copy_and_stops_on_ctrl_c(ppid_home: Path) -> None:
    port_base = 20000 + os.getpid() % 20000
    # An hour between sweeps: what is taken below, the watcher took. An hour's stability wait:
    # a file renamed into place is taken at once (`renamed_into_place`), others wait.
    env = ppid_run_env(
        ppid_home, port_base, PPID_INTAKE__SWEEP_MINUTES="60", PPID_INTAKE__STABLE_SECONDS="3600"
    )
    # a file that came while the system was down (other bytes than the form dropped below)
    waiting = ppid_home / "inbox" / "sudah-ada.pdf"
    render_form(load_settings(home=ppid_home), waiting, fillable=True)
    waiting.write_bytes(waiting.read_bytes() + b"\n% came while ppid was down\n")
    two_hours_ago = time.time() - 7200
    os.utime(waiting, (two_hours_ago, two_hours_ago))
    command = [sys.executable, "-m", "ppid", "run"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        lines = wait_for_line(process, "Ctrl-C", timeout=180)
        assert any(f"http://127.0.0.1:{port_base}" in line for line in lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port_base}/", timeout=10) as page:
            assert "Meja Keberatan PPID" in page.read().decode()
        public = next(line for line in lines if line.startswith("Public:")).split()[-1]
        with urllib.request.urlopen(public + "/", timeout=10) as page:
            assert "Pengajuan keberatan" in page.read().decode()
        with pytest.raises(urllib.error.HTTPError, match="404"):  # nothing of the staff app
            urllib.request.urlopen(public + "/masuk", timeout=10)
        # one worker (ppid_run_env), and so one OCR slot (`ocr_slots`, unit-tested)
        workers = [psutil.Process(pid) for pid in workers_of(process.pid)]
        assert len(workers) == 1
        # below the web app and the Prefect server, which answer clerks and the workers
        assert workers[0].nice() == min(19, psutil.Process(process.pid).nice() + 5)
        # The watcher notices a dropped file; the event-triggered deployment takes it.
        form = ppid_home / "inbox" / "formulir.pdf"
        render_form(load_settings(), ppid_home / "blank.pdf", fillable=True)
        time.sleep(0.05)  # the rename a clock tick after the last write, as any clerk's is
        (ppid_home / "blank.pdf").rename(form)
        deadline = time.monotonic() + 120
        while form.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not form.exists(), "the dropped file was never taken"
        deadline = time.monotonic() + 60
        while waiting.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not waiting.exists(), "a file waiting in the inbox at start-up was not taken"
        listed = subprocess.run(
            [sys.executable, "-m", "ppid", "pending", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "formulir.pdf" in listed.stdout
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 7
        assert "already running" in second.stderr and "Traceback" not in second.stderr
        assert f"(pid {process.pid})" in second.stderr  # who holds the home, as written
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)  # a second signal must not cut the clean-up short
        assert process.wait(timeout=60) == 0
        assert process.stdout is not None
        assert "stopped" in process.stdout.read(), "the clean-up was cut short"
        psutil.wait_procs(workers, timeout=10)
        assert not any(worker.is_running() for worker in workers), "a worker outlived ppid run"
    finally:
        kill_tree(process)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port_base + 1}/api/health", timeout=2)


@pytest.mark.slow
def test_ctrl_c_while_the_workers_warm_up_stops_them_too(ppid_home: Path) -> None:
    """Workers run in sessions of their own (a terminal's Ctrl-C reaches them only through
    `ppid run`), so one still warming up when `ppid run` is interrupted must be stopped by it."""
    port_base = 20000 + (os.getpid() + 7) % 20000
    process = subprocess.Popen(
        [sys.executable, "-m", "ppid", "run"],
        env=ppid_run_env(ppid_home, port_base),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not (workers := workers_of(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "ppid run started no worker"
        process.send_signal(signal.SIGINT)  # the worker is importing and rendering: seconds
        assert process.wait(timeout=60) == 0
        assert process.stdout is not None
        output = process.stdout.read()
        assert "Ctrl-C" not in output, "start-up had finished: this test missed its moment"
        assert "stopped" in output
        assert not any(psutil.pid_exists(pid) for pid in workers), "a worker outlived ppid run"
    finally:
        kill_tree(process)


def test_cron_settings_become_rrules_that_prefects_server_can_schedule() -> None:
    """Prefect 3.9's server cannot compute Cron dates in Asia/Pontianak on Python 3.11."""
    import asyncio

    from prefect.server.schemas.schedules import RRuleSchedule

    from ppid.core.errors import ConfigError
    from ppid.runtime.deployments import cron_as_rrule

    weekdays = RRuleSchedule(rrule=cron_as_rrule("0 7 * * 1-5"), timezone="Asia/Pontianak")
    friday = datetime(2026, 11, 27, tzinfo=UTC)  # a Friday, before 07:00 in Pontianak
    dates = asyncio.run(weekdays.get_dates(n=3, start=friday))
    assert [d.isoformat() for d in dates] == [
        "2026-11-27T07:00:00+07:00",
        "2026-11-30T07:00:00+07:00",  # the weekend skipped
        "2026-12-01T07:00:00+07:00",
    ]
    assert "BYMINUTE=0,15,30,45" in cron_as_rrule("*/15 * * * *")
    assert "BYDAY=SU" in cron_as_rrule("0 2 * * 7")
    for bad in ("0 7 * *", "0 7 1 * 1", "61 7 * * *", "x 7 * * *"):
        with pytest.raises(ConfigError):
            cron_as_rrule(bad)


def test_flow_run_workers_get_the_malloc_and_tesseract_settings_unless_the_operator_set_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ppid.runtime.workers import WORKER_ENVIRONMENT, worker_environment

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    env = worker_environment()
    assert env["MALLOC_ARENA_MAX"] == WORKER_ENVIRONMENT["MALLOC_ARENA_MAX"]
    assert env["MALLOC_MMAP_THRESHOLD_"] == "65536"  # the operator's own choice stands
    assert env["OMP_THREAD_LIMIT"] == "1"


def test_a_waiting_file_settles_once_it_held_still_and_a_vanished_one_is_dropped(
    tmp_path: Path,
) -> None:
    """The watcher's stability rule: two equal looks, and nothing written for stable_seconds."""
    from ppid.runtime.watcher import settled as settled_by_renames

    def settled(waiting: dict[Path, tuple[int, float] | None], stable_seconds: float) -> list:
        return settled_by_renames(waiting, stable_seconds, renames=False)  # utime looks like one

    old = int(time.time()) - 60  # whole seconds: the mtime reads back exactly
    still, growing, gone = (tmp_path / name for name in ("still.pdf", "growing.pdf", "gone.pdf"))
    for path in (still, growing, gone):
        path.write_bytes(b"%PDF-1.7\n")
        os.utime(path, (old, old))
    waiting: dict[Path, tuple[int, float] | None] = {still: None, growing: None, gone: None}
    assert settled(waiting, stable_seconds=2.0) == []  # the first look only notes what it saw
    with growing.open("ab") as handle:  # still being copied in
        handle.write(b"more")
    gone.unlink()
    assert settled(waiting, stable_seconds=2.0) == [(still, (9, old))]
    assert set(waiting) == {growing}  # the vanished file is dropped, the growing one waits
    assert settled(waiting, stable_seconds=2.0) == []  # equal looks, but written just now
    os.utime(growing, (old, old))
    assert settled(waiting, stable_seconds=2.0) == []  # mtime moved back: a changed signature
    assert settled(waiting, stable_seconds=2.0) == [(growing, (13, old))]
    assert waiting == {}


def test_a_file_renamed_into_place_after_its_last_write_is_taken_at_the_first_look(
    tmp_path: Path,
) -> None:
    """No stability wait for a file that was whole before it arrived; a file written where it
    lies, or an empty one, still waits."""
    from ppid.runtime.watcher import settled

    inbox, beside = tmp_path / "inbox", tmp_path / "unduhan"
    inbox.mkdir()
    beside.mkdir()
    (beside / "formulir.pdf").write_bytes(b"%PDF-1.7\n")
    (beside / "kosong.pdf").touch()
    time.sleep(0.05)  # a later clock tick than the writes (ticks are 1-10 ms)
    moved, empty = inbox / "formulir.pdf", inbox / "kosong.pdf"
    (beside / "formulir.pdf").rename(moved)
    (beside / "kosong.pdf").rename(empty)
    written = inbox / "dipindai.pdf"
    written.write_bytes(b"%PDF-1.7\n")
    waiting: dict[Path, tuple[int, float] | None] = {moved: None, empty: None, written: None}
    taken = settled(waiting, stable_seconds=3600)
    assert [path for path, _ in taken] == [moved]
    assert set(waiting) == {empty, written}
    assert settled(waiting, stable_seconds=3600, renames=False) == []
    # renamed in, then written to: still being written, so it waits
    (beside / "lain.pdf").write_bytes(b"%PDF-1.7\n")
    time.sleep(0.05)
    (beside / "lain.pdf").rename(inbox / "lain.pdf")
    with (inbox / "lain.pdf").open("ab") as handle:
        handle.write(b"% masih ditulis\n")
    assert settled({inbox / "lain.pdf": None}, stable_seconds=3600) == []


def test_every_flow_is_found_by_its_entrypoint_under_its_own_name() -> None:
    """`ppid` imports no flow: it names each by entrypoint and loads it as Prefect does."""
    from ppid.runtime.deployments import FLOWS, load_flow

    for name in FLOWS:
        assert load_flow(name).name == name


def test_every_deployment_runs_a_flow_named_in_the_entrypoint_table(ppid_home: Path) -> None:
    from ppid.runtime.deployments import FLOWS, deployment_specs

    settings = load_settings(home=ppid_home, mail_url="imaps://user:secret@127.0.0.1:1/INBOX")
    specs = deployment_specs(settings)
    assert {flow.name for flow, _ in specs} <= set(FLOWS)
    assert {f"{flow.name}/{spec['name']}" for flow, spec in specs} >= {
        "process-file/on-file",
        "sweep-inbox/sweep",
        "advance-case/step",
        "check-mailboxes/poll",
    }
