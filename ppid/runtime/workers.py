"""`ppid run`'s warm worker processes: started warm, replaced when one dies, stopped with grace.

Each is a `ppid worker` child (`ppid.runtime.warm`) in its own session, with the flow-run
environment (`WORKER_ENVIRONMENT`); `supervise` also ends `ppid run` when its Prefect server
stops answering.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ppid.core import paths
from ppid.core.errors import ConfigError, PpidError
from ppid.core.settings import Settings
from ppid.runtime.prefect_env import healthy
from ppid.runtime.worker import crash_runs_of

log = logging.getLogger(__name__)


SERVER_CHECK_SECONDS = 5  # how often `ppid run` asks its Prefect server whether it is alive
SERVER_GRACE_SECONDS = 30  # silent this long (a restart takes ~20 s) and `ppid run` gives up
WORKER_GRACE_SECONDS = 30.0  # Ctrl-C lets a worker finish its flow run this long, then abandons it


def start_workers(settings: Settings, count: int) -> list[subprocess.Popen[bytes]]:
    """`count` warm `ppid worker` processes; returns once each has warmed up."""
    workers = [_start_worker(settings, index) for index in range(1, max(1, count) + 1)]
    deadline = time.monotonic() + 300
    try:  # interrupted while they warm up: none is left behind to notice alone
        for index, worker in enumerate(workers, start=1):
            while not ready_file(settings, worker.pid).exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    log_path = paths.log_file(settings, f"worker-{index}")
                    raise ConfigError("worker.no_start", log=str(log_path))
                time.sleep(0.2)
    except BaseException:
        stop_workers(workers)
        raise
    return workers


# The environment of a process that runs flows (set before it starts: glibc reads it once).
# glibc's malloc keeps freed page-sized buffers (a 300 dpi page is 9-26 MB) in per-thread arenas
# and raises its mmap threshold after the first is freed, so a worker reading pages in parallel
# keeps the sum of its worst moments: measured 443 -> 311 MB peak on a 10-page bundle read two
# pages at once. One Tesseract thread per page: pages are what we run in parallel.
WORKER_ENVIRONMENT = {
    "MALLOC_MMAP_THRESHOLD_": "131072",
    "MALLOC_ARENA_MAX": "2",
    "OMP_THREAD_LIMIT": "1",
}


def worker_environment() -> dict[str, str]:
    """This process's environment with `WORKER_ENVIRONMENT` where the operator set nothing."""
    return {**WORKER_ENVIRONMENT, **os.environ}


def _start_worker(settings: Settings, index: int) -> subprocess.Popen[bytes]:
    log_path = paths.log_file(settings, f"worker-{index}")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "ppid", "worker", "--supervisor", str(os.getpid())]
    with log_path.open("ab") as log_file:  # own session: Ctrl-C reaches it only through us
        return subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=paths.CHECKOUT,
            env=worker_environment(),
            start_new_session=True,
        )


def ready_file(settings: Settings, pid: int) -> Path:
    return paths.run_folder(settings) / f"worker-{pid}.ready"


def supervise(settings: Settings, workers: list[subprocess.Popen[bytes]], api: str) -> None:
    """Wait for Ctrl-C; a worker that died (killed, out of memory) is replaced (10 s apart).

    A Prefect server that stops answering ends `ppid run` with an error rather than leaving a
    system that looks up but takes nothing: a service manager (or the operator) starts it again,
    and the watcher's walk of the inbox at start-up takes whatever came meanwhile.
    """
    started = [time.monotonic()] * len(workers)
    silent_since: float | None = None
    next_check = time.monotonic() + SERVER_CHECK_SECONDS
    while True:
        time.sleep(1)
        if time.monotonic() >= next_check:
            silent_since = _check_server(api, silent_since)
            next_check = time.monotonic() + SERVER_CHECK_SECONDS
        for index, worker in enumerate(workers):
            if worker.poll() is None or time.monotonic() - started[index] < 10:
                continue
            log.warning(
                "flow-run worker %d exited (%s); starting another", index + 1, worker.returncode
            )
            ready_file(settings, worker.pid).unlink(missing_ok=True)
            with contextlib.suppress(Exception):  # the UI shows its run Crashed, not Running
                crash_runs_of(f"{socket.gethostname()}:{worker.pid}")
            workers[index], started[index] = _start_worker(settings, index + 1), time.monotonic()


def _check_server(api: str, silent_since: float | None) -> float | None:
    """When the Prefect server first stopped answering (None: it answers); raise after the grace."""
    if healthy(api):
        return None
    now = time.monotonic()
    silent_since = silent_since or now
    if now - silent_since >= SERVER_GRACE_SECONDS:
        raise PpidError("prefect.silent", api=api, seconds=SERVER_GRACE_SECONDS)
    log.warning("the Prefect server at %s does not answer", api)
    return silent_since


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """Ask each worker to finish its flow run (SIGINT); abandon it after the grace (SIGTERM)."""
    for signum, wait in ((signal.SIGINT, WORKER_GRACE_SECONDS), (signal.SIGTERM, 10.0)):
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)
        deadline = time.monotonic() + wait
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=max(0.1, deadline - time.monotonic()))
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
