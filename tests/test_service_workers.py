"""Warm workers: flow runs of our deployments run in long-lived `ppid worker` processes.

The first test claims flow runs from two workers at once against a real Prefect server: each run
is claimed exactly once. The second runs `ppid run` with two workers, drops files, and reads the
flow runs back from the Prefect API: one per file, each executed (Running) once, by a worker
process of `ppid run` that took more than one file, so the process is reused, not spawned; a
worker killed with SIGKILL is replaced, and Ctrl-C leaves no worker behind. The OCR slots that
bound a machine's OCR across its workers are granted, waited for and freed by a killed holder;
our Prefect server queues simultaneous writes instead of refusing them.
"""

from __future__ import annotations

import contextvars
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID, uuid4

import psutil
import pytest
from prefect import flow, task

from ppid.core.settings import Settings, load_settings
from ppid.output.forms import render_form
from ppid.runtime.worker import (
    WarmWorker,
    hold_slot,
    local_worker_count,
    ocr_slots,
    worker_count,
)
from tests.specimens import kill_tree, ppid_run_env, wait_for_line, workers_of


@flow(name="ppid-test-noop")
def noop() -> None:
    """A flow to deploy; its runs are only claimed here, never executed."""


def test_two_workers_claiming_at_once_never_take_the_same_flow_run(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        deployment_id = noop.to_deployment(name=f"claims-{os.getpid()}").apply()
        with get_client(sync_client=True) as client:
            created = {client.create_flow_run_from_deployment(deployment_id).id for _ in range(12)}
        # pages of two: the workers often find a whole page taken by the other and ask again
        workers = [WarmWorker({deployment_id: noop}, page=2) for _ in range(2)]
        claimed: list[list[UUID]] = [[], []]
        start = threading.Barrier(2)

        clients = [get_client(sync_client=True) for _ in workers]  # this context's API

        def claim_all(index: int) -> None:
            with clients[index] as client:
                start.wait()
                while (run := workers[index].claim_next(client)) is not None:
                    claimed[index].append(run.id)

        threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    both = claimed[0] + claimed[1]
    assert Counter(both).most_common(1)[0][1] == 1, "a flow run was claimed twice"
    assert set(both) == created, "every scheduled run is claimed by one of the workers"


THREADS_SEEN: list[list[str]] = []


@flow
def note_threads() -> None:
    """A flow that notes which threads run beside its body."""
    THREADS_SEEN.append([thread.name for thread in threading.enumerate()])


def test_warm_workers_run_flows_without_prefects_watcher_threads(
    prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect's suspension observer costs a run a websocket and ~0.1 s; heartbeats: see below."""
    from prefect import _flow_run_suspension, flow_engine
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect's own observer, as in a process where no warm worker has run yet
    stock_observer = _flow_run_suspension.observe_flow_run_suspension
    monkeypatch.setattr(flow_engine, "observe_flow_run_suspension", stock_observer)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        deployment_id = note_threads.to_deployment(name=f"threads-{os.getpid()}").apply()
        worker = WarmWorker({deployment_id: note_threads})
        with get_client(sync_client=True) as client:
            plain = client.create_flow_run_from_deployment(deployment_id)
            run_flow(note_threads, flow_run=client.read_flow_run(plain.id))  # Prefect's way
            client.create_flow_run_from_deployment(deployment_id)
            run = worker.claim_next(client)
            assert run is not None
            assert worker.execute(client, run).is_completed()
    stock, lean = THREADS_SEEN[-2:]
    assert any("observer_thread" in name for name in stock), "Prefect no longer observes runs"
    assert not any("observer_thread" in name for name in lean), lean


class _FailingServer:
    """A Prefect API that lists a full page of due runs but fails every claim (a stub client:
    what is tested is the worker's loop, not Prefect)."""

    def __init__(self, due: int) -> None:
        self.due, self.polls = due, 0

    def get_scheduled_flow_runs_for_deployments(self, **query: object) -> list[object]:
        self.polls += 1
        if self.polls > 5:  # the worker keeps asking: end it (it counts as an API error)
            raise RuntimeError("asked again and again")
        return [SimpleNamespace(id=uuid4(), next_scheduled_start_time=None)] * self.due

    def set_flow_run_state(self, *args: object, **options: object) -> object:
        raise RuntimeError("database is locked")


def test_a_worker_whose_claims_fail_waits_instead_of_asking_again_at_once() -> None:
    worker = WarmWorker({uuid4(): noop}, page=2)
    server = _FailingServer(due=2)  # a full page: had others taken it, the worker would ask again
    assert worker.claim_next(server) is None
    assert server.polls == 1


def test_an_idle_worker_is_woken_by_the_scheduled_event_not_by_polling(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        deployment_id = note_threads.to_deployment(name=f"wake-{os.getpid()}").apply()
        worker = WarmWorker({deployment_id: note_threads}, 600, listening_poll_seconds=600)
        here = contextvars.copy_context()  # the API URL set above
        serving = threading.Thread(target=here.run, args=(worker.serve,), daemon=True)
        serving.start()
        try:
            deadline = time.monotonic() + 60
            while not worker.listening:
                assert time.monotonic() < deadline, "the worker never opened the event stream"
                time.sleep(0.1)
            time.sleep(1)  # idle now, in a 600 s wait
            with get_client(sync_client=True) as client:
                client.create_flow_run_from_deployment(deployment_id)
            while worker.executed == 0:  # polling alone would take 600 s
                assert time.monotonic() < deadline, "the scheduled run did not wake the worker"
                time.sleep(0.1)
        finally:
            worker.stop()
            serving.join(timeout=60)
    assert not serving.is_alive(), "stop() did not end the idle wait"


@task
def noted(number: int) -> int:
    return number


@flow(name="ppid-test-three-tasks")
def three_tasks() -> None:
    for number in range(3):
        noted(number)


def test_prefect_server_records_task_runs_in_batches_that_still_show_within_seconds(
    prefect_api: str,
) -> None:
    """Batched (`ppid.runtime.prefect_patches`): a task costs the server a third of the CPU.
    Batching must not hide task runs: a flush every second, whatever the batch holds."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    recorder = httpx.get(f"{prefect_api}/admin/settings", timeout=30).json()["server"]
    recorder = recorder["services"]["task_run_recorder"]
    assert (recorder["batch_size"], recorder["flush_interval"]) == (50, 1)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        state = three_tasks(return_state=True)
    run_id = str(state.state_details.flow_run_id)
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.post(
            f"{prefect_api}/task_runs/filter",
            json={"flow_runs": {"id": {"any_": [run_id]}}},
            timeout=30,
        ).json()
        completed = [run for run in answer if run["state_type"] == "COMPLETED"]
        if len(completed) == 3:
            break
        assert time.monotonic() < deadline, f"task runs not recorded: {answer}"
        time.sleep(0.2)


def test_prefect_server_marks_a_run_late_only_after_five_minutes(prefect_api: str) -> None:
    """A run waiting behind a batch of files is not late (`ppid.runtime.prefect_patches`);
    Prefect's own server marks it Late 15 s after its time, and its late-runs check comes every
    5 s."""
    import httpx

    late_runs = httpx.get(f"{prefect_api}/admin/settings", timeout=30).json()["server"]
    assert late_runs["services"]["late_runs"]["after_seconds"] == "PT5M"  # 300 s
    flow_id = httpx.post(f"{prefect_api}/flows/", json={"name": "waiting"}, timeout=30).json()
    minute_ago = (datetime.now(UTC) - timedelta(seconds=60)).isoformat()
    scheduled = {"type": "SCHEDULED", "state_details": {"scheduled_time": minute_ago}}
    run = httpx.post(
        f"{prefect_api}/flow_runs/",
        json={"flow_id": flow_id["id"], "name": "behind-the-batch", "state": scheduled},
        timeout=30,
    ).json()
    time.sleep(7)  # more than one pass of the late-runs check
    state = httpx.get(f"{prefect_api}/flow_runs/{run['id']}", timeout=30).json()["state"]
    assert state["name"] == "Scheduled"


def test_prefect_server_queues_simultaneous_flow_run_creations(prefect_api: str) -> None:
    """Ours begins SQLite transactions IMMEDIATE: Prefect's own answered 503 to most of these."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        deployment_id = noop.to_deployment(name=f"creations-{os.getpid()}").apply()
    later = {"type": "SCHEDULED", "state_details": {"scheduled_time": "2099-01-01T00:00:00Z"}}
    codes: list[int] = []

    def create_three() -> None:
        with httpx.Client(base_url=prefect_api, timeout=60) as client:  # no retries
            for _ in range(3):
                answer = client.post(
                    f"/deployments/{deployment_id}/create_flow_run", json={"state": later}
                )
                codes.append(answer.status_code)

    threads = [threading.Thread(target=create_three) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(codes) == {201: 24}


def _configured(home: Path, workers: int, slots: int = 0, pool: str = "") -> Settings:
    """Settings of `home` with these intake workers, OCR slots and work pool."""
    settings = load_settings(home=home)
    intake = settings.intake.model_copy(update={"workers": workers})
    prefect = settings.prefect.model_copy(update={"ocr_slots": slots, "work_pool": pool})
    return settings.model_copy(update={"intake": intake, "prefect": prefect})


def test_ppid_run_starts_a_worker_per_core_unless_told(tmp_path: Path) -> None:
    assert worker_count(_configured(tmp_path, workers=0)) == min(os.cpu_count() or 1, 4)
    assert worker_count(_configured(tmp_path, workers=3)) == 3
    assert local_worker_count(_configured(tmp_path, workers=3)) == 3


def test_ppid_run_starts_no_worker_when_the_flow_runs_belong_elsewhere(tmp_path: Path) -> None:
    """On a process pool, or with `ppid worker`s on other machines (`local_workers = false`);
    those standalone workers still take their machine's OCR slots from `intake.workers`."""
    assert local_worker_count(_configured(tmp_path, workers=3, pool="ppid")) == 0
    elsewhere = _configured(tmp_path, workers=3)
    prefect = elsewhere.prefect.model_copy(update={"local_workers": False})
    elsewhere = elsewhere.model_copy(update={"prefect": prefect})
    assert local_worker_count(elsewhere) == 0
    assert ocr_slots(elsewhere) == 3


def test_ocr_slots_are_the_intakes_workers_unless_set_or_on_a_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    # a shared server (one worker): the intake keeps to one core
    assert ocr_slots(_configured(tmp_path, workers=1)) == 1
    assert ocr_slots(_configured(tmp_path, workers=0)) == 4  # a worker per core, at most four
    assert ocr_slots(_configured(tmp_path, workers=1, slots=3)) == 3
    assert ocr_slots(_configured(tmp_path, workers=1, pool="ppid")) == 8  # pool workers: every core


def _hold_in_thread(folder: Path) -> tuple[threading.Event, threading.Event]:
    """Take a slot in another thread; returns (taken, release): set `release` to end."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hold_slot(folder, size=2):
            taken.set()
            release.wait(30)

    threading.Thread(target=hold, daemon=True).start()
    return taken, release


def test_ocr_slots_wait_while_none_is_free(tmp_path: Path) -> None:
    with hold_slot(tmp_path, size=2) as first, hold_slot(tmp_path, size=2) as second:
        assert {first, second} == {0, 1}
        taken, release = _hold_in_thread(tmp_path)
        assert not taken.wait(0.5), "a slot was granted while all were held"
    assert taken.wait(10), "a freed slot was not granted"
    with hold_slot(tmp_path, size=2):  # one of two still taken: the other is free
        pass
    release.set()


def test_a_killed_holder_leaves_no_ocr_slot_taken(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, time; from ppid.runtime.worker import hold_slot\n"
            f"folder = pathlib.Path({str(tmp_path)!r})\n"
            "with hold_slot(folder, 2), hold_slot(folder, 2):\n"
            "    print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    taken, release = _hold_in_thread(tmp_path)
    assert not taken.wait(0.5), "a slot was granted while another process held them all"
    holder.kill()
    holder.wait()
    assert taken.wait(10), "the killed process's slots were not freed"
    release.set()


@pytest.mark.slow
def test_ppid_run_executes_each_file_once_in_a_reused_warm_worker(ppid_home: Path) -> None:
    port_base = 22000 + os.getpid() % 20000
    env = ppid_run_env(
        ppid_home, port_base, PPID_INTAKE__WORKERS="2", PPID_INTAKE__STABLE_SECONDS="0.5"
    )
    blank = ppid_home / "blank.pdf"
    render_form(load_settings(), blank, fillable=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "ppid", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = wait_for_line(process, "Ctrl-C", timeout=300)
        assert any(line.startswith("Workers:   2") for line in lines)
        workers = workers_of(process.pid)
        names = [f"formulir-{n}.pdf" for n in range(5)]
        for number, name in enumerate(names):  # distinct bytes: each is a file of its own
            staged = ppid_home / f"{name}.part"
            staged.write_bytes(blank.read_bytes() + f"\n% copy {number}\n".encode())
            staged.rename(ppid_home / "inbox" / name)
            time.sleep(0.3)
        deadline = time.monotonic() + 240
        while any((ppid_home / "inbox" / n).exists() for n in names):
            assert time.monotonic() < deadline, "the dropped files were never all taken"
            time.sleep(0.5)
        api = json.loads((ppid_home / "var/run/ppid-run.json").read_text())["prefect_api_url"]
        runs = _on_file_runs(api)
        assert sorted(run["name"] for run in runs) == names  # one flow run per file
        executors = Counter()
        for run in runs:
            assert run["state"] == "COMPLETED", run
            assert run["running_states"] == 1, f"{run['name']} was executed more than once"
            _host, _, pid = run["infrastructure_pid"].rpartition(":")
            assert int(pid) in workers, f"{run['name']} ran outside the worker processes"
            executors[int(pid)] += 1
        assert max(executors.values()) >= 2, "no worker process was reused"
        events = _flow_run_event_names(api, until_seen="prefect.flow-run.Completed")
        assert "prefect.flow-run.heartbeat" not in events, "a warm worker sent heartbeats"
        killed = max(executors, key=executors.__getitem__)
        os.kill(killed, signal.SIGKILL)  # out of memory, say: `ppid run` starts another
        deadline = time.monotonic() + 240
        while len(workers_of(process.pid) - {killed}) < 2:
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(1)
        workers = workers_of(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0
        assert not any(psutil.pid_exists(pid) for pid in workers), "a worker outlived ppid run"
    finally:
        kill_tree(process)


def _flow_run_event_names(api: str, until_seen: str) -> set[str]:
    """Which of `until_seen` and heartbeats the server has stored, once `until_seen` is."""
    import httpx

    deadline = time.monotonic() + 60
    while True:
        answer = httpx.post(
            f"{api}/events/filter",
            json={"filter": {"event": {"name": [until_seen, "prefect.flow-run.heartbeat"]}}},
            timeout=30,
        )
        names = {event["event"] for event in answer.json()["events"]}
        if until_seen in names or time.monotonic() > deadline:
            return names
        time.sleep(1)  # the server stores events in batches


def _on_file_runs(api: str) -> list[dict[str, object]]:
    """The on-file deployment's flow runs: name, final state, executor, times it ran."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        runs = c.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["on-file"]))
        )
        return [
            {
                "name": run.name,
                "state": run.state_type.value if run.state_type else None,
                "infrastructure_pid": run.infrastructure_pid or "",
                "running_states": sum(
                    state.type == StateType.RUNNING for state in c.read_flow_run_states(run.id)
                ),
            }
            for run in runs
        ]
