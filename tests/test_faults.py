"""Resource faults around the real `ppid ingest`: a locked database, a full disk, a vanished IMAP.

Each test runs the product as an operator does (a subprocess with the real flows and a real
Prefect server) and checks three things: the pipeline waits and retries, nothing is lost, and
the operator can see why (a log line, or the reason in the command's output).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ppid.core.files import sha256_file
from ppid.core.settings import load_settings
from ppid.intake.ledger import IntakeContext
from tests.test_intake import specimens  # noqa: F401  (fixture: a filled form and a KTP scan)
from tests.test_mail import dovecot, dovecot_server, forms, message  # noqa: F401  (fixtures)

PPID = [sys.executable, "-m", "ppid"]


def _env(home: Path, api: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PPID_HOME": str(home), "PREFECT_API_URL": api}
    env["PPID_INTAKE__STABLE_SECONDS"] = "0"
    env.pop("PPID_CRASH_AFTER", None)
    return {**env, **extra}


def _outcomes(stdout: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return {Path(row["file"]).name: row for row in rows}


def _ingest(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PPID, "ingest", "--json"], env=env, capture_output=True, text=True, timeout=600
    )


# --- database locked ------------------------------------------------------------------------


def test_a_locked_database_makes_intake_wait_say_why_and_then_finish(
    ppid_home: Path,
    prefect_api: str,
    specimens: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    IntakeContext.open(load_settings())  # the database exists (and is in WAL mode) first
    folder = ppid_home / "inbox" / "pemohon"
    folder.mkdir(parents=True)
    shutil.copy(specimens["form"], folder / "formulir.pdf")
    shutil.copy(specimens["ktp"], folder / "ktp.jpg")
    # Another process holds the write lock (an open sqlite3 shell, a backup, a stuck job) …
    holder = sqlite3.connect(ppid_home / "var" / "ppid.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    errors = tmp_path / "ingest.stderr"
    env = _env(ppid_home, prefect_api, PPID_DATABASE_BUSY_SECONDS="1")
    with errors.open("w") as stderr:
        run = subprocess.Popen(
            [*PPID, "ingest", "--json"], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        # … until intake has hit it and said so; then it is released and intake carries on.
        deadline = time.monotonic() + 300
        while "stayed locked" not in errors.read_text() and time.monotonic() < deadline:
            assert run.poll() is None, errors.read_text()[-2000:]
            time.sleep(0.2)
        held_until_warning = "stayed locked" in errors.read_text()
        time.sleep(2)
    finally:
        holder.execute("COMMIT")
        holder.close()
    stdout, _ = run.communicate(timeout=600)
    log = errors.read_text()
    assert held_until_warning, f"no warning while the database was locked:\n{log[-2000:]}"
    assert run.returncode == 0, log[-2000:]
    assert "ppid.sqlite3" in log and "fuser" in log  # names the file and how to find the holder
    outcomes = _outcomes(stdout)
    assert outcomes["ktp.jpg"]["outcome"] == "registered", outcomes
    assert [p for p in (ppid_home / "inbox").rglob("*") if p.is_file()] == []


# --- disk full ------------------------------------------------------------------------------


@pytest.fixture()
def full_archive(ppid_home: Path) -> Iterator[Path]:
    """The archive on a 512 KB tmpfs, filled to the last byte (needs root to mount)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs for the full-disk test needs root")
    mount = ppid_home / "archive-small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        filler = mount / "pengisi.bin"
        with filler.open("wb", buffering=0) as out, pytest.raises(OSError, match="No space"):
            while True:
                out.write(b"\0" * 65536)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_archive_disk_keeps_the_file_in_the_inbox_with_the_reason_then_finishes(
    ppid_home: Path,
    prefect_api: str,
    specimens: dict[str, Path],  # noqa: F811
    full_archive: Path,
) -> None:
    inbox = ppid_home / "inbox"
    inbox.mkdir()
    form = inbox / "formulir.pdf"
    shutil.copy(specimens["form"], form)
    digest = sha256_file(form)
    env = _env(ppid_home, prefect_api, PPID_ARCHIVE=str(full_archive))
    first = _ingest(env)
    assert first.returncode == 0, first.stderr[-2000:]
    outcome = _outcomes(first.stdout)["formulir.pdf"]
    # Retried (Prefect task retries), then left for the next sweep with a plain reason …
    assert outcome["outcome"] == "retry-later", outcome
    assert "No space left on device" in outcome["reason"]
    assert "formulir.pdf" in first.stderr and "No space left" in first.stderr  # the log says so
    # … and nothing is lost: the file is still in the inbox, untouched.
    assert form.is_file() and sha256_file(form) == digest
    (full_archive / "pengisi.bin").unlink()  # the operator frees space
    second = _ingest(env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _outcomes(second.stdout)["formulir.pdf"]["outcome"] == "pending"  # waits for its KTP
    assert not form.exists()
    stored = list((full_archive / "originals").rglob("formulir.pdf"))
    assert len(stored) == 1 and sha256_file(stored[0]) == digest


# --- the IMAP server gone -------------------------------------------------------------------
# Losing the server in the middle of a run, wrong passwords and back-offs: tests/test_mail.py.
# What is added here: the server is down when the run starts, through the real flows.


def test_an_unreachable_mailbox_is_reported_the_inbox_still_runs_and_mail_waits(
    ppid_home: Path,
    prefect_api: str,
    dovecot,  # noqa: F811
    forms: dict[str, bytes],  # noqa: F811
    specimens: dict[str, Path],  # noqa: F811
) -> None:
    dovecot.append(message(attachments=[("formulir.pdf", forms["form"], "application/pdf")]))
    dovecot.stop()
    inbox = ppid_home / "inbox"
    inbox.mkdir()
    shutil.copy(specimens["form2"], inbox / "formulir-loket.pdf")
    env = _env(ppid_home, prefect_api)
    first = _ingest(env)
    assert first.returncode == 0, first.stderr[-2000:]
    outcomes = _outcomes(first.stdout)
    assert outcomes["formulir-loket.pdf"]["outcome"] == "pending"  # the inbox is not held up
    [mail] = [o for o in outcomes.values() if o.get("source") == "mail"]
    assert mail["outcome"] == "error" and "cannot reach the mailbox" in mail["reason"]
    assert "rahasia" not in first.stdout + first.stderr  # the reason never shows the password
    dovecot.start()
    second = _ingest(env)
    assert second.returncode == 0, second.stderr[-2000:]
    [mail] = [o for o in _outcomes(second.stdout).values() if o.get("source") == "mail"]
    assert mail["outcome"] == "done", mail  # the message waited on the server, nothing lost
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 1
