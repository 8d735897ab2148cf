"""Every change the product makes to Prefect's own behaviour, each with its reason and a check.

Written for Prefect 3.9 (`PREFECT_SERIES`; `pyproject.toml` pins `prefect>=3.9,<3.10`). Each
change says what it does, why, and which upstream behaviour it works around; each has one
install function that is safe to call more than once. `check_prefect` looks, before anything
starts, that every name of Prefect's this module replaces, or calls beyond Prefect's documented
API, is still where it was with the parameters we pass: `ppid run`, `ppid worker` and
`ppid ingest` stop with one operator message (exit code 5) instead of running on a Prefect whose
internals moved under them.

Moving the pin to a newer Prefect 3.x: raise `PREFECT_SERIES` and the pin in `pyproject.toml`
together (`var/bootstrap/bin/uv lock`, then `make setup`); read each change below against the new
release's source (the module and name given in `SERVER_USES` and `WORKER_USES`), drop the ones
Prefect now does itself, and run `make test` — `tests/test_prefect_patches.py` runs the check, and
`tests/test_service_workers.py` measures what each change is for.

1. Every SQLite transaction of the Prefect server begins IMMEDIATE (`sqlite_begin_immediate`,
   `AioSqliteConfiguration.begin_transaction`). Prefect's rule for SQLite (its server/AGENTS.md)
   is that a transaction that reads and then writes must begin IMMEDIATE, or it fails at once
   with "database is locked" whenever another connection commits between its read and its first
   write: the busy timeout never applies there. The server answers 503 and Prefect's client asks
   again two seconds later. Two endpoints on our hot path break the rule: creating a flow run
   from a deployment (what the file trigger does; when a form and its KTP are dropped together,
   the second file's run came two seconds late in half the pairs) and taking concurrency slots.
   Ten clients creating runs at once got 503 on 10 of 11 answered requests. Begun IMMEDIATE,
   writers queue under the busy timeout instead. Reads outside transactions are untouched (WAL
   lets them run beside a writer); with PostgreSQL the configuration is another class and
   nothing changes.
2. The server's services (`SERVER_DEFAULTS`, settings rather than code, checked by name because
   Prefect ignores an unknown variable without a word):
   - task runs recorded in batches of up to 50, flushed every second. Prefect writes each task
     state event in a transaction of its own: ~25 ms of server CPU per event, three events per
     task, five tasks per file, the largest part of the server's work on a batch of files, done
     on the cores the workers need. Batched, a task costs ~10 ms; the UI shows it up to a second
     late.
   - a flow run Late only five minutes after its time (Prefect: 15 s). Every intake run is due
     at once, so a batch of fifty files showed twenty to thirty runs Late that were only waiting
     their turn, each marking one more state change and event. A run still waiting after five
     minutes does mean something: no worker is taking runs.
   An operator's own PREFECT_SERVER_SERVICES_* settings win over these.
3. Flow runs in our workers start no suspension observer (`no_suspension_observer`,
   `prefect.flow_engine.observe_flow_run_suspension`) and send no heartbeats (`lean_flow_runs`,
   `PREFECT_FLOWS_HEARTBEAT_FREQUENCY`). Prefect's engine starts a thread for each per flow run of
   a deployment and joins both when the run ends: the heartbeat thread sleeps in one-second
   steps (up to a second lost per run; a digital form's whole run takes 0.1-0.4 s), the observer
   opens its own API client and an events websocket before the run starts and polls in 0.2 s
   steps at its end. Both serve features the product does not use: heartbeats feed Prefect's
   zombie detection (`ppid run` and `ppid worker` mark a vanished worker's runs Crashed
   themselves), the observer lets `suspend_flow_run` pause a run from outside. Without them a
   run costs a tenth of a second less and the server one websocket subscriber less per run.
4. The warm worker (`ppid.runtime.worker`) drives Prefect's engine the way Prefect's own runner
   does, through names below its documented API: it asks for due runs
   (`get_scheduled_flow_runs_for_deployments`), claims one by proposing Pending
   (`propose_state_sync`; the server aborts a second claimer), runs it in-process (`run_flow`)
   inside one API client for its whole life (`SyncClientContext`), and wakes on the event
   stream (`get_events_subscriber`). Nothing is replaced there; the names are checked.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import types
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from uuid import UUID

from ppid.core.errors import ConfigError

log = logging.getLogger(__name__)


PREFECT_SERIES = "3.9"  # the minor release this module was written for (the pin's lower bound)

SERVER_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",  # Prefect's default: 1
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",  # seconds; default 5
    "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "300",  # default 15
}

_MARKER = "_ppid_replaces"  # on every replacement, what it replaced: installing twice is a no-op


@dataclass(frozen=True)
class Uses:
    """A name of Prefect's that this product replaces or calls, and the parameters it passes."""

    module: str
    name: str  # dotted inside the module: "Class.method"
    parameters: tuple[str, ...] = ()
    called_by: str = ""  # a function of `module` that must still look the name up at call time


SERVER_USES = (
    Uses(
        "prefect.server.database.configurations",
        "AioSqliteConfiguration.begin_transaction",
        ("session", "with_for_update"),
    ),
    *(Uses("prefect.settings", name) for name in SERVER_DEFAULTS),
)

WORKER_USES = (
    Uses(
        "prefect.flow_engine",
        "observe_flow_run_suspension",
        ("flow_run_id",),
        called_by="BaseFlowRunEngine.setup_flow_run_suspension_request",
    ),
    Uses("prefect.settings", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"),
    Uses("prefect.flow_engine", "run_flow", ("flow", "flow_run", "return_type")),
    Uses("prefect.utilities.engine", "propose_state_sync", ("client", "state", "flow_run_id")),
    Uses("prefect.context", "SyncClientContext.get_or_create"),
    Uses(
        "prefect.client.orchestration",
        "SyncPrefectClient.get_scheduled_flow_runs_for_deployments",
        ("deployment_ids", "scheduled_before", "limit"),
    ),
    Uses("prefect.events.clients", "get_events_subscriber", ("filter", "reconnection_attempts")),
)


class PrefectChangedError(ConfigError):
    """The installed Prefect is not the one the product's changes to it were written for."""


def check_prefect(uses: tuple[Uses, ...] = SERVER_USES + WORKER_USES) -> None:
    """Raise `PrefectChangedError` naming every name in `uses` that moved, and the way out."""
    installed = version("prefect")
    problems = [] if _same_series(installed) else [f"the pin is {PREFECT_SERIES}.x"]
    problems += [problem for use in uses if (problem := _problem(use))]
    if problems:
        raise PrefectChangedError(
            "prefect.changed",
            series=PREFECT_SERIES,
            installed=installed,
            problems="; ".join(problems),
        )


def _check_once(uses: tuple[Uses, ...]) -> None:
    """`check_prefect`, once per process for each set of names (a worker installs per run)."""
    if uses not in _CHECKED:
        check_prefect(uses)
        _CHECKED.add(uses)


_CHECKED: set[tuple[Uses, ...]] = set()


def _same_series(installed: str) -> bool:
    return installed.split(".")[:2] == PREFECT_SERIES.split(".")


def _problem(use: Uses) -> str | None:
    """What is wrong with one name (None: it is where it was, with the parameters we pass)."""
    where = f"{use.module}.{use.name}"
    try:
        found: Any = importlib.import_module(use.module)
        for part in use.name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return f"{where} is gone"
    if use.parameters:
        try:
            known = inspect.signature(found).parameters
        except (TypeError, ValueError):
            return f"{where} is no longer a function"
        missing = [name for name in use.parameters if name not in known]
        if missing:
            return f"{where} takes no {', '.join(missing)}"
    if use.called_by:
        caller = _attribute(use.module, use.called_by)
        if caller is None or use.name not in _global_names(caller):
            return f"{use.module}.{use.called_by} no longer calls {use.name}"
    return None


def _attribute(module: str, dotted: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in dotted.split("."):
        found = getattr(found, part, None)
    return found


def _global_names(function: Any) -> set[str]:
    """The global names a function (and the functions nested in it) looks up when it runs."""
    code = inspect.unwrap(function).__code__
    names: set[str] = set()
    pending = [code]
    while pending:
        current = pending.pop()
        names.update(current.co_names)
        pending += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return names


# --- 1 and 2: the Prefect server --------------------------------------------------------------


def install_server_patches() -> None:
    """Before the server starts: its services' settings, then IMMEDIATE SQLite transactions."""
    _check_once(SERVER_USES)
    for key, value in SERVER_DEFAULTS.items():
        os.environ.setdefault(key, value)  # before Prefect reads its settings
    sqlite_begin_immediate()


def sqlite_begin_immediate() -> None:
    """Make Prefect's SQLite configuration begin every transaction IMMEDIATE."""
    from prefect.server.database.configurations import AioSqliteConfiguration

    begin = AioSqliteConfiguration.begin_transaction
    if getattr(begin, _MARKER, False):
        return

    @asynccontextmanager
    async def begin_immediate(
        self: AioSqliteConfiguration, session: Any, with_for_update: bool = False
    ) -> AsyncIterator[Any]:
        async with begin(self, session, with_for_update=True) as transaction:
            yield transaction

    setattr(begin_immediate, _MARKER, begin)
    AioSqliteConfiguration.begin_transaction = begin_immediate  # type: ignore[method-assign]


# --- 3: flow runs in our workers --------------------------------------------------------------


def install_worker_patches() -> None:
    """Before the first flow run of a worker (or of `ppid ingest`): no suspension observer."""
    _check_once(WORKER_USES)
    no_suspension_observer()


def no_suspension_observer() -> None:
    """Replace Prefect's per-run suspension observer by one that observes nothing."""
    from prefect import flow_engine

    observer = flow_engine.observe_flow_run_suspension
    if getattr(observer, _MARKER, False):
        return
    setattr(_observe_nothing, _MARKER, observer)
    flow_engine.observe_flow_run_suspension = _observe_nothing


@contextmanager
def _observe_nothing(flow_run_id: UUID, request: object, **options: object) -> Iterator[None]:
    """Stands in for Prefect's `observe_flow_run_suspension`: observe nothing."""
    yield


@contextmanager
def lean_flow_runs() -> Iterator[None]:
    """Flow runs started in this block start no watcher threads: no heartbeats, no observer."""
    from prefect.context import SettingsContext, get_settings_context

    install_worker_patches()
    current = get_settings_context()
    with SettingsContext(profile=current.profile, settings=_without_heartbeats(current)):
        yield


def _without_heartbeats(context: Any) -> Any:
    """The settings of `context` with heartbeats off, built once per settings object: building
    them (what `temporary_settings` does) costs ~18 ms, and a warm worker enters them per run."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    key = id(context.settings)
    if key not in _LEAN_SETTINGS:  # the entry holds the original, so its id stays its own
        lean = context.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
        _LEAN_SETTINGS[key] = (context.settings, lean)
    return _LEAN_SETTINGS[key][1]


_LEAN_SETTINGS: dict[int, tuple[Any, Any]] = {}  # id(settings) → (settings, without heartbeats)
