"""`ppid worker`: one warm process that executes our deployments' flow runs in-process.

It pays the first-use costs once (the flows, OpenCV and the OCR readers, WeasyPrint's fonts),
then claims and runs flow runs with `ppid.runtime.worker.WarmWorker` until told to stop.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

import parsers.scan  # noqa: F401  (OpenCV and the readers, imported once by a warm worker)
from ppid.core import paths
from ppid.core.errors import ConfigError
from ppid.core.settings import Settings
from ppid.output.forms import render_form
from ppid.runtime.deployments import deployment_specs
from ppid.runtime.prefect_env import log_flow_runs
from ppid.runtime.prefect_patches import install_worker_patches
from ppid.runtime.worker import WarmWorker
from ppid.runtime.workers import ready_file

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """`ppid worker`: warm up (flows, OpenCV, WeasyPrint), then execute our deployments' runs."""
    from prefect.client.orchestration import get_client

    install_worker_patches()  # a Prefect whose patched names moved stops the worker here
    log_flow_runs()
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError("prefect.absent")
    if str(paths.CHECKOUT) not in sys.path:
        sys.path.insert(0, str(paths.CHECKOUT))
    flows = {}
    with get_client(sync_client=True) as client:
        for flow, spec in deployment_specs(settings):
            deployment = client.read_deployment_by_name(f"{flow.name}/{spec['name']}")
            flows[deployment.id] = flow
    _warm_up(settings)
    os.nice(max(0, settings.intake.worker_nice))  # see `worker_nice`; Tesseract inherits it
    parent = os.getppid()
    ready = ready_file(settings, os.getpid())
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

    with tempfile.TemporaryDirectory(prefix="ppid-warm-") as scratch:
        render_form(settings, Path(scratch) / "form.pdf", fillable=False)
