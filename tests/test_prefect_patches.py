"""Our changes to Prefect (`ppid/runtime/prefect_patches.py`): each name still where it was.

The check runs before `ppid run`, `ppid worker` and `ppid ingest` start anything: a Prefect whose
patched names moved stops them with one operator message and exit code 5. Installing twice
changes nothing. Our loggers' lines reach a flow run's logs in the Prefect API.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ppid.core.errors import ExitCode
from ppid.core.paths import CHECKOUT
from ppid.core.settings import load_settings
from ppid.runtime import prefect_patches
from ppid.runtime.prefect_env import prefect_environment
from ppid.runtime.prefect_patches import (
    PREFECT_SERIES,
    PrefectChangedError,
    check_prefect,
    install_server_patches,
    install_worker_patches,
)


@pytest.fixture(autouse=True)
def own_environment() -> Iterator[None]:
    """The commands run here in-process set Prefect's variables (`use_prefect`, the server's
    defaults); later tests' `ppid run` children inherit os.environ, so it is put back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_the_locked_prefect_has_every_name_our_changes_use() -> None:
    check_prefect()


def test_prefect_is_pinned_to_the_minor_release_the_changes_were_written_for() -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    pins = [d for d in project["project"]["dependencies"] if d.startswith("prefect")]
    major, minor = PREFECT_SERIES.split(".")
    assert pins == [f"prefect>={major}.{minor},<{major}.{int(minor) + 1}"]


@pytest.mark.parametrize("command", [["run"], ["worker"], ["ingest"]])
def test_a_patched_name_that_moved_stops_the_command_with_an_operator_message(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect import flow_engine

    from ppid.cli.app import main

    monkeypatch.setattr(prefect_patches, "_CHECKED", set())
    monkeypatch.delattr(flow_engine, "observe_flow_run_suspension")
    with pytest.raises(SystemExit) as stopped:
        main(command)
    assert stopped.value.code == ExitCode.CONFIG
    error = capsys.readouterr().err
    assert "prefect.flow_engine.observe_flow_run_suspension is gone" in error
    assert "make setup" in error and "ppid/runtime/prefect_patches.py" in error


def test_a_parameter_we_pass_that_is_gone_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.utilities import engine

    monkeypatch.setattr(engine, "propose_state_sync", lambda client, state: state)
    with pytest.raises(PrefectChangedError, match="propose_state_sync takes no flow_run_id"):
        check_prefect()


def test_a_replaced_name_the_engine_no_longer_calls_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.flow_engine import BaseFlowRunEngine

    monkeypatch.setattr(BaseFlowRunEngine, "setup_flow_run_suspension_request", lambda self: None)
    with pytest.raises(PrefectChangedError, match="no longer calls observe_flow_run_suspension"):
        check_prefect()


def test_another_minor_release_of_prefect_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefect_patches, "version", lambda name: "3.10.0")
    with pytest.raises(PrefectChangedError, match=r"Prefect 3\.10\.0: the pin is 3\.9\.x"):
        check_prefect()


def test_installing_the_changes_twice_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect import _flow_run_suspension, flow_engine
    from prefect.server.database.configurations import AioSqliteConfiguration

    for key in prefect_patches.SERVER_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    begin = AioSqliteConfiguration.begin_transaction
    while replaced := getattr(begin, "_ppid_replaces", None):  # Prefect's own, under our patch
        begin = replaced
    observer = _flow_run_suspension.observe_flow_run_suspension  # where the engine takes it from
    monkeypatch.setattr(AioSqliteConfiguration, "begin_transaction", begin)
    monkeypatch.setattr(flow_engine, "observe_flow_run_suspension", observer)
    install_server_patches()
    install_worker_patches()
    patched = (AioSqliteConfiguration.begin_transaction, flow_engine.observe_flow_run_suspension)
    install_server_patches()
    install_worker_patches()
    assert patched[0] is AioSqliteConfiguration.begin_transaction and patched[0] is not begin
    assert patched[1] is flow_engine.observe_flow_run_suspension and patched[1] is not observer
    assert os.environ["PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS"] == "300"


FLOW_THAT_LOGS = """
import logging, os
from ppid.runtime.prefect_env import log_flow_runs
log_flow_runs()
from prefect import flow

@flow(name="ppid-test-logs")
def logs() -> None:
    logging.getLogger("ppid.casework.register").info("registered case %s", os.environ["MARK"])
    logging.getLogger("parsers.extract").warning("page %s unreadable", os.environ["MARK"])

print(logs(return_state=True).state_details.flow_run_id)
"""


def test_our_log_lines_in_a_flow_run_reach_its_logs_in_the_prefect_api(
    prefect_api: str, ppid_home: Path
) -> None:
    mark = f"mark-{os.getpid()}-{time.monotonic_ns()}"
    settings = load_settings()
    env = {**os.environ, **prefect_environment(settings, prefect_api), "MARK": mark}
    done = subprocess.run(
        [sys.executable, "-c", FLOW_THAT_LOGS],
        env=env,
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = done.stdout.strip().splitlines()[-1]
    deadline = time.monotonic() + 30
    while True:
        logs = httpx.post(
            f"{prefect_api}/logs/filter",
            json={"logs": {"flow_run_id": {"any_": [run_id]}}},
            timeout=30,
        ).json()
        lines = {(entry["name"], entry["message"]) for entry in logs}
        if ("ppid.casework.register", f"registered case {mark}") in lines:
            break
        assert time.monotonic() < deadline, f"our log lines never reached the API: {lines}"
        time.sleep(0.5)
    assert ("parsers.extract", f"page {mark} unreadable") in lines
