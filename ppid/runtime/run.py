"""`ppid run`: the whole system on one machine — Prefect server, deployments, workers, watcher, web.

The Prefect server runs as a child process (SQLite under `var/prefect/`), or is the shared one
PREFECT_API_URL names (several machines); the deployments are registered there and their flow
runs executed by warm `ppid worker` child processes (one per core unless `intake.workers`
says), by standalone `ppid worker` processes on other machines (`prefect.local_workers =
false`: none here), or, with `prefect.work_pool` set, by Prefect process workers on that pool;
the watcher turns new inbox files into Prefect events; the web app, built by the caller and
handed in, runs in a thread. One lock per home keeps a second `ppid run` from starting beside
the first."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

from ppid.core import paths
from ppid.core.errors import AlreadyRunningError, ConfigError
from ppid.core.locks import try_lock
from ppid.core.settings import Settings
from ppid.runtime.deployments import build_deployments, register_deployments
from ppid.runtime.prefect_env import prefect_environment, state_file
from ppid.runtime.prefect_patches import check_prefect
from ppid.runtime.server import prefect_api
from ppid.runtime.watcher import watch_inbox
from ppid.runtime.worker import local_worker_count
from ppid.runtime.workers import start_workers, stop_workers, supervise

log = logging.getLogger(__name__)


@contextlib.contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the home's run lock; a second `ppid run` gets a polite refusal."""
    lock_path = paths.run_folder(settings) / "ppid-run.lock"
    held = try_lock(lock_path)
    if held is None:
        holder = lock_path.read_text(errors="replace").strip() or "another process"
        raise AlreadyRunningError("run.already", home=str(settings.home), holder=holder)
    try:
        os.ftruncate(held, 0)
        os.write(held, f"pid {os.getpid()}".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            state_file(settings).unlink()
        os.close(held)  # releases the lock


def serve_web(settings: Settings, app: Any) -> tuple[threading.Thread, Any]:
    """Serve the staff web app on `web_host`:`web_port` in a thread, once listening."""
    served = serve_app(app, settings.web_host, settings.web_port)
    if served is None:
        raise ConfigError("run.web_port", host=settings.web_host, port=settings.web_port)
    return served


def serve_public(settings: Settings, app: Any) -> tuple[threading.Thread, Any]:
    """Serve the public site on `public.host`:`public.port` in a thread, once listening."""
    host, port = settings.public.host, settings.public.port
    served = serve_app(app, host, port)
    if served is None:
        raise ConfigError("run.public_port", host=host, port=port)
    return served


def serve_app(app: Any, host: str, port: int) -> tuple[threading.Thread, Any] | None:
    """Serve `app` (an ASGI app) on `host`:`port` in a thread, once listening; None if it
    could not listen (the port taken) within a minute."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        proxy_headers=False,  # the app believes a proxy's header only if configured to
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            return None
        time.sleep(0.1)
    return thread, server


def run(
    settings: Settings,
    web_app: Any,
    public_app: Any = None,
    out: IO[str] = sys.stdout,
    shared_api: str | None = None,
) -> None:
    """Start everything, print the addresses, and run until Ctrl-C; then stop it all cleanly.

    `web_app` is the staff web app and `public_app` the public site (None: not served) the
    caller built (`ppid.web.app.create_app`, `ppid.web.public.app.create_public_app`): the
    runtime serves each on its own port and knows nothing more of them. `shared_api` is the
    Prefect server of several machines (the operator's PREFECT_API_URL); None: our own child.
    A Prefect whose
    patched names moved stops it here, before anything starts (`ppid.runtime.prefect_patches`).
    """
    check_prefect()
    for folder in (settings.inbox, settings.archive, settings.quarantine, settings.var_dir):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
    _stop_on_signals()
    pool = settings.prefect.work_pool
    with single_instance(settings), prefect_api(settings, shared_api) as api:
        os.environ.update(prefect_environment(settings, api_url=api))
        os.environ["PPID_HOME"] = str(settings.home)  # workers and flow runs: the same home
        address = {"pid": os.getpid(), "prefect_api_url": api}
        state_file(settings).write_text(json.dumps(address))
        os.chdir(paths.CHECKOUT)  # flow runs load the flows by their path relative to it
        register_deployments(build_deployments(settings), work_pool=pool)  # triggers first
        workers: list[subprocess.Popen[bytes]] = []
        served: list[tuple[threading.Thread, Any]] = []
        stop, watching = threading.Event(), threading.Event()
        watcher = threading.Thread(target=watch_inbox, args=(settings, stop, watching), daemon=True)
        try:  # from here on, Ctrl-C (even during start-up) stops whatever has started
            local = local_worker_count(settings)
            workers = start_workers(settings, local) if local else []
            served.append(serve_web(settings, web_app))
            if public_app is not None:
                served.append(serve_public(settings, public_app))
            watcher.start()
            if not watching.wait(timeout=60):  # "Press Ctrl-C" promises that drops are seen
                log.warning("the inbox watcher is not ready yet; the sweep takes files meanwhile")
            _print_addresses(settings, api, pool, len(workers), out, public_app is not None)
            supervise(settings, workers, api)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            stop_workers(workers)
            for thread, server in served:
                server.should_exit = True
                thread.join(timeout=10)
            if watcher.is_alive():
                watcher.join(timeout=10)
            print("stopped", file=out, flush=True)


def _print_addresses(
    settings: Settings, api: str, pool: str, workers: int, out: IO[str], public: bool
) -> None:
    print(f"Prefect:   {api.removesuffix('/api')}", file=out)
    print(f"Web app:   http://{settings.web_host}:{settings.web_port}", file=out)
    if public:
        print(f"Public:    http://{settings.public.host}:{settings.public.port}", file=out)
    print(f"Inbox:     {settings.inbox}", file=out)
    print(f"Archive:   {settings.archive}", file=out)
    if pool:
        print(f"Work pool: {pool} (prefect worker start --pool {pool} --type process)", file=out)
    elif not workers:
        print("Workers:   none here (`ppid worker` on other machines runs the flow runs)", file=out)
    else:
        print(f"Workers:   {workers} (logs in {paths.log_folder(settings)})", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


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
