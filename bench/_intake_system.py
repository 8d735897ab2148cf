"""`ppid run` on a fresh home for bench/intake.py: started, measured (CPU, memory), stopped.

Not a benchmark itself; `finished` reads the intake ledger's commit times from the register.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


class System:
    """`ppid run` in a subprocess on a fresh home."""

    def __init__(self, home: Path, workers: int, ocr_slots: int = 0) -> None:
        port = 21000 + os.getpid() % 10000
        env = {**os.environ, "PPID_HOME": str(home), "PPID_INTAKE__WORKERS": str(workers)}
        env["PPID_PREFECT__OCR_SLOTS"] = str(ocr_slots)
        env.update(PPID_WEB_PORT=str(port), PPID_INTAKE__PREFECT_PORT=str(port + 1))
        env["PPID_PUBLIC__PORT"] = str(port + 2)  # not the default 8001 another system may hold
        env["PPID_INTAKE__STABLE_SECONDS"] = "1"
        env["PPID_INTAKE__SWEEP_MINUTES"] = "30"
        env.pop("PREFECT_API_URL", None)
        self.home = home
        self.api = f"http://127.0.0.1:{port + 1}/api"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ppid", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        said = []
        for line in self.process.stdout:
            said.append(line)
            if "Ctrl-C" in line:
                break
        else:
            raise SystemExit("ppid run did not start:\n" + "".join(said[-30:]))

    def cpu_seconds(self) -> dict[str, float]:
        """CPU used so far by `ppid run` itself, its Prefect server and its workers (with their
        Tesseract children): whether the machine, not the intake, is what limits throughput."""
        import psutil

        def used(process: psutil.Process) -> float:
            times = process.cpu_times()
            return times.user + times.system + times.children_user + times.children_system

        root = psutil.Process(self.process.pid)
        parts = {"run": used(root), "server": 0.0, "workers": 0.0}
        for child in root.children():
            with contextlib.suppress(psutil.NoSuchProcess):
                part = "server" if "server" in child.cmdline() else "workers"
                parts[part] += used(child)
        return parts

    def worker_memory_mb(self) -> list[float]:
        """Resident memory of each worker process now (warm, after the batch)."""
        import psutil

        root = psutil.Process(self.process.pid)
        workers = [c for c in root.children() if "worker" in c.cmdline()]
        return [round(w.memory_info().rss / 2**20) for w in workers]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def finished(self) -> dict[str, tuple[float, str, float | None]]:
        """source file → (commit time, outcome, case creation time) for every finished file."""
        database = self.home / "var" / "ppid.sqlite3"
        if not database.exists():
            return {}
        with sqlite3.connect(database, timeout=30) as connection:
            rows = connection.execute(
                "SELECT f.source_path, f.updated_at, f.status, s.status, c.created_at "
                "FROM intake_files f LEFT JOIN submissions s ON s.id = f.submission_id "
                "LEFT JOIN cases c ON c.id = s.case_id "
                "WHERE f.status IN ('done', 'duplicate', 'quarantined')"
            ).fetchall()
        done = {}
        for source, updated, status, submission, created in rows:
            registered = _timestamp(created) if created else None
            done[source] = (_timestamp(updated), submission or status, registered)
        return done


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()
