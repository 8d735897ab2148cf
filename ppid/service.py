"""`ppid run`: the whole system on one machine — Prefect server, intake deployments, watcher, web.

The Prefect server runs as a child process (SQLite under `var/prefect/`); the deployments are
served from this process, which starts one subprocess per flow run; the watcher turns new inbox
files into Prefect events; the web app runs in a thread. One lock per home keeps a second
`ppid run` from starting beside the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from ppid.errors import AlreadyRunningError, ConfigError
from ppid.inbox import is_ignored, iter_inbox, wait_until_stable
from ppid.settings import Settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
FILE_READY_EVENT = "ppid.inbox.file.ready"


def prefect_environment(settings: Settings, api_url: str | None = None) -> dict[str, str]:
    """Prefect settings for this home, applied to os.environ before Prefect is imported."""
    env = {
        "PREFECT_HOME": str(settings.var_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
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
    return settings.var_dir / "run" / "ppid-run.json"


def _running_api_url(settings: Settings) -> str | None:
    try:
        state = json.loads(_state_file(settings).read_text())
    except (OSError, ValueError):
        return None
    url = state.get("prefect_api_url")
    return url if url and _healthy(url) else None


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the home's run lock; a second `ppid run` gets a polite refusal."""
    lock_path = settings.var_dir / "run" / "ppid-run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunningError(
            f"ppid is already running for {settings.home} ({holder}); "
            "stop it with Ctrl-C in its terminal before starting another"
        ) from error
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            _state_file(settings).unlink()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextlib.contextmanager
def prefect_server(settings: Settings, port: int) -> Iterator[str]:
    """A local `prefect server start` as a child process; stopped when the block ends."""
    env = {**os.environ, **prefect_environment(settings, api_url="unused")}
    env.pop("PREFECT_API_URL", None)
    log_path = settings.var_dir / "log" / "prefect-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start"]
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


def watch_inbox(settings: Settings, stop: threading.Event) -> None:
    """Turn each new, stable inbox file into a Prefect event the per-file deployment reacts to.

    A folder dropped whole (a clerk's folder per applicant) is walked: inotify reports the folder,
    not the files copied into it before the watch on it existed.
    """
    from prefect.events import emit_event  # already imported by `run` (parallel imports deadlock)
    from watchfiles import Change, watch

    inbox = settings.inbox
    assert inbox is not None
    inbox.mkdir(parents=True, exist_ok=True)
    in_flight: set[Path] = set()
    lock = threading.Lock()
    for changes in watch(
        inbox, stop_event=stop, force_polling=settings.intake.polling, recursive=True
    ):
        for change, raw in changes:
            path = Path(raw)
            if change == Change.deleted:
                continue
            for candidate in iter_inbox(path) if path.is_dir() else [path]:
                if not candidate.is_file() or candidate.is_symlink():
                    continue
                if is_ignored(candidate.relative_to(inbox)):
                    continue
                with lock:
                    if candidate in in_flight:
                        continue
                    in_flight.add(candidate)
                threading.Thread(
                    target=_announce_when_stable,
                    args=(settings, candidate, in_flight, lock, emit_event),
                    daemon=True,
                ).start()


def _announce_when_stable(
    settings: Settings,
    path: Path,
    in_flight: set[Path],
    lock: threading.Lock,
    emit_event: Callable[..., object],
) -> None:
    try:
        if wait_until_stable(path, settings.intake.stable_seconds, timeout=600):
            emit_event(
                event=FILE_READY_EVENT,
                resource={
                    "prefect.resource.id": "ppid.inbox." + _path_id(path),
                    "ppid.path": str(path),
                },
            )
    finally:
        with lock:
            in_flight.discard(path)


def _path_id(path: Path) -> str:
    return hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]


def serve_web(settings: Settings) -> tuple[threading.Thread, object]:
    import uvicorn

    from ppid.web import create_app

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
    with single_instance(settings), prefect_server(settings, settings.intake.prefect_port) as api:
        os.environ.update(prefect_environment(settings, api_url=api))
        _state_file(settings).write_text(json.dumps({"pid": os.getpid(), "prefect_api_url": api}))
        os.chdir(REPO_ROOT)  # flow runs load the flows by their path relative to the repository
        deployments = build_deployments(settings)
        register_deployments(deployments)  # triggers exist before the first event
        web_thread, web_server = serve_web(settings)
        stop = threading.Event()
        watcher = threading.Thread(target=watch_inbox, args=(settings, stop), daemon=True)
        watcher.start()
        base = api.removesuffix("/api")
        print(f"Prefect:   {base}", file=out)
        print(f"Web app:   http://{settings.web_host}:{settings.web_port}", file=out)
        print(f"Inbox:     {settings.inbox}", file=out)
        print(f"Archive:   {settings.archive}", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        try:
            serve_deployments(deployments, settings.intake.workers)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            web_server.should_exit = True  # type: ignore[attr-defined]
            web_thread.join(timeout=10)
            watcher.join(timeout=10)
            print("stopped", file=out, flush=True)


def _stop_on_signals() -> None:
    """Ctrl-C and a service manager's SIGTERM both end `ppid run` through the same clean path."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def build_deployments(settings: Settings) -> list[Any]:
    """Every deployment `ppid run` serves, with its trigger or schedule."""
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Cron

    from flows.archive import verify_archive
    from flows.casework import advance_case, deadline_check
    from flows.intake import process_file, sweep_inbox
    from flows.mail import check_mailboxes

    on_file = process_file.to_deployment(
        name="on-file",
        triggers=[
            DeploymentEventTrigger(
                expect={FILE_READY_EVENT},
                parameters={"path": "{{ event.resource['ppid.path'] }}"},
            )
        ],
    )
    every = timedelta(minutes=settings.intake.sweep_minutes)
    deployments = [
        on_file,
        sweep_inbox.to_deployment(name="sweep", interval=every),
        verify_archive.to_deployment(
            name="weekly", schedule=Cron(settings.archival.verify_cron, timezone=settings.timezone)
        ),
        advance_case.to_deployment(name="step"),  # on demand: one SOP step on one case
        deadline_check.to_deployment(
            name="daily",
            schedule=Cron(settings.workflow.deadline_check_cron, timezone=settings.timezone),
        ),
    ]
    if settings.mail_url or settings.mail.urls:  # no flow run a minute for nothing
        poll = timedelta(seconds=settings.mail.poll_seconds)
        deployments.append(check_mailboxes.to_deployment(name="poll", interval=poll))
    return deployments


def register_deployments(deployments: list[Any]) -> None:
    """Create deployments and their triggers before the watcher emits its first event."""
    for deployment in deployments:
        deployment.apply()


def serve_deployments(deployments: list[Any], workers: int) -> None:
    """Serve the deployments from this process; each flow run gets its own subprocess."""
    from prefect import serve

    serve(*deployments, limit=max(1, workers), print_starting_message=False)
