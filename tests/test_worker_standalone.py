"""`ppid worker` standalone, as on a second machine: refuses clearly, then serves until SIGTERM.

Against the session's real Prefect server: with no server answering, and with the deployments
not registered yet, it ends with exit code 9 and an English line that says what to do. Once the
deployments are registered (as `ppid run` on the main machine does), a register it cannot reach
is refused the same way (its password not shown); with the register there it takes this machine's
OCR slots (`intake.workers` of its settings), claims a flow run of one of the deployments, runs
it to Completed and records itself on it, is not stopped as "orphaned" (no `ppid run` above it),
and leaves cleanly (exit 0) on SIGTERM. The deployments are deleted again: other tests find none
on the shared server and take their steps in-process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ppid.core.errors import ExitCode
from ppid.core.settings import load_settings
from ppid.runtime.deployments import build_deployments, register_deployments

PPID = [sys.executable, "-m", "ppid"]


def worker_env(home: Path, api: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PPID_HOME": str(home), "PREFECT_API_URL": api, **extra}
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return env


def refusal(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PPID, "worker"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def registered(ppid_home: Path, prefect_api: str) -> Iterator[list[str]]:
    """Our deployments on the session's server (as `ppid run` registers them), then deleted."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        deployments = build_deployments(load_settings(home=ppid_home))
        register_deployments(deployments)
        names = [f"{d.flow_name}/{d.name}" for d in deployments]
        try:
            yield names
        finally:
            with get_client(sync_client=True) as client:
                for name in names:
                    client.delete_deployment(client.read_deployment_by_name(name).id)


def test_standalone_worker_refuses_without_a_server_or_deployments(
    ppid_home: Path, prefect_api: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    done = refusal(worker_env(ppid_home, dead))
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr[-2000:]
    assert f"the Prefect server at {dead} does not answer" in done.stderr
    assert "Traceback" not in done.stderr
    done = refusal(worker_env(ppid_home, prefect_api))
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr[-2000:]
    assert "has no deployment process-file/on-file" in done.stderr
    assert "start `ppid run` on the main machine first" in done.stderr


def test_standalone_worker_checks_the_register_runs_a_flow_run_and_stops_on_sigterm(
    ppid_home: Path, prefect_api: str, registered: list[str], tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with socket.socket() as probe:  # the register on a port nobody listens on: refused first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://ppid:secret@127.0.0.1:{port}/ppid"
    done = refusal(worker_env(ppid_home, prefect_api, PPID_DATABASE_URL=url))
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr[-2000:]
    shown = f"cannot reach the register's database postgresql+psycopg://ppid:***@127.0.0.1:{port}"
    assert shown in done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        worker = subprocess.Popen(
            [*PPID, "worker"],
            env=worker_env(ppid_home, prefect_api, PPID_INTAKE__WORKERS="3"),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # like a worker on another machine: no `ppid run` above it
        )
    try:
        deadline = time.monotonic() + 120
        while "ready" not in log_path.read_text(errors="replace"):
            assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker did not warm up"
            time.sleep(0.2)
        settings = temporary_settings(updates={PREFECT_API_URL: prefect_api})
        with settings, get_client(sync_client=True) as client:
            sweep = client.read_deployment_by_name("sweep-inbox/sweep")
            run = client.create_flow_run_from_deployment(sweep.id)
            while not (state := client.read_flow_run(run.id)).state.is_final():
                assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline + 120, f"still {state.state_type}"
                time.sleep(0.2)
        assert state.state.is_completed(), state.state
        assert state.infrastructure_pid == f"{socket.gethostname()}:{worker.pid}"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log_path.read_text(errors="replace")[-3000:]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    output = log_path.read_text(errors="replace")
    assert "3 OCR slot(s) on this machine" in output  # the machine's intake share, not one
    assert "stopped after" in output and "Traceback" not in output, output[-3000:]
