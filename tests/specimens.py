"""Shared test inputs: the committed KTP sample with its truth, matching form values, CLI runs."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).parent / "corpus" / "samples"


def ktp_sample(name: str = "ktp_crop_000.jpg") -> tuple[Path, dict[str, Any]]:
    """A committed KTP scan and the fields printed on it (tests/corpus/samples/truth.jsonl)."""
    for line in (SAMPLES / "truth.jsonl").read_text().splitlines():
        truth = json.loads(line)
        if truth["file"] == name:
            return SAMPLES / name, truth["documents"][0]["fields"]
    raise AssertionError(f"tests/corpus/samples lacks {name}; regenerate the samples")


def objection_values(
    card: dict[str, Any],
    request_number: str = "012/PPID/X/2026",
    *,
    reasons: tuple[str, ...] = ("a", "c"),
    purpose: str = "Penelitian skripsi tentang koperasi",
    case_description: str = "Permohonan informasi saya tidak ditanggapi dalam sepuluh hari kerja.",
) -> dict[str, Any]:
    """Form values for the person on `card` (the NIKs agree, so intake can register it)."""
    return {
        "request_number": request_number,
        "purpose": purpose,
        "applicant": {
            "name": card["name"],
            "nik": card["nik"],
            "address": card["address"],
            "occupation": card["occupation"],
            "phone": "081234567890",
            "email": "pemohon@example.id",
        },
        "proxy": None,
        "reasons": list(reasons),
        "case_description": case_description,
        "place": "Pontianak",
        "date": "2026-11-20",
    }


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`ppid ARGS` in-process through the real entry point: (exit code, stdout, stderr)."""
    from ppid.cli.app import main  # imported late: spawned test workers need not load the CLI

    try:
        main(list(args))
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# The `backend` fixture (tests/conftest.py) runs a test on SQLite and on PostgreSQL: a module opts
# in with `pytestmark = ON_BOTH_DATABASES` (each test its own empty database, `database_url`), or
# builds its shared world on `module_database_url`. A test of SQLite's own locking opts out.
ON_BOTH_DATABASES = pytest.mark.usefixtures("database_url")
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def ppid_run_env(home: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of a `ppid run` child on a throw-away home: its own web port (`port`),
    Prefect server (`port + 1`) and public site (any free port), never a Prefect API inherited
    from the test session.

    `settings` are extra `PPID_*` variables, e.g. PPID_INTAKE__WORKERS="2" (one unless given:
    a test's `ppid run` should not warm up a worker per core of a shared CI machine).
    """
    env = {**os.environ, "PPID_HOME": str(home), "PPID_INTAKE__WORKERS": "1"}
    env.pop("PREFECT_API_URL", None)
    env.update(PPID_WEB_PORT=str(port), PPID_INTAKE__PREFECT_PORT=str(port + 1))
    env.update(PPID_PUBLIC__PORT=str(_free_port()), **settings)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kill_tree(process: subprocess.Popen[str]) -> None:
    """SIGKILL a failed test's `ppid run` and its children: its Prefect server would live on."""
    import psutil

    if process.poll() is not None:
        return
    try:
        family = [*psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    process.kill()
    process.wait()
    for child in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def workers_of(pid: int) -> set[int]:
    """`ppid worker` children of `ppid run` (not the Prefect server, not a zombie)."""
    import psutil

    return {
        child.pid
        for child in psutil.Process(pid).children()
        if child.status() != psutil.STATUS_ZOMBIE and "worker" in child.cmdline()
    }


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> list[str]:
    """The child's output lines until one holds `text`; fails when it times out or exits."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line.rstrip())
        if text in line:
            return lines
    raise AssertionError(f"{text!r} never printed; got {lines}")
