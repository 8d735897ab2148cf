"""Control characters in names never reach a log line or the operator's terminal raw."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import ppid  # noqa: F401  (importing our code is what makes log records safe)

FORGED = "uji\nINFO ppid.intake: surat palsu diterima\x1b[2J\x1b]0;judul\x07"


def test_a_name_with_a_newline_or_an_escape_writes_one_plain_log_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("ppid.uji.kontrol")
    logger.addHandler(handler)
    try:
        logger.warning("quarantined %s", FORGED)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert written.count("\n") == 1 and "\x1b" not in written and "\x07" not in written
    assert "uji\\x0aINFO ppid.intake: surat palsu" in written  # still readable, escaped


def test_ppid_quarantine_prints_no_control_character(tmp_path: Path) -> None:
    folder = tmp_path / "quarantine" / FORGED
    folder.mkdir(parents=True)
    (folder / "surat\x1b[31m.pdf").write_bytes(b"%PDF-1.4 rusak")
    env = {**os.environ, "PPID_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "ppid", "quarantine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    assert "surat" in shown and "\x1b" not in shown and "\x07" not in shown
    assert not any(line.startswith("INFO ppid.intake") for line in shown.splitlines())
