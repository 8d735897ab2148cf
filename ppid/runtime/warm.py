"""`ppid worker`: one warm process that executes our deployments' flow runs in-process.

It pays the first-use costs once (the flows, OpenCV and the OCR readers, WeasyPrint's fonts),
then claims and runs flow runs with `ppid.runtime.worker.WarmWorker` until told to stop.

It runs in one of two ways. As a child of `ppid run` (`supervisor` is that process's id) it
writes a ready file `ppid run` waits for, and stops when `ppid run` is gone (killed: nobody
would stop it). Standalone, on any machine that reaches the shared Prefect server
(PREFECT_API_URL) and the shared register, it serves until SIGINT/SIGTERM; before warming up
it checks that both answer and that the deployments are registered, and says which is missing.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import parsers.scan  # noqa: F401  (OpenCV and the readers, imported once by a warm worker)
from ppid.core import paths
from ppid.core.db import process_engine
from ppid.core.errors import ConfigError, UnavailableError
from ppid.core.settings import Settings
from ppid.output.forms import render_form
from ppid.runtime.deployments import deployment_specs
from ppid.runtime.prefect_env import healthy, log_flow_runs
from ppid.runtime.prefect_patches import install_worker_patches
from ppid.runtime.worker import WarmWorker, ocr_slots
from ppid.runtime.workers import ready_file

log = logging.getLogger(__name__)


def run_worker(settings: Settings, supervisor: int | None = None) -> None:
    """`ppid worker`: warm up (flows, OpenCV, WeasyPrint), then execute our deployments' runs.

    `supervisor`: the pid of the `ppid run` that started this worker; None when standalone.
    """
    install_worker_patches()  # a Prefect whose patched names moved stops the worker here
    log_flow_runs()
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ConfigError("prefect.absent")
    if not healthy(api):
        raise UnavailableError("worker.no_api", api=api)
    if str(paths.CHECKOUT) not in sys.path:
        sys.path.insert(0, str(paths.CHECKOUT))
    flows = _our_deployments(settings, api)
    _check_database(settings)
    _warm_up(settings)
    os.nice(max(0, settings.intake.worker_nice))  # see `worker_nice`; Tesseract inherits it
    worker = WarmWorker(flows)
    signal.signal(signal.SIGINT, worker.stop)
    signal.signal(signal.SIGTERM, worker.stop)
    if supervisor is None:
        slots = ocr_slots(settings)
        log.info("worker %s ready: %d deployment(s) of %s", worker.name, len(flows), api)
        log.info("worker %s: %d OCR slot(s) on this machine", worker.name, slots)
        worker.serve()
        return
    ready = ready_file(settings, os.getpid())
    ready.parent.mkdir(parents=True, exist_ok=True)
    ready.touch()

    def orphaned() -> None:  # `ppid run` was killed: do not poll a dead server forever
        if os.getppid() != supervisor:
            worker.stopping = True

    try:
        worker.serve(on_idle=orphaned)
    finally:
        ready.unlink(missing_ok=True)


def _our_deployments(settings: Settings, api: str) -> dict[UUID, Any]:
    """Deployment id → flow, for every deployment `ppid run` registers; all must be there."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    flows: dict[UUID, Any] = {}
    missing: list[str] = []
    with get_client(sync_client=True) as client:
        for flow, spec in deployment_specs(settings):
            name = f"{flow.name}/{spec['name']}"
            try:
                flows[client.read_deployment_by_name(name).id] = flow
            except ObjectNotFound:
                missing.append(name)
    if missing:
        raise UnavailableError("worker.no_deployments", api=api, missing=", ".join(missing))
    return flows


def _check_database(settings: Settings) -> None:
    """The shared register answers (and has the current schema) before any run is claimed."""
    assert settings.database_url is not None  # filled in by Settings
    try:
        with process_engine(settings).connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        url = make_url(settings.database_url).render_as_string(hide_password=True)
        problem = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise UnavailableError("worker.no_database", url=url, problem=problem) from error


def _warm_up(settings: Settings) -> None:
    """Pay the first-use costs once: OpenCV and the OCR readers, WeasyPrint's fonts and CSS."""

    with tempfile.TemporaryDirectory(prefix="ppid-warm-") as scratch:
        render_form(settings, Path(scratch) / "form.pdf", fillable=False)
