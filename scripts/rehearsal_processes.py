"""The scale-out rehearsal's processes: PostgreSQL, Prefect servers, and stopping all it started.

Every process is started in its own process group and stopped by it (never by name), newest
first; a group that lingers is killed. Part of scripts/scale_test.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import pg_cluster  # noqa: E402  (after the path: run as a script)

PYTHON = sys.executable


class ScaleTestError(Exception):
    """The rehearsal could not be set up (not a violation of the invariants)."""


@dataclass
class Started:
    """A process this script started; stopped by its own process group (never by name)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM


@dataclass
class Rehearsal:
    run_dir: Path
    started: list[Started] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""  # the phase: put before each fact and violation

    def spawn(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        *,
        stop_signal: int = signal.SIGTERM,
        cwd: Path = ROOT,
    ) -> Started:
        log = self.run_dir / "log" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopping it reaches its flow runs too
            )
        started = Started(name, process, log, stop_signal)
        self.started.append(started)
        return started

    def stop_all(self, since: int = 0) -> None:
        """Stop what was started (from the `since`-th on), newest first; a lingering group is
        killed."""
        for item in reversed(self.started[since:]):
            if item.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(item.process.pid, item.stop_signal)
                try:
                    item.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(item.process.pid, signal.SIGKILL)
                    item.process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(item.process.pid, signal.SIGKILL)  # orphans left in its group
        del self.started[since:]

    def check(self, ok: bool, violation: str) -> None:
        if not ok:
            self.violations.append(f"{self.label}{violation}")

    def fact(self, name: str, value: Any) -> None:
        self.facts.append((f"{self.label}{name}", str(value)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, ready: Any, started: Started | None, timeout: float) -> None:
    """Poll `ready()` until true; fail early (with the log's tail) if `started` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if started is not None and started.process.poll() is not None:
            raise ScaleTestError(f"{what} exited at start-up:\n{tail(started.log)}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.5)
    log = f":\n{tail(started.log)}" if started else ""
    raise ScaleTestError(f"{what} not ready within {timeout:.0f} s{log}")


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def said(started: Started, words: str) -> bool:
    """Whether the process has written `words` to its log yet."""
    return words in started.log.read_text(errors="replace")


def start_postgres(rehearsal: Rehearsal) -> pg_cluster.PgCluster:
    """A fresh cluster under the run folder; each phase makes its own databases on it."""
    try:
        cluster = pg_cluster.start(rehearsal.run_dir / "pg")
    except pg_cluster.PgClusterError as error:
        raise ScaleTestError(str(error)) from error
    # stopped with the rest, newest first: SIGINT is PostgreSQL's "fast" shutdown
    rehearsal.started.append(Started("postgres", cluster.process, cluster.log, signal.SIGINT))
    return cluster


def http_ok(url: str) -> bool:
    import httpx

    return httpx.get(url, timeout=3).status_code == 200


def start_prefect(rehearsal: Rehearsal, name: str, database_url: str, home: Path) -> str:
    """A Prefect server on `database_url` (PostgreSQL), as the machines' shared one; its API."""
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    command = [PYTHON, "-m", "ppid.runtime.prefect_server", "server", "start"]
    command += ["--host", "127.0.0.1"]
    started = rehearsal.spawn(name, [*command, "--port", str(port)], env)
    api = f"http://127.0.0.1:{port}/api"
    wait_for("the Prefect server", lambda: http_ok(f"{api}/health"), started, 180)
    return api
