"""Warm workers: flow runs of our deployments executed in long-lived, already-warm processes.

Prefect's own runner (`prefect.serve`) starts a fresh Python process for every flow run, which
imports Prefect, OpenCV and WeasyPrint again and renders with a cold WeasyPrint: seconds per
file before any work. A warm worker keeps the Prefect model (event-triggered deployments, one
flow run per file, visible in the UI) but executes the runs itself: it polls the API for due
runs of the deployments it was given, claims one the way Prefect's runner does (proposing
Pending; the server aborts a second claimer, so two workers never run the same flow run) and
runs it in-process with `prefect.flow_engine.run_flow`. The flow run records the worker in
`infrastructure_pid` ("host:pid").

Stopping: SIGINT asks the worker to finish the flow run in hand and exit; SIGTERM during a run
abandons it (Prefect's engine marks it Crashed; the intake ledger lets the sweep resume the
file). A run that fails or crashes is reported to the API and the worker takes the next one.
This module knows no flows: the composition root (`ppid.service`) hands it the deployments.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ppid.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # how often an idle worker asks for due runs (Prefect's runner: 10 s)


class WarmWorker:
    """Executes due flow runs of `flows` (deployment id → flow object), one at a time."""

    def __init__(self, flows: Mapping[UUID, Any], poll_seconds: float = POLL_SECONDS) -> None:
        self.flows = dict(flows)
        self.poll_seconds = poll_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False
        self.executed = 0

    def serve(self, on_idle: Callable[[], None] | None = None) -> None:
        """Claim and execute runs until asked to stop (SIGINT/SIGTERM between runs)."""
        from prefect.client.orchestration import get_client

        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        with get_client(sync_client=True) as client:
            while not self.stopping:
                run = self.claim_next(client)
                if run is None:
                    if on_idle is not None:
                        on_idle()
                    time.sleep(self.poll_seconds)
                    continue
                self.execute(client, run)
        log.info("worker %s stopped after %d flow run(s)", self.name, self.executed)

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def claim_next(self, client: Any) -> Any | None:
        """The earliest due run of our deployments that this worker managed to claim, if any."""
        try:
            due = client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=list(self.flows), scheduled_before=datetime.now(UTC)
            )
        except Exception as error:  # the server restarting or briefly unreachable
            log.warning("worker %s: cannot poll the Prefect API (%s)", self.name, error)
            return None
        far_past = datetime.min.replace(tzinfo=UTC)
        for run in sorted(due, key=lambda r: r.next_scheduled_start_time or far_past):
            if self.stopping:
                return None
            if self.claim(client, run.id):
                return client.read_flow_run(run.id)
        return None

    def claim(self, client: Any, run_id: UUID) -> bool:
        """Propose Pending, as Prefect's runner does: only one claimer gets it."""
        from prefect.exceptions import Abort, ObjectNotFound
        from prefect.states import Pending
        from prefect.utilities.engine import propose_state_sync

        try:
            state = propose_state_sync(client, Pending(), flow_run_id=run_id)
        except (Abort, ObjectNotFound):
            return False  # another worker was faster, or the run was deleted
        except Exception as error:
            log.warning("worker %s: could not claim flow run %s (%s)", self.name, run_id, error)
            return False
        return state.is_pending()

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


def ocr_limit_name() -> str:
    """The Prefect concurrency limit of this machine's OCR: one per host, as cores are."""
    return f"ocr-{socket.gethostname()}"


def ocr_slots(settings: Settings) -> int:
    """Pages this machine OCRs at once: `prefect.ocr_slots`, else its cores."""
    return max(1, settings.prefect.ocr_slots or os.cpu_count() or 1)


def ensure_ocr_limit(settings: Settings, *, reset: bool = False) -> tuple[str, int]:
    """Create (or resize) this machine's OCR limit; returns its name and size.

    `reset` frees every slot: `ppid run` does so at start-up, when no OCR of this host can be
    running. The server keeps slot leases in memory, so a server killed while slots were held
    would otherwise leave the limit full for good and intake stalled (found by crash torture).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    name, slots = ocr_limit_name(), ocr_slots(settings)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, slots)
        if reset:
            client.update_global_concurrency_limit(
                name, GlobalConcurrencyLimitUpdate(active_slots=0)
            )
    return name, slots


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
