"""Warm workers: flow runs of our deployments executed in long-lived, already-warm processes.

Prefect's own runner (`prefect.serve`) starts a fresh Python process for every flow run, which
imports Prefect, OpenCV and WeasyPrint again and renders with a cold WeasyPrint: seconds per
file before any work. A warm worker keeps the Prefect model (event-triggered deployments, one
flow run per file, visible in the UI) but executes the runs itself: woken by Prefect's event
stream when a run is scheduled (and polling every few seconds for runs that come due later), it
asks the API for due runs of the deployments it was given, claims one the way Prefect's runner
does (proposing Pending; the server aborts a second claimer, so two workers never run the same
flow run) and runs it in-process with `prefect.flow_engine.run_flow`, without the heartbeat and
suspension-observer threads Prefect starts per run (`ppid.runtime.prefect_patches`, where every
name of Prefect's used here beyond its documented API is checked). The flow run records the
worker in `infrastructure_pid` ("host:pid").

Stopping: SIGINT asks the worker to finish the flow run in hand and exit; SIGTERM during a run
abandons it (Prefect's engine marks it Crashed; the intake ledger lets the sweep resume the
file). A run that fails or crashes is reported to the API and the worker takes the next one.
This module knows no flows: the composition root (`ppid.runtime.warm`) hands it the deployments.
It also keeps the machine's OCR slots, which bound the pages read at once by all its workers.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ppid.core import paths
from ppid.core.locks import locked, try_lock
from ppid.core.settings import Settings
from ppid.runtime.prefect_patches import lean_flow_runs

log = logging.getLogger(__name__)


POLL_SECONDS = 0.5  # how often an idle worker asks for due runs when it cannot listen
LISTENING_POLL_SECONDS = 5.0  # ... when it listens: runs due later (schedules) raise no event
POLL_PAGE = 8  # due runs asked for at a time: the earliest few, not every run of a full inbox
SCHEDULED_EVENT = "prefect.flow-run.Scheduled"


class WarmWorker:
    """Executes due flow runs of `flows` (deployment id → flow object), one at a time."""

    def __init__(
        self,
        flows: Mapping[UUID, Any],
        poll_seconds: float = POLL_SECONDS,
        listening_poll_seconds: float = LISTENING_POLL_SECONDS,
        page: int = POLL_PAGE,
    ) -> None:
        self.flows = dict(flows)
        self.poll_seconds = poll_seconds
        self.listening_poll_seconds = listening_poll_seconds
        self.page = page
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False
        self.executed = 0
        self.wake = threading.Event()  # a flow run was scheduled: look now
        self.listening = False

    def serve(self, on_idle: Callable[[], None] | None = None) -> None:
        """Claim and execute runs until `stop()` (SIGINT/SIGTERM in `ppid worker`).

        One API client serves the worker's whole life, its flow runs included: Prefect's engine
        takes the client of the `SyncClientContext` it runs in, and would otherwise open a new
        one per run (a new connection and TLS context, and a CSRF-token request) and more for
        each result-storage lookup: ~30 ms before every run.
        """
        from prefect.context import SyncClientContext

        here = contextvars.copy_context()  # Prefect's settings (API URL) are context-local
        listener = threading.Thread(target=here.run, args=(self._listen,), daemon=True)
        listener.start()
        with SyncClientContext.get_or_create() as context:
            client = context.client
            while not self.stopping:
                self.wake.clear()  # before looking: a run scheduled meanwhile wakes the next wait
                run = self.claim_next(client)
                if run is None:
                    if on_idle is not None:
                        on_idle()
                    idle = self.listening_poll_seconds if self.listening else self.poll_seconds
                    self.wake.wait(idle)
                    continue
                self.execute(client, run)
        log.info("worker %s stopped after %d flow run(s)", self.name, self.executed)

    def stop(self, signum: int = 0, frame: object = None) -> None:
        """Finish the run in hand, then leave (a signal handler)."""
        self.stopping = True
        self.wake.set()

    def _listen(self) -> None:
        """Wake the worker as soon as a flow run is scheduled (Prefect's event stream), instead
        of polling twice a second: a run starts ~0.4 s sooner, and an idle worker costs the
        server a request every 5 s instead of two a second. Polling resumes while the stream is
        down; it is reopened every few seconds."""
        import asyncio

        from prefect.events.clients import get_events_subscriber
        from prefect.events.filters import EventFilter, EventNameFilter
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():  # Prefect would start a server of its own to listen to
            return
        wanted = EventFilter(event=EventNameFilter(name=[SCHEDULED_EVENT]))

        async def listen() -> None:
            while not self.stopping:
                try:
                    async with get_events_subscriber(wanted, reconnection_attempts=0) as events:
                        self.listening = True
                        self.wake.set()  # whatever was scheduled while nobody listened
                        async for _event in events:
                            self.wake.set()
                except Exception as error:  # the server restarting: poll meanwhile
                    log.debug("worker %s: event stream closed (%s)", self.name, error)
                self.listening = False
                await asyncio.sleep(self.listening_poll_seconds)

        asyncio.run(listen())

    def claim_next(self, client: Any) -> Any | None:
        """The earliest due run of our deployments that this worker managed to claim, if any.

        It asks for a page of the earliest due runs (a full inbox has hundreds, and the server
        would read and send them all on every poll), and for the next page only when other
        workers took every run of this one. An error from the API ends the look: the worker
        waits before the next, as it does when nothing is due.
        """
        from prefect.client.schemas.objects import FlowRun

        far_past = datetime.min.replace(tzinfo=UTC)
        while not self.stopping:
            try:
                due = client.get_scheduled_flow_runs_for_deployments(
                    deployment_ids=list(self.flows),
                    scheduled_before=datetime.now(UTC),
                    limit=self.page,
                )
                for run in sorted(due, key=lambda r: r.next_scheduled_start_time or far_past):
                    if self.stopping:
                        return None
                    if (state := self.claim(client, run.id)) is not None:
                        claimed = FlowRun.model_validate(run, from_attributes=True)
                        claimed.state = state  # as the server has it now: no read-back
                        return claimed
            except Exception as error:  # the server restarting or briefly unreachable
                log.warning("worker %s: cannot take a flow run (%s)", self.name, error)
                return None
            if len(due) < self.page:
                return None
        return None

    def claim(self, client: Any, run_id: UUID) -> Any | None:
        """Propose Pending, as Prefect's runner does: only one claimer gets it (its state).

        None when another worker was faster or the run is gone; other errors are raised."""
        from prefect.exceptions import Abort, ObjectNotFound
        from prefect.states import Pending
        from prefect.utilities.engine import propose_state_sync

        try:
            state = propose_state_sync(client, Pending(), flow_run_id=run_id)
        except (Abort, ObjectNotFound):
            return None  # another worker was faster, or the run was deleted
        return state if state.is_pending() else None

    def execute(self, client: Any, run: Any) -> Any:
        """Run the claimed flow run here; a failure is its state, never the worker's end."""
        from prefect.exceptions import TerminationSignal
        from prefect.flow_engine import run_flow
        from prefect.states import Crashed
        from prefect.utilities.engine import propose_state_sync

        self.executed += 1
        flow = self.flows[run.deployment_id]
        try:
            client.update_flow_run(run.id, infrastructure_pid=self.name)
            with lean_flow_runs():
                return run_flow(flow, flow_run=run, return_type="state")
        except TerminationSignal:  # SIGTERM mid-run: the engine has marked the run Crashed
            self.stopping = True
            return None
        except Exception as error:  # the engine itself failed: say so on the run, carry on
            log.exception("worker %s: flow run %s (%s) crashed", self.name, run.name, run.id)
            try:
                message = f"worker {self.name}: {type(error).__name__}: {error}"
                return propose_state_sync(client, Crashed(message=message), flow_run_id=run.id)
            except Exception:
                log.exception("worker %s: could not mark flow run %s crashed", self.name, run.id)
                return None


def worker_count(settings: Settings) -> int:
    """Warm workers `ppid run` starts: `intake.workers`, else one per core, at most four.

    The count is the intake's share of the machine: unless `prefect.ocr_slots` says otherwise,
    the workers have as many OCR slots as there are workers (`ocr_slots`), so `workers = 1` on a
    server shared with other work keeps the intake to one core, and the default (one per core)
    still lets a lone bundle's pages be read on every core. Beyond four, each worker's memory
    (~0.3 GB warm) buys little.
    """
    return max(1, settings.intake.workers or min(os.cpu_count() or 1, 4))


def local_worker_count(settings: Settings) -> int:
    """Warm workers `ppid run` starts beside itself: `worker_count`, or none when the flow runs
    belong elsewhere — to a process work pool (`prefect.work_pool`) or to standalone
    `ppid worker`s on other machines (`prefect.local_workers = false`)."""
    if settings.prefect.work_pool or not settings.prefect.local_workers:
        return 0
    return worker_count(settings)


def ocr_slots(settings: Settings) -> int:
    """Pages this machine OCRs at once: `prefect.ocr_slots`, else the intake's workers.

    Without a setting the slots follow `worker_count`, the intake's share of the machine, for
    `ppid run`'s workers and `ppid ingest` alike. Prefect's own process workers on a work pool
    start as many runs as the pool lets them, so there the slots are the cores.
    """
    if settings.prefect.ocr_slots:
        return max(1, settings.prefect.ocr_slots)
    if settings.prefect.work_pool:
        return max(1, os.cpu_count() or 1)
    return worker_count(settings)


@contextmanager
def ocr_slot(settings: Settings) -> Iterator[None]:
    """Hold one of this machine's OCR slots while the block (one page's reading) runs.

    The slots are locked files, not Prefect's global concurrency limit: taking a slot there is a
    write in the Prefect server's SQLite, which fails at once ("database is locked": a deferred
    transaction cannot upgrade) whenever the server is recording the flow's own task states, and
    the client then waits 2 s before asking again, on most scanned files. A locked file costs no
    round trip, and the kernel frees it when its holder dies, so a killed worker never leaks a
    slot.
    """
    with hold_slot(paths.ocr_slot_folder(settings), ocr_slots(settings)):
        yield


@contextmanager
def hold_slot(folder: Path, size: int, poll_seconds: float = 0.05) -> Iterator[int]:
    """Hold one of `size` slots (locked files in `folder`), waiting while none is free.

    Waiters take their turn at the gate (one lock all of them queue on), so a page waiting
    since long is not overtaken again and again by newcomers polling at the right moment.
    """
    held: int | None = None
    try:
        with locked(folder / "gate"):
            while held is None:
                for index in range(size):
                    if (held := try_lock(folder / f"slot-{index}")) is not None:
                        break
                else:
                    time.sleep(poll_seconds)
        yield index
    finally:
        if held is not None:
            os.close(held)  # closing the file releases its lock


def crash_runs_of(worker: str) -> int:
    """Mark Crashed the flow runs a vanished worker ("host:pid") left Running or Pending.

    The files themselves need nothing: the intake ledger sees the claimer's process gone and
    the next sweep resumes each file where it stopped.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    live = FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])
    crashed = 0
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=live))
        )
        for run in runs:
            if run.infrastructure_pid == worker:
                message = f"worker {worker} ended while running it; the sweep resumes the file"
                client.set_flow_run_state(run.id, Crashed(message=message), force=True)
                crashed += 1
    return crashed
