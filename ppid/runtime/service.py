"""`ppid run`: the whole system on one machine — Prefect server, intake deployments, watcher, web.

The Prefect server runs as a child process (SQLite under `var/prefect/`); the deployments are
registered there and their flow runs executed by warm `ppid worker` child processes
(ppid/runtime/worker.py; one per core unless `intake.workers` says), or, with
`prefect.work_pool` set, by Prefect process workers on that pool (any machine); the watcher
turns new inbox files into Prefect events; the web app runs in a thread. One lock per home keeps
a second `ppid run` from starting beside the first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from ppid.core import paths
from ppid.core.errors import AlreadyRunningError, ConfigError, PpidError
from ppid.core.locks import try_lock
from ppid.core.settings import Settings
from ppid.intake.inbox import held_still, is_ignored, iter_inbox, renamed_into_place, utf8_name
from ppid.runtime.worker import WarmWorker, crash_runs_of, worker_count

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
FILE_READY_EVENT = "ppid.inbox.file.ready"


def prefect_environment(settings: Settings, api_url: str | None = None) -> dict[str, str]:
    """Prefect settings for this home, applied to os.environ before Prefect is imported."""
    env = {
        "PREFECT_HOME": str(paths.prefect_home(settings)),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    running = api_url or os.environ.get("PREFECT_API_URL") or _running_api_url(settings)
    if running:
        env["PREFECT_API_URL"] = running
    return env


def use_prefect(settings: Settings) -> None:
    """Point Prefect at this home's server (the one `ppid run` started, if any)."""
    for key, value in prefect_environment(settings).items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def _state_file(settings: Settings) -> Path:
    return paths.run_folder(settings) / "ppid-run.json"


def reachable_api_url(settings: Settings) -> str | None:
    """The Prefect API to submit work to, if it answers: PREFECT_API_URL, else `ppid run`'s."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        return given if _healthy(given) else None
    return _running_api_url(settings)


def _running_api_url(settings: Settings) -> str | None:
    try:
        state = json.loads(_state_file(settings).read_text())
    except (OSError, ValueError):
        return None
    url = state.get("prefect_api_url")
    return url if url and _healthy(url) else None


def _healthy(api_url: str) -> bool:
    try:
        # our own Prefect server (http://127.0.0.1:port), never a URL from outside
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # nosec B310
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the home's run lock; a second `ppid run` gets a polite refusal."""
    lock_path = paths.run_folder(settings) / "ppid-run.lock"
    held = try_lock(lock_path)
    if held is None:
        holder = lock_path.read_text(errors="replace").strip() or "another process"
        raise AlreadyRunningError(
            f"ppid is already running for {settings.home} ({holder}); "
            "stop it with Ctrl-C in its terminal before starting another"
        )
    try:
        os.ftruncate(held, 0)
        os.write(held, f"pid {os.getpid()}".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            _state_file(settings).unlink()
        os.close(held)  # releases the lock


@contextlib.contextmanager
def prefect_server(settings: Settings, port: int) -> Iterator[str]:
    """A local Prefect server (`ppid.prefect_server`) as a child process, until the block ends."""
    env = {**os.environ, **prefect_environment(settings, api_url="unused")}
    env.pop("PREFECT_API_URL", None)
    log_path = paths.log_file(settings, "prefect-server")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "ppid.runtime.prefect_server", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
        raise ConfigError(f"port {port} already serves a Prefect server; set intake.prefect_port")
    with log_path.open("ab") as log_file:
        child = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(api_url, child, log_path)
        yield api_url
    finally:
        _stop(child)


def _wait_healthy(api_url: str, child: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ConfigError(f"the Prefect server stopped at start-up; see {log_path}")
        if _healthy(api_url):
            return
        time.sleep(0.5)
    raise ConfigError(f"the Prefect server did not answer within 120 s; see {log_path}")


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


FOLDER_RESCANS = (1.0, 3.0, 10.0)  # seconds after a new folder appears: walk it again
WATCH_TIMEOUT_MS = 500  # the watcher yields this often when nothing changes

Signature = tuple[int, float]  # size and mtime


def watch_inbox(
    settings: Settings, stop: threading.Event, ready: threading.Event | None = None
) -> None:
    """Turn each new, stable inbox file into a Prefect event the per-file deployment reacts to.

    Once the watch is in place, the whole inbox is walked and `ready` set: files that came
    while the system was down, or while it started, are taken now rather than at the first
    sweep (minutes later), and nothing dropped after `ready` can be missed. A folder dropped
    whole (a clerk's folder per applicant) is walked when it appears and again a few times
    after: inotify reports the folder, not the files moved into it before the watch on it
    existed. Files wait in one table, looked at on every yield of the watch (at least every
    half second), until they are whole (`settled`: renamed into place, or held still): a
    thousand files left over a weekend cost
    a thousand entries, not a thousand threads. A file already announced with the same size
    and mtime is not announced twice.
    """
    from prefect.events import emit_event  # already imported by `run` (parallel imports deadlock)
    from watchfiles import Change, watch

    inbox = settings.inbox
    assert inbox is not None
    inbox.mkdir(parents=True, exist_ok=True)
    waiting: dict[Path, Signature | None] = {}  # None: not looked at yet
    announced: dict[Path, Signature] = {}
    rescans: list[tuple[float, Path]] = []

    def consider(path: Path) -> None:
        if not path.is_dir():  # a name that is not UTF-8 cannot go into an event: rename first
            name = utf8_name(path.parent, path.name)
            if name is None:
                return
            path = path.parent / name
        for candidate in iter_inbox(path) if path.is_dir() else [path]:
            if not candidate.is_file() or candidate.is_symlink():
                continue
            if is_ignored(candidate.relative_to(inbox)):
                continue
            if candidate not in waiting and announced.get(candidate) != _signature(candidate):
                waiting[candidate] = None

    watching = watch(
        inbox,
        stop_event=stop,
        force_polling=settings.intake.polling,
        recursive=True,
        rust_timeout=WATCH_TIMEOUT_MS,
        yield_on_timeout=True,  # the first yield, changes or none, says the watch is in place
    )
    walked = False
    for changes in watching:
        if not walked:
            consider(inbox)
            walked = True
            if ready is not None:
                ready.set()
        now = time.monotonic()
        for change, raw in changes:
            path = Path(raw)
            if change == Change.deleted:
                announced.pop(path, None)
                waiting.pop(path, None)
                continue
            consider(path)
            if change == Change.added and path.is_dir():
                rescans.extend((now + delay, path) for delay in FOLDER_RESCANS)
        for due, folder in [item for item in rescans if item[0] <= now]:
            rescans.remove((due, folder))
            consider(folder)
        for path, signature in settled(
            waiting, settings.intake.stable_seconds, renames=not settings.intake.polling
        ):
            emit_event(
                event=FILE_READY_EVENT,
                resource={
                    "prefect.resource.id": "ppid.inbox." + _path_id(path),
                    "ppid.path": str(path),
                },
            )
            announced[path] = signature


def settled(
    waiting: dict[Path, Signature | None], stable_seconds: float, renames: bool = True
) -> list[tuple[Path, Signature]]:
    """Take out of `waiting` the files that are whole; a file that vanished is dropped.

    A file renamed into place after its last write is whole at the first look
    (`renamed_into_place`; with `renames`). Any other file settles on the second look at the
    earliest, once its size and mtime held still since the last look and nothing has written
    to it for `stable_seconds`. Others stay, with what was seen now, for the next look.
    """
    done: list[tuple[Path, Signature]] = []
    now = time.time()
    for path, last in list(waiting.items()):
        stat = _lstat(path)
        if stat is None:
            del waiting[path]
            continue
        current = _signature_of(stat)
        if (renames and renamed_into_place(stat)) or (
            current == last and held_still(stat, stable_seconds, now)
        ):
            del waiting[path]
            done.append((path, current))
        else:
            waiting[path] = current
    return done


def _signature(path: Path) -> Signature | None:
    stat = _lstat(path)
    return None if stat is None else _signature_of(stat)


def _signature_of(stat: os.stat_result) -> Signature:
    return stat.st_size, stat.st_mtime


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _path_id(path: Path) -> str:
    return hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]


def serve_web(settings: Settings) -> tuple[threading.Thread, object]:
    import uvicorn

    from ppid.web.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(
                f"the web app could not listen on {settings.web_host}:{settings.web_port}; "
                "is the port taken? set web_port"
            )
        time.sleep(0.1)
    return thread, server


def run(settings: Settings, out: IO[str] = sys.stdout) -> None:
    """Start everything, print the addresses, and run until Ctrl-C; then stop it all cleanly."""
    for folder in (settings.inbox, settings.archive, settings.quarantine, settings.var_dir):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
    _stop_on_signals()
    pool = settings.prefect.work_pool
    with single_instance(settings), prefect_api(settings) as api:
        os.environ.update(prefect_environment(settings, api_url=api))
        os.environ["PPID_HOME"] = str(settings.home)  # workers and flow runs: the same home
        _state_file(settings).write_text(json.dumps({"pid": os.getpid(), "prefect_api_url": api}))
        os.chdir(REPO_ROOT)  # flow runs load the flows by their path relative to the repository
        register_deployments(build_deployments(settings), work_pool=pool)  # triggers first
        workers: list[subprocess.Popen[bytes]] = []
        web: tuple[threading.Thread, Any] | None = None
        stop, watching = threading.Event(), threading.Event()
        watcher = threading.Thread(target=watch_inbox, args=(settings, stop, watching), daemon=True)
        try:  # from here on, Ctrl-C (even during start-up) stops whatever has started
            workers = [] if pool else start_workers(settings, worker_count(settings))
            web = serve_web(settings)
            watcher.start()
            if not watching.wait(timeout=60):  # "Press Ctrl-C" promises that drops are seen
                log.warning("the inbox watcher is not ready yet; the sweep takes files meanwhile")
            _print_addresses(settings, api, pool, len(workers), out)
            supervise(settings, workers, api)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            stop_workers(workers)
            if web is not None:
                web[1].should_exit = True
                web[0].join(timeout=10)
            if watcher.is_alive():
                watcher.join(timeout=10)
            print("stopped", file=out, flush=True)


def _print_addresses(settings: Settings, api: str, pool: str, workers: int, out: IO[str]) -> None:
    print(f"Prefect:   {api.removesuffix('/api')}", file=out)
    print(f"Web app:   http://{settings.web_host}:{settings.web_port}", file=out)
    print(f"Inbox:     {settings.inbox}", file=out)
    print(f"Archive:   {settings.archive}", file=out)
    if pool:
        print(f"Work pool: {pool} (prefect worker start --pool {pool} --type process)", file=out)
    else:
        print(f"Workers:   {workers} (logs in {paths.log_folder(settings)})", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


@contextlib.contextmanager
def prefect_api(settings: Settings) -> Iterator[str]:
    """The Prefect API to use: a shared server (work-pool mode with PREFECT_API_URL), or our own."""
    shared = os.environ.get("PREFECT_API_URL")
    if settings.prefect.work_pool and shared and _healthy(shared):
        yield shared
        return
    with prefect_server(settings, settings.intake.prefect_port) as api:
        yield api


def _stop_on_signals() -> None:
    """Ctrl-C and a service manager's SIGTERM both end `ppid run` through the same clean path.

    Only the first signal interrupts: a second one (Ctrl-C pressed twice, or SIGTERM to the
    whole process group after a Ctrl-C) would break off the clean-up halfway, after the Prefect
    server has stopped and before the workers have, and leave them running without it.
    """
    stopping = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        if stopping.is_set():
            return  # already stopping: the workers get their grace, then are stopped
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def deployment_specs(settings: Settings) -> list[tuple[Any, dict[str, Any]]]:
    """Every deployment `ppid run` registers: its flow and its name, trigger or schedule."""
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import RRule

    from flows.archive import verify_archive
    from flows.casework import advance_case, deadline_check
    from flows.intake import process_file, sweep_inbox
    from flows.mail import check_mailboxes

    on_file = DeploymentEventTrigger(
        expect={FILE_READY_EVENT},
        parameters={"path": "{{ event.resource['ppid.path'] }}"},
    )
    sweep = timedelta(minutes=settings.intake.sweep_minutes)
    # RRule, not Cron: Prefect 3.9's server cannot compute cron dates in a named time zone on
    # Python < 3.13 (whenever refuses pendulum's tzinfo), so cron schedules never produced a run.
    weekly = RRule(cron_as_rrule(settings.archival.verify_cron), timezone=settings.timezone)
    daily = RRule(cron_as_rrule(settings.workflow.deadline_check_cron), timezone=settings.timezone)
    specs: list[tuple[Any, dict[str, Any]]] = [
        (process_file, {"name": "on-file", "triggers": [on_file]}),
        (sweep_inbox, {"name": "sweep", "interval": sweep}),
        (verify_archive, {"name": "weekly", "schedule": weekly}),
        (advance_case, {"name": "step"}),  # on demand: one SOP step on one case
        (deadline_check, {"name": "daily", "schedule": daily}),
    ]
    if settings.mail_url or settings.mail.urls:  # no flow run a minute for nothing
        poll = timedelta(seconds=settings.mail.poll_seconds)
        specs.append((check_mailboxes, {"name": "poll", "interval": poll}))
    return specs


def build_deployments(settings: Settings) -> list[Any]:
    """Every deployment `ppid run` registers, with its trigger or schedule."""
    return [flow.to_deployment(**spec) for flow, spec in deployment_specs(settings)]


def register_deployments(deployments: list[Any], work_pool: str = "") -> None:
    """Create deployments and their triggers before the watcher emits its first event.

    With a work pool, each deployment is registered on it from source (this checkout's path
    and the flow's entrypoint, e.g. `flows/intake.py:process_file`), for `prefect worker start
    --type process` workers on any machine with the same checkout path.
    """
    if work_pool:
        from prefect.runner.storage import LocalStorage

        _ensure_process_pool(work_pool)
        for deployment in deployments:
            deployment.storage = LocalStorage(str(REPO_ROOT))
            # the pool's worker starts a process per flow run: give it the flow-run environment
            deployment.job_variables = {"env": WORKER_ENVIRONMENT}
            deployment.apply(work_pool_name=work_pool)
        return
    for deployment in deployments:
        deployment.apply()


def _ensure_process_pool(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=name, type="process"))


# --- warm workers (ppid/runtime/worker.py) --------------------------------------------------------

SERVER_CHECK_SECONDS = 5  # how often `ppid run` asks its Prefect server whether it is alive
SERVER_GRACE_SECONDS = 30  # silent this long (a restart takes ~20 s) and `ppid run` gives up
WORKER_GRACE_SECONDS = 30.0  # Ctrl-C lets a worker finish its flow run this long, then abandons it


def start_workers(settings: Settings, count: int) -> list[subprocess.Popen[bytes]]:
    """`count` warm `ppid worker` processes; returns once each has warmed up."""
    workers = [_start_worker(settings, index) for index in range(1, max(1, count) + 1)]
    deadline = time.monotonic() + 300
    try:  # interrupted while they warm up: none is left behind to notice alone
        for index, worker in enumerate(workers, start=1):
            while not _ready_file(settings, worker.pid).exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    log_path = paths.log_file(settings, f"worker-{index}")
                    raise ConfigError(f"a flow-run worker did not start; see {log_path}")
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
    command = [sys.executable, "-m", "ppid", "worker"]
    with log_path.open("ab") as log_file:  # own session: Ctrl-C reaches it only through us
        return subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=worker_environment(),
            start_new_session=True,
        )


def _ready_file(settings: Settings, pid: int) -> Path:
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
            _ready_file(settings, worker.pid).unlink(missing_ok=True)
            with contextlib.suppress(Exception):  # the UI shows its run Crashed, not Running
                crash_runs_of(f"{socket.gethostname()}:{worker.pid}")
            workers[index], started[index] = _start_worker(settings, index + 1), time.monotonic()


def _check_server(api: str, silent_since: float | None) -> float | None:
    """When the Prefect server first stopped answering (None: it answers); raise after the grace."""
    if _healthy(api):
        return None
    now = time.monotonic()
    silent_since = silent_since or now
    if now - silent_since >= SERVER_GRACE_SECONDS:
        raise PpidError(
            f"the Prefect server at {api} has not answered for {SERVER_GRACE_SECONDS} s; "
            "stopping. Start `ppid run` again (files that arrive meanwhile wait in the inbox)"
        )
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


def run_worker(settings: Settings) -> None:
    """`ppid worker`: warm up (flows, OpenCV, WeasyPrint), then execute our deployments' runs."""
    from prefect.client.orchestration import get_client

    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError("no Prefect server to take flow runs from: start `ppid run` first")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    flows = {}
    with get_client(sync_client=True) as client:
        for flow, spec in deployment_specs(settings):
            deployment = client.read_deployment_by_name(f"{flow.name}/{spec['name']}")
            flows[deployment.id] = flow
    _warm_up(settings)
    os.nice(max(0, settings.intake.worker_nice))  # see `worker_nice`; Tesseract inherits it
    parent = os.getppid()
    ready = _ready_file(settings, os.getpid())
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.touch()
    worker = WarmWorker(flows)
    signal.signal(signal.SIGINT, worker.stop)
    signal.signal(signal.SIGTERM, worker.stop)

    def orphaned() -> None:  # `ppid run` was killed: do not poll a dead server forever
        if os.getppid() != parent:
            worker.stopping = True

    try:
        worker.serve(on_idle=orphaned)
    finally:
        ready.unlink(missing_ok=True)


def _warm_up(settings: Settings) -> None:
    """Pay the first-use costs once: OpenCV and the OCR readers, WeasyPrint's fonts and CSS."""
    import tempfile

    import parsers.scan  # noqa: F401  (OpenCV, the readers)
    from ppid.output.forms import render_form

    with tempfile.TemporaryDirectory(prefix="ppid-warm-") as scratch:
        render_form(settings, Path(scratch) / "form.pdf", fillable=False)


_CRON_FIELDS = (("BYMINUTE", 0, 59), ("BYHOUR", 0, 23), ("BYMONTHDAY", 1, 31), ("BYMONTH", 1, 12))
_RRULE_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA", "SU")  # cron 0 and 7 are both Sunday


def cron_as_rrule(cron: str) -> str:
    """A five-field cron line ("0 7 * * 1-5") as the equivalent RFC 5545 rule for Prefect.

    Numbers, lists, ranges and steps are understood; a line restricting both the day of month
    and the weekday (cron's "either" rule, which RRULE cannot say) is refused.
    """
    fields = cron.split()
    if len(fields) != 5:
        raise ConfigError(
            f"schedule {cron!r} is not a five-field cron line (minute hour day month weekday)"
        )
    if fields[2] != "*" and fields[4] != "*":
        raise ConfigError(f"schedule {cron!r}: give a day of the month or a weekday, not both")
    parts = [
        "FREQ=MINUTELY" if fields[0] == "*" else "FREQ=HOURLY" if fields[1] == "*" else "FREQ=DAILY"
    ]
    for (key, low, high), field in zip(_CRON_FIELDS, fields[:4], strict=True):
        if field != "*":
            parts.append(f"{key}={','.join(str(v) for v in _cron_values(cron, field, low, high))}")
    if fields[4] != "*":
        days = sorted(
            {_RRULE_DAYS[v] for v in _cron_values(cron, fields[4], 0, 7)}, key=_RRULE_DAYS.index
        )
        parts.append(f"BYDAY={','.join(days)}")
    return "DTSTART:20260101T000000\nRRULE:" + ";".join(parts)


def _cron_values(cron: str, field: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    try:
        for item in field.split(","):
            span, _, step = item.partition("/")
            first, _, last = span.partition("-")
            start = low if first == "*" else int(first)
            end = high if first == "*" else int(last or (high if step else first))
            values.update(range(start, end + 1, int(step or 1)))
    except ValueError as error:
        raise ConfigError(f"schedule {cron!r}: cannot read {field!r}") from error
    if not values or min(values) < low or max(values) > high:
        raise ConfigError(f"schedule {cron!r}: {field!r} is outside {low}-{high}")
    return sorted(values)
